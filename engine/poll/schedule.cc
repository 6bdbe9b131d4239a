#include "engine/poll/schedule.h"

#include <unicode/basictz.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "engine/base/error.h"

namespace journeyd::poll {

namespace {

using std::chrono::days;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::sys_days;

// A cron field: its name for messages, its range, and (for month and day-of-week) the
// three-letter names that stand for values first_name_value, first_name_value + 1, ...
struct FieldSpec {
  const char* name;
  int min;
  int max;
  int last;  // where `*` and `a/n` stop: max, except day-of-week, where 7 is a spare Sunday
  const char* const* names = nullptr;
  int name_count = 0;
  int first_name_value = 0;
  const char* name_hint = "";
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

constexpr FieldSpec kMinute{.name = "minute", .min = 0, .max = 59, .last = 59};
constexpr FieldSpec kHour{.name = "hour", .min = 0, .max = 23, .last = 23};
constexpr FieldSpec kDayOfMonth{.name = "day-of-month", .min = 1, .max = 31, .last = 31};
constexpr FieldSpec kMonth{.name = "month", .min = 1, .max = 12, .last = 12,
                           .names = kMonthNames, .name_count = 12, .first_name_value = 1,
                           .name_hint = "a month name (JAN-DEC)"};
// 7 is accepted as a second Sunday and folded onto 0 once the field is parsed.
constexpr FieldSpec kDayOfWeek{.name = "day-of-week", .min = 0, .max = 7, .last = 6,
                               .names = kDayNames, .name_count = 7, .first_name_value = 0,
                               .name_hint = "a day name (SUN-SAT)"};

// Bits min..max of a field mask: the value of `*`.
constexpr uint64_t AllBits(int min, int max) {
  return ((uint64_t{1} << (max + 1)) - 1) & ~((uint64_t{1} << min) - 1);
}

constexpr uint64_t kAllDaysOfMonth = AllBits(1, 31);
constexpr uint64_t kAllDaysOfWeek = AllBits(0, 6);

bool IsDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// REQUIRES: IsDigits(text). Saturates instead of overflowing; callers range-check the result.
int64_t ParseDigits(std::string_view text) {
  int64_t value = 0;
  for (char c : text) {
    value = value * 10 + (c - '0');
    if (value > 1'000'000'000) return 1'000'000'000;
  }
  return value;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

std::string FieldError(const FieldSpec& spec, const std::string& what) {
  return std::string(spec.name) + " field: " + what;
}

std::string RangeText(int min, int max) {
  return std::to_string(min) + "-" + std::to_string(max);
}

// One value of a field: a number or, where the field has them, a name.
Result<int> ParseValue(std::string_view text, const FieldSpec& spec) {
  if (IsDigits(text)) {
    const int64_t value = ParseDigits(text);
    if (value < spec.min || value > spec.max) {
      return InvalidArgument(FieldError(spec, std::string(text) + " is out of range " +
                                                  RangeText(spec.min, spec.max)));
    }
    return static_cast<int>(value);
  }
  for (int i = 0; i < spec.name_count; ++i) {
    if (EqualsIgnoringCase(text, spec.names[i])) return spec.first_name_value + i;
  }
  const std::string expected = spec.name_count > 0 ? std::string("a number or ") + spec.name_hint
                                             : std::string("a number");
  return InvalidArgument(
      FieldError(spec, "'" + std::string(text) + "' is not " + expected));
}

// One comma-separated item: `*`, `a`, or `a-b`, each optionally followed by `/step`. A bare
// `a/step` means a through the end of the field (Saturday for day-of-week).
Result<uint64_t> ParseItem(std::string_view item, const FieldSpec& spec) {
  std::string_view range = item;
  std::optional<std::string_view> step_text;
  if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
    range = item.substr(0, slash);
    step_text = item.substr(slash + 1);
  }

  if (range.empty() || range.front() == '-' || range.back() == '-') {
    return InvalidArgument(FieldError(spec, "'" + std::string(item) + "' is missing a value"));
  }
  if (step_text && step_text->empty()) {
    return InvalidArgument(FieldError(spec, "'" + std::string(item) + "' is missing a step"));
  }

  int low;
  int high;
  if (range == "*") {
    low = spec.min;
    high = spec.last;
  } else if (const size_t dash = range.find('-'); dash != std::string_view::npos) {
    Result<int> a = ParseValue(range.substr(0, dash), spec);
    if (!a.ok()) return a.error();
    Result<int> b = ParseValue(range.substr(dash + 1), spec);
    if (!b.ok()) return b.error();
    if (*a > *b) {
      return InvalidArgument(
          FieldError(spec, "range " + std::string(range) + " runs backwards"));
    }
    low = *a;
    high = *b;
  } else {
    Result<int> value = ParseValue(range, spec);
    if (!value.ok()) return value.error();
    low = *value;
    high = step_text ? spec.last : *value;
  }

  int step = 1;
  if (step_text) {
    const int max_step = spec.last - spec.min;
    const int64_t parsed = IsDigits(*step_text) ? ParseDigits(*step_text) : -1;
    if (parsed < 0) {
      return InvalidArgument(
          FieldError(spec, "step '" + std::string(*step_text) + "' is not a number"));
    }
    if (parsed < 1 || parsed > max_step) {
      return InvalidArgument(FieldError(spec, "step " + std::string(*step_text) +
                                                  " is out of range " + RangeText(1, max_step)));
    }
    step = static_cast<int>(parsed);
  }

  uint64_t bits = 0;
  for (int v = low; v <= high; v += step) bits |= uint64_t{1} << v;
  return bits;
}

Result<uint64_t> ParseField(std::string_view text, const FieldSpec& spec) {
  uint64_t bits = 0;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string_view item =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                           : comma - start);
    if (item.empty()) {
      return InvalidArgument(FieldError(spec, "empty item in '" + std::string(text) + "'"));
    }
    Result<uint64_t> item_bits = ParseItem(item, spec);
    if (!item_bits.ok()) return item_bits.error();
    bits |= *item_bits;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return bits;
}

int DaysInMonth(int year, int month) {
  const std::chrono::year_month_day_last last{
      std::chrono::year{year},
      std::chrono::month_day_last{std::chrono::month{static_cast<unsigned>(month)}}};
  return static_cast<int>(static_cast<unsigned>(last.day()));
}

// Splits on runs of spaces and tabs.
std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  return fields;
}

// Longest @every interval. Far beyond any sane poll period, and keeps every sum of an
// interval and a time_point well inside the range of system_clock's nanoseconds.
constexpr int64_t kMaxEverySeconds = int64_t{366} * 24 * 3600;

// "1h30m", "90s", "2h": integer amounts of h, m and s, in that order, each at most once.
Result<int64_t> ParseEvery(std::string_view text) {
  const std::string shown(text);
  const std::string malformed =
      "@every: '" + shown + "' is not a duration like 90s, 15m or 1h30m";
  if (text.empty()) return InvalidArgument("@every: missing duration, e.g. @every 15m");

  static constexpr char kUnits[] = {'h', 'm', 's'};
  static constexpr int64_t kUnitSeconds[] = {3600, 60, 1};
  int64_t total = 0;
  size_t next_unit = 0;  // units must come in the order h, m, s
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return InvalidArgument(malformed);
    const int64_t amount = ParseDigits(text.substr(start, i - start));
    if (i == text.size()) {
      return InvalidArgument("@every: '" + shown + "' has no unit (use h, m or s)");
    }
    const char c = text[i];
    size_t unit = 0;
    while (unit < 3 && kUnits[unit] != c) ++unit;
    if (unit == 3) {
      const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (!letter) return InvalidArgument(malformed);
      return InvalidArgument("@every: unknown unit '" + std::string(1, c) + "' in '" + shown +
                             "' (use h, m or s)");
    }
    if (unit < next_unit) {
      return InvalidArgument("@every: '" + shown +
                             "' must give h, m and s in that order, each at most once");
    }
    next_unit = unit + 1;
    ++i;
    // amount saturates at 1e9, so this cannot overflow; the cap below then rejects it.
    total += amount * kUnitSeconds[unit];
  }
  if (total < 1) return InvalidArgument("@every: " + shown + " is shorter than 1s");
  if (total > kMaxEverySeconds) {
    return InvalidArgument("@every: " + shown + " is longer than 8784h (366 days)");
  }
  return total;
}

// Floor division, for instants before the epoch.
int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// A local wall-clock minute. The Next* helpers keep every field in range and move to the
// first minute of the next hour, day or month, which is how the search skips whole units.
struct LocalMinute {
  int year;
  int month;   // 1-12
  int day;     // 1-31
  int hour;    // 0-23
  int minute;  // 0-59
};

void NextMonth(LocalMinute& t) {
  if (++t.month > 12) {
    t.month = 1;
    ++t.year;
  }
  t.day = 1;
  t.hour = 0;
  t.minute = 0;
}

void NextDay(LocalMinute& t) {
  if (++t.day > DaysInMonth(t.year, t.month)) {
    NextMonth(t);
    return;
  }
  t.hour = 0;
  t.minute = 0;
}

void NextHour(LocalMinute& t) {
  if (++t.hour > 23) {
    NextDay(t);
    return;
  }
  t.minute = 0;
}

void NextMinute(LocalMinute& t) {
  if (++t.minute > 59) NextHour(t);
}

sys_days DaysOf(const LocalMinute& t) {
  return sys_days{std::chrono::year{t.year} / std::chrono::month{static_cast<unsigned>(t.month)} /
                  std::chrono::day{static_cast<unsigned>(t.day)}};
}

// Milliseconds since the epoch of the wall-clock reading, as if the zone were UTC.
int64_t LocalMillis(const LocalMinute& t) {
  const int64_t day_number = DaysOf(t).time_since_epoch().count();
  return ((day_number * 24 + t.hour) * 60 + t.minute) * 60'000;
}

LocalMinute LocalMinuteOf(int64_t local_millis) {
  const int64_t total_minutes = FloorDiv(local_millis, 60'000);
  const int64_t day_number = FloorDiv(total_minutes, 1440);
  const int minute_of_day = static_cast<int>(total_minutes - day_number * 1440);
  const std::chrono::year_month_day date{sys_days{days{day_number}}};
  return {static_cast<int>(date.year()), static_cast<int>(static_cast<unsigned>(date.month())),
          static_cast<int>(static_cast<unsigned>(date.day())), minute_of_day / 60,
          minute_of_day % 60};
}

// The lowest set bit of `bits` at or above `from`, or -1.
int NextBit(uint64_t bits, int from) {
  const uint64_t rest = bits >> from;
  return rest == 0 ? -1 : from + std::countr_zero(rest);
}

bool HasBit(uint64_t bits, int bit) { return (bits >> bit) & 1; }

// Searching further than this without a match means something is broken: Parse rejects
// expressions that never match, and the longest real gap is 8 years (Feb 29 around 2100).
constexpr int kSearchYears = 30;

// system_clock counts nanoseconds, so its range ends in the year 2262; later fire times
// come back as TimePoint::max().
constexpr int64_t kMaxMillis =
    std::chrono::duration_cast<milliseconds>(Schedule::TimePoint::duration::max()).count();

Schedule::TimePoint FromMillis(int64_t millis) {
  if (millis >= kMaxMillis) return Schedule::TimePoint::max();
  return Schedule::TimePoint{std::chrono::duration_cast<Schedule::TimePoint::duration>(
      milliseconds{millis})};
}

}  // namespace

struct Schedule::Impl {
  std::string expression;
  std::string time_zone;
  std::unique_ptr<const icu::BasicTimeZone> zone;  // only const methods: safe to share

  int64_t every_seconds = 0;  // > 0 for @every; the cron fields below are then unused

  uint64_t minutes = 0;        // bits 0-59
  uint64_t hours = 0;          // bits 0-23
  uint64_t days_of_month = 0;  // bits 1-31
  uint64_t months = 0;         // bits 1-12
  uint64_t days_of_week = 0;   // bits 0-6, Sunday = 0
  // Vixie cron: when both day fields are restricted, either may match. A field is restricted
  // when it leaves out some day; so `*/2` restricts (Vixie looks only for a leading `*`).
  bool either_day_matches = false;

  bool DayMatches(const LocalMinute& t) const {
    const bool dom = HasBit(days_of_month, t.day);
    const bool dow =
        HasBit(days_of_week, static_cast<int>(std::chrono::weekday{DaysOf(t)}.c_encoding()));
    return either_day_matches ? (dom || dow) : (dom && dow);
  }

  // The zone's total offset from UTC at an instant. ICU fails only for unusable dates (NaN),
  // which these integral instants never are.
  int64_t OffsetAt(int64_t utc_millis) const {
    int32_t raw = 0;
    int32_t dst = 0;
    UErrorCode status = U_ZERO_ERROR;
    zone->getOffset(static_cast<UDate>(utc_millis), false, raw, dst, status);
    return U_SUCCESS(status) ? int64_t{raw} + dst : 0;
  }

  // The first instant at which the zone's clocks read `t`, or nothing if a DST jump skips it.
  std::optional<int64_t> FirstInstant(const LocalMinute& t) const {
    const int64_t local = LocalMillis(t);
    int32_t raw = 0;
    int32_t dst = 0;
    UErrorCode status = U_ZERO_ERROR;
    // FORMER: a repeated time takes the offset from before the transition, i.e. its first
    // occurrence. A skipped time gets a wrong answer, caught by the round trip below.
    zone->getOffsetFromLocal(static_cast<UDate>(local), UCAL_TZ_LOCAL_FORMER,
                             UCAL_TZ_LOCAL_FORMER, raw, dst, status);
    if (U_FAILURE(status)) return std::nullopt;
    const int64_t utc = local - (int64_t{raw} + dst);
    if (utc + OffsetAt(utc) != local) return std::nullopt;
    return utc;
  }

  TimePoint NextEvery(TimePoint after) const {
    const int64_t now = std::chrono::floor<seconds>(after).time_since_epoch().count();
    const int64_t next = (FloorDiv(now, every_seconds) + 1) * every_seconds;
    if (next > std::numeric_limits<int64_t>::max() / 1000) return TimePoint::max();
    return FromMillis(next * 1000);
  }

  TimePoint NextCron(TimePoint after) const {
    const int64_t after_millis =
        std::chrono::floor<milliseconds>(after).time_since_epoch().count();
    // Wall-clock minutes before the one `after` falls in ran before `after` (the first
    // occurrence of a repeated time comes before any later reading), so start there.
    LocalMinute t = LocalMinuteOf(after_millis + OffsetAt(after_millis));
    const int last_year = t.year + kSearchYears;
    while (t.year <= last_year) {
      if (!HasBit(months, t.month)) {
        NextMonth(t);
        continue;
      }
      if (!DayMatches(t)) {
        NextDay(t);
        continue;
      }
      const int hour = NextBit(hours, t.hour);
      if (hour < 0) {
        NextDay(t);
        continue;
      }
      if (hour != t.hour) {
        t.hour = hour;
        t.minute = 0;
      }
      const int minute = NextBit(minutes, t.minute);
      if (minute < 0) {
        NextHour(t);
        continue;
      }
      t.minute = minute;

      // A matching wall-clock minute. It may still be skipped by DST, or have run already
      // (its first occurrence was before `after`); then look further.
      if (const std::optional<int64_t> utc = FirstInstant(t)) {
        if (*utc >= kMaxMillis) return TimePoint::max();
        const TimePoint when = FromMillis(*utc);
        if (when > after) return when;
      }
      NextMinute(t);
    }
    return TimePoint::max();  // not reached for expressions Parse accepts
  }
};

Schedule::Schedule(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Result<Schedule> Schedule::Parse(std::string_view expression, std::string_view time_zone) {
  auto impl = std::make_shared<Impl>();
  impl->expression = std::string(expression);
  impl->time_zone = time_zone.empty() ? "UTC" : std::string(time_zone);

  // Only IANA (system) IDs: ICU would also take custom IDs such as "GMT+5", and hands back
  // "Etc/Unknown" for names it does not know.
  const icu::UnicodeString zone_id = icu::UnicodeString::fromUTF8(
      icu::StringPiece(impl->time_zone.data(), static_cast<int32_t>(impl->time_zone.size())));
  icu::UnicodeString canonical;
  UBool is_system_id = false;
  UErrorCode status = U_ZERO_ERROR;
  icu::TimeZone::getCanonicalID(zone_id, canonical, is_system_id, status);
  if (U_FAILURE(status) || !is_system_id) {
    return InvalidArgument("unknown time zone '" + impl->time_zone + "'");
  }
  std::unique_ptr<icu::TimeZone> zone(icu::TimeZone::createTimeZone(zone_id));
  // Every system zone is an OlsonTimeZone; BasicTimeZone adds the local-to-UTC lookup.
  if (dynamic_cast<icu::BasicTimeZone*>(zone.get()) == nullptr) {
    return Internal("time zone '" + impl->time_zone + "' has no transition rules in ICU");
  }
  impl->zone.reset(static_cast<icu::BasicTimeZone*>(zone.release()));

  std::vector<std::string_view> fields = SplitFields(expression);
  if (!fields.empty() && fields[0].starts_with('@')) {
    const std::string_view macro = fields[0];
    if (EqualsIgnoringCase(macro, "@every")) {
      if (fields.size() > 2) {
        return InvalidArgument("@every: expected one duration such as 1h30m, got '" +
                               std::string(expression) + "'");
      }
      Result<int64_t> every = ParseEvery(fields.size() == 2 ? fields[1] : std::string_view());
      if (!every.ok()) return every.error();
      impl->every_seconds = *every;
      return Schedule(std::move(impl));
    }
    static constexpr std::pair<std::string_view, std::string_view> kMacros[] = {
        {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"},
    };
    const std::pair<std::string_view, std::string_view>* found = nullptr;
    for (const auto& entry : kMacros) {
      if (EqualsIgnoringCase(macro, entry.first)) found = &entry;
    }
    if (found == nullptr) {
      return InvalidArgument("unknown macro '" + std::string(macro) +
                             "' (expected @yearly, @annually, @monthly, @weekly, @daily, "
                             "@midnight, @hourly or @every <duration>)");
    }
    if (fields.size() > 1) {
      return InvalidArgument(std::string(macro) + " takes no arguments, got '" +
                             std::string(expression) + "'");
    }
    fields = SplitFields(found->second);
  }

  if (fields.size() != 5) {
    return InvalidArgument(
        "expected 5 fields (minute hour day-of-month month day-of-week), got " +
        std::to_string(fields.size()));
  }
  const FieldSpec* specs[] = {&kMinute, &kHour, &kDayOfMonth, &kMonth, &kDayOfWeek};
  uint64_t* targets[] = {&impl->minutes, &impl->hours, &impl->days_of_month, &impl->months,
                         &impl->days_of_week};
  for (size_t i = 0; i < 5; ++i) {
    Result<uint64_t> bits = ParseField(fields[i], *specs[i]);
    if (!bits.ok()) return bits.error();
    *targets[i] = *bits;
  }
  if (HasBit(impl->days_of_week, 7)) {
    impl->days_of_week = (impl->days_of_week | 1) & ~(uint64_t{1} << 7);
  }

  const bool dom_restricted = impl->days_of_month != kAllDaysOfMonth;
  const bool dow_restricted = impl->days_of_week != kAllDaysOfWeek;
  impl->either_day_matches = dom_restricted && dow_restricted;

  // With only the day of month restricted, some chosen day must exist in some chosen month
  // (Feb 29 counts: leap years come), or Next would search forever.
  if (dom_restricted && !dow_restricted) {
    bool possible = false;
    for (int month = 1; month <= 12 && !possible; ++month) {
      if (!HasBit(impl->months, month)) continue;
      const int longest = month == 2 ? 29 : DaysInMonth(2001, month);
      possible = (impl->days_of_month & AllBits(1, longest)) != 0;
    }
    if (!possible) {
      return InvalidArgument("day-of-month field: '" + std::string(fields[2]) +
                             "' never occurs in month field '" + std::string(fields[3]) +
                             "', so the schedule would never run");
    }
  }
  return Schedule(std::move(impl));
}

Schedule::TimePoint Schedule::Next(TimePoint after) const {
  return impl_->every_seconds > 0 ? impl_->NextEvery(after) : impl_->NextCron(after);
}

const std::string& Schedule::expression() const { return impl_->expression; }

const std::string& Schedule::time_zone() const { return impl_->time_zone; }

}  // namespace journeyd::poll
