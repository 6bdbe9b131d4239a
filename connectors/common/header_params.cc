#include "connectors/common/header_params.h"

namespace journeyd::connectors::common {

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::vector<HeaderParam> ParseHeaderParams(std::string_view value, char separator, char assign) {
  std::vector<HeaderParam> params;
  while (!value.empty()) {
    const size_t end = value.find(separator);
    const std::string_view item = TrimSpaces(value.substr(0, end));
    value = end == std::string_view::npos ? std::string_view() : value.substr(end + 1);
    if (item.empty()) continue;
    const size_t split = item.find(assign);
    if (split == std::string_view::npos) {
      params.emplace_back(item, std::string_view());
    } else {
      params.emplace_back(TrimSpaces(item.substr(0, split)), TrimSpaces(item.substr(split + 1)));
    }
  }
  return params;
}

}  // namespace journeyd::connectors::common
