#include "engine/storage/sqlite/sqlite_store.h"

#include <catch2/catch.hpp>

#include "engine/storage/migration.h"
#include "tests/support/temp_dir.h"

namespace journeyd::storage {
namespace {

using std::chrono::system_clock;

TEST_CASE("a new store applies every migration and survives reopening", "[storage]") {
  testing::TempDir dir;
  const auto path = dir.path() / "j.db";
  const int newest = SqliteMigrations().back().version;
  {
    auto store = SqliteStore::Open(path, std::chrono::seconds(1));
    REQUIRE(store.ok());
    CHECK((*store)->schema_version() == newest);
    CHECK((*store)->Ping().ok());
  }
  auto again = SqliteStore::Open(path, std::chrono::seconds(1));
  REQUIRE(again.ok());
  CHECK((*again)->schema_version() == newest);
}

TEST_CASE("the store uses WAL and foreign keys", "[storage]") {
  testing::TempDir dir;
  auto store = SqliteStore::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(store.ok());
  auto db = SqliteDb::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(db.ok());
  auto mode = (*db)->Prepare("PRAGMA journal_mode");
  REQUIRE(mode.ok());
  REQUIRE(*mode->Step());
  CHECK(mode->ColumnText(0) == "wal");
  auto fk = (*db)->Prepare("PRAGMA foreign_keys");
  REQUIRE(fk.ok());
  REQUIRE(*fk->Step());
  CHECK(fk->ColumnInt(0) == 1);
}

TEST_CASE("a schema newer than the binary is refused with a clear message", "[storage]") {
  testing::TempDir dir;
  const auto path = dir.path() / "j.db";
  { REQUIRE(SqliteStore::Open(path, std::chrono::seconds(1)).ok()); }
  {
    auto db = SqliteDb::Open(path, std::chrono::seconds(1));
    REQUIRE(db.ok());
    auto insert = (*db)->Prepare(
        "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?1, 'future', 0)");
    REQUIRE(insert.ok());
    insert->Bind(1, int64_t{SqliteMigrations().back().version + 1});
    REQUIRE(insert->Run().ok());
  }
  auto store = SqliteStore::Open(path, std::chrono::seconds(1));
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().code == ErrorCode::kCorruption);
  CHECK_THAT(store.error().message, Catch::Contains("newer than this journeyd"));
}

TEST_CASE("a run without a recorded stop is reported at the next start", "[storage]") {
  testing::TempDir dir;
  auto store = SqliteStore::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(store.ok());
  auto first = (*store)->RecordStart("test", system_clock::now());
  REQUIRE(first.ok());
  CHECK_FALSE(first->previous_run_unclean);
  REQUIRE((*store)->RecordStop(first->run_id, system_clock::now()).ok());
  auto second = (*store)->RecordStart("test", system_clock::now());
  REQUIRE(second.ok());
  CHECK_FALSE(second->previous_run_unclean);
  // No stop recorded for the second run: as after kill -9.
  auto third = (*store)->RecordStart("test", system_clock::now());
  REQUIRE(third.ok());
  CHECK(third->previous_run_unclean);
}

TEST_CASE("opening a file that is not a database fails cleanly", "[storage]") {
  testing::TempDir dir;
  const auto path = dir.Write("garbage.db", std::string(8192, 'x'));
  auto store = SqliteStore::Open(path, std::chrono::seconds(1));
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().code == ErrorCode::kCorruption);
}

}  // namespace
}  // namespace journeyd::storage
