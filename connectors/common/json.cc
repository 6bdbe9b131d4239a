#include "connectors/common/json.h"

#include <boost/json/parse_options.hpp>
#include <boost/json/stream_parser.hpp>

namespace journeyd::connectors::common {

Result<boost::json::value> ParseJson(std::string_view text) {
  boost::json::parse_options options;
  // Boost's default of 32 is below what some real payloads nest (Shopify orders with bundles).
  options.max_depth = 64;
  boost::json::stream_parser parser({}, options);
  boost::system::error_code ec;
  // write() reports trailing garbage too, and returns how far it got before an error.
  const size_t consumed = parser.write(text.data(), text.size(), ec);
  size_t offset = consumed;
  if (!ec) {
    parser.finish(ec);
    offset = text.size();
  }
  if (ec) {
    return InvalidArgument("malformed JSON at offset " + std::to_string(offset) + ": " +
                           ec.message());
  }
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
