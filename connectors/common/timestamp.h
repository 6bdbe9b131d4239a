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
// seconds and a "Z" or "+HH:MM" / "-HH:MM" offset; nullopt for anything else, and for times
// the clock cannot represent (system_clock counts nanoseconds in 64 bits: about 1678 to 2262).
std::optional<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text);

// The time `seconds` (or `millis`) after the Unix epoch, as Stripe, Standard Webhooks and
// HubSpot sign it; nullopt past what the clock can represent (about 1678 to 2262), which no
// fresh signature is.
std::optional<std::chrono::system_clock::time_point> FromUnixSeconds(int64_t seconds);
std::optional<std::chrono::system_clock::time_point> FromUnixMillis(int64_t millis);

// `clock`, or the process-wide system clock when null (a context built without one).
const Clock& ClockOrSystem(const Clock* clock);

// kUnauthenticated "timestamp outside tolerance" when `signed_at` is more than `tolerance` away
// from the clock's now, in either direction (and whatever the tolerance, more than a century).
Status CheckFreshness(const Clock& clock, std::chrono::system_clock::time_point signed_at,
                      config::Duration tolerance);

}  // namespace journeyd::connectors::common
