#include "connectors/common/timestamp.h"

#include <charconv>
#include <string>

#include "connectors/common/request.h"

namespace journeyd::connectors::common {

namespace {

// Reads exactly `digits` decimal digits at `pos`.
std::optional<int> Digits(std::string_view text, size_t pos, size_t digits) {
  if (pos + digits > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = pos; i < pos + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::optional<int64_t> ParseDecimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text) {
  using namespace std::chrono;
  // YYYY-MM-DDTHH:MM:SS is 19 characters; the zone takes at least one more.
  if (text.size() < 20) return std::nullopt;
  const auto y = Digits(text, 0, 4), mo = Digits(text, 5, 2), d = Digits(text, 8, 2);
  const auto h = Digits(text, 11, 2), mi = Digits(text, 14, 2), s = Digits(text, 17, 2);
  if (!y || !mo || !d || !h || !mi || !s) return std::nullopt;
  if (text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  const year_month_day date{year(*y), month(static_cast<unsigned>(*mo)),
                            day(static_cast<unsigned>(*d))};
  if (!date.ok() || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;

  size_t pos = 19;
  nanoseconds fraction{0};
  if (text[pos] == '.') {
    ++pos;
    const size_t start = pos;
    int64_t scale = 1'000'000'000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      scale /= 10;  // digits past nanoseconds are dropped
      fraction += nanoseconds((text[pos] - '0') * scale);
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= text.size()) return std::nullopt;
  minutes offset{0};
  const char zone = text[pos];
  if ((zone == 'Z' || zone == 'z') && pos + 1 == text.size()) {
    // UTC
  } else if ((zone == '+' || zone == '-') && pos + 6 == text.size() && text[pos + 3] == ':') {
    const auto oh = Digits(text, pos + 1, 2), om = Digits(text, pos + 4, 2);
    if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
    offset = hours(*oh) + minutes(*om);
    if (zone == '-') offset = -offset;
  } else {
    return std::nullopt;
  }
  const auto local = sys_days(date) + hours(*h) + minutes(*mi) + seconds(*s);
  // In whole seconds the year 9999 fits; in the clock's nanoseconds it would overflow.
  const auto utc = FromUnixSeconds((local - offset).time_since_epoch().count());
  if (!utc || *utc > system_clock::time_point::max() - seconds(1)) return std::nullopt;
  return *utc + duration_cast<system_clock::duration>(fraction);
}

std::optional<std::chrono::system_clock::time_point> FromUnixSeconds(int64_t seconds) {
  using SysClock = std::chrono::system_clock;
  constexpr int64_t kLimit =
      std::chrono::duration_cast<std::chrono::seconds>(SysClock::duration::max()).count();
  if (seconds > kLimit || seconds < -kLimit) return std::nullopt;
  return SysClock::time_point(std::chrono::seconds(seconds));
}

std::optional<std::chrono::system_clock::time_point> FromUnixMillis(int64_t millis) {
  using SysClock = std::chrono::system_clock;
  constexpr int64_t kLimit =
      std::chrono::duration_cast<std::chrono::milliseconds>(SysClock::duration::max()).count();
  if (millis > kLimit || millis < -kLimit) return std::nullopt;
  return SysClock::time_point(std::chrono::milliseconds(millis));
}

const Clock& ClockOrSystem(const Clock* clock) {
  static const SystemClock system_clock;
  return clock != nullptr ? *clock : system_clock;
}

Status CheckFreshness(const Clock& clock, std::chrono::system_clock::time_point signed_at,
                      config::Duration tolerance) {
  using Seconds = std::chrono::seconds;
  const auto now = clock.Now();
  // Whole seconds first: for times centuries apart (a signature "from" 1700) `now - signed_at`
  // would overflow the clock's nanoseconds. A century is outside any sensible tolerance.
  constexpr Seconds kCentury = std::chrono::hours(24 * 365 * 100);
  const Seconds coarse =
      std::chrono::floor<Seconds>(now) - std::chrono::floor<Seconds>(signed_at);
  const bool far = std::chrono::abs(coarse) > kCentury;
  const auto skew = far ? std::chrono::system_clock::duration::zero() : now - signed_at;
  const auto magnitude = skew < skew.zero() ? -skew : skew;
  if (far || magnitude > tolerance) {
    const auto seconds = far ? coarse.count() : std::chrono::duration_cast<Seconds>(skew).count();
    return Unauthenticated("timestamp outside tolerance (" +
                           (seconds >= 0 ? std::to_string(seconds) + "s old"
                                         : std::to_string(-seconds) + "s in the future") +
                           ")");
  }
  return OkStatus();
}

}  // namespace journeyd::connectors::common
