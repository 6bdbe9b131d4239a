// The WooCommerce webhook source: verifies X-WC-Webhook-Signature (base64 HMAC-SHA256 of the
// raw body) and turns each delivery into one RawEvent keyed by X-WC-Webhook-Delivery-ID. It
// also answers the unsigned ping WooCommerce sends when a webhook is saved. Immutable after
// construction: Accept is safe to call concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/secret.h"
#include "engine/connector/factory.h"
#include "engine/connector/webhook_source.h"

namespace journeyd::connectors::woocommerce {

struct WooCommerceSettings {
  Secret secret;  // the webhook's secret, as entered in WooCommerce or as WordPress stored it
  static const config::StructSpec<WooCommerceSettings>& Spec();
};

// WordPress's wp_specialchars_decode(text, ENT_QUOTES): WooCommerce signs with the stored
// secret passed through it, so "a&amp;b" as stored signs as "a&b".
std::string DecodeWordPressEntities(std::string_view text);

class WooCommerceSource final : public WebhookSource {
 public:
  WooCommerceSource(WooCommerceSettings settings, const ConnectorContext& context);
  // An empty vector for the creation ping (nothing to store); one event otherwise.
  Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const override;
  // JSON deliveries, and the form-encoded ping.
  bool AcceptsMediaType(std::string_view media_type) const override;
  // WooCommerce's own topics (resource.event, X-WC-Webhook-Topic), those of WooCommerce
  // Subscriptions, and action.* for webhooks on any WordPress action hook.
  std::vector<std::string> EventTypes() const override;
  // Always nullopt: the topic is only in X-WC-Webhook-Topic; the body is the bare REST
  // resource (an order, a customer).
  std::optional<std::string> EventTypeOf(const boost::json::value& payload) const override;

 private:
  Secret key_;  // the secret after DecodeWordPressEntities
  std::string source_name_;
};

std::unique_ptr<Factory<WebhookSource>> MakeWooCommerceFactory();

}  // namespace journeyd::connectors::woocommerce
