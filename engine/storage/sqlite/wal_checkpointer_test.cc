#include "engine/storage/sqlite/wal_checkpointer.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "tests/support/temp_dir.h"

namespace journeyd::storage {
namespace {

// A database with one table, its connection's commits reported to a checkpointer started with
// `options`, and a commit of one 16 KiB row (four pages and more) at a time.
struct WalDb {
  explicit WalDb(WalCheckpointerOptions options) {
    auto opened = SqliteDb::Open(path, std::chrono::seconds(1));
    REQUIRE(opened.ok());
    db = std::move(*opened);
    REQUIRE(db->Exec("CREATE TABLE t (body BLOB)").ok());
    auto started = WalCheckpointer::Start(path, options);
    REQUIRE(started.ok());
    checkpointer = std::move(*started);
    db->OnWalCommit([this](int pages) {
      reported = pages;
      checkpointer->OnCommit(pages);
    });
    auto prepared = db->Prepare("INSERT INTO t(body) VALUES (zeroblob(16384))");
    REQUIRE(prepared.ok());
    insert.emplace(std::move(*prepared));
  }
  void CommitOne() {
    REQUIRE(insert->Step().ok());
    insert->Reset();
  }

  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "wal.db";
  std::unique_ptr<SqliteDb> db;
  std::unique_ptr<WalCheckpointer> checkpointer;
  std::optional<SqliteStatement> insert;
  int reported = 0;  // the WAL's size in pages, as the latest commit reported it
};

TEST_CASE("commits no longer checkpoint, the checkpointer thread copies the WAL back",
          "[storage]") {
  WalDb wal({.checkpoint_pages = 64, .hard_limit_pages = 1 << 20,
             .min_interval = std::chrono::milliseconds(0), .rewind_pages = 1 << 20});
  const auto main_file_size = [&] { return std::filesystem::file_size(wal.path); };
  const auto size_before = main_file_size();
  for (int i = 0; i < 40; ++i) wal.CommitOne();  // ~160 pages, each commit its own transaction
  CHECK(wal.reported > 64);  // the hook saw the WAL grow: no automatic checkpoint emptied it

  // The rows reach the database file itself, not just the log, without another commit.
  const auto grown = [&] { return main_file_size() > size_before + 100 * 4096; };
  for (int i = 0; i < 500 && !grown(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(grown());
  CHECK(wal.checkpointer->checkpoints() > 0);
}

// Commits that each push the WAL past the threshold for ~600 ms: with no floor every one of
// them set off a checkpoint (and an fsync of the database file).
TEST_CASE("the checkpointer runs at most once per min_interval however often commits cross "
          "the threshold", "[storage]") {
  WalDb wal({.checkpoint_pages = 4, .hard_limit_pages = 1 << 20,
             .min_interval = std::chrono::milliseconds(200), .rewind_pages = 1 << 20});
  int commits = 0;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(600)) {
    wal.CommitOne();
    ++commits;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const int64_t allowed = 2 + elapsed / std::chrono::milliseconds(200);  // one at once, then one per interval
  CHECK(commits > 50);
  CHECK(wal.checkpointer->checkpoints() >= 1);
  CHECK(wal.checkpointer->checkpoints() <= allowed);
}

// SQLite rewinds a WAL only when a writer begins at a moment when every frame is in the
// database file and no reader uses the WAL; under steady traffic that moment is rare. Here a
// reader's snapshot keeps the checkpoints from catching up until it ends; the first checkpoint
// after that catches up and, the WAL being past rewind_pages, rewinds it at once.
TEST_CASE("a WAL past rewind_pages is rewound by the checkpointer once it has caught up",
          "[storage]") {
  WalDb wal({.checkpoint_pages = 16, .hard_limit_pages = 1 << 20,
             .min_interval = std::chrono::milliseconds(1), .rewind_pages = 64});
  wal.CommitOne();

  auto reader = SqliteDb::Open(wal.path, std::chrono::seconds(1));
  REQUIRE(reader.ok());
  auto count = (*reader)->Prepare("SELECT count(*) FROM t");
  REQUIRE(count.ok());
  REQUIRE((*reader)->Exec("BEGIN").ok());
  REQUIRE(*count->Step());  // the snapshot is taken
  for (int i = 0; i < 40; ++i) wal.CommitOne();  // ~160 pages the checkpoints cannot all copy
  CHECK(wal.reported >= 64);
  CHECK(wal.checkpointer->rewinds() == 0);
  count->Reset();
  REQUIRE((*reader)->Exec("COMMIT").ok());

  wal.CommitOne();  // sets off a checkpoint that can catch up
  for (int i = 0; i < 1000 && wal.checkpointer->rewinds() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(wal.checkpointer->rewinds() >= 1);  // more if it checkpoints again before the next commit
  wal.CommitOne();
  CHECK(wal.reported < 16);  // the next commit wrote at the WAL's start
}

}  // namespace
}  // namespace journeyd::storage
