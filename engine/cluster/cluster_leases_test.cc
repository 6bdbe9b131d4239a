// ClusterLeases on a real SQLite store, as two instances would use it on one database: one
// holds, the other waits; a clean stop hands over at once; renewals keep a lease past its ttl;
// a holder that dies is taken over after expiry.
#include "engine/cluster/cluster_leases.h"

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "engine/storage/sqlite/sqlite_store.h"
#include "tests/support/temp_dir.h"

namespace journeyd::cluster {
namespace {

using std::chrono::milliseconds;

struct Rig {
  Rig() {
    auto opened = storage::SqliteStore::Open(dir.path() / "d.db", std::chrono::seconds(1));
    REQUIRE(opened.ok());
    store = std::move(*opened);
  }
  testing::TempDir dir;
  std::unique_ptr<storage::SqliteStore> store;
};

TEST_CASE("one instance holds a lease, the other waits until it is given up", "[cluster]") {
  Rig rig;
  ClusterLeases a(*rig.store, "a", milliseconds(1000));
  ClusterLeases b(*rig.store, "b", milliseconds(1000));
  CHECK(a.Check("identity") == LeaseState::kAcquired);
  CHECK(a.Check("identity") == LeaseState::kHeld);
  CHECK(b.Check("identity") == LeaseState::kNotHeld);
  CHECK(b.Check("journey") == LeaseState::kAcquired);  // what is free goes to whoever asks

  auto gate = b.GateFor("identity");
  a.Stop();  // gives its leases up
  std::this_thread::sleep_for(milliseconds(350));  // b asks at most every ttl/3
  CHECK(gate() == LeaseState::kAcquired);
  CHECK(gate() == LeaseState::kHeld);
  auto leases = rig.store->ListLeases();
  REQUIRE(leases.ok());
  REQUIRE(leases->size() == 2);
  CHECK((*leases)[0].holder == "b");
}

TEST_CASE("renewals keep a lease for as long as its holder lives", "[cluster]") {
  Rig rig;
  ClusterLeases a(*rig.store, "a", milliseconds(1000));
  ClusterLeases b(*rig.store, "b", milliseconds(1000));
  a.Start();
  REQUIRE(a.Check("delivery:crm") == LeaseState::kAcquired);
  for (int i = 0; i < 6; ++i) {  // 2.4 s: more than two ttls
    std::this_thread::sleep_for(milliseconds(400));
    CHECK(b.Check("delivery:crm") == LeaseState::kNotHeld);
    CHECK(a.Check("delivery:crm") == LeaseState::kHeld);
  }
}

TEST_CASE("a holder that dies is taken over once its lease expires, and then has lost it",
          "[cluster]") {
  Rig rig;
  // No renewal thread for `a`, and no more calls: as an instance killed with -9.
  ClusterLeases a(*rig.store, "a", milliseconds(1000));
  ClusterLeases b(*rig.store, "b", milliseconds(1000));
  REQUIRE(a.Check("mapping") == LeaseState::kAcquired);
  CHECK(b.Check("mapping") == LeaseState::kNotHeld);
  std::this_thread::sleep_for(milliseconds(400));
  CHECK(b.Check("mapping") == LeaseState::kNotHeld);  // not expired yet
  std::this_thread::sleep_for(milliseconds(700));     // now it has
  CHECK(b.Check("mapping") == LeaseState::kAcquired);
  // Were `a` alive after all (a long pause), it would find the lease gone: past 2/3 of the
  // ttl without a renewal it no longer trusts it, and the store says b holds it.
  CHECK(a.Check("mapping") == LeaseState::kNotHeld);
}

}  // namespace
}  // namespace journeyd::cluster
