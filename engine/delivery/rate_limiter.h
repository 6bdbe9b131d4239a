// RateLimiter is one target's token bucket: it starts from the vendor's published limit
// (requests per second and burst) and adapts to what the vendor says. A 429 or 503 with
// Retry-After (seconds or an HTTP date) pauses every request until then; HubSpot's
// X-HubSpot-RateLimit-Remaining / -Max / -Interval-Milliseconds headers pause it until the window
// refills when the remaining budget hits zero; Salesforce's Sforce-Limit-Info
// ("api-usage=used/limit") slows it down as the daily allocation runs out (below 10% left it
// spreads what remains over the rest of the day). Thread-safe; time comes from a Clock so tests
// can drive it.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>

#include "engine/base/clock.h"
#include "engine/delivery/http_exchange.h"

namespace journeyd::delivery {

struct RateLimit {
  double requests_per_second = 10;
  double burst = 10;
};

class RateLimiter {
 public:
  RateLimiter(RateLimit limit, const Clock& clock);

  // How long to wait before the next request may go; zero when it may go now, in which case a
  // token has been taken. Callers sleep for the returned time and ask again.
  std::chrono::milliseconds Reserve();
  // Learns from a response: Retry-After on 429/503, the vendors' rate-limit headers on any.
  void Observe(const HttpResponse& response);
  // Pauses all requests for `duration` from now (longer pauses win over shorter ones).
  void PauseFor(std::chrono::milliseconds duration);

  // For the status page: the rate in force now, and when a pause ends (if one is on).
  double current_rate() const;
  std::optional<std::chrono::steady_clock::time_point> paused_until() const;

 private:
  void RefillLocked(std::chrono::steady_clock::time_point now);

  const RateLimit configured_;
  const Clock& clock_;
  mutable std::mutex mu_;
  double rate_;    // GUARDED_BY(mu_): tokens per second now
  double tokens_;  // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point last_refill_;                 // GUARDED_BY(mu_)
  std::optional<std::chrono::steady_clock::time_point> paused_until_;  // GUARDED_BY(mu_)
};

// Parses a Retry-After value: delta seconds ("120") or an HTTP date ("Wed, 21 Oct 2015 07:28:00
// GMT", relative to `now`). nullopt when it is neither.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

}  // namespace journeyd::delivery
