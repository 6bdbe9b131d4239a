// Signing for tests, written against OpenSSL directly rather than the product's own helpers, so
// that a test of signature verification does not check the code with itself.
#pragma once

#include <string>
#include <string_view>

namespace journeyd::testing {

std::string Base64(std::string_view bytes);
// base64(HMAC-SHA256(secret, body)): Shopify's X-Shopify-Hmac-Sha256.
std::string HmacSha256Base64(std::string_view secret, std::string_view body);
// hex(HMAC-SHA256(secret, body)): Stripe's v1 signature over "t.body".
std::string HmacSha256Hex(std::string_view secret, std::string_view body);
// The bytes of standard base64 text, padded or not (a Standard Webhooks whsec_ key after its
// prefix); "" when `text` is not base64.
std::string Base64Decode(std::string_view text);

}  // namespace journeyd::testing
