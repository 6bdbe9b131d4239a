// RetryPolicy says how long to wait before the next attempt at a failed delivery: exponential
// backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): the wait is
// uniform in [0, min(cap, base * 2^(attempt-1))], which spreads retries of many workers apart after
// an outage instead of having them hit the recovering CRM together. A vendor's Retry-After
// overrides it (the limiter enforces that). Delivery gives up on an item, into the dead-letter
// queue, once it is older than max_age.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace journeyd::delivery {

struct RetrySettings {
  std::chrono::milliseconds base{500};
  std::chrono::milliseconds cap{60000};
  std::chrono::milliseconds max_age{std::chrono::hours(24)};
};

class RetryPolicy {
 public:
  RetryPolicy(RetrySettings settings, uint64_t seed);

  // The wait before attempt `attempt` + 1, after `attempt` failures (attempt >= 1).
  std::chrono::milliseconds NextDelay(int attempt);
  const RetrySettings& settings() const { return settings_; }

 private:
  RetrySettings settings_;
  std::mt19937_64 rng_;
};

}  // namespace journeyd::delivery
