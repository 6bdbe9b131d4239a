#include "engine/governance/suppression.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace journeyd::governance {

namespace {

std::string Hex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0xF]);
  }
  return out;
}

}  // namespace

std::string SuppressionHash(std::string_view salt, std::string_view type, std::string_view value) {
  std::string message;
  message.reserve(type.size() + 1 + value.size());
  message.append(type).push_back(':');
  message.append(value);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), salt.data(), static_cast<int>(salt.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return Hex(digest, length);
}

std::string NewSuppressionSalt() {
  unsigned char bytes[32];
  // A failing system random generator is not an input problem but a broken machine.
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  return Hex(bytes, sizeof bytes);
}

SuppressionList::SuppressionList(std::string salt, const std::vector<std::string>& hashes)
    : salt_(std::move(salt)), hashes_(hashes.begin(), hashes.end()) {}

bool SuppressionList::Suppresses(const CanonicalRecord& record) const {
  if (hashes_.empty()) return false;
  for (const Identity& identity : record.identities) {
    if (hashes_.count(SuppressionHash(salt_, identity.type, identity.value)) > 0) return true;
  }
  return false;
}

}  // namespace journeyd::governance
