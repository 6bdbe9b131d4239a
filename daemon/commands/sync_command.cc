// `journeyd sync SOURCE`: one sync run of a polled source now, through the whole pipeline.
// When journeyd is running on this data directory the run is the daemon's (asked for through
// its admin API, so it never overlaps a scheduled run); otherwise this process runs it, maps
// and resolves what it fetched, and exits. Either way the run is in GET /api/v1/runs. Exit 0
// when the run succeeded, 1 when it failed, 2 for a usage error.
#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "daemon/commands/commands.h"
#include "engine/delivery/http_transport.h"
#include "engine/pipeline/identity_stage.h"
#include "engine/pipeline/journey_stage.h"
#include "engine/pipeline/mapping_stage.h"
#include "engine/poll/scheduler.h"
#include "engine/storage/data_dir_lock.h"

namespace journeyd::commands {

namespace {

void PrintRun(const storage::SyncRun& run) {
  std::cout << "run " << run.id << " of " << run.source << ": " << run.status << ", " << run.pages
            << " pages, " << run.records << " new records, " << run.duplicates
            << " already stored, " << run.errors << " bad\n";
  if (!run.cursor_after.empty()) std::cout << "cursor: " << run.cursor_after << "\n";
  if (!run.detail.empty()) std::cout << run.detail << "\n";
}

// The daemon holds the data directory: ask it to run the sync and wait for the result.
int SyncThroughDaemon(const config::Config& config, const std::string& source) {
  std::string address;
  std::ifstream(config.data_dir / "journeyd.addr") >> address;
  if (address.empty()) {
    address = config.server.listen.host + ":" + std::to_string(config.server.listen.port);
  }
  const std::string base = "http://" + address;
  delivery::HttpTransport transport;
  const auto call = [&](std::string method, std::string path) {
    delivery::HttpRequest request;
    request.method = std::move(method);
    request.url = base + path;
    request.headers.emplace_back("Authorization",
                                 "Bearer " + config.server.admin_token.Reveal());
    return transport.Send(request);
  };
  delivery::HttpResponse started = call("POST", "/api/v1/sources/" + source + "/sync");
  if (started.status != 202) {
    std::cerr << "journeyd sync: journeyd is running on " << config.data_dir.string()
              << " and refused the run: "
              << (started.status == 0 ? started.transport_error
                                      : std::to_string(started.status) + " " + started.body)
              << "\n";
    return started.status == 409 || started.status == 404 || started.status == 422 ? 2 : 1;
  }
  const boost::json::value answer = boost::json::parse(started.body);
  const int64_t id = answer.at("run").at("id").as_int64();
  std::cout << "journeyd is running: it started run " << id << "\n";
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    delivery::HttpResponse runs = call("GET", "/api/v1/runs?source=" + source + "&limit=50");
    if (runs.status != 200) continue;
    boost::system::error_code ec;
    const boost::json::value list = boost::json::parse(runs.body, ec);
    if (ec || !list.is_object() || !list.as_object().contains("runs")) continue;
    for (const auto& item : list.at("runs").as_array()) {
      const auto& run = item.as_object();
      if (run.at("id").as_int64() != id || run.at("status").as_string() == "running") continue;
      storage::SyncRun done;
      done.id = id;
      done.source = source;
      done.status = std::string(run.at("status").as_string());
      done.pages = run.at("pages").as_int64();
      done.records = run.at("records").as_int64();
      done.duplicates = run.at("duplicates").as_int64();
      done.errors = run.at("errors").as_int64();
      done.cursor_after = std::string(run.at("cursor_after").as_string());
      done.detail = std::string(run.at("detail").as_string());
      PrintRun(done);
      return done.status == "succeeded" ? 0 : 1;
    }
  }
}

}  // namespace

int Sync(const GlobalOptions& global, const SyncOptions& options) {
  SystemClock clock;
  auto config = LoadWithBuiltins(global);
  if (!config) return 1;
  const config::SourceEntry* source = config->FindSource(options.source);
  if (source == nullptr) {
    std::cerr << "journeyd sync: no source named '" << options.source << "' in "
              << global.config_file.string() << "\n";
    return 2;
  }
  if (!source->poll) {
    std::cerr << "journeyd sync: source '" << options.source
              << "' has no poll: section, so there is nothing to sync\n";
    return 2;
  }
  auto lock = storage::DataDirLock::Acquire(config->data_dir);
  if (!lock.ok()) {
    if (lock.error().code == ErrorCode::kConflict) {
      if (options.reset) {
        std::cerr << "journeyd sync --reset: journeyd is running on " << config->data_dir.string()
                  << "; stop it first, so no run is under way while the cursors are reset\n";
        return 2;
      }
      return SyncThroughDaemon(*config, options.source);
    }
    std::cerr << "journeyd sync: " << lock.error().message << "\n";
    return 1;
  }
  storage::StorePtr store = OpenStoreFor(*config, "sync");
  if (!store) return 1;
  if (options.reset) {
    if (Status s = store->ResetPollState(source->name, ""); !s.ok()) {
      std::cerr << "journeyd sync: " << s.error().message << "\n";
      return 1;
    }
    std::cout << "forgot where " << source->name << "'s streams stood: reading from the start\n";
  }
  pipeline::MappingStage mapping(
      *store, [&config](std::string_view name) { return pipeline::SourceMappingIn(*config, name); },
      clock, {});
  pipeline::IdentityStage identity(*store, config->identity, clock, {});
  if (Status s = identity.Load(); !s.ok()) {
    std::cerr << "journeyd sync: cannot load the identity graph: " << s.error().message << "\n";
    return 1;
  }
  pipeline::JourneyStage journey(*store, config->journey_definition, clock, {});
  mapping.Start();
  identity.Start();
  journey.Start();
  poll::Scheduler scheduler([&config] { return config; }, *store, clock);
  auto started = scheduler.Trigger(source->name, "manual");
  int exit_code = 1;
  if (!started.ok()) {
    std::cerr << "journeyd sync: " << started.error().message << "\n";
  } else {
    auto done = scheduler.WaitUntilIdle(source->name);
    if (done) {
      PrintRun(*done);
      exit_code = done->status == "succeeded" ? 0 : 1;
    }
    if (Status s = pipeline::RunUntilIdle(mapping, identity, journey); !s.ok()) {
      std::cerr << "journeyd sync: " << s.error().message << "\n";
      exit_code = 1;
    }
  }
  scheduler.Stop();
  mapping.Stop();
  identity.Stop();
  journey.Stop();
  return exit_code;
}

}  // namespace journeyd::commands
