// The Zendesk webhook source: verifies X-Zendesk-Webhook-Signature (base64 HMAC-SHA256 over
// X-Zendesk-Webhook-Signature-Timestamp followed by the raw body, keyed with the signing secret
// used verbatim), refuses stale timestamps, and turns each delivery into one RawEvent.
// Immutable after construction: Accept is safe to call concurrently.
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

namespace journeyd::connectors::zendesk {

struct ZendeskSettings {
  // The webhook's signing secret, used as it is shown: it looks like base64 but Zendesk does
  // not decode it.
  Secret secret;
  config::Duration tolerance = common::kDefaultTolerance;
  static const config::StructSpec<ZendeskSettings>& Spec();
};

class ZendeskSource final : public WebhookSource {
 public:
  ZendeskSource(ZendeskSettings settings, const ConnectorContext& context);
  Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const override;
  // Empty, i.e. any type: besides the documented zen:event-type:* events, trigger and
  // automation webhooks carry whatever `type` the admin wrote into their body (the shipped
  // mapping relies on "satisfaction_rated"), so no list can rule a type out.
  std::vector<std::string> EventTypes() const override;
  // The body's `type`, verbatim as Accept stores it ("zen:event-type:ticket.created", or a
  // trigger's own); nullopt when the body has none.
  std::optional<std::string> EventTypeOf(const boost::json::value& payload) const override;

 private:
  ZendeskSettings settings_;
  std::string source_name_;
  const Clock* clock_;  // not owned; outlives the source
};

std::unique_ptr<Factory<WebhookSource>> MakeZendeskFactory();

}  // namespace journeyd::connectors::zendesk
