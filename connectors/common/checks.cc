#include "connectors/common/checks.h"

#include <string_view>

namespace journeyd::connectors::common {

std::optional<std::string> CheckPositiveDuration(const config::Duration& value) {
  if (value <= config::Duration::zero()) return "must be more than 0s";
  return std::nullopt;
}

std::optional<std::string> CheckNotEmpty(const std::string& value) {
  if (value.empty()) return "must not be empty";
  return std::nullopt;
}

std::optional<std::string> CheckHttpUrl(const std::string& value) {
  std::string_view rest = value;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return "'" + value + "' is not an http:// or https:// URL";
  }
  if (rest.empty() || rest.front() == '/' || rest.front() == '?' || rest.front() == '#') {
    return "'" + value + "' has no host";
  }
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return "URL must not contain whitespace";
  }
  return std::nullopt;
}

std::optional<std::string> CheckHeaderName(const std::string& value) {
  static constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  if (value.empty()) return "header name must not be empty";
  for (char c : value) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && kTokenPunctuation.find(c) == std::string_view::npos) {
      return "'" + value + "' is not a valid HTTP header name";
    }
  }
  return std::nullopt;
}

}  // namespace journeyd::connectors::common
