#include "engine/poll/schedule.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace journeyd::poll {
namespace {

using namespace std::chrono_literals;
using TimePoint = Schedule::TimePoint;

// "2026-03-29T02:30:00Z" -> instant. Tests write every instant in UTC, and give the local
// reading in a comment where a zone is involved.
TimePoint Utc(const std::string& iso) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  REQUIRE(std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s) == 6);
  const std::chrono::sys_days day{std::chrono::year{y} / mo / d};
  return TimePoint{day} + std::chrono::hours{h} + std::chrono::minutes{mi} +
         std::chrono::seconds{s};
}

// Instant -> "2026-03-29T02:30:00Z" (sub-seconds dropped; fire times have none).
std::string Iso(TimePoint t) {
  if (t == TimePoint::max()) return "max";
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{std::chrono::floor<std::chrono::seconds>(t - day)};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return buffer;
}

Schedule MustParse(const std::string& expression, const std::string& zone = "") {
  Result<Schedule> parsed = Schedule::Parse(expression, zone);
  INFO(expression << " in '" << zone << "': " << (parsed.ok() ? "" : parsed.error().message));
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

// The message of the error Parse must return.
std::string ParseError(const std::string& expression, const std::string& zone = "") {
  Result<Schedule> parsed = Schedule::Parse(expression, zone);
  INFO(expression << " in '" << zone << "'");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
  return parsed.error().message;
}

// The first `count` fire times after `after`, chaining Next.
std::vector<std::string> Fires(const Schedule& schedule, const std::string& after, int count) {
  std::vector<std::string> fires;
  TimePoint t = Utc(after);
  for (int i = 0; i < count; ++i) {
    t = schedule.Next(t);
    fires.push_back(Iso(t));
  }
  return fires;
}

std::string NextAfter(const std::string& expression, const std::string& after,
                      const std::string& zone = "") {
  return Iso(MustParse(expression, zone).Next(Utc(after)));
}

using Strings = std::vector<std::string>;

TEST_CASE("Schedule rejects malformed cron expressions naming the field", "[schedule]") {
  CHECK(ParseError("* * * *") ==
        "expected 5 fields (minute hour day-of-month month day-of-week), got 4");
  CHECK(ParseError("* * * * * *") ==
        "expected 5 fields (minute hour day-of-month month day-of-week), got 6");
  CHECK(ParseError("") ==
        "expected 5 fields (minute hour day-of-month month day-of-week), got 0");
  CHECK(ParseError("   ") ==
        "expected 5 fields (minute hour day-of-month month day-of-week), got 0");

  CHECK(ParseError("60 * * * *") == "minute field: 60 is out of range 0-59");
  CHECK(ParseError("0 25 * * *") == "hour field: 25 is out of range 0-23");
  CHECK(ParseError("0 0 0 * *") == "day-of-month field: 0 is out of range 1-31");
  CHECK(ParseError("0 0 32 * *") == "day-of-month field: 32 is out of range 1-31");
  CHECK(ParseError("0 0 * 13 *") == "month field: 13 is out of range 1-12");
  CHECK(ParseError("0 0 * 0 *") == "month field: 0 is out of range 1-12");
  CHECK(ParseError("0 0 * * 8") == "day-of-week field: 8 is out of range 0-7");
  CHECK(ParseError("0 99999999999999999999 * * *") ==
        "hour field: 99999999999999999999 is out of range 0-23");
  CHECK(ParseError("0 1-24 * * *") == "hour field: 24 is out of range 0-23");

  CHECK(ParseError("x * * * *") == "minute field: 'x' is not a number");
  CHECK(ParseError("5x * * * *") == "minute field: '5x' is not a number");
  CHECK(ParseError("-5 * * * *") == "minute field: '-5' is missing a value");
  CHECK(ParseError("1- * * * *") == "minute field: '1-' is missing a value");
  CHECK(ParseError("/5 * * * *") == "minute field: '/5' is missing a value");
  CHECK(ParseError("? * * * *") == "minute field: '?' is not a number");
  CHECK(ParseError("0 0 * FOO *") ==
        "month field: 'FOO' is not a number or a month name (JAN-DEC)");
  CHECK(ParseError("0 0 * * MONDAY") ==
        "day-of-week field: 'MONDAY' is not a number or a day name (SUN-SAT)");
  // Names belong to their own field only.
  CHECK(ParseError("0 0 * MON *") ==
        "month field: 'MON' is not a number or a month name (JAN-DEC)");
  CHECK(ParseError("0 0 * * JAN") ==
        "day-of-week field: 'JAN' is not a number or a day name (SUN-SAT)");
  CHECK(ParseError("0 JAN * * *") == "hour field: 'JAN' is not a number");

  CHECK(ParseError("*/0 * * * *") == "minute field: step 0 is out of range 1-59");
  CHECK(ParseError("*/60 * * * *") == "minute field: step 60 is out of range 1-59");
  CHECK(ParseError("0 */24 * * *") == "hour field: step 24 is out of range 1-23");
  CHECK(ParseError("*/x * * * *") == "minute field: step 'x' is not a number");
  CHECK(ParseError("*/ * * * *") == "minute field: '*/' is missing a step");
  CHECK(ParseError("0 0 * * */7") == "day-of-week field: step 7 is out of range 1-6");
  CHECK(ParseError("0 17-9 * * *") == "hour field: range 17-9 runs backwards");
  CHECK(ParseError("0 0 * * FRI-MON") == "day-of-week field: range FRI-MON runs backwards");
  CHECK(ParseError("1,,2 * * * *") == "minute field: empty item in '1,,2'");
  CHECK(ParseError("1, * * * *") == "minute field: empty item in '1,'");
  CHECK(ParseError("0 0 1,x * *") == "day-of-month field: 'x' is not a number");
}

TEST_CASE("Schedule rejects day-of-month and month combinations that never occur",
          "[schedule]") {
  CHECK(ParseError("0 0 30 2 *") ==
        "day-of-month field: '30' never occurs in month field '2', so the schedule would "
        "never run");
  CHECK(ParseError("0 0 31 4,6 *") ==
        "day-of-month field: '31' never occurs in month field '4,6', so the schedule would "
        "never run");
  CHECK(ParseError("0 0 30,31 FEB *") ==
        "day-of-month field: '30,31' never occurs in month field 'FEB', so the schedule would "
        "never run");
  CHECK(ParseError("0 0 31 APR,JUN,SEP,NOV *").find("never occurs") != std::string::npos);

  // Possible after all: Feb 29 in leap years, 31 in one of the months, or (Vixie OR) on a
  // matching weekday.
  CHECK(Schedule::Parse("0 0 29 2 *").ok());
  CHECK(Schedule::Parse("0 0 31 4,7 *").ok());
  CHECK(Schedule::Parse("0 0 30-31 2-3 *").ok());
  CHECK(Schedule::Parse("0 0 30 2 MON").ok());
}

TEST_CASE("Schedule rejects bad macros and @every durations", "[schedule]") {
  CHECK(ParseError("@fortnightly") ==
        "unknown macro '@fortnightly' (expected @yearly, @annually, @monthly, @weekly, @daily, "
        "@midnight, @hourly or @every <duration>)");
  CHECK(ParseError("@daily 5") == "@daily takes no arguments, got '@daily 5'");
  CHECK(ParseError("@every") == "@every: missing duration, e.g. @every 15m");
  CHECK(ParseError("@every 0s") == "@every: 0s is shorter than 1s");
  CHECK(ParseError("@every 0h0m") == "@every: 0h0m is shorter than 1s");
  CHECK(ParseError("@every 15") == "@every: '15' has no unit (use h, m or s)");
  CHECK(ParseError("@every 1h30") == "@every: '1h30' has no unit (use h, m or s)");
  CHECK(ParseError("@every 2d") == "@every: unknown unit 'd' in '2d' (use h, m or s)");
  CHECK(ParseError("@every 1H") == "@every: unknown unit 'H' in '1H' (use h, m or s)");
  CHECK(ParseError("@every 500ms") ==
        "@every: '500ms' is not a duration like 90s, 15m or 1h30m");
  CHECK(ParseError("@every 30m1h") ==
        "@every: '30m1h' must give h, m and s in that order, each at most once");
  CHECK(ParseError("@every 1m1m") ==
        "@every: '1m1m' must give h, m and s in that order, each at most once");
  CHECK(ParseError("@every 1.5h") == "@every: '1.5h' is not a duration like 90s, 15m or 1h30m");
  CHECK(ParseError("@every -5m") == "@every: '-5m' is not a duration like 90s, 15m or 1h30m");
  CHECK(ParseError("@every h") == "@every: 'h' is not a duration like 90s, 15m or 1h30m");
  CHECK(ParseError("@every 1h 30m") ==
        "@every: expected one duration such as 1h30m, got '@every 1h 30m'");
  CHECK(ParseError("@every 8785h") == "@every: 8785h is longer than 8784h (366 days)");
  CHECK(ParseError("@every 99999999999999999999s") ==
        "@every: 99999999999999999999s is longer than 8784h (366 days)");
  CHECK(Schedule::Parse("@every 8784h").ok());
  CHECK(Schedule::Parse("@every 1s").ok());
}

TEST_CASE("Schedule rejects unknown time zones", "[schedule]") {
  CHECK(ParseError("* * * * *", "Mars/Base") == "unknown time zone 'Mars/Base'");
  // IANA names are case-sensitive, and ICU's custom "GMT+5" style IDs are not IANA names.
  CHECK(ParseError("* * * * *", "europe/berlin") == "unknown time zone 'europe/berlin'");
  CHECK(ParseError("* * * * *", "GMT+5") == "unknown time zone 'GMT+5'");
  CHECK(ParseError("* * * * *", "Etc/Unknown") == "unknown time zone 'Etc/Unknown'");
  CHECK(ParseError("@every 1h", "Nowhere") == "unknown time zone 'Nowhere'");

  CHECK(Schedule::Parse("* * * * *", "Europe/Berlin").ok());
  CHECK(Schedule::Parse("* * * * *", "America/New_York").ok());
  CHECK(Schedule::Parse("* * * * *", "UTC").ok());
  CHECK(Schedule::Parse("* * * * *", "Etc/GMT+5").ok());
  CHECK(Schedule::Parse("* * * * *", "US/Eastern").ok());  // a tzdata alias
}

TEST_CASE("Schedule keeps the expression and zone as given", "[schedule]") {
  const Schedule utc = MustParse("  */5  *\t* * *  ");
  CHECK(utc.expression() == "  */5  *\t* * *  ");
  CHECK(utc.time_zone() == "UTC");
  const Schedule berlin = MustParse("@daily", "Europe/Berlin");
  CHECK(berlin.expression() == "@daily");
  CHECK(berlin.time_zone() == "Europe/Berlin");

  // A copy shares the parsed state and answers the same.
  const Schedule copy = berlin;
  CHECK(copy.Next(Utc("2026-06-01T12:00:00Z")) == berlin.Next(Utc("2026-06-01T12:00:00Z")));
}

TEST_CASE("Schedule Next is strictly after and fires at second 0", "[schedule]") {
  const Schedule every_minute = MustParse("* * * * *");
  CHECK(Iso(every_minute.Next(Utc("2026-05-05T10:00:00Z"))) == "2026-05-05T10:01:00Z");
  CHECK(Iso(every_minute.Next(Utc("2026-05-05T10:00:00Z") + 500ms)) == "2026-05-05T10:01:00Z");
  CHECK(Iso(every_minute.Next(Utc("2026-05-05T10:00:00Z") - 1ns)) == "2026-05-05T10:00:00Z");
  CHECK(Iso(every_minute.Next(Utc("2026-05-05T10:00:59Z"))) == "2026-05-05T10:01:00Z");
  CHECK(every_minute.Next(Utc("2026-05-05T10:00:00Z") + 1ns).time_since_epoch() % 1min == 0ns);

  // Rolls over the hour, day, month and year.
  CHECK(Iso(every_minute.Next(Utc("2026-12-31T23:59:30Z"))) == "2027-01-01T00:00:00Z");
  CHECK(NextAfter("0 0 * * *", "2026-02-28T00:00:00Z") == "2026-03-01T00:00:00Z");

  // Before the epoch too.
  CHECK(NextAfter("30 12 * * *", "1969-12-31T00:00:00Z") == "1969-12-31T12:30:00Z");
}

TEST_CASE("Schedule cron syntax: values, ranges, steps and lists", "[schedule]") {
  const std::string after = "2026-05-05T10:00:00Z";  // a Tuesday

  CHECK(Fires(MustParse("*/15 * * * *"), after, 5) ==
        Strings{"2026-05-05T10:15:00Z", "2026-05-05T10:30:00Z", "2026-05-05T10:45:00Z",
                "2026-05-05T11:00:00Z", "2026-05-05T11:15:00Z"});
  CHECK(Fires(MustParse("7 * * * *"), after, 3) ==
        Strings{"2026-05-05T10:07:00Z", "2026-05-05T11:07:00Z", "2026-05-05T12:07:00Z"});
  CHECK(Fires(MustParse("58-59,1 * * * *"), after, 4) ==
        Strings{"2026-05-05T10:01:00Z", "2026-05-05T10:58:00Z", "2026-05-05T10:59:00Z",
                "2026-05-05T11:01:00Z"});
  // a-b/n starts at a; a/n runs from a to the end of the field.
  CHECK(Fires(MustParse("10-30/10 * * * *"), after, 4) ==
        Strings{"2026-05-05T10:10:00Z", "2026-05-05T10:20:00Z", "2026-05-05T10:30:00Z",
                "2026-05-05T11:10:00Z"});
  CHECK(Fires(MustParse("5/20 * * * *"), after, 4) ==
        Strings{"2026-05-05T10:05:00Z", "2026-05-05T10:25:00Z", "2026-05-05T10:45:00Z",
                "2026-05-05T11:05:00Z"});
  CHECK(Fires(MustParse("0 */6 * * *"), after, 3) ==
        Strings{"2026-05-05T12:00:00Z", "2026-05-05T18:00:00Z", "2026-05-06T00:00:00Z"});
  CHECK(Fires(MustParse("30 9-17/4,23 * * *"), after, 4) ==
        Strings{"2026-05-05T13:30:00Z", "2026-05-05T17:30:00Z", "2026-05-05T23:30:00Z",
                "2026-05-06T09:30:00Z"});
  // A list mixing all forms.
  CHECK(Fires(MustParse("0 0 1,10-12,*/15 * *"), after, 6) ==
        Strings{"2026-05-10T00:00:00Z", "2026-05-11T00:00:00Z", "2026-05-12T00:00:00Z",
                "2026-05-16T00:00:00Z", "2026-05-31T00:00:00Z", "2026-06-01T00:00:00Z"});
  CHECK(Fires(MustParse("0 0 1 */4 *"), after, 3) ==
        Strings{"2026-09-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-05-01T00:00:00Z"});
}

TEST_CASE("Schedule cron syntax: month and day names, and 7 as Sunday", "[schedule]") {
  const std::string after = "2026-05-05T10:00:00Z";  // a Tuesday

  CHECK(NextAfter("0 0 1 MAR *", after) == "2027-03-01T00:00:00Z");
  CHECK(NextAfter("0 0 1 mar *", after) == NextAfter("0 0 1 3 *", after));
  CHECK(NextAfter("0 0 1 Jun-Aug *", after) == "2026-06-01T00:00:00Z");
  CHECK(Fires(MustParse("0 0 1 jan,JUL *"), after, 2) ==
        Strings{"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"});

  CHECK(Fires(MustParse("0 8 * * MON-FRI"), "2026-05-08T09:00:00Z", 3) ==  // Fri, after 08:00
        Strings{"2026-05-11T08:00:00Z", "2026-05-12T08:00:00Z", "2026-05-13T08:00:00Z"});
  CHECK(NextAfter("0 8 * * sat", after) == "2026-05-09T08:00:00Z");
  CHECK(NextAfter("0 8 * * Sun", after) == "2026-05-10T08:00:00Z");
  CHECK(NextAfter("0 8 * * 0", after) == "2026-05-10T08:00:00Z");
  CHECK(NextAfter("0 8 * * 7", after) == "2026-05-10T08:00:00Z");
  CHECK(NextAfter("0 8 * * 6-7", after) == "2026-05-09T08:00:00Z");
  CHECK(Fires(MustParse("0 8 * * FRI-7"), after, 3) ==
        Strings{"2026-05-08T08:00:00Z", "2026-05-09T08:00:00Z", "2026-05-10T08:00:00Z"});
  // Steps over day-of-week stop at Saturday: 1/2 is MON, WED, FRI (7 is not reached).
  CHECK(Fires(MustParse("0 8 * * 1/2"), after, 4) ==
        Strings{"2026-05-06T08:00:00Z", "2026-05-08T08:00:00Z", "2026-05-11T08:00:00Z",
                "2026-05-13T08:00:00Z"});
  // 0-7 covers every day, so the day-of-month restriction alone applies.
  CHECK(NextAfter("0 0 20 * 0-7", after) == "2026-05-20T00:00:00Z");
}

TEST_CASE("Schedule macros equal their cron expansions", "[schedule]") {
  const std::pair<const char*, const char*> macros[] = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}, {"@DAILY", "0 0 * * *"},
  };
  for (const auto& [macro, cron] : macros) {
    INFO(macro);
    const Schedule a = MustParse(macro, "America/New_York");
    const Schedule b = MustParse(cron, "America/New_York");
    CHECK(Fires(a, "2026-05-05T10:20:00Z", 5) == Fires(b, "2026-05-05T10:20:00Z", 5));
  }
  CHECK(NextAfter("@yearly", "2026-05-05T10:00:00Z") == "2027-01-01T00:00:00Z");
  CHECK(NextAfter("@monthly", "2026-05-05T10:00:00Z") == "2026-06-01T00:00:00Z");
  CHECK(NextAfter("@weekly", "2026-05-05T10:00:00Z") == "2026-05-10T00:00:00Z");
  CHECK(NextAfter("@daily", "2026-05-05T10:00:00Z") == "2026-05-06T00:00:00Z");
  CHECK(NextAfter("@hourly", "2026-05-05T10:00:00Z") == "2026-05-05T11:00:00Z");
  CHECK(NextAfter("@daily", "2026-05-05T10:00:00Z", "Europe/Berlin") ==
        "2026-05-05T22:00:00Z");  // 00:00 CEST
}

TEST_CASE("Schedule uses the Vixie OR rule when both day fields are restricted",
          "[schedule]") {
  const std::string after = "2026-01-01T00:00:00Z";  // a Thursday

  // The 13th, and every Friday.
  CHECK(Fires(MustParse("0 0 13 * FRI"), after, 5) ==
        Strings{"2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z",
                "2026-01-16T00:00:00Z", "2026-01-23T00:00:00Z"});
  // Only one restricted: the other is no constraint.
  CHECK(Fires(MustParse("0 0 13 * *"), after, 2) ==
        Strings{"2026-01-13T00:00:00Z", "2026-02-13T00:00:00Z"});
  CHECK(Fires(MustParse("0 0 * * FRI"), after, 2) ==
        Strings{"2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z"});
  // A step leaves days out, so it restricts (Vixie would treat "*/10" as unrestricted).
  CHECK(Fires(MustParse("0 0 */10 * MON"), after, 5) ==
        Strings{"2026-01-05T00:00:00Z", "2026-01-11T00:00:00Z", "2026-01-12T00:00:00Z",
                "2026-01-19T00:00:00Z", "2026-01-21T00:00:00Z"});
  // A field covering every day does not restrict, however it is written.
  CHECK(Fires(MustParse("0 0 1-31 * MON"), after, 2) ==
        Strings{"2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z"});
  CHECK(Fires(MustParse("0 0 13 * SUN-SAT"), after, 2) ==
        Strings{"2026-01-13T00:00:00Z", "2026-02-13T00:00:00Z"});
  // The month still has to match for either day rule: December's Saturdays, and Dec 31.
  CHECK(Fires(MustParse("59 23 31 12 SAT"), after, 6) ==
        Strings{"2026-12-05T23:59:00Z", "2026-12-12T23:59:00Z", "2026-12-19T23:59:00Z",
                "2026-12-26T23:59:00Z", "2026-12-31T23:59:00Z", "2027-12-04T23:59:00Z"});
  CHECK(Fires(MustParse("0 0 1 FEB MON"), after, 3) ==
        Strings{"2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z"});
}

TEST_CASE("Schedule handles month ends and leap years", "[schedule]") {
  CHECK(Fires(MustParse("0 0 31 * *"), "2026-01-31T00:00:00Z", 4) ==
        Strings{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z",
                "2026-08-31T00:00:00Z"});
  CHECK(Fires(MustParse("0 0 30 * *"), "2026-01-30T00:00:00Z", 2) ==
        Strings{"2026-03-30T00:00:00Z", "2026-04-30T00:00:00Z"});
  CHECK(NextAfter("0 0 29 2 *", "2026-03-01T00:00:00Z") == "2028-02-29T00:00:00Z");
  CHECK(NextAfter("0 0 29 2 *", "2028-02-29T00:00:00Z") == "2032-02-29T00:00:00Z");
  // 2100 is not a leap year: eight years between leap days.
  CHECK(NextAfter("0 0 29 2 *", "2096-03-01T00:00:00Z") == "2104-02-29T00:00:00Z");
  // 2000 was one.
  CHECK(NextAfter("0 0 29 2 *", "1997-01-01T00:00:00Z") == "2000-02-29T00:00:00Z");
  CHECK(NextAfter("59 23 28-29 2 *", "2027-02-28T23:59:00Z") == "2028-02-28T23:59:00Z");
  CHECK(NextAfter("59 23 31 12 *", "2026-12-31T23:59:00Z") == "2027-12-31T23:59:00Z");
}

TEST_CASE("Schedule @every fires at whole multiples of the interval since the epoch",
          "[schedule]") {
  const Schedule every_90m = MustParse("@every 1h30m");
  // 2026-01-01T00:00:00Z is 1767225600 s = 327264 * 5400, a multiple of 90 minutes.
  CHECK(Fires(every_90m, "2026-01-01T00:00:00Z", 3) ==
        Strings{"2026-01-01T01:30:00Z", "2026-01-01T03:00:00Z", "2026-01-01T04:30:00Z"});
  // The phase does not depend on where the search starts (a restart keeps it).
  for (const char* after : {"2026-01-01T00:00:01Z", "2026-01-01T00:47:00Z",
                            "2026-01-01T01:29:59Z"}) {
    CHECK(Iso(every_90m.Next(Utc(after))) == "2026-01-01T01:30:00Z");
  }
  CHECK(Iso(every_90m.Next(Utc("2026-01-01T01:29:59Z") + 999ms)) == "2026-01-01T01:30:00Z");
  CHECK(Iso(every_90m.Next(Utc("2026-01-01T01:30:00Z"))) == "2026-01-01T03:00:00Z");

  CHECK(Fires(MustParse("@every 90s"), "2026-01-01T00:00:00Z", 3) ==
        Strings{"2026-01-01T00:01:30Z", "2026-01-01T00:03:00Z", "2026-01-01T00:04:30Z"});
  CHECK(Fires(MustParse("@every 1s"), "2026-01-01T00:00:00Z", 2) ==
        Strings{"2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"});
  CHECK(Fires(MustParse("@every 15m"), "2026-01-01T00:07:00Z", 2) ==
        Strings{"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z"});
  CHECK(Fires(MustParse("@every 1h0m30s"), "1970-01-01T00:00:00Z", 2) ==
        Strings{"1970-01-01T01:00:30Z", "1970-01-01T02:01:00Z"});
  // 11s does not divide a day: the phase comes from the epoch, not from midnight.
  CHECK(NextAfter("@every 11s", "2026-01-01T00:00:00Z") == "2026-01-01T00:00:03Z");
  // Before the epoch.
  CHECK(NextAfter("@every 1h", "1969-12-31T22:10:00Z") == "1969-12-31T23:00:00Z");

  // The zone is checked but does not move an interval.
  CHECK(Fires(MustParse("@every 1h", "Asia/Kolkata"), "2026-01-01T00:10:00Z", 1) ==
        Strings{"2026-01-01T01:00:00Z"});
  CHECK(Fires(MustParse("@every 1h", "Europe/Berlin"), "2026-10-25T00:30:00Z", 3) ==
        Strings{"2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"});
}

TEST_CASE("Schedule evaluates cron in the given time zone", "[schedule]") {
  const Schedule new_york = MustParse("0 9 * * MON-FRI", "America/New_York");
  CHECK(Iso(new_york.Next(Utc("2026-01-05T00:00:00Z"))) == "2026-01-05T14:00:00Z");  // EST
  CHECK(Iso(new_york.Next(Utc("2026-07-06T00:00:00Z"))) == "2026-07-06T13:00:00Z");  // EDT
  // Friday 09:00 EST passed: Monday next.
  CHECK(Iso(new_york.Next(Utc("2026-01-09T14:00:00Z"))) == "2026-01-12T14:00:00Z");
  // The local day decides, not the UTC one: 00:00Z Monday is still Sunday in New York.
  CHECK(NextAfter("0 20 * * SUN", "2026-01-05T00:00:00Z", "America/New_York") ==
        "2026-01-05T01:00:00Z");
  CHECK(NextAfter("0 20 * * SUN", "2026-01-05T01:00:00Z", "America/New_York") ==
        "2026-01-12T01:00:00Z");

  CHECK(NextAfter("0 0 1 * *", "2026-01-15T00:00:00Z", "Europe/Berlin") ==
        "2026-01-31T23:00:00Z");
  CHECK(NextAfter("0 0 1 * *", "2026-06-15T00:00:00Z", "Europe/Berlin") ==
        "2026-06-30T22:00:00Z");
  CHECK(NextAfter("0 0 1 1 *", "2026-06-15T00:00:00Z", "Asia/Tokyo") == "2026-12-31T15:00:00Z");
  CHECK(NextAfter("0 12 * * *", "2026-06-15T00:00:00Z", "Asia/Kolkata") ==
        "2026-06-15T06:30:00Z");
  CHECK(NextAfter("0 12 * * *", "2026-06-15T00:00:00Z", "UTC") == "2026-06-15T12:00:00Z");
  CHECK(NextAfter("0 12 * * *", "2026-06-15T00:00:00Z", "Etc/GMT+5") ==
        "2026-06-15T17:00:00Z");
}

TEST_CASE("Schedule skips local times that a spring-forward jump skips", "[schedule]") {
  // Europe/Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST (at 01:00Z).
  const Schedule berlin = MustParse("30 2 * * *", "Europe/Berlin");
  CHECK(Fires(berlin, "2026-03-27T12:00:00Z", 3) ==
        Strings{"2026-03-28T01:30:00Z",    // 02:30 CET
                "2026-03-30T00:30:00Z",    // 02:30 CEST; the 29th has no 02:30
                "2026-03-31T00:30:00Z"});
  CHECK(Fires(MustParse("*/20 * * * *", "Europe/Berlin"), "2026-03-29T00:30:00Z", 3) ==
        Strings{"2026-03-29T00:40:00Z",    // 01:40 CET
                "2026-03-29T01:00:00Z",    // 03:00 CEST
                "2026-03-29T01:20:00Z"});
  // A schedule for that time on that date only waits for the next year.
  CHECK(NextAfter("30 2 29 3 *", "2026-03-01T00:00:00Z", "Europe/Berlin") ==
        "2027-03-29T00:30:00Z");

  // America/New_York, 2026-03-08: 02:00 EST becomes 03:00 EDT (at 07:00Z).
  CHECK(Fires(MustParse("30 2 * * *", "America/New_York"), "2026-03-07T00:00:00Z", 2) ==
        Strings{"2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z"});
  CHECK(Fires(MustParse("0 * * * *", "America/New_York"), "2026-03-08T05:30:00Z", 3) ==
        Strings{"2026-03-08T06:00:00Z",    // 01:00 EST
                "2026-03-08T07:00:00Z",    // 03:00 EDT
                "2026-03-08T08:00:00Z"});
}

TEST_CASE("Schedule runs a local time that occurs twice only once, the first time",
          "[schedule]") {
  // Europe/Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET (at 01:00Z), so 02:00-02:59
  // happens at 00:00Z-00:59Z and again at 01:00Z-01:59Z.
  const Schedule berlin = MustParse("30 2 * * *", "Europe/Berlin");
  CHECK(Fires(berlin, "2026-10-24T12:00:00Z", 2) ==
        Strings{"2026-10-25T00:30:00Z",    // 02:30 CEST
                "2026-10-26T01:30:00Z"});  // 02:30 CET the next day, not 01:30Z on the 25th
  // Asked during the repeat, after the first 02:30 and around the second: next day.
  CHECK(Iso(berlin.Next(Utc("2026-10-25T01:00:00Z"))) == "2026-10-26T01:30:00Z");
  CHECK(Iso(berlin.Next(Utc("2026-10-25T01:29:59Z"))) == "2026-10-26T01:30:00Z");
  CHECK(Iso(berlin.Next(Utc("2026-10-25T00:29:59Z"))) == "2026-10-25T00:30:00Z");
  // An hourly schedule runs 02:00 once: CEST 02:00, then CET 03:00.
  CHECK(Fires(MustParse("0 * * * *", "Europe/Berlin"), "2026-10-24T23:30:00Z", 3) ==
        Strings{"2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"});
  // A per-minute schedule asked during the repeat resumes at 03:00 CET.
  CHECK(Iso(MustParse("* * * * *", "Europe/Berlin").Next(Utc("2026-10-25T01:15:00Z"))) ==
        "2026-10-25T02:00:00Z");

  // America/New_York, 2026-11-01: 02:00 EDT becomes 01:00 EST (at 06:00Z).
  const Schedule new_york = MustParse("30 1 * * *", "America/New_York");
  CHECK(Fires(new_york, "2026-10-31T12:00:00Z", 2) ==
        Strings{"2026-11-01T05:30:00Z",    // 01:30 EDT
                "2026-11-02T06:30:00Z"});  // 01:30 EST the next day
}

// A reference for the DST tests: walk every UTC minute, read the wall clock with the 2026
// rules written out by hand, and keep the first instant of each matching wall-clock minute.
struct Wall {
  int hour;
  int minute;
  unsigned weekday;  // Sunday = 0
};

std::vector<std::string> BruteForce(const std::function<bool(const Wall&)>& matches,
                                    const std::function<std::chrono::minutes(TimePoint)>& offset,
                                    TimePoint from, TimePoint to) {
  std::vector<std::string> fires;
  std::set<std::chrono::sys_seconds> seen;
  for (TimePoint t = from; t < to; t += 1min) {
    const std::chrono::sys_seconds local{std::chrono::floor<std::chrono::seconds>(t) +
                                         offset(t)};
    const auto day = std::chrono::floor<std::chrono::days>(local);
    const std::chrono::hh_mm_ss time{local - day};
    const Wall wall{static_cast<int>(time.hours().count()),
                    static_cast<int>(time.minutes().count()),
                    std::chrono::weekday{day}.c_encoding()};
    if (seen.insert(local).second && matches(wall)) fires.push_back(Iso(t));
  }
  return fires;
}

std::chrono::minutes Berlin2026(TimePoint t) {
  static const TimePoint summer = Utc("2026-03-29T01:00:00Z");
  static const TimePoint winter = Utc("2026-10-25T01:00:00Z");
  return t >= summer && t < winter ? 120min : 60min;
}

std::chrono::minutes NewYork2026(TimePoint t) {
  static const TimePoint summer = Utc("2026-03-08T07:00:00Z");
  static const TimePoint winter = Utc("2026-11-01T06:00:00Z");
  return t >= summer && t < winter ? -240min : -300min;
}

TEST_CASE("Schedule agrees with a minute-by-minute reference across DST changes",
          "[schedule]") {
  struct Case {
    const char* expression;
    std::function<bool(const Wall&)> matches;
  };
  const Case cases[] = {
      {"* * * * *", [](const Wall&) { return true; }},
      {"*/20 * * * *", [](const Wall& w) { return w.minute % 20 == 0; }},
      {"0,30 1-3 * * *",
       [](const Wall& w) { return w.minute % 30 == 0 && w.hour >= 1 && w.hour <= 3; }},
      {"15 2 * * SUN",
       [](const Wall& w) { return w.minute == 15 && w.hour == 2 && w.weekday == 0; }},
      {"59 1 * * *", [](const Wall& w) { return w.minute == 59 && w.hour == 1; }},
      {"* 2 * * *", [](const Wall& w) { return w.hour == 2; }},
      {"5-10/5 */3 * * *",
       [](const Wall& w) { return (w.minute == 5 || w.minute == 10) && w.hour % 3 == 0; }},
  };
  struct Window {
    const char* zone;
    std::chrono::minutes (*offset)(TimePoint);
    const char* from;
    const char* to;
  };
  const Window windows[] = {
      {"Europe/Berlin", Berlin2026, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z"},
      {"Europe/Berlin", Berlin2026, "2026-10-24T00:00:00Z", "2026-10-26T00:00:00Z"},
      {"America/New_York", NewYork2026, "2026-03-07T00:00:00Z", "2026-03-09T12:00:00Z"},
      {"America/New_York", NewYork2026, "2026-10-31T00:00:00Z", "2026-11-02T12:00:00Z"},
  };
  for (const Window& window : windows) {
    for (const Case& c : cases) {
      INFO(c.expression << " in " << window.zone << " from " << window.from);
      const Schedule schedule = MustParse(c.expression, window.zone);
      const TimePoint from = Utc(window.from);
      const TimePoint to = Utc(window.to);
      std::vector<std::string> fires;
      for (TimePoint t = schedule.Next(from - 1s); t < to; t = schedule.Next(t)) {
        fires.push_back(Iso(t));
      }
      CHECK(fires == BruteForce(c.matches, window.offset, from, to));
    }
  }
}

TEST_CASE("Schedule finds rare times without walking every minute", "[schedule]") {
  // Not timed: a minute-by-minute search would take millions of steps per call here, so a
  // regression shows up as a test run that crawls.
  const Schedule leap = MustParse("59 23 29 2 *", "Europe/Berlin");
  TimePoint t = Utc("2001-01-01T00:00:00Z");
  for (int i = 0; i < 50; ++i) t = leap.Next(t);
  CHECK(Iso(t) == "2208-02-29T22:59:00Z");  // 50 leap days on, skipping 2100 and 2200

  const Schedule yearly = MustParse("59 23 31 12 *", "America/New_York");
  CHECK(Iso(yearly.Next(Utc("2026-01-01T00:00:00Z"))) == "2026-01-01T04:59:00Z");  // 2025's
  t = Utc("2026-01-01T05:00:00Z");
  for (int i = 0; i < 200; ++i) t = yearly.Next(t);
  CHECK(Iso(t) == "2226-01-01T04:59:00Z");

  // Past the end of system_clock's range (2262) there is nothing to return but max().
  CHECK(MustParse("* * * * *").Next(TimePoint::max()) == TimePoint::max());
  CHECK(MustParse("0 0 1 1 *", "Europe/Berlin").Next(Utc("2262-01-01T00:00:00Z")) ==
        TimePoint::max());
  CHECK(MustParse("@every 1h").Next(TimePoint::max()) == TimePoint::max());
}

TEST_CASE("Schedule Next may be called from many threads at once", "[schedule]") {
  const Schedule schedule = MustParse("*/7 1-3 * * MON,FRI", "Europe/Berlin");
  std::vector<std::string> expected = Fires(schedule, "2026-03-20T00:00:00Z", 200);
  std::vector<std::vector<std::string>> results(4);
  std::vector<std::thread> threads;
  for (auto& result : results) {
    threads.emplace_back([&schedule, &result] {
      TimePoint t = std::chrono::sys_days{std::chrono::year{2026} / 3 / 20};
      for (int i = 0; i < 200; ++i) {
        t = schedule.Next(t);
        result.push_back(Iso(t));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const auto& result : results) CHECK(result == expected);
}

}  // namespace
}  // namespace journeyd::poll
