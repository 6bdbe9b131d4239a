// The Standard Webhooks source (Svix and others): verifies webhook-signature ("v1,<base64
// HMAC-SHA256>" entries over "id.timestamp.body", keyed with the base64-decoded whsec_ secret;
// several secrets for rotation), refuses stale timestamps, and keys each event by webhook-id.
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

namespace journeyd::connectors::standard_webhooks {

struct StandardWebhooksSettings {
  std::vector<Secret> secrets;  // "whsec_<base64>"; any of them may have signed
  config::Duration tolerance = common::kDefaultTolerance;
  static const config::StructSpec<StandardWebhooksSettings>& Spec();
};

// The HMAC key of a "whsec_<base64>" secret (the prefix is optional), or nullopt when the rest
// is not base64.
std::optional<std::string> DecodeSigningSecret(std::string_view secret);

class StandardWebhooksSource final : public WebhookSource {
 public:
  StandardWebhooksSource(StandardWebhooksSettings settings, const ConnectorContext& context);
  Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const override;
  // Empty, i.e. any type: the spec leaves event types to each sender.
  std::vector<std::string> EventTypes() const override;
  // The payload's top-level `type` (the spec's recommended "type", e.g. "user.created"), as
  // Accept reads it; nullopt when there is none.
  std::optional<std::string> EventTypeOf(const boost::json::value& payload) const override;

 private:
  std::vector<Secret> keys_;  // decoded; secrets that do not decode are left out
  config::Duration tolerance_;
  std::string source_name_;
  const Clock* clock_;  // not owned; outlives the source
};

std::unique_ptr<Factory<WebhookSource>> MakeStandardWebhooksFactory();

}  // namespace journeyd::connectors::standard_webhooks
