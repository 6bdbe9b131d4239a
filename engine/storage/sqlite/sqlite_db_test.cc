#include "engine/storage/sqlite/sqlite_db.h"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

namespace journeyd::storage {
namespace {

// A page-count limit makes SQLite fail exactly as a full disk does (SQLITE_FULL), without
// filling one; tests/integration/reliability_faults_test.cc fills a real (tmpfs) disk.
TEST_CASE("a full database is a retryable error that says 'disk full', gone once there is room",
          "[storage]") {
  testing::TempDir dir;
  auto db = SqliteDb::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(db.ok());
  REQUIRE((*db)->Exec("CREATE TABLE t (v BLOB)").ok());
  REQUIRE((*db)->Exec("PRAGMA max_page_count = 8").ok());

  // Through Exec (BEGIN/COMMIT and DDL go this way)...
  Status full = (*db)->Exec("INSERT INTO t VALUES (zeroblob(100000))");
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().code == ErrorCode::kUnavailable);
  CHECK(full.error().message == "exec: disk full: database or disk is full");

  // ...and through a prepared statement.
  auto insert = (*db)->Prepare("INSERT INTO t VALUES (?)");
  REQUIRE(insert.ok());
  insert->BindBlob(1, std::string(100000, 'x'));
  Status step = insert->Run();
  REQUIRE_FALSE(step.ok());
  CHECK(step.error().code == ErrorCode::kUnavailable);
  CHECK(step.error().message == "step: disk full: database or disk is full");
  insert->Reset();

  // Room again: the same connection writes without being reopened.
  REQUIRE((*db)->Exec("PRAGMA max_page_count = 1000").ok());
  CHECK((*db)->Exec("INSERT INTO t VALUES (zeroblob(100000))").ok());

  // Other failures keep SQLite's words alone.
  Status syntax = (*db)->Exec("INSERT INTO nope VALUES (1)");
  REQUIRE_FALSE(syntax.ok());
  CHECK(syntax.error().message == "exec: no such table: nope");
}

}  // namespace
}  // namespace journeyd::storage
