// The backend list of store_backends.h. Adding a backend is one entry in StoreBackends(): a name
// and a function that opens an empty store on scratch space it owns.
#include "tests/support/store_backends.h"

#include <chrono>

#include "engine/storage/postgres/pg_store.h"
#include "engine/storage/sqlite/sqlite_store.h"
#include "tests/support/postgres.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

Result<TestStore> OpenSqlite() {
  auto dir = std::make_shared<TempDir>();
  auto store = storage::SqliteStore::Open(dir->path() / "journeyd.db", std::chrono::seconds(5));
  if (!store.ok()) return store.error();
  return TestStore(storage::StorePtr(std::move(*store)), dir);
}

Result<TestStore> OpenPostgres() {
  // A database of its own per store (tests/support/postgres.h), dropped after the store closed.
  auto database = std::make_shared<TestDatabase>();
  auto store = storage::PgStore::Open(database->url(), storage::PgStore::Options{});
  if (!store.ok()) return store.error();
  return TestStore(storage::StorePtr(std::move(*store)), database);
}

}  // namespace

const std::vector<StoreBackend>& StoreBackends() {
  static const std::vector<StoreBackend> backends = [] {
    std::vector<StoreBackend> list;
    list.push_back({"sqlite", &OpenSqlite});
    // PostgreSQL where a test server answers (ctest's "postgres" fixture starts one): the
    // PgStore itself, not OpenStore, whose refusal of an unfinished backend is not under test.
    // Required (scripts/test) and missing is every test's failure, not a silent skip.
    if (TestPostgresUrl()) {
      list.push_back({"postgresql", &OpenPostgres});
    } else if (PostgresRequired()) {
      list.push_back({"postgresql", []() -> Result<TestStore> {
                        return Unavailable("no PostgreSQL test server (JOURNEYD_REQUIRE_POSTGRES=1)");
                      }});
    }
    return list;
  }();
  return backends;
}

}  // namespace journeyd::testing
