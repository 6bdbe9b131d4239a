#include "connectors/common/json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/stream_parser.hpp>
#include <simdjson.h>

namespace journeyd::connectors::common {

namespace {

// Boost's default of 32 is below what some real payloads nest (Shopify orders with bundles).
constexpr size_t kMaxDepth = 64;

Error MalformedAt(size_t offset, const boost::system::error_code& ec) {
  return InvalidArgument("malformed JSON at offset " + std::to_string(offset) + ": " +
                         ec.message());
}

// A basic_parser handler that accepts every event: what is left is the parser's own checking.
struct NullHandler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  using ec_t = boost::system::error_code;
  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_object_begin(ec_t&) { return true; }
  bool on_object_end(std::size_t, ec_t&) { return true; }
  bool on_array_begin(ec_t&) { return true; }
  bool on_array_end(std::size_t, ec_t&) { return true; }
  bool on_key_part(std::string_view, std::size_t, ec_t&) { return true; }
  bool on_key(std::string_view, std::size_t, ec_t&) { return true; }
  bool on_string_part(std::string_view, std::size_t, ec_t&) { return true; }
  bool on_string(std::string_view, std::size_t, ec_t&) { return true; }
  bool on_number_part(std::string_view, ec_t&) { return true; }
  bool on_int64(std::int64_t, std::string_view, ec_t&) { return true; }
  bool on_uint64(std::uint64_t, std::string_view, ec_t&) { return true; }
  bool on_double(double, std::string_view, ec_t&) { return true; }
  bool on_bool(bool, ec_t&) { return true; }
  bool on_null(ec_t&) { return true; }
  bool on_comment_part(std::string_view, ec_t&) { return true; }
  bool on_comment(std::string_view, ec_t&) { return true; }
};

}  // namespace

namespace {

// Bodies up to this size go through simdjson first. Its parser keeps buffers of about 14 times
// the largest document it has seen, per thread; larger bodies are rare and go to Boost alone.
constexpr size_t kFastPathMaxBytes = 64 * 1024;

// True when `element` holds a floating-point zero. simdjson reads a zero mantissa, or an
// exponent below every double, as 0 whatever the exponent's size; Boost refuses an exponent
// past INT_MAX ("0e40000000020", found by fuzz_json). Such a zero cannot be told from a plain
// "0.0" once parsed, so every document holding one is left to Boost.
bool HoldsFloatingZero(const simdjson::dom::element& element) {
  switch (element.type()) {
    case simdjson::dom::element_type::DOUBLE:
      return element.get_double().value_unsafe() == 0.0;
    case simdjson::dom::element_type::ARRAY: {
      const simdjson::dom::array items = element.get_array().value_unsafe();
      for (simdjson::dom::element item : items) {
        if (HoldsFloatingZero(item)) return true;
      }
      return false;
    }
    case simdjson::dom::element_type::OBJECT: {
      const simdjson::dom::object fields = element.get_object().value_unsafe();
      for (simdjson::dom::key_value_pair field : fields) {
        if (HoldsFloatingZero(field.value)) return true;
      }
      return false;
    }
    default:
      return false;
  }
}

// True when simdjson accepts `text` as one JSON document no deeper than kMaxDepth that Boost
// would accept too. simdjson is a strict RFC 8259 validator, so what it accepts is valid; it
// also refuses some valid documents (integers past 64 bits), so a refusal is only a reason to
// ask Boost.
bool FastPathAccepts(std::string_view text) {
  if (text.size() > kFastPathMaxBytes) return false;
  thread_local simdjson::dom::parser parser;
  // parse() grows the capacity as needed and keeps this depth.
  thread_local const bool allocated =
      parser.allocate(16 * 1024, kMaxDepth) == simdjson::SUCCESS;
  if (!allocated) return false;
  // realloc_if_needed: the body has no padding of its own, so the parser copies it into its
  // padded buffer (reused between calls).
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size(), true).get(root) != simdjson::SUCCESS) return false;
  return !HoldsFloatingZero(root);
}

}  // namespace

Status ValidateJson(std::string_view text) {
  // simdjson validates about 1.5 times as fast as Boost's parser (6.6 against 10 us for a
  // 15 KB order, the check for zeros included), and intake validates every webhook body. Boost still gives every refusal's
  // offset and message, and has the last word.
  if (FastPathAccepts(text)) return OkStatus();
  boost::json::parse_options options;
  options.max_depth = kMaxDepth;
  boost::json::basic_parser<NullHandler> parser(options);
  boost::system::error_code ec;
  const size_t consumed = parser.write_some(false, text.data(), text.size(), ec);
  if (ec) return MalformedAt(consumed, ec);
  if (consumed != text.size()) {
    return MalformedAt(consumed, boost::json::error::extra_data);
  }
  return OkStatus();
}

Result<boost::json::value> ParseJson(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = kMaxDepth;
  boost::json::stream_parser parser({}, options);
  boost::system::error_code ec;
  // write() reports trailing garbage too, and returns how far it got before an error.
  const size_t consumed = parser.write(text.data(), text.size(), ec);
  size_t offset = consumed;
  if (!ec) {
    parser.finish(ec);
    offset = text.size();
  }
  if (ec) return MalformedAt(offset, ec);
  return parser.release();
}

const boost::json::value* FindMember(const boost::json::value& value, std::string_view key) {
  const boost::json::object* object = value.if_object();
  if (object == nullptr) return nullptr;
  return object->if_contains(key);
}

std::string ScalarText(const boost::json::value* value) {
  if (value == nullptr) return {};
  if (const auto* s = value->if_string()) return std::string(s->data(), s->size());
  if (const auto* i = value->if_int64()) return std::to_string(*i);
  if (const auto* u = value->if_uint64()) return std::to_string(*u);
  return {};
}

}  // namespace journeyd::connectors::common
