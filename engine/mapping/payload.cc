#include "engine/mapping/payload.h"

#include <charconv>
#include <cmath>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value_stack.hpp>

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

// As deep as intake lets a body nest (connectors/common/json.cc): an event accepted with a 2xx
// must never fail its mapping for its depth alone.
constexpr size_t kMaxJsonDepth = 64;

// A number as a decimal value: its significant digits without leading or trailing zeros and
// the power of ten of the first one ("-0.0125e3" -> negative, "125", 1: 0.125 x 10^1); zero
// has no digits. Reads JSON number syntax, which std::to_chars also writes.
struct DecimalValue {
  bool negative = false;
  std::string digits;
  long long exponent = 0;
  bool operator==(const DecimalValue&) const = default;
};

DecimalValue ReadDecimal(std::string_view text) {
  DecimalValue out;
  size_t i = 0;
  if (i < text.size() && text[i] == '-') {
    out.negative = true;
    ++i;
  }
  long long integer_digits = 0;
  bool in_fraction = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      in_fraction = true;
    } else if (c >= '0' && c <= '9') {
      out.digits += c;
      if (!in_fraction) ++integer_digits;
    } else {
      break;  // 'e' or 'E'
    }
  }
  long long exponent = 0;
  if (i < text.size()) {
    ++i;
    bool negative_exponent = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative_exponent = text[i++] == '-';
    // The parser refuses exponents past INT_MAX, so this cannot overflow.
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      exponent = exponent * 10 + (text[i] - '0');
    }
    if (negative_exponent) exponent = -exponent;
  }
  const size_t first = out.digits.find_first_not_of('0');
  if (first == std::string::npos) return DecimalValue{};  // zero, whatever its sign
  out.digits.erase(0, first);
  out.digits.erase(out.digits.find_last_not_of('0') + 1);
  out.exponent = integer_digits - static_cast<long long>(first) + exponent;
  return out;
}

// True when the double holds exactly the number `literal` wrote: its shortest round-trip form
// is the same decimal value. 98765432109876543210 (past 64-bit integers), 1e400 (infinite),
// 1e-400 (zero) and 0.1234567890123456789 (more digits than a double) are not.
bool ExactAsDouble(double d, std::string_view literal) {
  if (!std::isfinite(d)) return false;
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  if (ec != std::errc()) return false;
  return ReadDecimal(std::string_view(buffer, static_cast<size_t>(end - buffer))) ==
         ReadDecimal(literal);
}

// Builds values as boost::json::parser does, except that a number a double cannot hold
// exactly is kept as its text (a string): a 20-digit id stays that id, rather than becoming a
// rounded one that another customer may share, and 1e400 stays "1e400" rather than "inf".
// Mapping functions read numeric text as numbers (money(), number(), comparisons).
struct ExactNumberHandler {
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();
  using ec_t = boost::system::error_code;

  boost::json::value_stack st;
  std::string number;  // the start of a number the parser delivered in parts

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_object_begin(ec_t&) { return true; }
  bool on_object_end(std::size_t n, ec_t&) {
    st.push_object(n);
    return true;
  }
  bool on_array_begin(ec_t&) { return true; }
  bool on_array_end(std::size_t n, ec_t&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(std::string_view s, std::size_t, ec_t&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(std::string_view s, std::size_t, ec_t&) {
    st.push_key(s);
    return true;
  }
  bool on_string_part(std::string_view s, std::size_t, ec_t&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(std::string_view s, std::size_t, ec_t&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(std::string_view s, ec_t&) {
    number += s;
    return true;
  }
  bool on_int64(std::int64_t i, std::string_view, ec_t&) {
    number.clear();
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, std::string_view, ec_t&) {
    number.clear();
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, std::string_view s, ec_t&) {
    number += s;
    if (ExactAsDouble(d, number)) {
      st.push_double(d);
    } else {
      st.push_string(number);
    }
    number.clear();
    return true;
  }
  bool on_bool(bool b, ec_t&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(ec_t&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(std::string_view, ec_t&) { return true; }
  bool on_comment(std::string_view, ec_t&) { return true; }
};

Result<boost::json::value> ParseJson(std::string_view body, const boost::json::storage_ptr& sp) {
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::json::basic_parser<ExactNumberHandler> parser(options);
  parser.handler().st.reset(sp);
  boost::system::error_code ec;
  const size_t consumed = parser.write_some(false, body.data(), body.size(), ec);
  if (!ec && consumed < body.size()) ec = boost::json::error::extra_data;
  if (ec) {
    return InvalidArgument("invalid JSON at byte " + std::to_string(consumed) + ": " +
                           ec.message());
  }
  return parser.handler().st.release();
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
