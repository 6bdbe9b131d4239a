#include "engine/storage/sqlite/intake_priority.h"

#include <catch2/catch.hpp>

#include <optional>
#include <thread>

namespace journeyd::storage {

namespace {

using std::chrono::steady_clock;

TEST_CASE("a transaction yields only while the intake waits and after its slice", "[storage]") {
  IntakePriority priority;
  const auto long_ago = steady_clock::now() - 10 * IntakePriority::kSlice;
  CHECK_FALSE(priority.ShouldYield(long_ago));  // nobody waits
  {
    IntakePriority::Waiting waiting(priority);
    CHECK(priority.ShouldYield(long_ago));
    CHECK_FALSE(priority.ShouldYield(steady_clock::now()));  // the slice is not used up
  }
  CHECK_FALSE(priority.ShouldYield(long_ago));  // the intake took the lock
}

TEST_CASE("a yielding transaction goes on once the intake has taken the lock", "[storage]") {
  IntakePriority priority;
  std::optional<IntakePriority::Waiting> waiting(std::in_place, priority);
  const uint64_t ticket = priority.Ticket();
  std::thread intake([&] {
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    waiting.reset();  // the intake's BEGIN IMMEDIATE returned
  });
  CHECK(priority.AwaitIntakeTurn(ticket));
  intake.join();
  CHECK(priority.yields() == 1);
  CHECK(priority.Ticket() != ticket);
}

TEST_CASE("a yielding transaction waits no longer than kTurnWait for an intake that never comes",
          "[storage]") {
  IntakePriority priority;
  const auto start = steady_clock::now();
  CHECK_FALSE(priority.AwaitIntakeTurn(priority.Ticket()));
  CHECK(steady_clock::now() - start >= IntakePriority::kTurnWait);
}

}  // namespace
}  // namespace journeyd::storage
