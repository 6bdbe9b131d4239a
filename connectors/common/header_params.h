// Splits the parameter lists that signature headers carry, such as Stripe's
// `t=1700000000,v1=abc,v1=def,v0=123`. Views into the header value, which must outlive them.
// Stateless: safe from any thread.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace journeyd::connectors::common {

using HeaderParam = std::pair<std::string_view, std::string_view>;

// Splits `value` on `separator`, trims spaces and tabs around each item, then splits each item
// on its first `assign` ('=' for Stripe, ',' for Standard Webhooks' "v1,<sig>"). Empty items
// are skipped; an item without `assign` has an empty value. Order and repeats are kept.
std::vector<HeaderParam> ParseHeaderParams(std::string_view value, char separator = ',',
                                           char assign = '=');

// Trims spaces and tabs at both ends.
std::string_view TrimSpaces(std::string_view text);

}  // namespace journeyd::connectors::common
