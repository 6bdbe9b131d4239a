// JourneyStage is the step after identity: it takes placed records in id order, keeps one
// touchpoint per real-world event (idempotency keys, cross-source de-duplication rules), moves
// each profile's journey forward, and stores touchpoints, journey state, transitions and the
// actions they trigger with its cursor in one transaction per batch. It also recomputes the
// profiles identity merged or split (from their touchpoints, in the order they occurred) and,
// every inactivity.check_every, the profiles whose journey time alone changes (at_risk,
// churned, decaying scores). It runs on its own thread; RunOnce lets a command drive it.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "engine/base/clock.h"
#include "engine/base/result.h"
#include "engine/base/work_signal.h"
#include "engine/cluster/cluster_leases.h"
#include "engine/journey/action_planner.h"
#include "engine/journey/journey_evaluator.h"
#include "engine/pipeline/identity_stage.h"
#include "engine/pipeline/mapping_stage.h"
#include "engine/pipeline/stage_loop.h"
#include "engine/storage/store.h"

namespace journeyd::pipeline {

struct JourneyStageOptions {
  int batch = 512;                          // records per transaction
  std::chrono::milliseconds idle_poll{50};  // how often an idle stage looks for new records
  cluster::WorkGate gate;  // the "journey" lease when instances share a database
  WorkSignal* input = nullptr;   // identity committed: wakes the stage at once (null: polls only)
  WorkSignal* output = nullptr;  // notified after each commit (touchpoints, stages, actions)
};

class JourneyStage {
 public:
  JourneyStage(storage::Store& store, journey::JourneyDefinitionPtr definition,
               const Clock& clock, JourneyStageOptions options);
  ~JourneyStage();  // Stop()s

  void Start();
  void Stop();
  // Recomputes what identity changed, takes one batch of records and, when due, re-checks the
  // profiles time changes; on the caller's thread. How many items it dealt with.
  Result<int> RunOnce();
  // Re-checks every profile whose journey time alone may have changed by now, whatever the
  // interval; how many.
  Result<int> CheckDue();

  struct Counters {
    int64_t records = 0, touchpoints = 0, duplicates = 0, merged = 0, transitions = 0,
            actions = 0, recomputed = 0, actions_too_old = 0;
  };
  Counters counters() const;

 private:
  class Batch;
  Status Load();
  Result<int> RunLocked(bool force_due);

  storage::Store& store_;
  const journey::JourneyDefinitionPtr def_;
  const journey::JourneyEvaluator evaluator_;
  const journey::ActionPlanner planner_;
  const Clock& clock_;
  const JourneyStageOptions options_;
  std::mutex run_mu_;
  bool loaded_ = false;          // GUARDED_BY(run_mu_)
  int64_t cursor_ = 0;           // GUARDED_BY(run_mu_)
  int64_t next_touchpoint_ = 1;  // GUARDED_BY(run_mu_)
  std::optional<std::chrono::steady_clock::time_point> last_due_check_;  // GUARDED_BY(run_mu_)
  std::atomic<int64_t> records_{0}, touchpoints_{0}, duplicates_{0}, merged_{0},
      transitions_{0}, actions_{0}, recomputed_{0}, too_old_{0};
  StageLoop loop_;
};

// Runs the three stages on the caller's thread until none finds anything: everything in the
// inbox is then mapped, resolved and on its journey. Safe while their threads run too.
Status RunUntilIdle(MappingStage& mapping, IdentityStage& identity, JourneyStage& journey);

}  // namespace journeyd::pipeline
