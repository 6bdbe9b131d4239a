#include "tests/support/vendor_requests.h"

#include "tests/support/daemon_process.h"
#include "tests/support/signing.h"

namespace journeyd::testing {

Headers ShopifyHeaders(const std::string& body, const std::string& webhook_id,
                       const std::string& topic, const std::string& content_type) {
  return {{"Content-Type", content_type},
          {"X-Shopify-Topic", topic},
          {"X-Shopify-Shop-Domain", "example.myshopify.com"},
          {"X-Shopify-Webhook-Id", webhook_id},
          {"X-Shopify-Hmac-Sha256",
           HmacSha256Base64(DefaultTestEnvironment().at("JOURNEYD_SHOPIFY_SECRET"), body)}};
}

Headers WooCommerceHeaders(const std::string& body, const std::string& delivery_id) {
  return {{"Content-Type", "application/json"},
          {"X-WC-Webhook-Source", "https://shop.example.com/"},
          {"X-WC-Webhook-Topic", "order.created"},
          {"X-WC-Webhook-Resource", "order"},
          {"X-WC-Webhook-Event", "created"},
          {"X-WC-Webhook-ID", "7"},
          {"X-WC-Webhook-Delivery-ID", delivery_id},
          {"X-WC-Webhook-Signature",
           HmacSha256Base64(DefaultTestEnvironment().at("JOURNEYD_WOOCOMMERCE_SECRET"), body)}};
}

}  // namespace journeyd::testing
