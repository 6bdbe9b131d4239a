#include "engine/poll/template.h"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>

#include "engine/base/time_format.h"
#include "engine/config/value_types.h"
#include "engine/mapping/normalize.h"

namespace journeyd::poll {

namespace {

Result<std::string> Lookup(std::string_view name, const TemplateContext& context) {
  if (name == "cursor") return context.cursor;
  if (name == "page_size") return std::to_string(context.page_size);
  if (name.rfind("param.", 0) == 0) {
    const std::string key(name.substr(6));
    if (context.params != nullptr) {
      auto it = context.params->find(key);
      if (it != context.params->end()) return it->second;
    }
    return InvalidArgument("{{" + std::string(name) + "}}: no param '" + key +
                           "' (set it under poll.params)");
  }
  if (name.rfind("parent.", 0) == 0) {
    const std::string key(name.substr(7));
    if (context.parent != nullptr) {
      auto it = context.parent->find(key);
      if (it != context.parent->end()) return it->second;
    }
    return InvalidArgument("{{" + std::string(name) + "}}: no parent field '" + key +
                           "' (set it under the stream's parent_fields)");
  }
  if (name.rfind("record.", 0) == 0 && context.record != nullptr) {
    const boost::json::value* value = FindPath(*context.record, name.substr(7));
    std::string text = value == nullptr ? std::string() : ScalarText(*value);
    if (text.empty() && context.missing != nullptr) context.missing->emplace_back(name.substr(7));
    return text;
  }
  return InvalidArgument("unknown placeholder {{" + std::string(name) + "}}");
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::string> Render(std::string_view text, const TemplateContext& context) {
  std::string out;
  size_t at = 0;
  while (true) {
    const size_t open = text.find("{{", at);
    if (open == std::string_view::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return InvalidArgument("unclosed {{ in '" + std::string(text) + "'");
    }
    out.append(text.substr(at, open - at));
    auto value = Lookup(Trim(text.substr(open + 2, close - open - 2)), context);
    if (!value.ok()) return value;
    out += *value;
    at = close + 2;
  }
  out.append(text.substr(at));
  return out;
}

Result<boost::json::value> RenderJson(const boost::json::value& body,
                                      const TemplateContext& context) {
  if (body.is_object()) {
    boost::json::object out;
    for (const auto& member : body.as_object()) {
      auto value = RenderJson(member.value(), context);
      if (!value.ok()) return value;
      if (value->is_string() && value->as_string().empty() && member.value().is_string() &&
          member.value().as_string().find("{{") != boost::json::string::npos) {
        continue;
      }
      if (value->is_object() && value->as_object().empty() && !member.value().as_object().empty()) {
        continue;  // everything in it rendered empty: a filter with no bound
      }
      out[member.key()] = std::move(*value);
    }
    return boost::json::value(std::move(out));
  }
  if (body.is_array()) {
    boost::json::array out;
    for (const auto& element : body.as_array()) {
      auto value = RenderJson(element, context);
      if (!value.ok()) return value;
      out.push_back(std::move(*value));
    }
    return boost::json::value(std::move(out));
  }
  if (body.is_string()) {
    const std::string_view text = body.as_string();
    if (Trim(text) == "{{page_size}}" || text == "{{ page_size }}") {
      return boost::json::value(static_cast<int64_t>(context.page_size));
    }
    auto rendered = Render(text, context);
    if (!rendered.ok()) return rendered.error();
    return boost::json::value(boost::json::string(*rendered));
  }
  return body;
}

const boost::json::value* FindPath(const boost::json::value& root, std::string_view path) {
  const boost::json::value* at = &root;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string_view part = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (at->is_object()) {
      at = at->as_object().if_contains(part);
    } else if (at->is_array()) {
      size_t index = 0;
      auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), index);
      if (error != std::errc() || end != part.data() + part.size() ||
          index >= at->as_array().size()) {
        return nullptr;
      }
      at = &at->as_array()[index];
    } else {
      return nullptr;
    }
    if (at == nullptr) return nullptr;
  }
  return at;
}

std::string ScalarText(const boost::json::value& value) {
  if (value.is_string()) return std::string(value.as_string());
  if (value.is_double()) {
    // As the vendor wrote it, 1782864000.5, not boost.json's 1.7828640005E9.
    const double d = value.as_double();
    char buffer[64];
    const auto format = std::abs(d) < 1e15 ? std::chars_format::fixed : std::chars_format::general;
    auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, d, format);
    if (error == std::errc()) return std::string(buffer, end);
  }
  if (value.is_int64() || value.is_uint64() || value.is_double() || value.is_bool()) {
    return boost::json::serialize(value);
  }
  return {};
}

std::optional<TimePoint> ResolveStart(std::string_view text, TimePoint now) {
  if (auto duration = config::ParseDuration(text); duration.ok()) return now - *duration;
  // Only full times: a bare number here is more likely a forgotten unit than epoch seconds.
  if (text.find('-') == std::string_view::npos) return std::nullopt;
  return mapping::ParseTime(text);
}

std::optional<std::string> FormatCursor(std::string_view value, CursorFormat format,
                                        std::chrono::milliseconds lookback) {
  if (format == CursorFormat::kRaw) return std::string(value);
  auto time = mapping::ParseTime(value);
  if (!time) return std::nullopt;
  const TimePoint t = *time - lookback;
  using std::chrono::duration_cast;
  switch (format) {
    case CursorFormat::kUnix:
      return std::to_string(duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
    case CursorFormat::kUnixMillis:
      return std::to_string(
          duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
    case CursorFormat::kRfc3339:
    case CursorFormat::kRaw:
      break;
  }
  return FormatIso8601(t);
}

bool CursorAfter(std::string_view a, std::string_view b) {
  auto ta = mapping::ParseTime(a), tb = mapping::ParseTime(b);
  if (ta && tb) return *ta > *tb;
  double na = 0, nb = 0;
  auto ra = std::from_chars(a.data(), a.data() + a.size(), na);
  auto rb = std::from_chars(b.data(), b.data() + b.size(), nb);
  if (ra.ec == std::errc() && rb.ec == std::errc() && ra.ptr == a.data() + a.size() &&
      rb.ptr == b.data() + b.size()) {
    return na > nb;
  }
  return a > b;
}

}  // namespace journeyd::poll
