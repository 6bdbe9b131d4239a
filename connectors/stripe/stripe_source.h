// The Stripe webhook source: verifies Stripe-Signature (t=<unix seconds> and one or more v1=
// hex HMAC-SHA256 of "t.body", keyed with the whsec_ endpoint secret as is), refuses stale
// timestamps, and turns each event into one RawEvent keyed by the event id. Immutable after
// construction: Accept is safe to call concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/common/checks.h"
#include "engine/base/clock.h"
#include "engine/base/secret.h"
#include "engine/connector/factory.h"
#include "engine/connector/webhook_source.h"

namespace journeyd::connectors::stripe {

struct StripeSettings {
  Secret secret;  // the endpoint's signing secret, "whsec_..." including the prefix
  config::Duration tolerance = common::kDefaultTolerance;
  static const config::StructSpec<StripeSettings>& Spec();
};

class StripeSource final : public WebhookSource {
 public:
  StripeSource(StripeSettings settings, const ConnectorContext& context);
  Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const override;
  // Stripe's event families as globs ("customer.*", "invoice.*", ...): there are hundreds of
  // types and each API version adds some, but a family Stripe does not have is still a typo.
  std::vector<std::string> EventTypes() const override;
  // The event's `type`, as Accept reads it; nullopt when there is none.
  std::optional<std::string> EventTypeOf(const boost::json::value& payload) const override;

 private:
  StripeSettings settings_;
  std::string source_name_;
  const Clock* clock_;  // not owned; outlives the source
};

std::unique_ptr<Factory<WebhookSource>> MakeStripeFactory();

}  // namespace journeyd::connectors::stripe
