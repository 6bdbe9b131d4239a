// Reading query-string parameters of admin API requests, percent-decoded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace journeyd::routes {

std::optional<std::string> QueryParam(std::string_view query, std::string_view name);

// A positive decimal integer (an id, a page size, a cursor); nullopt for anything else.
std::optional<int64_t> ParsePositive(std::string_view text);

// Pages of the list routes: `limit` defaults to this and may not exceed the maximum.
inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

}  // namespace journeyd::routes
