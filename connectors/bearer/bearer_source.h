// The generic bearer-token webhook source, for senders that authenticate with a static token
// rather than a signature: "Authorization: Bearer <token>", or the token in a header of their
// choosing. Event type and id come from configured headers or JSON fields. Immutable after
// construction: Accept is safe to call concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/common/event_locator.h"
#include "engine/base/secret.h"
#include "engine/connector/factory.h"
#include "engine/connector/webhook_source.h"

namespace journeyd::connectors::bearer {

struct BearerSettings {
  Secret token;
  // With the default, the value must be "Bearer <token>"; a custom header (X-Webhook-Token)
  // carries the token alone, though a "Bearer " in front is tolerated.
  std::string header = "Authorization";
  std::string event_type_header;
  std::string event_id_header;
  std::string event_type_field;
  std::string event_id_field;
  static const config::StructSpec<BearerSettings>& Spec();
};

class BearerSource final : public WebhookSource {
 public:
  BearerSource(BearerSettings settings, const ConnectorContext& context);
  Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const override;
  // Empty, i.e. any type: a generic source cannot know what its sender calls its events.
  std::vector<std::string> EventTypes() const override;
  // The configured event_type_field of the payload; nullopt without one, or when the type is
  // configured to come from a header only (a saved body does not carry its headers).
  std::optional<std::string> EventTypeOf(const boost::json::value& payload) const override;

 private:
  BearerSettings settings_;
  common::EventLocator locator_;
  std::string source_name_;
};

std::unique_ptr<Factory<WebhookSource>> MakeBearerFactory();

}  // namespace journeyd::connectors::bearer
