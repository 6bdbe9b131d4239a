// The HubSpot webhook source: verifies X-HubSpot-Signature-v3 (base64 HMAC-SHA256 over method,
// decoded full URI, raw body and the X-HubSpot-Request-Timestamp milliseconds, keyed with the
// app's client secret), refuses stale timestamps, and splits HubSpot's JSON array of events into
// one RawEvent each. Immutable after construction: Accept is safe to call concurrently.
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

namespace journeyd::connectors::hubspot {

struct HubSpotSettings {
  Secret client_secret;
  // The scheme and host HubSpot calls, e.g. "https://crm-sync.example.com": the signed URI is
  // this followed by the request's path and query, so it must be what HubSpot has on file.
  std::string public_url;
  config::Duration tolerance = common::kDefaultTolerance;
  static const config::StructSpec<HubSpotSettings>& Spec();
};

class HubSpotSource final : public WebhookSource {
 public:
  HubSpotSource(HubSpotSettings settings, const ConnectorContext& context);
  Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const override;
  // Every subscriptionType HubSpot's webhooks API offers (contact.creation, deal.merge,
  // object.propertyChange...), spelled out: "contact.created" is an easy slip that would
  // otherwise leave every contact event unmapped.
  std::vector<std::string> EventTypes() const override;
  // The subscriptionType of a saved request body (an array of events: its first element's) or
  // of one saved event object; nullopt when it has none.
  std::optional<std::string> EventTypeOf(const boost::json::value& payload) const override;

 private:
  HubSpotSettings settings_;  // public_url without a trailing '/'
  std::string source_name_;
  const Clock* clock_;  // not owned; outlives the source
};

std::unique_ptr<Factory<WebhookSource>> MakeHubSpotFactory();

}  // namespace journeyd::connectors::hubspot
