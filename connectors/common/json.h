// JSON for webhook bodies, over Boost.JSON: parsing that reports where a body broke as an Error
// value (never an exception), and the few lookups sources need to find an event's type and id.
// Stateless: safe from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace journeyd::connectors::common {

// kInvalidArgument "malformed JSON at offset N: <parser message>" when `text` is not exactly one
// JSON value (surrounding whitespace allowed). Nesting is limited to 64 levels.
Result<boost::json::value> ParseJson(std::string_view text);

// The same check as ParseJson without building a document: no allocation, for sources that
// take their event type and id from headers and only need to know the body is JSON.
Status ValidateJson(std::string_view text);

// The member `key` of an object; null when `value` is not an object or has no such member.
const boost::json::value* FindMember(const boost::json::value& value, std::string_view key);

// A string as is, an integer in decimal; "" for null, absent (nullptr) or any other kind. Vendors
// write ids both ways (HubSpot's eventId is a number, Zendesk's id a string).
std::string ScalarText(const boost::json::value* value);

}  // namespace journeyd::connectors::common
