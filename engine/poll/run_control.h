// RunControl lets a sync run be stopped from outside (shutdown) while it waits: every pause in
// a run (rate limits, Retry-After, backoff) sleeps through it, so a stop ends the wait at once
// rather than after a five-minute Retry-After. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace journeyd::poll {

class RunControl {
 public:
  // Sleeps `duration` unless stopped first; false when stopped (before or during).
  bool SleepFor(std::chrono::milliseconds duration) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, duration, [this] { return stopped_; });
  }
  void RequestStop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
  }
  bool stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace journeyd::poll
