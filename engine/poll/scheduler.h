// Scheduler starts each polled source's sync runs when its schedule says, and on demand (the
// admin API, `journeyd sync`). It never runs two syncs of one source at once: a run that is
// due while the last is still going is skipped, and a manual trigger then is refused. At start,
// a source whose schedule fired while journeyd was down runs once (catch_up), as does one that
// never ran. Each run has a thread of its own; Stop ends their waits at once and joins them.
// It reads the current config at each turn, so a reload's schedules apply from the next run.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/clock.h"
#include "engine/base/result.h"
#include "engine/config/config.h"
#include "engine/poll/run_control.h"
#include "engine/poll/sync_runner.h"
#include "engine/cluster/cluster_leases.h"
#include "engine/storage/store.h"

namespace journeyd::poll {

struct SourceSchedule {
  std::string source;
  std::string schedule;  // as configured; "" for manual-only sources
  std::optional<std::chrono::system_clock::time_point> next_run;
  int64_t running_run_id = 0;  // 0: idle
};

class Scheduler {
 public:
  using ConfigSnapshot = std::function<std::shared_ptr<const config::Config>()>;

  // `gate_of` names a source's lease ("poll:<source>") when instances share a database: a run,
  // scheduled or manual, starts only on the instance holding it. Empty: every run may start.
  using GateOf = std::function<cluster::WorkGate(std::string name)>;
  Scheduler(ConfigSnapshot config, storage::Store& store, const Clock& clock,
            SyncRunnerOptions runner = {}, GateOf gate_of = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void Start();
  // Stops the scheduling thread and every run under way (their committed pages stay).
  void Stop();

  // Starts a run of `source` now; returns it as started (status running). kNotFound: no such
  // source; kInvalidArgument: it has no poll section; kConflict: a run of it is under way (the
  // message names it), or another instance holds the source's lease.
  Result<storage::SyncRun> Trigger(std::string_view source, std::string trigger = "manual");

  // Blocks until `source` has no run under way; returns the last run it finished, if any.
  std::optional<storage::SyncRun> WaitUntilIdle(std::string_view source);

  std::vector<SourceSchedule> Schedules() const;

 private:
  struct Running {
    int64_t run_id = 0;
    std::shared_ptr<RunControl> control;
    std::thread thread;
    bool finished = false;
  };
  struct Planned {
    std::string schedule_key;  // expression + zone the next time was computed for
    std::chrono::system_clock::time_point next;
  };

  void Loop();
  // REQUIRES: mu_ held.
  Result<storage::SyncRun> StartLocked(const config::SourceEntry& source, std::string trigger,
                                       std::shared_ptr<const config::Config> config);
  void ReapLocked();
  // Whether this instance holds the source's lease (always, without a gate). REQUIRES: mu_.
  bool MayRunLocked(const std::string& source);
  std::chrono::system_clock::time_point NextFire(const PollSettings& poll,
                                                 std::chrono::system_clock::time_point after);
  // When each polled source should first run: now for a missed run (catch_up) or a first run.
  void PlanInitialRuns(const config::Config& config);

  ConfigSnapshot config_;
  storage::Store& store_;
  const Clock& clock_;
  SyncRunner runner_;
  const GateOf gate_of_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable run_finished_;
  bool stopping_ = false;                                     // GUARDED_BY(mu_)
  std::map<std::string, Running, std::less<>> running_;       // GUARDED_BY(mu_)
  std::map<std::string, Planned, std::less<>> planned_;       // GUARDED_BY(mu_)
  std::map<std::string, storage::SyncRun, std::less<>> last_; // GUARDED_BY(mu_)
  std::map<std::string, cluster::WorkGate, std::less<>> gates_; // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace journeyd::poll
