// WalCheckpointer copies the SQLite write-ahead log back into the database file on its own
// thread and connection. SQLite's default does this inside the commit that pushes the WAL past
// 1,000 pages, so one in every few hundred group commits stalls for a whole checkpoint (several
// MB written and fsync'ed) while webhook requests wait on it: that is the latency tail. Here the
// committing thread only signals; passive checkpoints never block a writer, and run at most
// once per min_interval. Past rewind_pages, a passive checkpoint that caught up is followed by
// a restart attempt that waits for nobody, so that the WAL rewinds under steady traffic. If
// writers still outrun it and the WAL passes the hard limit, a restart checkpoint waits for
// them so that the WAL cannot grow without bound.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/storage/sqlite/sqlite_db.h"

namespace journeyd::storage {

struct WalCheckpointerOptions {
  int checkpoint_pages = 1000;   // SQLite's own default threshold
  int hard_limit_pages = 65536;  // 256 MiB of 4 KiB pages
  // At most one passive checkpoint per interval. Once the WAL is past checkpoint_pages and
  // does not rewind, every commit crosses the threshold: without a floor the checkpointer ran
  // ~500 times a second, each copying a handful of pages and fsync'ing the database file.
  std::chrono::milliseconds min_interval{20};
  // From this size on, a passive checkpoint that caught up is followed by a restart attempt
  // that does not wait (kTryRestart), so that the WAL rewinds before the hard limit.
  int rewind_pages = 4096;  // 16 MiB
};

class WalCheckpointer {
 public:
  // Opens its own connection to `path` (which must already be in WAL mode).
  static Result<std::unique_ptr<WalCheckpointer>> Start(const std::filesystem::path& path,
                                                        WalCheckpointerOptions options = {});
  ~WalCheckpointer();  // finishes the checkpoint under way, then stops
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Called from the writer's commit hook: cheap, never blocks on I/O.
  void OnCommit(int wal_pages);

  int64_t checkpoints() const { return checkpoints_.load(std::memory_order_relaxed); }
  // Restart attempts that did rewind the WAL.
  int64_t rewinds() const { return rewinds_.load(std::memory_order_relaxed); }

 private:
  WalCheckpointer(std::unique_ptr<SqliteDb> db, WalCheckpointerOptions options);
  void Loop();

  std::unique_ptr<SqliteDb> db_;  // used only by the thread
  const WalCheckpointerOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  int wal_pages_ = 0;    // GUARDED_BY(mu_): the latest size reported by a commit
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::atomic<int64_t> checkpoints_{0};
  std::atomic<int64_t> rewinds_{0};
  std::thread thread_;
};

}  // namespace journeyd::storage
