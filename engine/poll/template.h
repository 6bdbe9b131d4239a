// The small template language of poll requests, and the JSON helpers the stream reader shares:
// `{{cursor}}`, `{{page_size}}`, `{{param.NAME}}`, `{{parent.NAME}}` and, in event types,
// `{{record.PATH}}`, with values looked up by dotted paths ("data.object.id", "items.0.id").
// Deliberately no logic: a preset that needs more is a sign the vendor needs a C++ connector.
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
#include "engine/poll/poll_settings.h"

namespace journeyd::poll {

using TimePoint = std::chrono::system_clock::time_point;

struct TemplateContext {
  std::string cursor;  // already formatted; "" before the first run with no start
  int page_size = 0;
  const std::map<std::string, std::string>* params = nullptr;
  // A child stream's {{parent.NAME}} values, taken from its parent record.
  const std::map<std::string, std::string>* parent = nullptr;
  const boost::json::value* record = nullptr;
  // When set, each {{record.x}} that is missing or empty in the record is added here: an event
  // type "charge.{{record.status}}" must not become "charge." for a record without a status.
  std::vector<std::string>* missing = nullptr;
};

// kInvalidArgument naming the placeholder for an unknown one or a missing param.
Result<std::string> Render(std::string_view text, const TemplateContext& context);

// A JSON body with every string rendered. A string that is exactly "{{page_size}}" becomes a
// number; a member whose string renders empty is left out, so a first run sends no cursor.
Result<boost::json::value> RenderJson(const boost::json::value& body,
                                      const TemplateContext& context);

// The value at a dotted path (object keys, array indexes), or null when there is none. An
// empty path is the root.
const boost::json::value* FindPath(const boost::json::value& root, std::string_view path);

// Strings as they are, numbers and booleans as JSON writes them; "" for null, objects, arrays.
std::string ScalarText(const boost::json::value& value);

// A cursor.start value: an RFC 3339 time, or a duration ("30d", "12h") before `now`.
std::optional<TimePoint> ResolveStart(std::string_view text, TimePoint now);

// A cursor value (as read from a record: RFC 3339 text or epoch digits) minus `lookback`, in
// `format`. kRaw gives the value unchanged. nullopt when a time format is asked of a value that
// is not a time.
std::optional<std::string> FormatCursor(std::string_view value, CursorFormat format,
                                        std::chrono::milliseconds lookback);

// Whether cursor value `a` is after `b`: as times when both read as times, else as numbers,
// else as text.
bool CursorAfter(std::string_view a, std::string_view b);

}  // namespace journeyd::poll
