// The Store contract for cluster leases (engine/cluster/cluster_leases.h): one holder at a time,
// renewal by the holder, takeover only after expiry, release on a clean stop, and a race for a
// free lease won by exactly one. Only the Store interface is used.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "tests/store/contract_helpers.h"

namespace journeyd::storage::contract {
namespace {

using std::chrono::milliseconds;

TEST_CASE("leases: one holder at a time, renewed by it, taken over after expiry",
          "[store][leases]") {
  FOR_EACH_STORE_BACKEND(store) {
    CHECK(Must(store.ListLeases()).empty());
    CHECK(Must(store.AcquireLease("identity", "a", milliseconds(60000))));
    CHECK_FALSE(Must(store.AcquireLease("identity", "b", milliseconds(60000))));
    CHECK(Must(store.AcquireLease("identity", "a", milliseconds(60000))));  // renewal
    CHECK(Must(store.AcquireLease("journey", "b", milliseconds(60000))));   // another name

    auto leases = Must(store.ListLeases());
    REQUIRE(leases.size() == 2);
    CHECK(leases[0].name == "identity");
    CHECK(leases[0].holder == "a");
    CHECK(leases[0].expires_at > leases[0].acquired_at);
    CHECK(leases[1].name == "journey");
    CHECK(leases[1].holder == "b");

    SECTION("a released lease is free at once, and only its holder can release it") {
      RequireOk(store.ReleaseLease("identity", "b"));  // not b's: nothing happens
      CHECK_FALSE(Must(store.AcquireLease("identity", "b", milliseconds(60000))));
      RequireOk(store.ReleaseLease("identity", "a"));
      CHECK(Must(store.AcquireLease("identity", "b", milliseconds(60000))));
      CHECK(Must(store.ListLeases())[0].holder == "b");
    }
    SECTION("an expired lease goes to the next to ask, and its old holder lost it") {
      CHECK(Must(store.AcquireLease("delivery:crm", "a", milliseconds(1))));
      std::this_thread::sleep_for(milliseconds(20));
      CHECK(Must(store.AcquireLease("delivery:crm", "b", milliseconds(60000))));
      CHECK_FALSE(Must(store.AcquireLease("delivery:crm", "a", milliseconds(60000))));
    }
  }
}

TEST_CASE("leases: of eight instances racing for a free lease exactly one wins",
          "[store][leases]") {
  FOR_EACH_STORE_BACKEND(store) {
    for (int round = 0; round < 5; ++round) {
      const std::string name = "poll:shop-" + std::to_string(round);
      std::atomic<int> winners{0}, failures{0};
      std::vector<std::thread> racers;
      for (int i = 0; i < 8; ++i) {
        racers.emplace_back([&, i] {
          auto won = store.AcquireLease(name, "instance-" + std::to_string(i), milliseconds(60000));
          if (!won.ok()) {
            ++failures;
          } else if (*won) {
            ++winners;
          }
        });
      }
      for (auto& t : racers) t.join();
      CHECK(failures == 0);
      CHECK(winners == 1);
    }
  }
}

}  // namespace
}  // namespace journeyd::storage::contract
