#include "engine/storage/sqlite/intake_priority.h"

namespace journeyd::storage {

void IntakePriority::TookLock() {
  waiting_.fetch_sub(1, std::memory_order_acq_rel);
  {
    // Under the mutex, so that a yielding thread between its check and its wait cannot miss it.
    std::lock_guard lock(mu_);
    turns_.fetch_add(1, std::memory_order_acq_rel);
  }
  turn_taken_.notify_all();
}

bool IntakePriority::AwaitIntakeTurn(uint64_t ticket) {
  yields_.fetch_add(1, std::memory_order_relaxed);
  std::unique_lock lock(mu_);
  return turn_taken_.wait_for(lock, kTurnWait, [&] {
    return turns_.load(std::memory_order_acquire) != ticket;
  });
}

}  // namespace journeyd::storage
