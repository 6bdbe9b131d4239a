#include "tests/support/signing.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace journeyd::testing {

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

namespace {

std::string HmacSha256(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &mac_len);
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

}  // namespace

std::string HmacSha256Base64(std::string_view secret, std::string_view body) {
  return Base64(HmacSha256(secret, body));
}

std::string HmacSha256Hex(std::string_view secret, std::string_view body) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : HmacSha256(secret, body)) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Base64Decode(std::string_view text) {
  std::string padded(text);
  while (padded.size() % 4 != 0) padded += '=';
  std::string out(padded.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(padded.data()),
                                static_cast<int>(padded.size()));
  if (n < 0) return {};
  // EVP_DecodeBlock counts the bytes that padding stands for as zeros.
  size_t length = static_cast<size_t>(n);
  for (size_t i = padded.size(); i > 0 && padded[i - 1] == '=' && length > 0; --i) --length;
  out.resize(length);
  return out;
}

}  // namespace journeyd::testing
