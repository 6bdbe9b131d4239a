#include "engine/storage/sqlite/wal_checkpointer.h"

#include <catch2/catch.hpp>
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
                                                    .hard_limit_pages = 1 << 20});
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

}  // namespace
}  // namespace journeyd::storage
