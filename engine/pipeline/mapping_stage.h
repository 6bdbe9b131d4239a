// MappingStage is the step after the inbox: it takes events that are durable but not yet
// mapped, maps each with its source's mapping, and governs the result: the validation rules
// run (a rejected record, like one whose mapping failed, goes to quarantine), and an event of
// an erased person is dropped. Records, issues, quarantine entries and the "taken" mark of
// every event are stored in one transaction, so that after a crash each event is mapped exactly
// once and every event ends somewhere: a record, quarantine, or counted as suppressed. It runs
// on its own thread, apart from the request path: intake never waits for mapping.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "engine/base/clock.h"
#include "engine/base/result.h"
#include "engine/base/work_signal.h"
#include "engine/config/config.h"
#include "engine/governance/record_rules.h"
#include "engine/governance/suppression.h"
#include "engine/mapping/mapping.h"
#include "engine/pipeline/stage_loop.h"
#include "engine/storage/store.h"

namespace journeyd::pipeline {

struct MappingStageOptions {
  int batch = 256;                              // events per transaction
  std::chrono::milliseconds idle_poll{50};      // how often an idle stage looks for new rows
  WorkSignal* input = nullptr;   // new inbox rows: wakes the stage at once (null: polls only)
  WorkSignal* output = nullptr;  // notified after each commit that stored records
};

// Where the stage finds the mapping of a source, under the configuration in force now (a
// SIGHUP may swap mappings while it runs).
struct SourceMapping {
  bool source_known = false;
  std::shared_ptr<const mapping::Mapping> mapping;  // null: the source has no mapping
  std::shared_ptr<const governance::RecordRules> rules;  // null: none
};
using MappingLookup = std::function<SourceMapping(std::string_view source)>;

// The mapping and rules `config` has for `source`.
SourceMapping SourceMappingIn(const config::Config& config, std::string_view source);

class MappingStage {
 public:
  // `on_processed(n)` runs after each commit that took n inbox events (the ingest backlog).
  MappingStage(storage::Store& store, MappingLookup lookup, const Clock& clock,
               MappingStageOptions options, std::function<void(int64_t)> on_processed = {});
  ~MappingStage();  // Stop()s

  void Start();
  // Finishes the batch under way; events not yet taken stay in the inbox for the next start.
  void Stop();
  // Maps one batch on the caller's thread; how many inbox events it took.
  Result<int> RunOnce();

  struct Counters {
    int64_t records = 0, issues = 0, ignored = 0, quarantined = 0, suppressed = 0;
  };
  Counters counters() const;

 private:
  // Reloads the suppression list when an erasure added to it. REQUIRES: run_mu_ held.
  Status RefreshSuppressions();
  // Maps `pending` into `batch` (records, issues, quarantine, suppressed, every id processed)
  // and counts what it made. REQUIRES: run_mu_ held.
  Counters MapBatch(const std::vector<storage::StoredInboxEvent>& pending,
                    storage::MappedBatch& batch);

  storage::Store& store_;
  MappingLookup lookup_;
  const Clock& clock_;
  const MappingStageOptions options_;
  std::function<void(int64_t)> on_processed_;

  std::mutex run_mu_;  // one batch at a time, whether from the thread or RunOnce
  std::atomic<int64_t> records_{0}, issues_{0}, ignored_{0}, quarantined_{0}, suppressed_{0};
  governance::SuppressionList suppressions_;  // GUARDED_BY(run_mu_)
  int64_t suppressions_seen_ = -1;            // GUARDED_BY(run_mu_); -1: never loaded
  StageLoop loop_;  // last: its thread stops before the members it uses go
};

}  // namespace journeyd::pipeline
