#include "daemon/daemon_metrics.h"

#include <spdlog/spdlog.h>

#include <map>
#include <string>
#include <vector>

#include "engine/mapping/mapping.h"

namespace journeyd {

namespace {

using observability::CollectedSamples;
using observability::FamilySpec;
using observability::MetricType;

double Value(int64_t n) { return static_cast<double>(n); }

// A failed read leaves its families empty for this scrape: a gap in the graph says more than a
// zero would. The message names the figure, never data.
template <class T>
bool Readable(const Result<T>& result, std::string_view what) {
  if (result.ok()) return true;
  spdlog::warn("metrics: cannot read {}: {}", what, result.error().message);
  return false;
}

bool IsMappingError(std::string_view kind) {
  return kind == mapping::kIssueMissingField || kind == mapping::kIssueUnmappedEvent ||
         kind == mapping::kIssueBadPayload;
}

void AddIntakeCollectors(observability::Registry& registry, const MetricsSources& sources) {
  storage::Store& store = sources.store;
  const ConfigHolder& config = sources.config;
  registry.AddCollector(
      {{"journeyd_webhook_requests_total",
        "Intake per configured source and outcome, over every run: accepted, duplicate and "
        "suppressed count events; rejected and signature_failure count refused requests.",
        MetricType::kCounter,
        {"source", "outcome"}}},
      [&store, &config](CollectedSamples& out) {
        auto stats = store.ListSourceStats();
        if (!Readable(stats, "source stats")) return;
        for (const auto& source : config.Get()->sources) {
          storage::SourceStats s;
          for (const auto& row : *stats) {
            if (row.source == source.name) s = row;
          }
          out.Add(0, {source.name, "accepted"}, Value(s.accepted));
          out.Add(0, {source.name, "duplicate"}, Value(s.duplicates));
          out.Add(0, {source.name, "rejected"}, Value(s.rejected));
          out.Add(0, {source.name, "signature_failure"}, Value(s.signature_failures));
          out.Add(0, {source.name, "suppressed"}, Value(s.suppressed));
        }
      });
  registry.AddCollector(
      {{"journeyd_inbox_backlog", "Events stored in the inbox and not yet taken by mapping.",
        MetricType::kGauge,
        {}}},
      [&store](CollectedSamples& out) {
        auto pending = store.CountPendingInbox();
        if (!Readable(pending, "inbox backlog")) return;
        out.Add(0, {}, Value(*pending));
      });
}

void AddGovernanceCollectors(observability::Registry& registry, const MetricsSources& sources) {
  storage::Store& store = sources.store;
  registry.AddCollector(
      {{"journeyd_data_quality_issues_total",
        "Data-quality issues recorded, by kind, over every run.", MetricType::kCounter,
        {"kind"}},
       {"journeyd_mapping_errors_total",
        "Events whose mapping failed (missing field, unmapped event, bad payload), by source, "
        "over every run; they wait in quarantine.",
        MetricType::kCounter,
        {"source"}}},
      [&store](CollectedSamples& out) {
        auto counts = store.CountIssues({});
        if (!Readable(counts, "issue counts")) return;
        std::map<std::string, int64_t> by_kind, errors_by_source;
        for (const auto& c : *counts) {
          by_kind[c.kind] += c.count;
          if (IsMappingError(c.kind)) errors_by_source[c.source] += c.count;
        }
        for (const auto& [kind, n] : by_kind) out.Add(0, {kind}, Value(n));
        for (const auto& [source, n] : errors_by_source) out.Add(1, {source}, Value(n));
      });
  registry.AddCollector(
      {{"journeyd_quarantined_records",
        "Events waiting in quarantine now (neither released nor discarded).", MetricType::kGauge,
        {}}},
      [&store](CollectedSamples& out) {
        auto open = store.CountOpenWork();
        if (!Readable(open, "quarantine")) return;
        out.Add(0, {}, Value(open->quarantined));
      });
}

void AddDeliveryCollectors(observability::Registry& registry, const MetricsSources& sources) {
  storage::Store& store = sources.store;
  const ConfigHolder& config = sources.config;
  enum : size_t { kPending, kDelivered, kRequests, kFailures, kDeadNow, kDeadTotal };
  registry.AddCollector(
      {{"journeyd_outbox_pending", "Outbox changes a target has not read yet.",
        MetricType::kGauge,
        {"target"}},
       {"journeyd_deliveries_total", "Changes a target acknowledged, over every run.",
        MetricType::kCounter,
        {"target"}},
       {"journeyd_delivery_requests_total", "Requests sent to a target, over every run.",
        MetricType::kCounter,
        {"target"}},
       {"journeyd_delivery_failures_total",
        "Requests to a target that failed (no answer or an error status), over every run.",
        MetricType::kCounter,
        {"target"}},
       {"journeyd_dead_letters", "Dead letters of a target waiting for replay or discard now.",
        MetricType::kGauge,
        {"target"}},
       {"journeyd_dead_lettered_total", "Changes a target refused for good, over every run.",
        MetricType::kCounter,
        {"target"}}},
      [&store, &config](CollectedSamples& out) {
        std::vector<std::string> names;
        for (const auto& t : config.Get()->targets) names.push_back(t.name);
        if (names.empty()) return;
        auto stats = store.ListDeliveryStats(names);
        if (!Readable(stats, "delivery stats")) return;
        for (const auto& s : *stats) {
          out.Add(kPending, {s.target}, Value(s.pending));
          out.Add(kDelivered, {s.target}, Value(s.delivered));
          out.Add(kRequests, {s.target}, Value(s.requests));
          out.Add(kFailures, {s.target}, Value(s.failures));
          out.Add(kDeadNow, {s.target}, Value(s.dead_now));
          out.Add(kDeadTotal, {s.target}, Value(s.dead));
        }
      });
}

// This run's counters of the stages, read from their atomics.
void AddStageCollectors(observability::Registry& registry, const MetricsSources& sources) {
  if (const pipeline::MappingStage* stage = sources.mapping) {
    registry.AddCollector(
        {{"journeyd_mapping_records_total", "Canonical records mapped from events, this run.",
          MetricType::kCounter,
          {}},
         {"journeyd_mapping_ignored_total",
          "Events a mapping ignored on purpose (ignore:, a false when:), this run.",
          MetricType::kCounter,
          {}},
         {"journeyd_quarantine_total",
          "Events sent to quarantine (mapping failed or a reject rule), this run.",
          MetricType::kCounter,
          {}}},
        [stage](CollectedSamples& out) {
          const auto c = stage->counters();
          out.Add(0, {}, Value(c.records));
          out.Add(1, {}, Value(c.ignored));
          out.Add(2, {}, Value(c.quarantined));
        });
  }
  if (const pipeline::IdentityStage* stage = sources.identity) {
    registry.AddCollector(
        {{"journeyd_identity_records_total", "Records placed on a profile, this run.",
          MetricType::kCounter,
          {}},
         {"journeyd_identity_merges_total", "Profile merges, this run.", MetricType::kCounter,
          {}},
         {"journeyd_identity_profiles_created_total", "Profiles created, this run.",
          MetricType::kCounter,
          {}},
         {"journeyd_identity_reviews_total", "Possible duplicates queued for review, this run.",
          MetricType::kCounter,
          {}}},
        [stage](CollectedSamples& out) {
          const auto c = stage->counters();
          out.Add(0, {}, Value(c.records));
          out.Add(1, {}, Value(c.merges));
          out.Add(2, {}, Value(c.profiles));
          out.Add(3, {}, Value(c.reviews));
        });
  }
  if (const pipeline::JourneyStage* stage = sources.journey) {
    registry.AddCollector(
        {{"journeyd_journey_touchpoints_total", "Touchpoints recorded, this run.",
          MetricType::kCounter,
          {}},
         {"journeyd_journey_transitions_total",
          "Journey transitions (stage, side, threshold), this run.", MetricType::kCounter,
          {}},
         {"journeyd_journey_actions_total", "Journey actions planned, this run.",
          MetricType::kCounter,
          {}}},
        [stage](CollectedSamples& out) {
          const auto c = stage->counters();
          out.Add(0, {}, Value(c.touchpoints));
          out.Add(1, {}, Value(c.transitions));
          out.Add(2, {}, Value(c.actions));
        });
  }
  if (const delivery::DeliveryService* service = sources.delivery) {
    registry.AddCollector(
        {{"journeyd_delivery_retries_total", "Delivery requests sent again after a failure, this run.",
          MetricType::kCounter,
          {"target"}},
         {"journeyd_delivery_lag_seconds",
          "Seconds from an outbox change to its acknowledgement, over recent deliveries "
          "(quantile 0.5 and 0.99).",
          MetricType::kGauge,
          {"target", "quantile"}},
         {"journeyd_delivery_found_in_doubt_total",
          "Items whose request went unanswered or was cut short by a crash, that the target "
          "turned out to have already (so they were not sent twice), this run.",
          MetricType::kCounter,
          {"target"}}},
        [service](CollectedSamples& out) {
          for (const auto& worker : service->workers()) {
            const auto c = worker->counters();
            const std::string& target = worker->target_name();
            out.Add(0, {target}, Value(c.retries));
            const auto seconds = [](std::chrono::milliseconds ms) {
              return std::chrono::duration<double>(ms).count();
            };
            if (c.lag_p50) out.Add(1, {target, "0.5"}, seconds(*c.lag_p50));
            if (c.lag_p99) out.Add(1, {target, "0.99"}, seconds(*c.lag_p99));
            out.Add(2, {target}, Value(c.found_in_doubt));
          }
        });
  }
}

}  // namespace

void RegisterDaemonMetrics(observability::Registry& registry, const MetricsSources& sources,
                           std::chrono::system_clock::time_point started) {
  registry.AddGaugeFamily("journeyd_build_info", "Always 1; the version as a label.", {"version"})
      .WithLabels({JOURNEYD_VERSION})
      .Set(1);
  registry
      .AddGauge("journeyd_start_time_seconds", "When this process started, in Unix seconds.")
      .Set(std::chrono::duration<double>(started.time_since_epoch()).count());
  AddIntakeCollectors(registry, sources);
  AddGovernanceCollectors(registry, sources);
  AddDeliveryCollectors(registry, sources);
  AddStageCollectors(registry, sources);
  storage::Store& store = sources.store;
  registry.AddCollector(
      {{"journeyd_sync_runs_total",
        "Sync runs (CSV imports; scheduled and manual polls), by source, trigger and status, "
        "over every run.",
        MetricType::kCounter,
        {"source", "trigger", "status"}}},
      [&store](CollectedSamples& out) {
        auto counts = store.CountSyncRuns();
        if (!Readable(counts, "sync runs")) return;
        for (const auto& c : *counts) out.Add(0, {c.source, c.trigger, c.status}, Value(c.count));
      });
}

}  // namespace journeyd
