// application/x-www-form-urlencoded decoding, for form bodies (Mailchimp, the WooCommerce ping)
// and query strings. Keys such as `data[merges][FNAME]` are kept verbatim as one key: nothing
// here guesses a nesting (engine/mapping/payload.h does, for mappings). Stateless: safe from any
// thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/result.h"

namespace journeyd {

// Decodes %XX escapes (either case), and '+' as a space when `plus_is_space` (form encoding).
// A '%' not followed by two hex digits gives nullopt.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// Fields in the order they were sent; a key may repeat.
using FormFields = std::vector<std::pair<std::string, std::string>>;

// Splits on '&', then on the first '='; decodes '+' and %XX in keys and values. Empty pieces
// ("a=1&&b=2") are skipped and a piece without '=' is a key with an empty value.
// kInvalidArgument for a broken %-escape.
Result<FormFields> ParseFormUrlEncoded(std::string_view text);

// The value of the first field named `key`, or nullopt.
std::optional<std::string_view> FindField(const FormFields& fields, std::string_view key);

}  // namespace journeyd
