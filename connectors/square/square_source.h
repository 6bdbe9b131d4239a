// The Square webhook source: verifies x-square-hmacsha256-signature (base64 HMAC-SHA256 over
// the subscription's notification URL followed by the raw body) and turns each notification
// into one RawEvent keyed by its event_id. Immutable after construction: Accept is safe to call
// concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/secret.h"
#include "engine/connector/factory.h"
#include "engine/connector/webhook_source.h"

namespace journeyd::connectors::square {

struct SquareSettings {
  Secret signature_key;
  // Exactly the URL registered on the Square subscription: Square signs it, so a proxy that
  // changes scheme, host or path must not change it here.
  std::string notification_url;
  static const config::StructSpec<SquareSettings>& Spec();
};

class SquareSource final : public WebhookSource {
 public:
  SquareSource(SquareSettings settings, const ConnectorContext& context);
  Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const override;
  // Square's webhook events: the customer, order, payment and refund ones spelled out, every
  // other family (loyalty.*, invoice.*, ...) as a glob, since Square keeps adding to them.
  std::vector<std::string> EventTypes() const override;
  // The notification's `type`, as Accept reads it; nullopt when there is none.
  std::optional<std::string> EventTypeOf(const boost::json::value& payload) const override;

 private:
  SquareSettings settings_;
  std::string source_name_;
};

std::unique_ptr<Factory<WebhookSource>> MakeSquareFactory();

}  // namespace journeyd::connectors::square
