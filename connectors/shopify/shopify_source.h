// The Shopify webhook source: verifies X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the raw
// body, keyed with the app's client secret) and turns each delivery into one RawEvent keyed by
// X-Shopify-Webhook-Id. Immutable after construction: Accept is safe to call concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/secret.h"
#include "engine/connector/factory.h"
#include "engine/connector/webhook_source.h"

namespace journeyd::connectors::shopify {

struct ShopifySettings {
  Secret secret;  // the app's client secret (API secret key)
  static const config::StructSpec<ShopifySettings>& Spec();
};

class ShopifySource final : public WebhookSource {
 public:
  ShopifySource(ShopifySettings settings, const ConnectorContext& context);
  Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const override;
  // Every topic of Shopify's webhook reference (X-Shopify-Topic values), spelled out rather
  // than globbed: the classic slips ("orders/update" for "orders/updated", "customer/create")
  // then fail `journeyd check` instead of leaving events unmapped.
  std::vector<std::string> EventTypes() const override;
  // Always nullopt: the topic travels only in X-Shopify-Topic, and nothing in the body
  // (an order, a customer) says which topic delivered it.
  std::optional<std::string> EventTypeOf(const boost::json::value& payload) const override;

 private:
  ShopifySettings settings_;
  std::string source_name_;
};

std::unique_ptr<Factory<WebhookSource>> MakeShopifyFactory();

}  // namespace journeyd::connectors::shopify
