// Reading the timestamps that signature schemes carry, and the replay check that rejects a
// correctly signed request when it was signed too long ago (or too far ahead). Stateless: safe
// from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/base/clock.h"
#include "engine/base/result.h"
#include "engine/config/value_types.h"

namespace journeyd::connectors::common {

// Non-negative decimal integer, digits only; nullopt if empty, signed, or out of range.
std::optional<int64_t> ParseDecimal(std::string_view text);

// ISO 8601 / RFC 3339 date-time such as "2021-03-25T05:09:27Z", with optional fractional
// seconds and a "Z" or "+HH:MM" / "-HH:MM" offset; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text);

// `clock`, or the process-wide system clock when null (a context built without one).
const Clock& ClockOrSystem(const Clock* clock);

// kUnauthenticated "timestamp outside tolerance" when `signed_at` is more than `tolerance` away
// from the clock's now, in either direction.
Status CheckFreshness(const Clock& clock, std::chrono::system_clock::time_point signed_at,
                      config::Duration tolerance);

}  // namespace journeyd::connectors::common
