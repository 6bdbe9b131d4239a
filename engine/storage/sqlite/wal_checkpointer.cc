#include "engine/storage/sqlite/wal_checkpointer.h"

#include <spdlog/spdlog.h>

#include "engine/base/thread_name.h"

namespace journeyd::storage {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(
    const std::filesystem::path& path, WalCheckpointerOptions options) {
  // A restart checkpoint waits for writers through the busy handler; a few seconds is plenty
  // for one group commit to finish.
  auto db = SqliteDb::Open(path, std::chrono::seconds(5));
  if (!db.ok()) return db.error();
  return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(std::move(*db), options));
}

WalCheckpointer::WalCheckpointer(std::unique_ptr<SqliteDb> db, WalCheckpointerOptions options)
    : db_(std::move(db)), options_(options) {
  thread_ = std::thread([this] {
    NameCurrentThread("wal checkpoint");
    Loop();
  });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void WalCheckpointer::OnCommit(int wal_pages) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    wal_pages_ = wal_pages;
    wake = wal_pages >= options_.checkpoint_pages;
  }
  if (wake) wake_.notify_one();
}

void WalCheckpointer::Loop() {
  std::unique_lock lock(mu_);
  auto last = std::chrono::steady_clock::time_point{};
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || wal_pages_ >= options_.checkpoint_pages; });
    if (stopping_) return;
    // Commits meanwhile only raise wal_pages_; the floor's wait ends early only to stop or
    // when the WAL reaches the hard limit.
    wake_.wait_until(lock, last + options_.min_interval, [&] {
      return stopping_ || wal_pages_ >= options_.hard_limit_pages;
    });
    if (stopping_) return;
    const bool restart = wal_pages_ >= options_.hard_limit_pages;
    wal_pages_ = 0;  // the next commit reports the size afresh
    lock.unlock();
    last = std::chrono::steady_clock::now();
    auto result = db_->Checkpoint(restart ? SqliteDb::CheckpointMode::kRestart
                                          : SqliteDb::CheckpointMode::kPassive);
    if (!result.ok()) {
      spdlog::warn("WAL checkpoint failed: {}", result.error().message);
    } else {
      checkpoints_.fetch_add(1, std::memory_order_relaxed);
      // A WAL rewinds only when a writer begins while every frame is in the database file and
      // no reader uses the WAL. Under steady reads and writes that moment is rare, and the WAL
      // grew towards the hard limit, whose restart stalls writers for a long copy. A restart
      // attempt right after a passive checkpoint that caught up has almost nothing to copy,
      // and gives up at once when anyone is busy.
      if (!restart && result->wal_frames >= options_.rewind_pages &&
          result->checkpointed == result->wal_frames) {
        auto rewound = db_->Checkpoint(SqliteDb::CheckpointMode::kTryRestart);
        if (rewound.ok() && !rewound->busy) rewinds_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    lock.lock();
  }
}

}  // namespace journeyd::storage
