#include "engine/storage/sqlite/wal_checkpointer.h"

#include <catch2/catch.hpp>
#include <atomic>
#include <thread>

#include "tests/support/temp_dir.h"

namespace journeyd::storage {
namespace {

TEST_CASE("commits no longer checkpoint, the checkpointer thread copies the WAL back",
          "[storage]") {
  testing::TempDir dir;
  const auto path = dir.path() / "wal.db";
  auto db = SqliteDb::Open(path, std::chrono::seconds(1));
  REQUIRE(db.ok());
  REQUIRE((*db)->Exec("CREATE TABLE t (body BLOB)").ok());
  const auto main_file_size = [&] { return std::filesystem::file_size(path); };
  const auto size_before = main_file_size();

  auto checkpointer = WalCheckpointer::Start(path, {.checkpoint_pages = 64,
                                                    .hard_limit_pages = 1 << 20,
                                                    .min_interval = std::chrono::milliseconds(0),
                                                    .rewind_pages = 1 << 20});
  REQUIRE(checkpointer.ok());
  int reported = 0;
  (*db)->OnWalCommit([&](int pages) {
    reported = pages;
    (*checkpointer)->OnCommit(pages);
  });

  auto insert = (*db)->Prepare("INSERT INTO t(body) VALUES (zeroblob(16384))");
  REQUIRE(insert.ok());
  for (int i = 0; i < 40; ++i) {  // ~160 pages, each commit its own transaction
    REQUIRE(insert->Step().ok());
    insert->Reset();
  }
  CHECK(reported > 64);  // the hook saw the WAL grow: no automatic checkpoint emptied it

  // The rows reach the database file itself, not just the log, without another commit.
  const auto grown = [&] { return main_file_size() > size_before + 100 * 4096; };
  for (int i = 0; i < 500 && !grown(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(grown());
  CHECK((*checkpointer)->checkpoints() > 0);
}


// Commits that each push the WAL past the threshold for ~600 ms: with no floor every one of
// them set off a checkpoint (and an fsync of the database file).
TEST_CASE("the checkpointer runs at most once per min_interval however often commits cross "
          "the threshold", "[storage]") {
  testing::TempDir dir;
  const auto path = dir.path() / "wal.db";
  auto db = SqliteDb::Open(path, std::chrono::seconds(1));
  REQUIRE(db.ok());
  REQUIRE((*db)->Exec("CREATE TABLE t (body BLOB)").ok());
  auto checkpointer = WalCheckpointer::Start(path, {.checkpoint_pages = 4,
                                                    .hard_limit_pages = 1 << 20,
                                                    .min_interval = std::chrono::milliseconds(200),
                                                    .rewind_pages = 1 << 20});
  REQUIRE(checkpointer.ok());
  (*db)->OnWalCommit([&](int pages) { (*checkpointer)->OnCommit(pages); });
  auto insert = (*db)->Prepare("INSERT INTO t(body) VALUES (zeroblob(16384))");
  REQUIRE(insert.ok());
  int commits = 0;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(600)) {
    REQUIRE(insert->Step().ok());
    insert->Reset();
    ++commits;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const int64_t allowed = 2 + elapsed / std::chrono::milliseconds(200);  // one at once, then one per interval
  CHECK(commits > 50);
  CHECK((*checkpointer)->checkpoints() >= 1);
  CHECK((*checkpointer)->checkpoints() <= allowed);
}

// SQLite rewinds a WAL only when a writer begins at a moment when every frame is in the
// database file and no reader uses the WAL; under steady traffic that moment is rare. Here a
// reader's snapshot keeps the checkpoints from catching up until it ends; the first checkpoint
// after that catches up and, the WAL being past rewind_pages, rewinds it at once.
TEST_CASE("a WAL past rewind_pages is rewound by the checkpointer once it has caught up",
          "[storage]") {
  testing::TempDir dir;
  const auto path = dir.path() / "wal.db";
  auto db = SqliteDb::Open(path, std::chrono::seconds(1));
  REQUIRE(db.ok());
  REQUIRE((*db)->Exec("CREATE TABLE t (body BLOB)").ok());
  auto checkpointer = WalCheckpointer::Start(path, {.checkpoint_pages = 16,
                                                    .hard_limit_pages = 1 << 20,
                                                    .min_interval = std::chrono::milliseconds(1),
                                                    .rewind_pages = 64});
  REQUIRE(checkpointer.ok());
  int reported = 0;
  (*db)->OnWalCommit([&](int pages) {
    reported = pages;
    (*checkpointer)->OnCommit(pages);
  });
  auto insert = (*db)->Prepare("INSERT INTO t(body) VALUES (zeroblob(16384))");
  REQUIRE(insert.ok());
  const auto commit_one = [&] {
    REQUIRE(insert->Step().ok());
    insert->Reset();
  };
  commit_one();

  auto reader = SqliteDb::Open(path, std::chrono::seconds(1));
  REQUIRE(reader.ok());
  auto count = (*reader)->Prepare("SELECT count(*) FROM t");
  REQUIRE(count.ok());
  REQUIRE((*reader)->Exec("BEGIN").ok());
  REQUIRE(*count->Step());  // the snapshot is taken
  for (int i = 0; i < 40; ++i) commit_one();  // ~160 pages the checkpoints cannot all copy
  CHECK(reported >= 64);
  CHECK((*checkpointer)->rewinds() == 0);
  count->Reset();
  REQUIRE((*reader)->Exec("COMMIT").ok());

  commit_one();  // sets off a checkpoint that can catch up
  for (int i = 0; i < 1000 && (*checkpointer)->rewinds() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK((*checkpointer)->rewinds() >= 1);  // more if it checkpoints again before the next commit
  commit_one();
  CHECK(reported < 16);  // the next commit wrote at the WAL's start
}

}  // namespace
}  // namespace journeyd::storage
