// IdentityStage is the step after mapping: it takes canonical records in id order, lets the
// identity graph place each on a customer profile (merging profiles as the rules allow), and
// stores every decision (placements, identifier owners, merges with their reasons, reviews,
// issues) with its cursor in one transaction per batch, so after a crash each record is
// resolved exactly once. The graph lives in memory and is rebuilt from the store by Load().
// It runs on its own thread; RunOnce lets a command (import) drive it directly.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "engine/base/clock.h"
#include "engine/base/result.h"
#include "engine/base/work_signal.h"
#include "engine/cluster/cluster_leases.h"
#include "engine/identity/identity_graph.h"
#include "engine/identity/identity_rules.h"
#include "engine/identity/match_model.h"
#include "engine/pipeline/mapping_stage.h"
#include "engine/pipeline/stage_loop.h"
#include "engine/storage/store.h"

namespace journeyd::config {
struct IdentitySettings;
}

namespace journeyd::pipeline {

struct IdentityStageOptions {
  int batch = 512;                          // records per transaction
  std::chrono::milliseconds idle_poll{50};  // how often an idle stage looks for new records
  // The "identity" lease when instances share a database: one resolves at a time, so a merge
  // is never decided twice; the graph is rebuilt when the lease comes (back) to this one.
  cluster::WorkGate gate;
  WorkSignal* input = nullptr;   // new records: wakes the stage at once (null: polls only)
  WorkSignal* output = nullptr;  // notified after each commit (profiles and their outbox rows)
};

class IdentityStage {
 public:
  IdentityStage(storage::Store& store, const config::IdentitySettings& settings,
                const Clock& clock, IdentityStageOptions options);
  ~IdentityStage();  // Stop()s

  // Rebuilds the graph from the store. Call before Start or RunOnce.
  Status Load();
  void Start();
  void Stop();
  // Carries out queued admin actions, then resolves one batch, on the caller's thread; how many
  // records it took.
  Result<int> RunOnce();
  // Carries out the queued admin actions (accept or reject a review, split a profile); how many.
  Result<int> ApplyActions();

  struct Counters {
    int64_t records = 0, profiles = 0, merges = 0, reviews = 0, issues = 0;
  };
  Counters counters() const;

 private:
  storage::IdentityActionOutcome Apply(const storage::IdentityAction& action);
  // Everything of one person leaves the graph; the outcome tells the store what to delete.
  storage::IdentityActionOutcome Erase(const storage::IdentityAction& action);

  storage::Store& store_;
  const Clock& clock_;
  const IdentityStageOptions options_;
  identity::IdentityRules rules_;
  std::unique_ptr<const config::IdentitySettings> settings_;  // for rebuilding the model
  std::unique_ptr<identity::MatchModel> model_;
  std::unique_ptr<identity::IdentityGraph> graph_;
  int64_t cursor_ = 0;
  bool loaded_ = false;  // false also after a failed commit: the graph is then rebuilt

  std::mutex run_mu_;
  std::atomic<int64_t> records_{0}, merges_{0}, reviews_{0}, issues_{0}, profiles_{0};
  StageLoop loop_;  // last: its thread stops before the members it uses go
};

// Waits until the identity stage (of this process or another) has carried out a queued action,
// polling the store, or until `timeout` passes: the action as it then stands, still "pending"
// on a timeout. For the API and the CLI, which queue actions and report their outcome.
// Runs both stages on the caller's thread until neither finds anything: everything in the
// inbox is then mapped and resolved. A stage's RunOnce waits for the batch its own thread has in
// flight, so this is safe while the threads run too (and, unlike watching their counters, does
// not race with their increments).
Status RunUntilIdle(MappingStage& mapping, IdentityStage& identity);

Result<storage::IdentityAction> AwaitIdentityAction(storage::Store& store, int64_t action_id,
                                                    std::chrono::milliseconds timeout);

}  // namespace journeyd::pipeline
