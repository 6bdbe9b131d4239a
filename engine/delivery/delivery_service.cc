#include "engine/delivery/delivery_service.h"

#include "engine/identity/golden_record.h"

namespace journeyd::delivery {

DeliveryPolicies PoliciesOf(const config::Config& config) {
  return {identity::MakeSurvivorshipPolicy(config.identity.survivorship),
          config.governance.consent, config.governance.pii.fields};
}

DeliveryService::DeliveryService(const config::Config& config, storage::Store& store,
                                 const Clock& clock, GateOf gate_of,
                                 std::vector<WorkSignal*> inputs)
    : store_(store),
      // Pruning is cheap and never urgent: once a minute is plenty.
      pruner_("outbox pruner", [this] { return Prune(); }, /*full=*/1 << 30,
              std::chrono::seconds(60)) {
  for (const config::TargetEntry& entry : config.targets) {
    names_.push_back(entry.name);
    workers_.push_back(std::make_unique<DeliveryWorker>(
        entry, store, PoliciesOf(config), clock,
        gate_of ? gate_of("delivery:" + entry.name) : cluster::WorkGate{}, inputs));
  }
}

DeliveryService::~DeliveryService() { Stop(); }

void DeliveryService::Start() {
  for (auto& w : workers_) w->Start();
  pruner_.Start();
}

void DeliveryService::Stop() {
  pruner_.Stop();
  for (auto& w : workers_) w->Stop();
}

Status DeliveryService::RunUntilIdle() {
  for (auto& w : workers_) {
    if (Status s = w->RunUntilIdle(); !s.ok()) return s;
  }
  if (auto pruned = Prune(); !pruned.ok()) return pruned.error();
  return OkStatus();
}

const DeliveryWorker* DeliveryService::Find(std::string_view target) const {
  for (const auto& w : workers_) {
    if (w->target_name() == target) return w.get();
  }
  return nullptr;
}

Result<int> DeliveryService::Prune() {
  auto pruned = store_.PruneOutbox(names_);
  if (!pruned.ok()) return pruned.error();
  return 0;  // never "full": the next prune waits its minute
}

}  // namespace journeyd::delivery
