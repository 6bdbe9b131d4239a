#include "engine/base/time_format.h"

#include <cstdio>

namespace journeyd {

namespace {

// Writes `value` as exactly `width` decimal digits (zero-padded) at `out`; returns the end.
char* PutDigits(char* out, int64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

}  // namespace

std::string FormatIso8601(std::chrono::system_clock::time_point t) {
  // Calendar arithmetic from <chrono> rather than gmtime_r and snprintf: the delivery and
  // journey stages format a timestamp per touchpoint, and glibc's gmtime_r takes a process-wide
  // lock (the time zone's) on every call.
  using namespace std::chrono;
  const auto millis = floor<milliseconds>(t);
  const auto day = floor<days>(millis);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> time{millis - day};
  const int64_t year = static_cast<int>(date.year());
  char buffer[32];
  char* out = buffer;
  if (year < 0 || year > 9999) {
    // Outside RFC 3339's four digits (never a real event's time): printf's "%04d".
    out += std::snprintf(out, 12, "%04d", static_cast<int>(year));
  } else {
    out = PutDigits(out, year, 4);
  }
  *out++ = '-';
  out = PutDigits(out, static_cast<unsigned>(date.month()), 2);
  *out++ = '-';
  out = PutDigits(out, static_cast<unsigned>(date.day()), 2);
  *out++ = 'T';
  out = PutDigits(out, time.hours().count(), 2);
  *out++ = ':';
  out = PutDigits(out, time.minutes().count(), 2);
  *out++ = ':';
  out = PutDigits(out, time.seconds().count(), 2);
  *out++ = '.';
  out = PutDigits(out, time.subseconds().count(), 3);
  *out++ = 'Z';
  return std::string(buffer, out);
}

}  // namespace journeyd
