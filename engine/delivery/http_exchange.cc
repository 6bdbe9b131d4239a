#include "engine/delivery/http_exchange.h"

#include <algorithm>
#include <cctype>

namespace journeyd::delivery {

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

}  // namespace

// The transport lower-cases names, but a target or a test may build a response by hand, so the
// lookup does not rely on it.
std::string_view HttpResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (EqualsIgnoreCase(name, lower_name)) return value;
  }
  return {};
}

}  // namespace journeyd::delivery
