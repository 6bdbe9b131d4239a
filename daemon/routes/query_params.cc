#include "daemon/routes/query_params.h"

#include <cctype>
#include <charconv>

#include "engine/base/form_encoding.h"

namespace journeyd::routes {

namespace {

// Form decoding ('+' is a space, %XX a byte). A value with a malformed escape is taken
// literally rather than failing the whole request.
std::string Decode(std::string_view text) {
  return PercentDecode(text, /*plus_is_space=*/true).value_or(std::string(text));
}

}  // namespace

std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (Decode(pair.substr(0, eq)) != name) continue;
    return eq == std::string_view::npos ? std::string{} : Decode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

std::optional<int64_t> ParsePositive(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1) return std::nullopt;
  return value;
}

Result<Page> ParsePage(std::string_view query, std::string_view what) {
  Page page;
  if (auto text = QueryParam(query, "limit")) {
    auto n = ParsePositive(*text);
    if (!n || *n > kMaxPageSize) {
      return InvalidArgument("limit must be from 1 to " + std::to_string(kMaxPageSize));
    }
    page.limit = static_cast<int>(*n);
  }
  if (auto text = QueryParam(query, "before")) {
    auto n = ParsePositive(*text);
    if (!n) return InvalidArgument("before must be " + std::string(what) + " id");
    page.before = *n;
  }
  return page;
}

std::string NextPageLink(std::string_view path, std::string_view query, int64_t last, int limit) {
  std::string link(path);
  link += "?before=" + std::to_string(last) + "&limit=" + std::to_string(limit);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::string name = Decode(pair.substr(0, pair.find('=')));
    if (pair.empty() || name == "before" || name == "limit") continue;
    link += '&';
    link += pair;  // still encoded as the client sent it
  }
  return link;
}

}  // namespace journeyd::routes
