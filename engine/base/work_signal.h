// WorkSignal carries "new work is committed" from one stage of the pipeline to the next (inbox
// to mapping, mapping to identity, identity and journey to delivery). A stage that has caught
// up then takes the next batch as soon as it is committed instead of at its next idle poll,
// which at 50 ms for each of four stages was most of a touchpoint's way to the CRM at low load.
// Producers Notify after a commit that produced work; a consumer subscribes while it runs and
// unsubscribes before it goes away. The signal must outlive both (the daemon declares its
// signals before the stages). Idle polls stay, for work another instance commits to a shared
// database. Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace journeyd {

class WorkSignal {
 public:
  // Runs on the notifier's thread, under the signal's lock: it must only set a flag or wake a
  // thread, never wait.
  using Wake = std::function<void()>;

  void Notify() const;
  // `owner` identifies the subscription for Unsubscribe.
  void Subscribe(const void* owner, Wake wake);
  // Once this returns, `owner`'s wake no longer runs and is not running.
  void Unsubscribe(const void* owner);

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<const void*, Wake>> listeners_;  // GUARDED_BY(mu_)
};

}  // namespace journeyd
