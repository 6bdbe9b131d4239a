// Human-facing JSON text: indented output for `journeyd map` and mapping-test diffs, and a
// line diff of two such texts. Machine-facing JSON (APIs, storage) uses boost::json's compact
// serializer instead.
#pragma once

#include <boost/json/value.hpp>
#include <string>

namespace journeyd {

// Two-space indented JSON, keys in their stored order, ending in a newline.
std::string PrettyJson(const boost::json::value& value);

// A unified-style line diff ("-" expected only, "+" actual only, " " both), with up to
// `context` unchanged lines around each change; "" when the texts are equal.
std::string LineDiff(const std::string& expected, const std::string& actual, int context = 3);

}  // namespace journeyd
