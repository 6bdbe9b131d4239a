#include "engine/delivery/rate_limiter.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string_view>

namespace journeyd::delivery {

namespace {

using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

// Caps every pause: a garbled or hostile Retry-After must not stop a target for good (nor
// overflow the clock's nanoseconds), and a day is longer than any vendor's window.
constexpr milliseconds kMaxPause = std::chrono::hours(24);
// What a 429 without Retry-After (or any vendor hint) earns: long enough to stop hammering,
// short enough not to lose much if the vendor only meant that one request.
constexpr milliseconds kDefaultTooManyRequestsPause{1000};
// Salesforce's allocation may be raised, or may reset, before midnight; waking up hourly
// notices that without costing a meaningful share of the allocation.
constexpr milliseconds kMaxDailyLimitPause = std::chrono::hours(1);
// Near the daily limit the rate never drops below one request a minute, so a target keeps
// learning the vendor's numbers instead of going silent.
constexpr double kMinDailyLimitRate = 1.0 / 60.0;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  s = Trim(s);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// Rounds up so that a caller sleeping for the result never wakes up a little too early and has
// to ask again for a sub-millisecond remainder.
template <typename Duration>
milliseconds CeilToMillis(Duration d) {
  return std::max(std::chrono::ceil<milliseconds>(d), milliseconds(1));
}

// "api-usage=used/limit" out of Sforce-Limit-Info. The value may list more entries
// ("api-usage=18/5000; per-app-api-usage=17/250(appName=x)"), so the key must match whole.
bool ParseSforceApiUsage(std::string_view value, int64_t* used, int64_t* limit) {
  while (!value.empty()) {
    const size_t end = value.find_first_of(";,");
    std::string_view entry = Trim(value.substr(0, end));
    value = end == std::string_view::npos ? std::string_view() : value.substr(end + 1);
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos || Trim(entry.substr(0, eq)) != "api-usage") continue;
    std::string_view numbers = entry.substr(eq + 1);
    const size_t slash = numbers.find('/');
    if (slash == std::string_view::npos) return false;
    auto u = ParseInt(numbers.substr(0, slash));
    auto l = ParseInt(numbers.substr(slash + 1));
    if (!u || !l || *u < 0 || *l <= 0) return false;
    *used = *u;
    *limit = *l;
    return true;
  }
  return false;
}

int MonthFromName(std::string_view name) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (kMonths[i] == name) return i + 1;
  }
  return 0;
}

// IMF-fixdate, the only form RFC 9110 lets senders produce: "Wed, 21 Oct 2015 07:28:00 GMT".
// Parsed by hand rather than with std::get_time, which depends on the global locale.
std::optional<std::chrono::system_clock::time_point> ParseImfFixdate(std::string_view s) {
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
      s[16] != ' ' || s[19] != ':' || s[22] != ':' || s[25] != ' ' || s.substr(26) != "GMT") {
    return std::nullopt;
  }
  auto number = [&](size_t pos, size_t len) -> std::optional<int64_t> {
    for (size_t i = pos; i < pos + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    }
    return ParseInt(s.substr(pos, len));
  };
  auto day = number(5, 2);
  auto year = number(12, 4);
  auto hour = number(17, 2);
  auto minute = number(20, 2);
  auto second = number(23, 2);
  const int month = MonthFromName(s.substr(8, 3));
  if (!day || !year || !hour || !minute || !second || month == 0) return std::nullopt;
  // 60 is a leap second, which the system clock does not count.
  if (*hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(static_cast<int>(*year)),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(*hour) +
         std::chrono::minutes(*minute) + std::chrono::seconds(std::min<int64_t>(*second, 59));
}

}  // namespace

std::optional<milliseconds> ParseRetryAfter(std::string_view value,
                                             std::chrono::system_clock::time_point now) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  const bool negative = value.front() == '-';
  std::string_view digits = negative ? value.substr(1) : value;
  if (!digits.empty() &&
      std::all_of(digits.begin(), digits.end(),
                  [](unsigned char c) { return std::isdigit(c) != 0; })) {
    if (negative) return milliseconds(0);
    // Saturate instead of failing: a huge delay still means "stop", and the limiter caps it.
    constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1000;
    auto seconds = ParseInt(digits);
    return milliseconds((!seconds || *seconds > kMaxSeconds) ? kMaxSeconds * 1000
                                                             : *seconds * 1000);
  }
  auto date = ParseImfFixdate(value);
  if (!date) return std::nullopt;
  if (*date <= now) return milliseconds(0);
  return std::chrono::ceil<milliseconds>(*date - now);
}

RateLimiter::RateLimiter(RateLimit limit, const Clock& clock)
    : configured_(limit),
      clock_(clock),
      rate_(limit.requests_per_second),
      tokens_(std::max(limit.burst, 1.0)),
      last_refill_(clock.Monotonic()) {}

void RateLimiter::RefillLocked(SteadyTime now) {
  if (now <= last_refill_) return;
  const double elapsed = std::chrono::duration<double>(now - last_refill_).count();
  // A burst below one would never let a request through.
  tokens_ = std::min(std::max(configured_.burst, 1.0), tokens_ + elapsed * rate_);
  last_refill_ = now;
}

milliseconds RateLimiter::Reserve() {
  const SteadyTime now = clock_.Monotonic();
  std::lock_guard<std::mutex> lock(mu_);
  if (paused_until_) {
    if (now < *paused_until_) return CeilToMillis(*paused_until_ - now);
    paused_until_.reset();
  }
  RefillLocked(now);
  // Refills are sums of products of doubles; without the slack a token earned in exactly the
  // time Reserve() asked the caller to wait could come up a hair short.
  constexpr double kSlack = 1e-9;
  if (tokens_ >= 1 - kSlack) {
    tokens_ = std::max(tokens_ - 1, 0.0);
    return milliseconds(0);
  }
  // A non-positive rate (misconfiguration) would never refill; poll instead of dividing by it.
  if (rate_ <= 0) return std::chrono::seconds(1);
  // Rounded to whole nanoseconds first, so 0.039999999 s is 40 ms, not 41.
  return CeilToMillis(std::chrono::round<std::chrono::nanoseconds>(
      std::chrono::duration<double>((1 - tokens_) / rate_)));
}

void RateLimiter::PauseFor(milliseconds duration) {
  if (duration <= milliseconds(0)) return;
  duration = std::min(duration, kMaxPause);
  const SteadyTime until = clock_.Monotonic() + duration;
  std::lock_guard<std::mutex> lock(mu_);
  if (!paused_until_ || *paused_until_ < until) paused_until_ = until;
}

void RateLimiter::Observe(const HttpResponse& response) {
  const auto wall = clock_.Now();
  bool vendor_paused = false;  // a vendor hint said how long; no need for the 429 default

  if (response.status == 429 || response.status == 503) {
    std::string_view retry_after = response.header("retry-after");
    if (!retry_after.empty()) {
      if (auto wait = ParseRetryAfter(retry_after, wall)) {
        PauseFor(*wait);
        vendor_paused = true;
      }
    }
  }

  // Any of these adjust the rate, which is recomputed from the configured one each time so it
  // recovers as soon as the vendor's numbers do; responses without them leave it as it is.
  std::optional<double> new_rate;

  // HubSpot: a rolling window of `max` requests per `interval` ms, `remaining` left in it.
  auto hs_remaining = ParseInt(response.header("x-hubspot-ratelimit-remaining"));
  auto hs_max = ParseInt(response.header("x-hubspot-ratelimit-max"));
  auto hs_interval = ParseInt(response.header("x-hubspot-ratelimit-interval-milliseconds"));
  if (hs_interval && *hs_interval > 0) {
    // Waiting a whole interval is conservative: the rolling window may free a slot sooner, but
    // HubSpot does not say when, and another 429 costs more than the wait.
    if ((hs_remaining && *hs_remaining <= 0) || response.status == 429) {
      PauseFor(milliseconds(*hs_interval));
      vendor_paused = true;
    }
    if (hs_max && *hs_max > 0) {
      const double vendor_rate = static_cast<double>(*hs_max) / (*hs_interval / 1000.0);
      new_rate = std::min(configured_.requests_per_second, vendor_rate);
    }
  }

  // Salesforce: a daily allocation; spread the last 10% over what is left of the (UTC) day.
  std::string_view sforce = response.header("sforce-limit-info");
  int64_t used = 0;
  int64_t limit = 0;
  if (!sforce.empty() && ParseSforceApiUsage(sforce, &used, &limit)) {
    double rate = configured_.requests_per_second;
    const auto midnight = std::chrono::floor<std::chrono::days>(wall) + std::chrono::days(1);
    const milliseconds to_midnight = CeilToMillis(midnight - wall);
    const int64_t remaining = limit - used;
    if (static_cast<double>(remaining) < 0.1 * static_cast<double>(limit)) {
      const double seconds_left = std::chrono::duration<double>(to_midnight).count();
      rate = std::min(rate, std::max(static_cast<double>(std::max<int64_t>(remaining, 0)) /
                                         seconds_left,
                                     kMinDailyLimitRate));
    }
    if (used >= limit) {
      PauseFor(std::min(to_midnight, kMaxDailyLimitPause));
      vendor_paused = true;
    }
    new_rate = new_rate ? std::min(*new_rate, rate) : rate;
  }

  if (response.status == 429 && !vendor_paused) PauseFor(kDefaultTooManyRequestsPause);

  if (new_rate) {
    const SteadyTime now = clock_.Monotonic();
    std::lock_guard<std::mutex> lock(mu_);
    // Tokens earned so far were earned at the old rate.
    RefillLocked(now);
    rate_ = *new_rate;
  }
}

double RateLimiter::current_rate() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rate_;
}

std::optional<SteadyTime> RateLimiter::paused_until() const {
  const SteadyTime now = clock_.Monotonic();
  std::lock_guard<std::mutex> lock(mu_);
  if (paused_until_ && now < *paused_until_) return paused_until_;
  return std::nullopt;
}

}  // namespace journeyd::delivery
