// The composition root: the one place that builds the daemon's parts and wires them together.
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "connectors/builtin.h"
#include "daemon/commands/commands.h"
#include "daemon/config_holder.h"
#include "daemon/daemon_metrics.h"
#include "daemon/lifecycle.h"
#include "daemon/logging.h"
#include "daemon/routes/delivery_api.h"
#include "daemon/routes/status_api.h"
#include "daemon/routes/status_page.h"
#include "daemon/routes/health_routes.h"
#include "daemon/routes/intake_routes.h"
#include "daemon/routes/issues_api.h"
#include "daemon/routes/journey_api.h"
#include "daemon/routes/metrics_route.h"
#include "daemon/routes/profiles_api.h"
#include "daemon/routes/quarantine_api.h"
#include "daemon/routes/runs_api.h"
#include "daemon/server/http_server.h"
#include "daemon/systemd_notifier.h"
#include "engine/base/thread_name.h"
#include "engine/base/work_signal.h"
#include "engine/cluster/cluster_leases.h"
#include "engine/delivery/delivery_service.h"
#include "engine/ingest/inbox_writer.h"
#include "engine/pipeline/identity_stage.h"
#include "engine/pipeline/journey_stage.h"
#include "engine/pipeline/mapping_stage.h"
#include "engine/poll/scheduler.h"
#include "engine/storage/data_dir_lock.h"
#include "engine/storage/store.h"

namespace journeyd::commands {

namespace {

// Settings that a reload cannot change in a running process: say so instead of ignoring them.
void WarnAboutRestartOnlyChanges(const config::Config& old_config,
                                 const config::Config& new_config) {
  if (!(old_config.server.listen == new_config.server.listen)) {
    spdlog::warn("reload: server.listen changed; restart journeyd to apply it");
  }
  if (old_config.server.threads != new_config.server.threads) {
    spdlog::warn("reload: server.threads changed; restart journeyd to apply it");
  }
  if (old_config.ingest.backlog_high_water != new_config.ingest.backlog_high_water ||
      old_config.ingest.max_batch != new_config.ingest.max_batch ||
      !(old_config.ingest.compress_above == new_config.ingest.compress_above)) {
    spdlog::warn("reload: ingest settings changed; restart journeyd to apply them");
  }
  if (old_config.storage.url != new_config.storage.url ||
      old_config.data_dir != new_config.data_dir) {
    spdlog::warn("reload: storage location changed; restart journeyd to apply it");
  }
  // The identity graph judges every record by one set of rules; a change mid-run would judge
  // old and new records differently.
  if (!(old_config.identity == new_config.identity)) {
    spdlog::warn("reload: identity rules changed; restart journeyd to apply them (they will "
                 "judge new records only)");
  }
  bool targets_changed = old_config.targets.size() != new_config.targets.size();
  for (size_t i = 0; !targets_changed && i < old_config.targets.size(); ++i) {
    targets_changed = old_config.targets[i].name != new_config.targets[i].name ||
                      old_config.targets[i].type != new_config.targets[i].type ||
                      !(old_config.targets[i].delivery == new_config.targets[i].delivery);
  }
  if (targets_changed) {
    spdlog::warn("reload: targets changed; restart journeyd to deliver under the new ones");
  }
  if (!(old_config.journey == new_config.journey)) {
    spdlog::warn("reload: the journey definition changed; restart journeyd to apply it");
  }
}

// Where scripts and tests find the bound address when the config asked for port 0.
void WriteAddressFile(const std::filesystem::path& data_dir, const std::string& address) {
  const auto path = data_dir / "journeyd.addr";
  const auto temp = data_dir / "journeyd.addr.tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << address << "\n";
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);  // atomic: a reader never sees half a line
}

}  // namespace

int Run(const GlobalOptions& global, const RunOptions& options) {
  Registry registry;
  RegisterBuiltinConnectors(registry);
  SystemClock clock;
  config::ConfigOverrides overrides;
  overrides.listen = options.listen;
  if (global.data_dir) overrides.data_dir = global.data_dir;

  auto initial = LoadForCommand(global, overrides, registry, clock);
  if (!initial) {
    std::cerr << "journeyd: not starting: the config has errors (see above)\n";
    return 1;
  }
  ConfigureLogging(initial->log);
  ConfigHolder config(initial);

  auto lock = storage::DataDirLock::Acquire(initial->data_dir);
  if (!lock.ok()) {
    spdlog::error("{}", lock.error().message);
    return 1;
  }
  auto store = storage::OpenStore(*initial);
  if (!store.ok()) {
    spdlog::error("cannot open storage: {}", store.error().message);
    return 1;
  }
  auto run = (*store)->RecordStart(JOURNEYD_VERSION, clock.Now());
  if (!run.ok()) {
    spdlog::error("cannot record start: {}", run.error().message);
    return 1;
  }
  if (run->previous_run_unclean) {
    spdlog::warn("the previous run did not stop cleanly (crash, kill or power loss); "
                 "acknowledged events are safe in the store");
  }

  // What /metrics shows; declared before everything that counts into it, so it outlives them.
  observability::Registry metrics;
  server::HttpMetrics http_metrics(metrics);

  // Each step of the pipeline wakes the next when it has committed work, rather than leave it
  // to its idle poll. Declared before everything that notifies or waits on them.
  WorkSignal inbox_stored, records_mapped, profiles_resolved, journey_placed;

  ingest::InboxWriterOptions inbox_options;
  inbox_options.metrics = &metrics;
  inbox_options.stored = &inbox_stored;
  inbox_options.backlog_high_water = initial->ingest.backlog_high_water;
  inbox_options.max_batch = static_cast<size_t>(initial->ingest.max_batch);
  inbox_options.compress_above = initial->ingest.compress_above.bytes;
  ingest::InboxWriter inbox(**store, inbox_options);

  // Several instances may share one database (PostgreSQL): any of them ingests, and each stage,
  // target and polled source runs on the one instance holding its lease (docs/scaling.md).
  // Declared before the stages, so that it outlives them and gives its leases up last.
  // On SQLite the data dir lock already makes this the only instance, and a restart after a
  // crash must not wait for the dead process's leases to expire: one fixed holder.
  cluster::ClusterLeases leases(
      **store, initial->storage.location.backend == config::StorageBackend::kSqlite
                   ? std::string("local")
                   : cluster::ClusterLeases::MakeHolderId(),
      initial->storage.lease_ttl);
  leases.Start();
  const auto gate_of = [&leases](std::string name) { return leases.GateFor(std::move(name)); };

  // Mapping runs behind the inbox on its own thread, always under the config in force now.
  // No lease: every instance maps, each taking inbox rows no other is mapping.
  pipeline::MappingStageOptions mapping_options;
  mapping_options.input = &inbox_stored;
  mapping_options.output = &records_mapped;
  pipeline::MappingStage mapping_stage(
      **store,
      [&config](std::string_view source) {
        return pipeline::SourceMappingIn(*config.Get(), source);
      },
      clock, mapping_options, [&inbox](int64_t taken) { inbox.Processed(taken); });
  mapping_stage.Start();

  // Identity resolution behind mapping. Its rules are the ones in force at start: changing
  // identity rules under a live graph would judge old and new records differently, so that
  // takes a restart. Loaded here when this instance holds the stage, so that a broken store
  // stops the start; otherwise when the lease comes to it.
  pipeline::IdentityStageOptions identity_options;
  identity_options.gate = gate_of("identity");
  identity_options.input = &records_mapped;
  identity_options.output = &profiles_resolved;
  pipeline::IdentityStage identity_stage(**store, initial->identity, clock, identity_options);
  if (leases.Check("identity") != cluster::LeaseState::kNotHeld) {
    if (Status s = identity_stage.Load(); !s.ok()) {
      spdlog::error("cannot load the identity graph: {}", s.error().message);
      return 1;
    }
  }
  identity_stage.Start();

  // The journey behind identity, under the definition in force at start (like identity).
  pipeline::JourneyStageOptions journey_options;
  journey_options.gate = gate_of("journey");
  journey_options.input = &profiles_resolved;
  journey_options.output = &journey_placed;
  pipeline::JourneyStage journey_stage(**store, initial->journey_definition, clock,
                                       journey_options);
  journey_stage.Start();

  // Delivery behind the journey: one worker per target, each behind its own outbox cursor.
  delivery::DeliveryService delivery_service(*initial, **store, clock, gate_of,
                                             {&profiles_resolved, &journey_placed});
  delivery_service.Start();
  // Sync runs of polled sources, on their schedules and on demand; their pages go straight to
  // the inbox (each with its stream's cursor), behind which the pipeline is already running.
  poll::SyncRunnerOptions runner_options;
  runner_options.after_commit = [&inbox, &inbox_stored](int64_t stored) {
    inbox.StoredElsewhere(stored);
    if (stored > 0) inbox_stored.Notify();
  };
  runner_options.backpressure = [&inbox] { return inbox.OverHighWater(); };
  poll::Scheduler scheduler([&config] { return config.Get(); }, **store, clock,
                            std::move(runner_options), gate_of);
  scheduler.Start();
  RegisterDaemonMetrics(metrics,
                        {**store, config, &mapping_stage, &identity_stage, &journey_stage,
                         &delivery_service},
                        clock.Now());

  boost::asio::io_context io(initial->server.threads);
  server::Router router;
  routes::AddHealthRoutes(router, **store, config, &inbox);
  routes::AddIntakeRoutes(router, config, inbox, clock);
  routes::AddSourcesApi(router, config, **store);
  routes::AddIssuesApi(router, config, **store);
  routes::AddProfilesApi(router, config, **store);
  routes::AddQuarantineApi(router, config, **store);
  routes::AddJourneyApi(router, config, **store);
  routes::AddDeliveryApi(router, config, **store, &delivery_service);
  routes::AddMetricsRoute(router, metrics);
  routes::AddStatusApi(router, config, **store,
                       {JOURNEYD_VERSION, clock.Now(), &delivery_service, &scheduler, &inbox});
  routes::AddStatusPage(router, config);
  routes::AddRunsApi(router, config, **store, &scheduler);

  auto http =
      std::make_shared<server::HttpServer>(io, router, initial->server.limits, &http_metrics);
  auto bound = http->Listen(initial->server.listen);
  if (!bound.ok()) {
    spdlog::error("{}", bound.error().message);
    return 1;
  }
  const std::string address =
      (bound->address().is_v6() ? "[" + bound->address().to_string() + "]"
                                : bound->address().to_string()) +
      ":" + std::to_string(bound->port());
  WriteAddressFile(initial->data_dir, address);

  SystemdNotifier notifier;
  Lifecycle::Hooks hooks;
  hooks.reload = [&] {
    notifier.Reloading();
    spdlog::info("SIGHUP: reloading {}", global.config_file.string());
    config::Diagnostics diag;
    auto next = config::LoadConfig(global.config_file, registry, overrides, clock, diag);
    for (const auto& d : diag.entries()) {
      if (d.severity == config::Severity::kError) spdlog::error("{}", d.ToString());
      else spdlog::warn("{}", d.ToString());
    }
    if (!next) {
      spdlog::error("reload rejected ({} errors); still running on the previous config",
                    diag.error_count());
    } else {
      WarnAboutRestartOnlyChanges(*config.Get(), *next);
      SetLogLevel(next->log.level);
      if (!(next->journey == config.Get()->journey)) {
        // The journey stage keeps the definition it started with; so do the journey API and
        // the KPIs, or they would read stored journeys with the meanings of another one.
        auto kept = std::make_shared<config::Config>(*next);
        kept->journey = config.Get()->journey;
        kept->journey_definition = config.Get()->journey_definition;
        next = std::move(kept);
      }
      config.Set(std::move(next));
      spdlog::info("reload applied (config generation {})", config.generation());
    }
    notifier.Ready("serving on " + address);
  };
  hooks.drain = [&](std::function<void()> done) { http->Stop(std::move(done)); };
  hooks.finish = [&](bool drained_in_time) {
    // Every request answered so far was answered after its commit; this flushes the counters
    // of refused requests that are still queued.
    inbox.Stop();
    // A run under way stops at its next page; the pages it committed stay, and the next run
    // resumes after them.
    scheduler.Stop();
    // Requests waiting for an identity decision get their answer (the stage still runs).
    routes::DrainProfilesApi();
    mapping_stage.Stop();
    identity_stage.Stop();
    journey_stage.Stop();
    delivery_service.Stop();
    if (Status s = (*store)->RecordStop(run->run_id, clock.Now()); !s.ok()) {
      spdlog::error("cannot record stop: {}", s.error().message);
    }
    spdlog::info("stopped{}", drained_in_time ? "" : " (drain deadline passed)");
  };
  Lifecycle lifecycle(io, notifier, initial->server.shutdown_timeout, std::move(hooks));
  lifecycle.Start();

  spdlog::info("journeyd {} listening on {} ({} sources, {} targets, schema v{})",
               JOURNEYD_VERSION, address, initial->sources.size(), initial->targets.size(),
               (*store)->schema_version());
  notifier.Ready("serving on " + address);

  std::vector<std::thread> threads;
  for (int i = 1; i < initial->server.threads; ++i) {
    // The main thread keeps the process's name ("journeyd"); the others are named for top -H.
    threads.emplace_back([&io] {
      NameCurrentThread("http");
      io.run();
    });
  }
  io.run();
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace journeyd::commands
