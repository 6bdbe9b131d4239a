// Message digests and HMACs over OpenSSL, for verifying vendors' webhook signatures. Results
// are raw bytes; encode or decode them with encoding.h. Stateless: safe from any thread.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace journeyd::connectors::common {

enum class HashAlgorithm { kSha1, kSha256, kSha512 };

// HMAC of the concatenation of `parts` (so that "url + body" needs no copy of the body).
// Returns an empty string only if OpenSSL itself fails, which no valid digest equals.
std::string Hmac(HashAlgorithm algorithm, std::string_view key,
                 std::initializer_list<std::string_view> parts);

inline std::string HmacSha256(std::string_view key, std::initializer_list<std::string_view> parts) {
  return Hmac(HashAlgorithm::kSha256, key, parts);
}

// Plain digest of `data`; empty only on an OpenSSL failure.
std::string Digest(HashAlgorithm algorithm, std::string_view data);

inline std::string Sha256(std::string_view data) { return Digest(HashAlgorithm::kSha256, data); }

}  // namespace journeyd::connectors::common
