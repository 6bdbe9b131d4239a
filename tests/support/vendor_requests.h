// Vendor webhook requests as the vendors send them, signed with the test environment's secrets
// (DefaultTestEnvironment), for tests that post to the real daemon.
#pragma once

#include <string>

#include "tests/support/http_client.h"

namespace journeyd::testing {

// A Shopify delivery's headers: topic, shop domain, webhook id, and X-Shopify-Hmac-Sha256 over
// `body` with JOURNEYD_SHOPIFY_SECRET.
Headers ShopifyHeaders(const std::string& body, const std::string& webhook_id,
                       const std::string& topic = "orders/create",
                       const std::string& content_type = "application/json");

// A WooCommerce order.created delivery's headers: its delivery id, and X-WC-Webhook-Signature
// over `body` with JOURNEYD_WOOCOMMERCE_SECRET.
Headers WooCommerceHeaders(const std::string& body, const std::string& delivery_id);

}  // namespace journeyd::testing
