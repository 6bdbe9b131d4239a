// DeliveryService runs one DeliveryWorker per configured target and forgets outbox rows every
// target has read. Targets are fixed at start, like the pipeline stages: a reload that changes
// them takes a restart, so a worker never sends under half-old settings.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/clock.h"
#include "engine/base/work_signal.h"
#include "engine/config/config.h"
#include "engine/delivery/delivery_worker.h"
#include "engine/pipeline/stage_loop.h"
#include "engine/storage/store.h"

namespace journeyd::delivery {

class DeliveryService {
 public:
  // The gate of a lease by name ("delivery:<target>"); empty: every worker always runs.
  using GateOf = std::function<cluster::WorkGate(std::string name)>;
  // `inputs`: signals of the stages that write the outbox (identity, journey); each wakes
  // every worker. Empty: the workers only poll.
  DeliveryService(const config::Config& config, storage::Store& store, const Clock& clock,
                  GateOf gate_of = {}, std::vector<WorkSignal*> inputs = {});
  ~DeliveryService();  // Stop()s

  void Start();
  void Stop();
  // Every worker, in turn, until none has anything left (tests and one-shot commands).
  Status RunUntilIdle();

  const std::vector<std::unique_ptr<DeliveryWorker>>& workers() const { return workers_; }
  const DeliveryWorker* Find(std::string_view target) const;

 private:
  Result<int> Prune();

  storage::Store& store_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<DeliveryWorker>> workers_;
  pipeline::StageLoop pruner_;
};

DeliveryPolicies PoliciesOf(const config::Config& config);

}  // namespace journeyd::delivery
