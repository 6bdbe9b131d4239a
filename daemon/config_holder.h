// ConfigHolder is where the running daemon finds the current config. Readers take a snapshot
// (a shared_ptr) and keep using it for the whole request; a SIGHUP reload swaps in a new one
// atomically, so no request ever sees half of one config and half of another. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "engine/config/config.h"

namespace journeyd {

class ConfigHolder {
 public:
  explicit ConfigHolder(std::shared_ptr<const config::Config> initial)
      : current_(std::move(initial)) {}

  std::shared_ptr<const config::Config> Get() const {
    std::lock_guard lock(mu_);
    return current_;
  }
  void Set(std::shared_ptr<const config::Config> next) {
    std::lock_guard lock(mu_);
    current_ = std::move(next);
    ++generation_;
  }
  // Starts at 1 and counts successful loads, so probes can tell that a reload took effect.
  uint64_t generation() const {
    std::lock_guard lock(mu_);
    return generation_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const config::Config> current_;  // GUARDED_BY(mu_)
  uint64_t generation_ = 1;                        // GUARDED_BY(mu_)
};

}  // namespace journeyd
