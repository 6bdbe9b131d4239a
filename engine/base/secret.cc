#include "engine/base/secret.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <vector>

namespace journeyd {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Compare equal-length buffers so that neither the length check nor an early exit leaks how
  // much of a guessed signature was right; the length itself is not secret.
  const size_t n = std::max(a.size(), b.size());
  if (n == 0) return true;
  std::vector<unsigned char> left(n, 0), right(n, 0);
  std::copy(a.begin(), a.end(), left.begin());
  std::copy(b.begin(), b.end(), right.begin());
  const bool same_bytes = CRYPTO_memcmp(left.data(), right.data(), n) == 0;
  return same_bytes && a.size() == b.size();
}

bool Secret::Equals(std::string_view candidate) const {
  return ConstantTimeEquals(value_, candidate);
}

}  // namespace journeyd
