// The figures GET /metrics shows besides the HTTP server's and the inbox's own: the build and
// start time, the pipeline stages' and delivery workers' counters (this run), and the store's
// totals (every run: they survive restarts), all read at scrape time so that the stages need no
// hooks of their own. Labels are source, target and issue-kind names only, never personal data.
#pragma once

#include <chrono>

#include "daemon/config_holder.h"
#include "engine/delivery/delivery_service.h"
#include "engine/observability/metrics.h"
#include "engine/pipeline/identity_stage.h"
#include "engine/pipeline/journey_stage.h"
#include "engine/pipeline/mapping_stage.h"
#include "engine/storage/store.h"

namespace journeyd {

// What the collectors read. Everything must outlive the registry's last render; a null stage is
// not reported.
struct MetricsSources {
  storage::Store& store;
  const ConfigHolder& config;
  const pipeline::MappingStage* mapping = nullptr;
  const pipeline::IdentityStage* identity = nullptr;
  const pipeline::JourneyStage* journey = nullptr;
  const delivery::DeliveryService* delivery = nullptr;
};

// Registers journeyd_build_info, journeyd_start_time_seconds and the scrape-time collectors
// (docs/metrics.md lists them all).
void RegisterDaemonMetrics(observability::Registry& registry, const MetricsSources& sources,
                           std::chrono::system_clock::time_point started);

}  // namespace journeyd
