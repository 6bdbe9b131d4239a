#include "engine/delivery/rate_limiter.h"

#include <catch2/catch.hpp>

namespace journeyd::delivery {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using namespace std::chrono_literals;

// 2015-10-21 12:00:00 UTC.
const std::chrono::system_clock::time_point kNoon =
    std::chrono::sys_days(std::chrono::year(2015) / 10 / 21) + hours(12);

HttpResponse Response(int status, HeaderList headers) {
  HttpResponse response;
  response.status = status;
  response.headers = std::move(headers);
  return response;
}

TEST_CASE("rate limiter drains the burst and refills at the configured rate", "[delivery]") {
  ManualClock clock(kNoon);
  RateLimiter limiter({10, 5}, clock);
  for (int i = 0; i < 5; ++i) REQUIRE(limiter.Reserve() == 0ms);
  CHECK(limiter.Reserve() == 100ms);
  clock.Advance(60ms);
  CHECK(limiter.Reserve() == 40ms);
  clock.Advance(40ms);
  CHECK(limiter.Reserve() == 0ms);
  CHECK(limiter.Reserve() == 100ms);

  // A long idle spell fills the bucket to the burst, no further.
  clock.Advance(seconds(10));
  for (int i = 0; i < 5; ++i) REQUIRE(limiter.Reserve() == 0ms);
  CHECK(limiter.Reserve() == 100ms);
  CHECK(limiter.current_rate() == 10);
  CHECK_FALSE(limiter.paused_until().has_value());
}

TEST_CASE("rate limiter pauses for Retry-After in seconds", "[delivery]") {
  ManualClock clock(kNoon);
  RateLimiter limiter({10, 10}, clock);
  limiter.Observe(Response(429, {{"retry-after", "3"}}));
  CHECK(limiter.Reserve() == 3000ms);
  REQUIRE(limiter.paused_until().has_value());
  CHECK(*limiter.paused_until() == clock.Monotonic() + 3s);
  clock.Advance(2999ms);
  CHECK(limiter.Reserve() == 1ms);
  clock.Advance(1ms);
  CHECK(limiter.Reserve() == 0ms);
  CHECK_FALSE(limiter.paused_until().has_value());

  // Only 429 and 503 carry a Retry-After the limiter obeys.
  limiter.Observe(Response(200, {{"retry-after", "30"}}));
  CHECK(limiter.Reserve() == 0ms);
  limiter.Observe(Response(503, {{"retry-after", "2"}}));
  CHECK(limiter.Reserve() == 2000ms);
}

TEST_CASE("rate limiter pauses until a Retry-After HTTP date", "[delivery]") {
  ManualClock clock(kNoon);
  RateLimiter limiter({10, 10}, clock);
  limiter.Observe(Response(503, {{"Retry-After", "Wed, 21 Oct 2015 12:01:30 GMT"}}));
  CHECK(limiter.Reserve() == 90000ms);

  // A date already past means "now".
  ManualClock later(kNoon + hours(1));
  RateLimiter other({10, 10}, later);
  other.Observe(Response(503, {{"retry-after", "Wed, 21 Oct 2015 12:01:30 GMT"}}));
  CHECK(other.Reserve() == 0ms);
}

TEST_CASE("a 429 without any hint pauses for a second", "[delivery]") {
  ManualClock clock(kNoon);
  RateLimiter limiter({10, 10}, clock);
  limiter.Observe(Response(429, {}));
  CHECK(limiter.Reserve() == 1000ms);
  // Nor does an unreadable Retry-After stop the default.
  clock.Advance(seconds(5));
  limiter.Observe(Response(429, {{"retry-after", "soon"}}));
  CHECK(limiter.Reserve() == 1000ms);
}

TEST_CASE("ParseRetryAfter reads delta seconds and IMF-fixdates", "[delivery]") {
  const auto now = std::chrono::sys_days(std::chrono::year(2015) / 10 / 21) + hours(7) +
                   minutes(27) + seconds(50);
  CHECK(ParseRetryAfter("120", now) == milliseconds(120000));
  CHECK(ParseRetryAfter(" 0 ", now) == milliseconds(0));
  CHECK(ParseRetryAfter("-5", now) == milliseconds(0));
  CHECK(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now) == milliseconds(10000));
  CHECK(ParseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now) == milliseconds(0));
  CHECK(ParseRetryAfter("Thu, 22 Oct 2015 07:27:50 GMT", now) == milliseconds(86400000));
  // Sub-second "now" rounds the wait up, never down.
  CHECK(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now + 250ms) == milliseconds(9750));
  CHECK(ParseRetryAfter("99999999999999999999999", now).has_value());

  CHECK_FALSE(ParseRetryAfter("", now).has_value());
  CHECK_FALSE(ParseRetryAfter("soon", now).has_value());
  CHECK_FALSE(ParseRetryAfter("1.5", now).has_value());
  CHECK_FALSE(ParseRetryAfter("-", now).has_value());
  CHECK_FALSE(ParseRetryAfter("Wed, 32 Oct 2015 07:28:00 GMT", now).has_value());
  CHECK_FALSE(ParseRetryAfter("Wed, 21 Foo 2015 07:28:00 GMT", now).has_value());
  CHECK_FALSE(ParseRetryAfter("Wed, 21 Oct 2015 24:28:00 GMT", now).has_value());
  CHECK_FALSE(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 UTC", now).has_value());
  CHECK_FALSE(ParseRetryAfter("Wednesday, 21-Oct-15 07:28:00 GMT", now).has_value());
}

TEST_CASE("HubSpot's remaining=0 pauses for the window's interval", "[delivery]") {
  ManualClock clock(kNoon);
  RateLimiter limiter({100, 100}, clock);
  limiter.Observe(Response(200, {{"x-hubspot-ratelimit-remaining", "3"},
                                 {"x-hubspot-ratelimit-interval-milliseconds", "10000"}}));
  CHECK(limiter.Reserve() == 0ms);
  limiter.Observe(Response(200, {{"x-hubspot-ratelimit-remaining", "0"},
                                 {"x-hubspot-ratelimit-interval-milliseconds", "10000"}}));
  CHECK(limiter.Reserve() == 10000ms);
  clock.Advance(seconds(10));
  CHECK(limiter.Reserve() == 0ms);

  // A 429 waits the interval too, not the one-second default.
  limiter.Observe(Response(429, {{"x-hubspot-ratelimit-remaining", "4"},
                                 {"x-hubspot-ratelimit-interval-milliseconds", "10000"}}));
  CHECK(limiter.Reserve() == 10000ms);
}

TEST_CASE("HubSpot's max per interval caps the rate below the configured one", "[delivery]") {
  ManualClock clock(kNoon);
  RateLimiter limiter({100, 1}, clock);
  limiter.Observe(Response(200, {{"x-hubspot-ratelimit-max", "100"},
                                 {"x-hubspot-ratelimit-remaining", "99"},
                                 {"x-hubspot-ratelimit-interval-milliseconds", "10000"}}));
  CHECK(limiter.current_rate() == Approx(10));
  CHECK(limiter.Reserve() == 0ms);
  CHECK(limiter.Reserve() == 100ms);

  // A vendor allowance above the configured rate does not raise it.
  limiter.Observe(Response(200, {{"x-hubspot-ratelimit-max", "1000"},
                                 {"x-hubspot-ratelimit-interval-milliseconds", "1000"}}));
  CHECK(limiter.current_rate() == Approx(100));
  // Responses without the headers leave the rate alone.
  limiter.Observe(Response(200, {{"x-hubspot-ratelimit-max", "100"},
                                 {"x-hubspot-ratelimit-interval-milliseconds", "10000"}}));
  limiter.Observe(Response(500, {}));
  CHECK(limiter.current_rate() == Approx(10));
}

TEST_CASE("Sforce-Limit-Info slows the rate near the daily limit", "[delivery]") {
  ManualClock clock(kNoon);  // 43200 s to midnight UTC
  RateLimiter limiter({10, 10}, clock);
  limiter.Observe(Response(200, {{"sforce-limit-info", "api-usage=8312/15000"}}));
  CHECK(limiter.current_rate() == Approx(10));

  // 1000 left, under 10%: spread over the rest of the day.
  limiter.Observe(Response(200, {{"sforce-limit-info", "api-usage=14000/15000"}}));
  CHECK(limiter.current_rate() == Approx(1000.0 / 43200));
  // Almost nothing left: never below one a minute.
  limiter.Observe(Response(200, {{"sforce-limit-info", "api-usage=14990/15000"}}));
  CHECK(limiter.current_rate() == Approx(1.0 / 60));
  CHECK_FALSE(limiter.paused_until().has_value());

  // The allocation grew (or reset): back to the configured rate.
  limiter.Observe(Response(200, {{"sforce-limit-info", "api-usage=14000/100000"}}));
  CHECK(limiter.current_rate() == Approx(10));

  // The older multi-entry form; per-app usage is not the org's.
  limiter.Observe(Response(
      200, {{"sforce-limit-info", "per-app-api-usage=249/250(appName=x); api-usage=18/5000"}}));
  CHECK(limiter.current_rate() == Approx(10));
  limiter.Observe(Response(
      200, {{"sforce-limit-info", "api-usage=4900/5000; per-app-api-usage=17/250(appName=x)"}}));
  CHECK(limiter.current_rate() == Approx(1.0 / 60));
}

TEST_CASE("Sforce-Limit-Info at the limit pauses until midnight, an hour at most", "[delivery]") {
  ManualClock clock(kNoon);
  RateLimiter limiter({10, 10}, clock);
  limiter.Observe(Response(200, {{"sforce-limit-info", "api-usage=15000/15000"}}));
  CHECK(limiter.Reserve() == milliseconds(hours(1)));

  ManualClock late(kNoon + hours(11) + minutes(30));  // 23:30 UTC
  RateLimiter other({10, 10}, late);
  other.Observe(Response(403, {{"sforce-limit-info", "api-usage=15002/15000"}}));
  CHECK(other.Reserve() == milliseconds(minutes(30)));
}

TEST_CASE("the longer of two pauses wins", "[delivery]") {
  ManualClock clock(kNoon);
  RateLimiter limiter({10, 10}, clock);
  limiter.PauseFor(seconds(5));
  limiter.PauseFor(seconds(1));
  CHECK(limiter.Reserve() == 5000ms);
  limiter.PauseFor(seconds(10));
  CHECK(limiter.Reserve() == 10000ms);
  clock.Advance(seconds(4));
  limiter.Observe(Response(429, {{"retry-after", "1"}}));
  CHECK(limiter.Reserve() == 6000ms);
  // Pauses are bounded so a hostile header cannot stop a target for good.
  limiter.PauseFor(hours(24 * 365));
  CHECK(limiter.Reserve() == milliseconds(hours(24)));
}

}  // namespace
}  // namespace journeyd::delivery
