// Clock is the one way journeyd reads time, so that tests can inject a manual clock instead of
// sleeping (LevelDB's Env idea). Implementations are thread-safe.
#pragma once

#include <chrono>

namespace journeyd {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall time, for timestamps that are stored or compared with a vendor's.
  virtual std::chrono::system_clock::time_point Now() const = 0;
  // Monotonic time, for timeouts and intervals.
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
};

// A clock that only moves when told to. Thread-compatible: tests move it from one thread.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start) : now_(start) {}
  std::chrono::system_clock::time_point Now() const override { return now_; }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::time_point(now_.time_since_epoch());
  }
  void Advance(std::chrono::nanoseconds by) { now_ += by; }

 private:
  std::chrono::system_clock::time_point now_;
};

}  // namespace journeyd
