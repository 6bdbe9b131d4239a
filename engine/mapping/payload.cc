#include "engine/mapping/payload.h"

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/parser.hpp>

namespace journeyd::mapping {

namespace {

// Deep enough for any vendor form; a limit because each level is an allocation an anonymous
// sender controls.
constexpr size_t kMaxFormDepth = 32;

std::string MediaType(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  std::string out;
  for (const char c : content_type) {
    if (c == ' ' || c == '\t') continue;
    out += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

bool IsJsonMediaType(std::string_view media_type) {
  constexpr std::string_view kSuffix = "+json";
  return media_type.empty() || media_type == "application/json" ||
         (media_type.rfind("application/", 0) == 0 && media_type.size() > kSuffix.size() &&
          media_type.substr(media_type.size() - kSuffix.size()) == kSuffix);
}

// "a[b][]" as {"a", {"b", ""}}; nullopt unless the key has exactly that shape.
struct KeyPath {
  std::string_view name;
  std::vector<std::string_view> segments;
};

std::optional<KeyPath> SplitKey(std::string_view key) {
  const size_t open = key.find('[');
  if (open == std::string_view::npos || open == 0) return std::nullopt;
  KeyPath path{key.substr(0, open), {}};
  std::string_view rest = key.substr(open);
  while (!rest.empty()) {
    if (rest.front() != '[') return std::nullopt;
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    path.segments.push_back(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
  }
  return path;
}

Result<boost::json::value> ParseJson(std::string_view body, const boost::json::storage_ptr& sp) {
  boost::json::parser parser;
  parser.reset(sp);
  boost::system::error_code ec;
  const size_t consumed = parser.write(body.data(), body.size(), ec);
  if (ec) {
    return InvalidArgument("invalid JSON at byte " + std::to_string(consumed) + ": " +
                           ec.message());
  }
  return parser.release();
}

}  // namespace

Result<boost::json::object> NestFormFields(const FormFields& fields, boost::json::storage_ptr sp) {
  boost::json::object root(sp);
  for (const auto& [key, value] : fields) {
    const std::optional<KeyPath> path = SplitKey(key);
    if (!path) {
      root[key] = std::string_view(value);
      continue;
    }
    if (path->segments.size() > kMaxFormDepth) {
      return InvalidArgument("form key nests deeper than " + std::to_string(kMaxFormDepth) +
                             " levels");
    }
    boost::json::value* slot = &root[path->name];
    for (const std::string_view segment : path->segments) {
      if (segment.empty()) {
        if (!slot->is_array()) *slot = boost::json::array(sp);
        slot = &slot->as_array().emplace_back(nullptr);
      } else {
        if (!slot->is_object()) *slot = boost::json::object(sp);
        slot = &slot->as_object()[segment];
      }
    }
    *slot = std::string_view(value);
  }
  return root;
}

Result<boost::json::value> DecodePayload(std::string_view content_type, std::string_view body,
                                         boost::json::storage_ptr sp) {
  const std::string media_type = MediaType(content_type);
  // Boost.JSON throws only past its size limits (and on allocation failure); either way this
  // body cannot be mapped, which is the caller's bad input, not a crash.
  try {
    if (IsJsonMediaType(media_type)) return ParseJson(body, sp);
    if (media_type == "application/x-www-form-urlencoded") {
      auto fields = ParseFormUrlEncoded(body);
      if (!fields.ok()) return fields.error();
      auto object = NestFormFields(*fields, sp);
      if (!object.ok()) return object.error();
      return boost::json::value(std::move(*object));
    }
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("payload cannot be decoded: ") + e.what());
  }
  return InvalidArgument("unsupported content type '" + media_type + "'");
}

}  // namespace journeyd::mapping
