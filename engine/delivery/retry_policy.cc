#include "engine/delivery/retry_policy.h"

#include <algorithm>

namespace journeyd::delivery {

RetryPolicy::RetryPolicy(RetrySettings settings, uint64_t seed)
    : settings_(settings), rng_(seed) {}

std::chrono::milliseconds RetryPolicy::NextDelay(int attempt) {
  const int64_t base = std::max<int64_t>(settings_.base.count(), 0);
  const int64_t cap = std::max<int64_t>(settings_.cap.count(), 0);
  const int shift = std::max(attempt, 1) - 1;
  // base << shift overflows long before a delivery gives up at max_age, so compare against the
  // cap before shifting.
  int64_t ceiling = cap;
  if (shift < 62 && base <= (cap >> shift)) ceiling = base << shift;
  std::uniform_int_distribution<int64_t> wait(0, ceiling);
  return std::chrono::milliseconds(wait(rng_));
}

}  // namespace journeyd::delivery
