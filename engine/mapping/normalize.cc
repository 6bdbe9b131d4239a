#include "engine/mapping/normalize.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <set>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

namespace journeyd::mapping {

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char AsciiUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::string UpperAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = AsciiUpper(c);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Phone numbers

// PhoneNumberUtil logs parse failures with the input in them, to stderr by default; the numbers
// are personal data and must not reach logs. A function-local static makes the one-time setup
// thread-safe, and installing the logger before any Parse means nothing slips through.
const PhoneNumberUtil& PhoneUtil() {
  static const PhoneNumberUtil* const util = [] {
    PhoneNumberUtil* instance = PhoneNumberUtil::GetInstance();
    instance->SetLogger(new i18n::phonenumbers::NullLogger());  // takes ownership
    return instance;
  }();
  return *util;
}

const std::set<std::string>& SupportedRegions() {
  static const std::set<std::string>* const regions = [] {
    auto* set = new std::set<std::string>();
    PhoneUtil().GetSupportedRegions(set);
    return set;
  }();
  return *regions;
}

// ---------------------------------------------------------------------------------------------
// Times

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

// The seconds a TimePoint can hold (its ticks are nanoseconds in libstdc++), with a second of
// margin so that adding microseconds cannot overflow.
constexpr int64_t kMaxEpochSeconds =
    std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count() - 1;
constexpr int64_t kMinEpochSeconds =
    std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::min()).count() + 1;

std::optional<TimePoint> MakeTime(int64_t seconds, int64_t micros) {
  if (seconds > kMaxEpochSeconds || seconds < kMinEpochSeconds) return std::nullopt;
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(seconds) + std::chrono::microseconds(micros)));
}

// The parts of a time as read; `offset_seconds` is east of UTC.
struct TimeFields {
  int year = 1970;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int64_t micros = 0;
  int offset_seconds = 0;
};

std::optional<TimePoint> ToTime(const TimeFields& f) {
  if (f.hour < 0 || f.hour > 23 || f.minute < 0 || f.minute > 59 || f.second < 0 ||
      f.second > 60) {  // 60: an RFC 3339 leap second, which lands on the next minute
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(f.year),
                                         std::chrono::month(static_cast<unsigned>(f.month)),
                                         std::chrono::day(static_cast<unsigned>(f.day))};
  if (f.month < 1 || f.day < 1 || !date.ok()) return std::nullopt;
  const int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  const int64_t seconds = days * kSecondsPerDay + f.hour * 3600 + f.minute * 60 + f.second -
                          f.offset_seconds;
  return MakeTime(seconds, f.micros);
}

// A read position in text that the parsers below advance; every read either consumes what it
// matched and succeeds, or fails (the caller then gives up on the whole text).
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool done() const { return text_.empty(); }
  char peek() const { return text_.empty() ? '\0' : text_.front(); }
  std::string_view rest() const { return text_; }
  void Skip(size_t n) { text_.remove_prefix(n); }

  bool Consume(char c) {
    if (text_.empty() || text_.front() != c) return false;
    text_.remove_prefix(1);
    return true;
  }
  bool ConsumeAnyOf(std::string_view chars) {
    if (text_.empty() || chars.find(text_.front()) == std::string_view::npos) return false;
    text_.remove_prefix(1);
    return true;
  }
  void SkipSpaces() {
    while (!text_.empty() && IsSpace(text_.front())) text_.remove_prefix(1);
  }
  // Case-insensitive ASCII prefix.
  bool ConsumeWord(std::string_view word) {
    if (text_.size() < word.size()) return false;
    for (size_t i = 0; i < word.size(); ++i) {
      if (AsciiLower(text_[i]) != AsciiLower(word[i])) return false;
    }
    text_.remove_prefix(word.size());
    return true;
  }
  // Between min_digits and max_digits decimal digits, as many as there are.
  std::optional<int> Number(size_t min_digits, size_t max_digits) {
    size_t n = 0;
    int value = 0;
    while (n < max_digits && n < text_.size() && IsDigit(text_[n])) {
      value = value * 10 + (text_[n] - '0');
      ++n;
    }
    if (n < min_digits) return std::nullopt;
    text_.remove_prefix(n);
    return value;
  }
  // One or more digits of a fraction of a second, as microseconds; digits past the sixth are
  // read and dropped (truncation, as nanosecond vendor times need).
  std::optional<int64_t> Fraction() {
    size_t n = 0;
    int64_t micros = 0;
    while (n < text_.size() && IsDigit(text_[n])) {
      if (n < 6) micros = micros * 10 + (text_[n] - '0');
      ++n;
    }
    if (n == 0) return std::nullopt;
    for (size_t i = n; i < 6; ++i) micros *= 10;
    text_.remove_prefix(n);
    return micros;
  }
  // 'Z', "UTC", or a sign, two hour digits and two minute digits with an optional colon; with
  // `hours_only_ok`, the minutes may be left out (+05).
  std::optional<int> Offset(bool hours_only_ok) {
    if (ConsumeAnyOf("Zz") || ConsumeWord("UTC")) return 0;
    const char sign = peek();
    if (sign != '+' && sign != '-') return std::nullopt;
    Skip(1);
    const auto hours = Number(2, 2);
    if (!hours || *hours > 23) return std::nullopt;
    int minutes = 0;
    if (Consume(':')) {
      const auto m = Number(2, 2);
      if (!m) return std::nullopt;
      minutes = *m;
    } else if (IsDigit(peek())) {
      const auto m = Number(2, 2);
      if (!m) return std::nullopt;
      minutes = *m;
    } else if (!hours_only_ok) {
      return std::nullopt;
    }
    if (minutes > 59) return std::nullopt;
    const int offset = *hours * 3600 + minutes * 60;
    return sign == '-' ? -offset : offset;
  }

 private:
  std::string_view text_;
};

std::optional<TimePoint> EpochDigits(std::string_view digits) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (value > static_cast<uint64_t>(1e11)) {
    const uint64_t seconds = value / 1000;
    if (seconds > static_cast<uint64_t>(kMaxEpochSeconds)) return std::nullopt;
    return MakeTime(static_cast<int64_t>(seconds), static_cast<int64_t>(value % 1000) * 1000);
  }
  return MakeTime(static_cast<int64_t>(value), 0);
}

constexpr std::array<std::string_view, 12> kMonthNames = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {
    "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};

// The index of the name (long form first, then its first three letters) at the cursor.
template <size_t N>
std::optional<int> ConsumeName(Cursor& in, const std::array<std::string_view, N>& names) {
  for (size_t i = 0; i < N; ++i) {
    if (in.ConsumeWord(names[i])) return static_cast<int>(i);
  }
  for (size_t i = 0; i < N; ++i) {
    if (in.ConsumeWord(names[i].substr(0, 3))) return static_cast<int>(i);
  }
  return std::nullopt;
}

// The format with %F %T %R %D spelled out and %n %t as spaces, or nullopt when it uses a
// conversion ParseTimeWithFormat does not know.
std::optional<std::string> ExpandFormat(std::string_view format) {
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    if (++i == format.size()) return std::nullopt;  // a lone trailing '%'
    switch (format[i]) {
      case 'F': out += "%Y-%m-%d"; break;
      case 'T': out += "%H:%M:%S"; break;
      case 'R': out += "%H:%M"; break;
      case 'D': out += "%m/%d/%y"; break;
      case 'n':
      case 't': out += ' '; break;
      case 'Y': case 'y': case 'm': case 'd': case 'e': case 'H': case 'I': case 'M': case 'S':
      case 'b': case 'h': case 'B': case 'a': case 'A': case 'p': case 'f': case 'z': case '%':
        out += '%';
        out += format[i];
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decimals

constexpr int kMaxMinorUnits = 18;

}  // namespace

std::optional<std::string> NormalizeEmail(std::string_view text) {
  text = Trim(text);
  constexpr size_t kMaxAddressLength = 254;  // RFC 5321's path limit, less the angle brackets
  if (text.empty() || text.size() > kMaxAddressLength) return std::nullopt;
  const size_t at = text.find('@');
  if (at == std::string_view::npos || at == 0 || text.find('@', at + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  for (const char c : text) {
    if (IsSpace(c) || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
  }
  const std::string_view domain = text.substr(at + 1);
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos) {
    return std::nullopt;
  }
  std::string out(text);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

namespace {

std::optional<std::string> NormalizePhoneUncached(std::string_view number,
                                                  std::string_view default_region) {
  const PhoneNumberUtil& util = PhoneUtil();
  // "ZZ" is libphonenumber's unknown region: only numbers written with +CC parse.
  const std::string region = default_region.empty() ? "ZZ" : UpperAscii(default_region);
  PhoneNumber parsed;
  if (util.Parse(std::string(Trim(number)), region, &parsed) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return std::nullopt;
  }
  // IsValidNumber first works out which region the number belongs to, trying every region of
  // its country code (25 share +1), then validates it there. Most numbers belong to the
  // region given, so ask about that one first: a yes is the same answer at half the cost.
  const bool valid =
      (region != "ZZ" && util.GetCountryCodeForRegion(region) == parsed.country_code() &&
       util.IsValidNumberForRegion(parsed, region)) ||
      util.IsValidNumber(parsed);
  if (!valid) return std::nullopt;
  std::string out;
  util.Format(parsed, PhoneNumberUtil::E164, &out);
  return out;
}

// libphonenumber validates with ICU regexes, region by region: 10-40 us a number, and most of
// the cost of mapping an order. The same numbers come back all the time (a customer's every
// order, the identity normalising what phone() already returned), so each thread remembers the
// last answers in a small direct-mapped table. The function is pure, so a hit is exact; a
// collision only evicts. 1024 slots of short strings: tens of KiB a thread.
class PhoneMemo {
 public:
  std::optional<std::string> Normalize(std::string_view number, std::string_view region) {
    key_.assign(region);
    key_.push_back('\x1f');
    key_.append(number);
    Slot& slot = slots_[std::hash<std::string>{}(key_) % slots_.size()];
    if (!slot.used || slot.key != key_) {
      slot.value = NormalizePhoneUncached(number, region);
      slot.key = key_;
      slot.used = true;
    }
    return slot.value;
  }

 private:
  struct Slot {
    bool used = false;
    std::string key;
    std::optional<std::string> value;
  };
  std::string key_;  // reused, so a hit allocates only the result
  std::array<Slot, 1024> slots_{};
};

}  // namespace

std::optional<std::string> NormalizePhone(std::string_view number,
                                          std::string_view default_region) {
  thread_local PhoneMemo memo;
  return memo.Normalize(Trim(number), default_region);
}

bool IsValidRegion(std::string_view region) {
  return SupportedRegions().count(UpperAscii(region)) > 0;
}

std::optional<TimePoint> ParseTime(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789") == std::string_view::npos) return EpochDigits(text);

  Cursor in(text);
  TimeFields f;
  const auto year = in.Number(4, 4);
  if (!year || !in.Consume('-')) return std::nullopt;
  const auto month = in.Number(2, 2);
  if (!month || !in.Consume('-')) return std::nullopt;
  const auto day = in.Number(2, 2);
  if (!day) return std::nullopt;
  f.year = *year;
  f.month = *month;
  f.day = *day;
  if (in.done()) return ToTime(f);

  if (!in.ConsumeAnyOf("Tt ")) return std::nullopt;
  const auto hour = in.Number(2, 2);
  if (!hour || !in.Consume(':')) return std::nullopt;
  const auto minute = in.Number(2, 2);
  if (!minute) return std::nullopt;
  f.hour = *hour;
  f.minute = *minute;
  if (in.Consume(':')) {
    const auto second = in.Number(2, 2);
    if (!second) return std::nullopt;
    f.second = *second;
    if (in.ConsumeAnyOf(".,")) {
      const auto micros = in.Fraction();
      if (!micros) return std::nullopt;
      f.micros = *micros;
    }
  }
  if (!in.done()) {
    // Ruby's and many Rails apps' "2026-07-01 12:00:00 -0400" / "... UTC" put a space first.
    in.Consume(' ');
    const auto offset = in.Offset(/*hours_only_ok=*/false);
    if (!offset || !in.done()) return std::nullopt;
    f.offset_seconds = *offset;
  }
  return ToTime(f);
}

std::optional<TimePoint> TimeFromEpoch(double value) {
  if (!std::isfinite(value)) return std::nullopt;
  const double seconds = value > 1e11 ? value / 1000 : value;
  if (seconds >= static_cast<double>(kMaxEpochSeconds) ||
      seconds <= static_cast<double>(kMinEpochSeconds)) {
    return std::nullopt;
  }
  const double whole = std::floor(seconds);
  // Rounded, not truncated: 1.1 s is 1.100000000000000088 in binary, 1.0999999 for others.
  auto micros = static_cast<int64_t>(std::llround((seconds - whole) * kMicrosPerSecond));
  return MakeTime(static_cast<int64_t>(whole), micros);
}

std::optional<TimePoint> ParseTimeWithFormat(std::string_view text, std::string_view format) {
  if (!IsValidTimeFormat(format)) return std::nullopt;
  const std::string expanded = *ExpandFormat(format);
  Cursor in(Trim(text));
  TimeFields f;
  std::optional<bool> pm;
  for (size_t i = 0; i < expanded.size(); ++i) {
    const char fc = expanded[i];
    if (IsSpace(fc)) {
      in.SkipSpaces();
      continue;
    }
    if (fc != '%') {
      if (!in.Consume(fc)) return std::nullopt;
      continue;
    }
    const char conversion = expanded[++i];
    std::optional<int> number;
    switch (conversion) {
      case 'Y':
        if (!(number = in.Number(4, 4))) return std::nullopt;
        f.year = *number;
        break;
      case 'y':
        // POSIX: 69-99 are 1969-1999, 00-68 are 2000-2068.
        if (!(number = in.Number(2, 2))) return std::nullopt;
        f.year = *number + (*number >= 69 ? 1900 : 2000);
        break;
      case 'm':
        if (!(number = in.Number(1, 2))) return std::nullopt;
        f.month = *number;
        break;
      case 'e':
        in.Consume(' ');
        [[fallthrough]];
      case 'd':
        if (!(number = in.Number(1, 2))) return std::nullopt;
        f.day = *number;
        break;
      case 'H':
        if (!(number = in.Number(1, 2))) return std::nullopt;
        f.hour = *number;
        break;
      case 'I':
        if (!(number = in.Number(1, 2)) || *number < 1 || *number > 12) return std::nullopt;
        f.hour = *number % 12;
        break;
      case 'M':
        if (!(number = in.Number(1, 2))) return std::nullopt;
        f.minute = *number;
        break;
      case 'S':
        if (!(number = in.Number(1, 2))) return std::nullopt;
        f.second = *number;
        break;
      case 'b':
      case 'h':
      case 'B':
        if (!(number = ConsumeName(in, kMonthNames))) return std::nullopt;
        f.month = *number + 1;
        break;
      case 'a':
      case 'A':
        if (!ConsumeName(in, kWeekdayNames)) return std::nullopt;
        break;
      case 'p':
        if (in.ConsumeWord("AM")) {
          pm = false;
        } else if (in.ConsumeWord("PM")) {
          pm = true;
        } else {
          return std::nullopt;
        }
        break;
      case 'f': {
        const auto micros = in.Fraction();
        if (!micros) return std::nullopt;
        f.micros = *micros;
        break;
      }
      case 'z': {
        const auto offset = in.Offset(/*hours_only_ok=*/true);
        if (!offset) return std::nullopt;
        f.offset_seconds = *offset;
        break;
      }
      case '%':
        if (!in.Consume('%')) return std::nullopt;
        break;
      default:
        return std::nullopt;  // ExpandFormat let through nothing else
    }
  }
  if (!in.done()) return std::nullopt;
  if (pm.value_or(false)) f.hour += 12;
  return ToTime(f);
}

bool IsValidTimeFormat(std::string_view format) {
  const auto expanded = ExpandFormat(format);
  if (!expanded) return false;
  bool year = false, month = false, day = false, hour12 = false, meridiem = false;
  for (size_t i = 0; i + 1 < expanded->size(); ++i) {
    if ((*expanded)[i] != '%') continue;
    switch ((*expanded)[++i]) {
      case 'Y': case 'y': year = true; break;
      case 'm': case 'b': case 'h': case 'B': month = true; break;
      case 'd': case 'e': day = true; break;
      case 'I': hour12 = true; break;
      case 'p': meridiem = true; break;
      default: break;
    }
  }
  // %I without %p (or the reverse) leaves the hour ambiguous: refuse it when loading.
  return year && month && day && hour12 == meridiem;
}

std::string FormatDate(TimePoint t) {
  const std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(t)};
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buffer;
}

std::optional<std::string> ParseDecimal(std::string_view text, int minor_units) {
  if (minor_units < 0 || minor_units > kMaxMinorUnits) return std::nullopt;
  text = Trim(text);
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  const size_t int_end = std::min(text.find_first_not_of("0123456789"), text.size());
  std::string digits(text.substr(0, int_end));
  auto point = static_cast<int64_t>(digits.size());  // digits before the decimal point
  std::string_view rest = text.substr(int_end);
  if (!rest.empty()) {
    if (rest.front() != '.') return std::nullopt;
    rest.remove_prefix(1);
    if (rest.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    digits += rest;
  }
  if (digits.empty()) return std::nullopt;

  point -= minor_units;
  if (point < 0) {
    digits.insert(0, static_cast<size_t>(-point), '0');
    point = 0;
  }
  std::string_view integer = std::string_view(digits).substr(0, static_cast<size_t>(point));
  std::string_view fraction = std::string_view(digits).substr(static_cast<size_t>(point));
  while (!integer.empty() && integer.front() == '0') integer.remove_prefix(1);
  while (fraction.size() > 2 && fraction.back() == '0') fraction.remove_suffix(1);
  if (digits.find_first_not_of('0') == std::string::npos) negative = false;  // no "-0.00"

  std::string out;
  out.reserve(integer.size() + fraction.size() + 4);
  if (negative) out += '-';
  out += integer.empty() ? std::string_view("0") : integer;
  out += '.';
  out += fraction;
  out.append(fraction.size() < 2 ? 2 - fraction.size() : 0, '0');
  return out;
}

std::optional<std::string> DecimalFromDouble(double value, int minor_units) {
  if (!std::isfinite(value) || std::fabs(value) >= 1e21) return std::nullopt;
  // Fixed notation, shortest round trip: at most 21 integer digits here, and the smallest
  // subnormal needs about 330 characters after "0.".
  char buffer[400];
  const auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
  if (ec != std::errc()) return std::nullopt;
  return ParseDecimal(std::string_view(buffer, static_cast<size_t>(end - buffer)), minor_units);
}

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // EVP_Digest fails only on allocation failure; an empty result then makes that visible.
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return std::string();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace journeyd::mapping
