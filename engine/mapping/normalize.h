// Normalisers behind the mapping functions email(), phone(), time(), date(), money() and
// sha256(): vendor text in, canonical text or time out, nullopt for junk (vendors send junk; a
// dropped value is an outcome, not an error). Every function is stateless and safe from any
// thread; the Is*Valid* checks are for literal arguments at mapping load time.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace journeyd::mapping {

using TimePoint = std::chrono::system_clock::time_point;

// Trimmed and lower-cased (ASCII letters only; other bytes are kept), or nullopt unless it looks
// like an address: at most 254 bytes, exactly one '@', a non-empty local part, no whitespace or
// control characters, and a domain with a dot and no empty label ("a..b", ".a", "a."). Plus-tags
// and Gmail dots are kept: they may be a different person's address elsewhere.
std::optional<std::string> NormalizeEmail(std::string_view text);

// E.164 ("+16135550135"), or nullopt when libphonenumber cannot parse the number or says it is
// not valid. `default_region` (ISO 3166 alpha-2, any case) applies to numbers written without
// "+CC"; an empty or unknown region accepts only numbers written with "+CC". Nothing is logged.
std::optional<std::string> NormalizePhone(std::string_view number, std::string_view default_region);

// True if libphonenumber has metadata for `region` (any case): "US", "gb".
bool IsValidRegion(std::string_view region);

// A time from vendor text, after trimming surrounding whitespace:
//   RFC 3339 / ISO 8601 "2026-07-01T12:00:00.123456789-04:00": 'T', 't' or ' ' between date and
//     time, seconds optional, any fraction (truncated to microseconds), 'Z', "UTC", +hh:mm or
//     +hhmm (optionally after one space, as Ruby writes them), and no offset meaning UTC (so
//     Mailchimp's "2009-03-26 21:35:57" is UTC);
//   "YYYY-MM-DD", midnight UTC;
//   digits only: epoch seconds, or milliseconds when the value is above 10^11.
// nullopt for anything else, for out-of-range fields (month 13, Feb 30, 24:00) and for times the
// clock cannot represent (outside about 1678-2262).
std::optional<TimePoint> ParseTime(std::string_view text);

// Epoch seconds, or milliseconds when above 10^11 (microsecond precision); nullopt for NaN,
// infinities and times out of range.
std::optional<TimePoint> TimeFromEpoch(double value);

// The whole of `text` (surrounding whitespace trimmed) read with a strptime-style format:
// %Y (4 digits) %y (2 digits: 69-99 -> 19xx, 00-68 -> 20xx) %m %d %e %H %I %M %S (1 or 2 digits;
// %e may start with a space), %b %h %B (English month names, any case, short or long), %a %A
// (English weekday names, read and ignored), %p (AM/PM, with %I), %f (fraction digits, an
// extension: truncated to microseconds), %z (Z, UTC, +hh, +hhmm or +hh:mm; none means UTC),
// %F (%Y-%m-%d) %T (%H:%M:%S) %R (%H:%M) %D (%m/%d/%y), %n %t and whitespace (any run of
// whitespace, possibly none), %%. Other characters must match exactly. nullopt when the text does
// not match, has anything left over, or names an invalid date or time.
// REQUIRES: IsValidTimeFormat(format); otherwise nullopt.
std::optional<TimePoint> ParseTimeWithFormat(std::string_view text, std::string_view format);

// True if `format` uses only the conversions above and fixes a date: a year (%Y, %y, %F, %D), a
// month and a day.
bool IsValidTimeFormat(std::string_view format);

// "YYYY-MM-DD" of the UTC day `t` falls on.
std::string FormatDate(TimePoint t);

// Exact decimal text for money, from vendor text: optional surrounding whitespace, an optional
// sign, digits with an optional '.' fraction (".5" and "5." too). No exponents, thousands
// separators or currency signs. With `minor_units` = N (0 to 18) the input counts 1/10^N units
// ("1999", 2 -> "19.99"). Output: no leading zeros (but "0.5" keeps its 0), at least two fraction
// digits, trailing zeros beyond two removed, no sign on zero: "10" -> "10.00",
// "199.650" -> "199.65", "0.125" -> "0.125", "-0" -> "0.00".
std::optional<std::string> ParseDecimal(std::string_view text, int minor_units = 0);

// The same from a JSON number: the shortest text that reads back as `value` (so 19.99 is "19.99",
// not its binary expansion), then ParseDecimal's rules. nullopt for NaN, infinities and
// magnitudes of 10^21 or more, whose digits would be mostly invented.
std::optional<std::string> DecimalFromDouble(double value, int minor_units = 0);

// Lowercase hex SHA-256 of the bytes of `text`.
std::string Sha256Hex(std::string_view text);

}  // namespace journeyd::mapping
