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
#include "engine/config/config.h"
#include "engine/delivery/http_transport.h"
#include "engine/poll/run_control.h"
#include "engine/storage/store.h"

namespace journeyd::poll {

class SyncRunner {
 public:
  // `after_commit` is called after each committed page with the events it stored (the daemon
  // counts them into the ingest backlog).
  // `compress_above`: ingest.compress_above, as for webhooks.
  SyncRunner(storage::Store& store, const Clock& clock,
             std::function<void(int64_t stored)> after_commit = {},
             delivery::TransportOptions transport = {}, size_t compress_above = 512);

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

  const size_t compress_above_;
  storage::Store& store_;
  const Clock& clock_;
  std::function<void(int64_t stored)> after_commit_;
  delivery::TransportOptions transport_;
};

}  // namespace journeyd::poll
