// Target is one configured destination (a CRM, a webhook, the preview recorder). The core owns
// batching, rate limits, retries and the dead-letter queue; a target only declares its limits
// here, and (issue 7) builds and sends requests for a batch of changes.
// Implementations are immutable after creation and safe to call concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

namespace journeyd {

struct TargetLimits {
  size_t max_batch = 100;           // records per request
  double requests_per_second = 10;  // sustained; the core's token bucket enforces it
  size_t burst = 10;
};

class Target {
 public:
  virtual ~Target() = default;
  virtual TargetLimits limits() const = 0;
};

using TargetPtr = std::shared_ptr<const Target>;

}  // namespace journeyd
