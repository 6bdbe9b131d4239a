// SyncRunner performs one sync run of one source: each of its HTTP streams page by page, or the
// new files of its drop directory, committing every page of records to the inbox together with
// the stream's new state, so that a crash at any point resumes at the last committed page with
// nothing missed and nothing stored twice. The run is recorded in sync_runs (pages, records,
// duplicates, errors, cursors before and after). The caller has already started the run row;
// the runner finishes it. Thread-compatible: one run per source at a time (the scheduler's job).
#pragma once

#include <functional>
#include <string>

#include "engine/base/clock.h"
#include "engine/base/compression.h"
#include "engine/config/config.h"
#include "engine/delivery/http_transport.h"
#include "engine/poll/run_control.h"
#include "engine/storage/store.h"

namespace journeyd::poll {

struct SyncRunnerOptions {
  // Called after each committed page with the events it stored (the daemon counts them into
  // the ingest backlog).
  std::function<void(int64_t stored)> after_commit;
  // While this says true (the ingest backlog is over its high-water mark), the run waits before
  // its next page instead of piling more into the inbox; webhooks are refused meanwhile too.
  std::function<bool()> backpressure;
  delivery::TransportOptions transport;
  size_t compress_above = kCompressAboveDefault;  // ingest.compress_above, as for webhooks
};

class SyncRunner {
 public:
  SyncRunner(storage::Store& store, const Clock& clock, SyncRunnerOptions options = {});

  // Runs `source` (REQUIRES: source.poll) and finishes `run` (its id from StartSyncRun) as
  // succeeded or failed; returns it as stored. A stop through `control` fails the run with
  // "stopped"; the pages committed so far stay, and the next run resumes after them.
  storage::SyncRun Run(const config::SourceEntry& source, storage::SyncRun run,
                       RunControl& control);

  // The cursors of a source's streams as one line for sync_runs ("customers=...; orders=...").
  Result<std::string> DescribeCursors(const config::SourceEntry& source);

 private:
  Status RunStreams(const config::SourceEntry& source, storage::SyncRun& run,
                    RunControl& control);
  Status RunDropDirectory(const config::SourceEntry& source, storage::SyncRun& run);

  storage::Store& store_;
  const Clock& clock_;
  SyncRunnerOptions options_;
};

}  // namespace journeyd::poll
