// Reading query-string parameters of admin API requests, percent-decoded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace journeyd::routes {

std::optional<std::string> QueryParam(std::string_view query, std::string_view name);

// A positive decimal integer (an id, a page size, a cursor); nullopt for anything else.
std::optional<int64_t> ParsePositive(std::string_view text);

// Pages of the list routes: `limit` defaults to this and may not exceed the maximum.
inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

// One page of a list route: `limit` (default kDefaultPageSize, at most kMaxPageSize) and the
// `before` cursor (0: from the newest). kInvalidArgument names the bad parameter; `what` is what
// the cursor is an id of ("issue", "action").
struct Page {
  int limit = kDefaultPageSize;
  int64_t before = 0;
};
Result<Page> ParsePage(std::string_view query, std::string_view what);

// The link to the page after one that ended at id `last`: `path` with the request's own query
// (its filters, as sent) but `before` and `limit` set for the next page.
std::string NextPageLink(std::string_view path, std::string_view query, int64_t last, int limit);

}  // namespace journeyd::routes
