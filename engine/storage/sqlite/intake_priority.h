// IntakePriority lets the intake's group commits in while the mapping stage commits a batch.
// Both write one SQLite file, through two connections, and SQLite has one write lock. A webhook
// is answered only once its commit is on disk, while a mapped batch only moves data along; a
// 256-event mapping commit held the lock for 5-13 ms, and every webhook that arrived meanwhile
// waited that long (bench/ingest's p99). So the intake says while it waits for the lock, and a
// transaction that can be committed in parts asks between parts whether to yield: when the
// intake waits and the transaction has held the lock for its slice, it commits what it has,
// waits for the intake to take the lock, and goes on in a new transaction. While the intake is
// idle nothing changes: a batch still commits at once. (Who gets a free lock is left to
// SQLite: the intake polls for it every 200 us, the pipeline backs off, so under a steady
// intake the pipeline mostly waits; see docs/performance.md.) Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace journeyd::storage {

class IntakePriority {
 public:
  // How long a transaction may go on holding the write lock while the intake waits for it.
  static constexpr std::chrono::microseconds kSlice{300};
  // How long a yielding transaction waits for the intake to take the lock before going on
  // anyway; the intake polls for it every 200 us (SqliteStore::Open).
  static constexpr std::chrono::microseconds kTurnWait{5000};

  // Intake side: in scope while the intake waits for the write lock (its BEGIN IMMEDIATE).
  class Waiting {
   public:
    explicit Waiting(IntakePriority& priority) : priority_(priority) {
      priority_.waiting_.fetch_add(1, std::memory_order_acq_rel);
    }
    ~Waiting() { priority_.TookLock(); }
    Waiting(const Waiting&) = delete;
    Waiting& operator=(const Waiting&) = delete;

   private:
    IntakePriority& priority_;
  };

  // Whether a transaction that took the lock at `began` should commit and yield now.
  bool ShouldYield(std::chrono::steady_clock::time_point began) const {
    return waiting_.load(std::memory_order_acquire) > 0 &&
           std::chrono::steady_clock::now() - began >= kSlice;
  }
  // Drawn before the yielding commit, for AwaitIntakeTurn.
  uint64_t Ticket() const { return turns_.load(std::memory_order_acquire); }
  // After the yielding commit: returns once the intake has taken the lock since `ticket` was
  // drawn (true), or after kTurnWait (false). Going straight back to BEGIN IMMEDIATE would take
  // the lock again before the intake's next poll.
  bool AwaitIntakeTurn(uint64_t ticket);

  // How many times a transaction yielded.
  uint64_t yields() const { return yields_.load(std::memory_order_relaxed); }

 private:
  void TookLock();

  std::atomic<int> waiting_{0};
  std::atomic<uint64_t> turns_{0};
  std::atomic<uint64_t> yields_{0};
  std::mutex mu_;
  std::condition_variable turn_taken_;
};

}  // namespace journeyd::storage
