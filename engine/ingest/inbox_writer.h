// InboxWriter makes accepted events durable before they are acknowledged, without paying one
// fsync per request: callers Submit from any thread; one writer thread takes everything queued
// (up to max_batch) and commits it in a single transaction, then runs each caller's callback.
// While one commit is on disk the next batch gathers, so batches grow with load and latency
// stays one commit at low load. Past the backlog high-water mark Submit refuses at once
// (kUnavailable) instead of growing without bound. With a metrics registry it reports how long
// events wait for their commit and how large the group commits are. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/clock.h"
#include "engine/base/compression.h"
#include "engine/base/result.h"
#include "engine/base/work_signal.h"
#include "engine/observability/metrics.h"
#include "engine/storage/store.h"

namespace journeyd::ingest {

struct InboxWriterOptions {
  size_t max_batch = 1024;                // events per transaction
  int64_t backlog_high_water = 1'000'000;  // unprocessed events before refusing new ones
  size_t compress_above = kCompressAboveDefault;  // bodies larger than this (bytes) are zstd'ed
  // How often the backlog kept in memory is checked against the store's count; a tenth of it
  // (at most a second) at half the high-water mark and above. See RecountIfDue.
  std::chrono::milliseconds recount_every{10'000};
  // Where journeyd_ingest_commit_seconds and journeyd_ingest_batch_events go; null: nowhere.
  // Must outlive the writer.
  observability::Registry* metrics = nullptr;
  // Notified after each commit that stored new events (wakes the mapping stage); null: none.
  // Must outlive the writer.
  WorkSignal* stored = nullptr;
};

// The stored form of one event: headers encoded, the body zstd-compressed when larger than
// `compress_above` bytes. Every way into the inbox (webhooks, sync runs, file imports) uses it.
storage::InboxRecord ToInboxRecord(const RawEvent& event, size_t compress_above);

struct SubmitOutcome {
  int stored = 0;
  int duplicates = 0;
};

// The inbox cannot be written (a full disk, a storage error): every commit since `since` has
// failed, so intake answers 503. Cleared by the next commit that succeeds.
struct CommitFailure {
  // The latest failed commit's error, e.g. "exec: disk full: database or disk is full".
  std::string message;
  std::chrono::system_clock::time_point since;  // when the first failed commit of the streak ran
  int64_t failed_commits = 0;
};

class InboxWriter {
 public:
  using Callback = std::function<void(Result<SubmitOutcome>)>;

  // `store` must outlive the writer. Reads the current backlog from the store.
  InboxWriter(storage::Store& store, InboxWriterOptions options);
  ~InboxWriter();  // Stop()s

  // Queues `events` (all from requests that reached `source`); `done` runs on the writer thread
  // after the commit, or at once with kUnavailable when the backlog is over the mark or the
  // writer is stopped. Compression runs here, on the caller's thread.
  void Submit(std::string source, std::vector<RawEvent> events, Callback done);
  // Counts a refused request (and records its data-quality issue) in the next commit; `done`
  // runs after that commit (or at once when stopped), so the refusal can be answered only when
  // the counters a client might read next already show it.
  void RecordRejection(storage::IntakeRejection rejection, std::function<void()> done = {});

  // The mapping stage took `count` events: they no longer count towards the backlog.
  void Processed(int64_t count);
  // `count` events reached the inbox another way (a sync run's page): they count towards it.
  void StoredElsewhere(int64_t count);
  // True while the backlog is at or over the high-water mark (webhooks are refused then).
  bool OverHighWater() const;
  // Set while the latest commit failed (webhooks are answered 503 then): what /readyz and the
  // status page report. Storage recovers by itself (free space and the next commit succeeds);
  // nothing here blocks a later Submit.
  std::optional<CommitFailure> Failing() const;

  // Commits everything queued, then stops the thread. Later Submits fail with kUnavailable.
  void Stop();

 private:
  struct Pending {
    std::string source;
    std::vector<RawEvent> events;
    std::vector<storage::InboxRecord> records;
    Callback done;
    std::chrono::steady_clock::time_point submitted;  // when Submit was called
  };
  void Loop();
  struct PendingRejection {
    storage::IntakeRejection rejection;
    std::function<void()> done;
  };
  void CommitBatch(std::vector<Pending>& batch, std::vector<PendingRejection>& rejections);
  // Writer thread: replaces the backlog kept in memory with the store's count when due.
  void RecountIfDue();

  storage::Store& store_;
  const InboxWriterOptions options_;
  observability::Histogram* commit_seconds_ = nullptr;  // per stored event; null: no metrics
  observability::Histogram* batch_events_ = nullptr;    // per commit that wrote events

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;                           // GUARDED_BY(mu_)
  size_t queued_events_ = 0;                            // GUARDED_BY(mu_)
  std::vector<PendingRejection> rejections_;          // GUARDED_BY(mu_)
  int64_t backlog_ = 0;                                 // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point recounted_;     // writer thread only
  bool stopping_ = false;                               // GUARDED_BY(mu_)
  std::optional<CommitFailure> failing_;                // GUARDED_BY(mu_)
  // Writer thread only: when a failing streak was last logged (it logs its first failure,
  // then at most every kFailureLogInterval, so a full disk cannot flood the log).
  std::chrono::steady_clock::time_point failure_logged_{};
  std::thread thread_;
};

}  // namespace journeyd::ingest
