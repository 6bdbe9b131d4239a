// The storage backends the Store contract tests (tests/store/) run against, each able to open a
// fresh, empty, migrated Store per test. SQLite is always there; PostgreSQL joins the list when
// a test server answers (tests/support/postgres.h: ctest's cluster or JOURNEYD_TEST_PG_URL), each
// store on a database of its own. Not thread-safe: tests open stores from their own thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/storage/store.h"

namespace journeyd::testing {

// A store opened for one test, with whatever must outlive it (a temp dir, a scratch database).
// The store goes first, then what held its data.
class TestStore {
 public:
  TestStore(storage::StorePtr store, std::shared_ptr<void> owner)
      : owner_(std::move(owner)), store_(std::move(store)) {}
  TestStore(TestStore&&) = default;
  TestStore& operator=(TestStore&&) = default;

  storage::Store& operator*() const { return *store_; }
  storage::Store* operator->() const { return store_.get(); }
  storage::Store& store() const { return *store_; }

 private:
  // Declared first so that it is destroyed last, after the store has closed.
  std::shared_ptr<void> owner_;
  storage::StorePtr store_;
};

struct StoreBackend {
  std::string name;  // "sqlite", "postgresql": the section name failures are reported under
  // A fresh, empty store with every migration applied; each call gives a new one.
  std::function<Result<TestStore>()> open;
};

// The backends to test, in a fixed order: sqlite, then postgresql when a test server answers
// (tests/support/postgres.h; required under JOURNEYD_REQUIRE_POSTGRES=1).
const std::vector<StoreBackend>& StoreBackends();

}  // namespace journeyd::testing
