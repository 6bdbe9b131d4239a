#include "engine/poll/scheduler.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connectors/builtin.h"
#include "engine/config/config_loader.h"
#include "engine/storage/store.h"
#include "tests/fakes/fake_http_server.h"
#include "tests/support/temp_dir.h"

namespace journeyd::poll {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::steady_clock;
using std::chrono::system_clock;
using journeyd::testing::TempDir;

// True once `condition` holds, polling for up to `timeout`.
bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

// A daemon config with the given sources, loaded the way journeyd loads it, and its store.
struct Rig {
  explicit Rig(const std::string& sources) {
    RegisterBuiltinConnectors(registry);
    const fs::path file = dir.Write(
        "journeyd.yaml", "data_dir: " + (dir.path() / "data").string() +
                             "\nserver:\n  listen: 127.0.0.1:0\n  admin_token: a\n"
                             "  read_token: b\nsources:\n" + sources);
    config::Diagnostics diag;
    config = config::LoadConfig(file, registry, {}, clock, diag);
    INFO(diag.Format());
    REQUIRE(config);
    auto opened = storage::OpenStore(*config);
    REQUIRE(opened.ok());
    store = std::move(*opened);
  }

  std::unique_ptr<Scheduler> MakeScheduler() {
    std::shared_ptr<const config::Config> snapshot = config;
    return std::make_unique<Scheduler>([snapshot] { return snapshot; }, *store, clock);
  }

  std::vector<storage::SyncRun> Runs(const std::string& source) {
    storage::SyncRunFilter filter;
    filter.source = source;
    auto runs = store->ListSyncRuns(filter);
    REQUIRE(runs.ok());
    return *runs;
  }

  // A finished run of `source` that started `ago`.
  void PastRun(const std::string& source, std::chrono::seconds ago) {
    storage::SyncRun run;
    run.source = source;
    run.trigger = "schedule";
    run.started_at = clock.Now() - ago;
    auto id = store->StartSyncRun(run);
    REQUIRE(id.ok());
    run.id = *id;
    run.status = "succeeded";
    run.ended_at = run.started_at + 1s;
    REQUIRE(store->FinishSyncRun(run).ok());
  }

  TempDir dir;
  SystemClock clock;
  Registry registry;
  std::shared_ptr<const config::Config> config;
  storage::StorePtr store;
};

// A csv source importing a drop directory, with the schedule lines given.
std::string DropSource(const std::string& name, const std::string& schedule_lines) {
  return "  - name: " + name + "\n    type: csv\n    token: t0k3n-" + name +
         "\n    id_column: receipt_id\n    poll:\n" + schedule_lines +
         "      directory: drop-" + name + "\n      settle: 1s\n";
}

// A csv source that takes uploads only.
const char kUploadSource[] = "  - name: upload\n    type: csv\n    token: t0k3n-upload\n";

const storage::SyncRun* Find(const std::vector<storage::SyncRun>& runs, int64_t id) {
  for (const auto& run : runs) {
    if (run.id == id) return &run;
  }
  return nullptr;
}

TEST_CASE("scheduler: Start runs a source that never ran at once", "[poll]") {
  Rig rig(DropSource("pos", "      schedule: \"@every 24h\"\n") + kUploadSource);
  // An export waiting in the drop directory, settled long ago.
  const fs::path drop = rig.dir.path() / "drop-pos";
  fs::create_directories(drop);
  const fs::path sales = rig.dir.Write("drop-pos/sales.csv", "receipt_id,total\nR-1,10\nR-2,12\n");
  fs::last_write_time(sales, fs::file_time_type::clock::now() - 10min);

  auto scheduler = rig.MakeScheduler();
  const auto started = steady_clock::now();
  scheduler->Start();
  // Not after a day: now.
  REQUIRE(Eventually([&] { return !rig.Runs("pos").empty(); }, 5s));
  auto last = scheduler->WaitUntilIdle("pos");
  REQUIRE(last.has_value());
  CHECK(steady_clock::now() - started < 5s);
  CHECK(last->source == "pos");
  CHECK(last->trigger == "schedule");
  CHECK(last->status == "succeeded");
  CHECK(last->records == 2);
  CHECK(last->ended_at.has_value());
  CHECK(fs::exists(drop / "done" / "sales.csv"));
  CHECK_FALSE(fs::exists(drop / "sales.csv"));

  const auto runs = rig.Runs("pos");
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].id == last->id);
  CHECK(runs[0].status == "succeeded");
  CHECK(runs[0].records == 2);
  CHECK(rig.Runs("upload").empty());

  // The next run is a day off.
  const auto schedules = scheduler->Schedules();
  REQUIRE(schedules.size() == 1);  // only polled sources
  CHECK(schedules[0].source == "pos");
  CHECK(schedules[0].schedule == "@every 24h");
  REQUIRE(schedules[0].next_run.has_value());
  CHECK(*schedules[0].next_run > system_clock::now());
  CHECK(*schedules[0].next_run <= system_clock::now() + 24h);
  CHECK(schedules[0].running_run_id == 0);

  const auto stop = steady_clock::now();
  scheduler->Stop();
  CHECK(steady_clock::now() - stop < 2s);
}

TEST_CASE("scheduler: catch-up runs only what was missed, and only when asked", "[poll]") {
  SECTION("catch_up: false and a missed run: no run at start") {
    Rig rig(DropSource("pos", "      schedule: \"@every 24h\"\n      catch_up: false\n"));
    rig.PastRun("pos", 48h);
    auto scheduler = rig.MakeScheduler();
    scheduler->Start();
    std::this_thread::sleep_for(1500ms);
    CHECK(rig.Runs("pos").size() == 1);
    const auto schedules = scheduler->Schedules();
    REQUIRE(schedules.size() == 1);
    REQUIRE(schedules[0].next_run.has_value());
    CHECK(*schedules[0].next_run > system_clock::now());
    scheduler->Stop();
  }

  SECTION("catch_up: false and never ran: no run at start either") {
    Rig rig(DropSource("pos", "      schedule: \"@every 24h\"\n      catch_up: false\n"));
    auto scheduler = rig.MakeScheduler();
    scheduler->Start();
    std::this_thread::sleep_for(1500ms);
    CHECK(rig.Runs("pos").empty());
    scheduler->Stop();
  }

  SECTION("catch_up (the default) and a missed run: one run at start") {
    Rig rig(DropSource("pos", "      schedule: \"@every 24h\"\n"));
    rig.PastRun("pos", 48h);
    auto scheduler = rig.MakeScheduler();
    scheduler->Start();
    REQUIRE(Eventually([&] { return rig.Runs("pos").size() == 2; }, 5s));
    auto last = scheduler->WaitUntilIdle("pos");
    REQUIRE(last.has_value());
    CHECK(last->status == "succeeded");
    std::this_thread::sleep_for(500ms);
    CHECK(rig.Runs("pos").size() == 2);  // once
    scheduler->Stop();
  }

  SECTION("catch_up and a recent run: nothing was missed") {
    Rig rig(DropSource("pos", "      schedule: \"@every 24h\"\n"));
    rig.PastRun("pos", 0s);
    auto scheduler = rig.MakeScheduler();
    scheduler->Start();
    std::this_thread::sleep_for(1500ms);
    CHECK(rig.Runs("pos").size() == 1);
    scheduler->Stop();
  }

  SECTION("a disabled schedule never runs by itself") {
    Rig rig(DropSource("pos", "      schedule: \"@every 1s\"\n      enabled: false\n"));
    auto scheduler = rig.MakeScheduler();
    scheduler->Start();
    std::this_thread::sleep_for(1500ms);
    CHECK(rig.Runs("pos").empty());
    const auto schedules = scheduler->Schedules();
    REQUIRE(schedules.size() == 1);
    CHECK(schedules[0].schedule.empty());
    CHECK_FALSE(schedules[0].next_run.has_value());
    // It can still be run by hand.
    auto run = scheduler->Trigger("pos");
    REQUIRE(run.ok());
    auto last = scheduler->WaitUntilIdle("pos");
    REQUIRE(last.has_value());
    CHECK(last->status == "succeeded");
    scheduler->Stop();
  }
}

TEST_CASE("scheduler: an @every 1s schedule keeps running", "[poll]") {
  Rig rig(DropSource("pos", "      schedule: \"@every 1s\"\n      catch_up: false\n"));
  auto scheduler = rig.MakeScheduler();
  scheduler->Start();
  REQUIRE(Eventually([&] { return rig.Runs("pos").size() >= 2; }, 6s));
  scheduler->Stop();
  for (const auto& run : rig.Runs("pos")) {
    CHECK(run.trigger == "schedule");
    CHECK(run.status == "succeeded");
  }
}

TEST_CASE("scheduler: Trigger starts a manual run, or says why not", "[poll]") {
  Rig rig(DropSource("pos", "      schedule: \"@every 24h\"\n      catch_up: false\n") +
          kUploadSource);
  auto scheduler = rig.MakeScheduler();

  auto unknown = scheduler->Trigger("nope");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == ErrorCode::kNotFound);
  CHECK_THAT(unknown.error().message, Catch::Contains("nope"));

  auto not_polled = scheduler->Trigger("upload");
  REQUIRE_FALSE(not_polled.ok());
  CHECK(not_polled.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(not_polled.error().message, Catch::Contains("poll"));

  // Without Start, too.
  auto run = scheduler->Trigger("pos");
  REQUIRE(run.ok());
  CHECK(run->id > 0);
  CHECK(run->source == "pos");
  CHECK(run->trigger == "manual");
  CHECK(run->status == "running");
  auto done = scheduler->WaitUntilIdle("pos");
  REQUIRE(done.has_value());
  CHECK(done->id == run->id);
  CHECK(done->status == "succeeded");
  const auto runs = rig.Runs("pos");
  REQUIRE(Find(runs, run->id) != nullptr);
  CHECK(Find(runs, run->id)->status == "succeeded");
  CHECK(Find(runs, run->id)->trigger == "manual");

  auto api = scheduler->Trigger("pos", "api");
  REQUIRE(api.ok());
  CHECK(api->trigger == "api");
  REQUIRE(scheduler->WaitUntilIdle("pos").has_value());

  // A source with no run at all has nothing to wait for.
  CHECK_FALSE(scheduler->WaitUntilIdle("upload").has_value());

  scheduler->Stop();
  auto after_stop = scheduler->Trigger("pos");
  REQUIRE_FALSE(after_stop.ok());
  CHECK(after_stop.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("scheduler: taking a source's lease over ends the runs its last holder left running",
          "[poll]") {
  Rig rig(DropSource("pos", "      schedule: \"@every 24h\"\n      catch_up: false\n"));
  // A run another instance started and never finished (it died), and one of the CLI import.
  storage::SyncRun orphan;
  orphan.source = "pos";
  orphan.trigger = "schedule";
  orphan.started_at = rig.clock.Now() - 1min;
  const int64_t orphan_id = *rig.store->StartSyncRun(orphan);
  orphan.trigger = "import";
  const int64_t import_id = *rig.store->StartSyncRun(orphan);

  cluster::LeaseState lease = cluster::LeaseState::kNotHeld;
  std::vector<std::string> asked;
  std::shared_ptr<const config::Config> snapshot = rig.config;
  Scheduler scheduler([snapshot] { return snapshot; }, *rig.store, rig.clock, {},
                      [&](std::string name) -> cluster::WorkGate {
                        asked.push_back(name);
                        return [&lease] { return lease; };
                      });

  // While the other instance holds the lease, its run is its own business.
  auto elsewhere = scheduler.Trigger("pos");
  REQUIRE_FALSE(elsewhere.ok());
  CHECK(elsewhere.error().code == ErrorCode::kConflict);
  CHECK(asked == std::vector<std::string>{"poll:pos"});
  CHECK(Find(rig.Runs("pos"), orphan_id)->status == "running");

  lease = cluster::LeaseState::kAcquired;
  auto run = scheduler.Trigger("pos");
  REQUIRE(run.ok());
  REQUIRE(scheduler.WaitUntilIdle("pos").has_value());
  const auto runs = rig.Runs("pos");
  CHECK(Find(runs, orphan_id)->status == "failed");
  CHECK_THAT(Find(runs, orphan_id)->detail, Catch::Contains("interrupted"));
  CHECK(Find(runs, import_id)->status == "running");
  CHECK(Find(runs, run->id)->status == "succeeded");
  scheduler.Stop();
}

// An API whose answers the test holds back until it says so.
class HeldApi {
 public:
  explicit HeldApi(std::function<fakes::Response()> answer)
      : answer_(std::move(answer)),
        server_(std::make_unique<fakes::FakeHttpServer>(
            [this](const fakes::Request&) {
              std::unique_lock lock(mu_);
              ++arrived_;
              arrived_cv_.notify_all();
              released_cv_.wait_for(lock, 20s, [this] { return released_; });
              return answer_();
            },
            [](int status) { return fakes::Response(status, "{}"); })) {}
  ~HeldApi() { Release(); }

  std::string base_url() const { return server_->base_url(); }
  bool WaitForRequest(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return arrived_cv_.wait_for(lock, timeout, [this] { return arrived_ > 0; });
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    released_cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable arrived_cv_, released_cv_;
  int arrived_ = 0;
  bool released_ = false;
  std::function<fakes::Response()> answer_;
  std::unique_ptr<fakes::FakeHttpServer> server_;
};

std::string HttpSource(const std::string& base_url, const std::string& extra = "") {
  return "  - name: slow\n    type: http\n    poll:\n"
         "      schedule: \"@every 24h\"\n      catch_up: false\n"
         "      base_url: " + base_url + "\n" + extra +
         "      streams:\n"
         "        - name: things\n          event_type: slow.thing\n"
         "          request:\n            path: /things\n";
}

TEST_CASE("scheduler: a second run of a source under way is refused", "[poll]") {
  HeldApi api([] { return fakes::Response(200, R"([{"id":"t1"},{"id":"t2"}])"); });
  Rig rig(HttpSource(api.base_url()));
  auto scheduler = rig.MakeScheduler();
  scheduler->Start();

  auto first = scheduler->Trigger("slow");
  REQUIRE(first.ok());
  REQUIRE(api.WaitForRequest());
  auto second = scheduler->Trigger("slow");
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == ErrorCode::kConflict);
  CHECK_THAT(second.error().message, Catch::Contains("slow"));
  CHECK_THAT(second.error().message, Catch::Contains(std::to_string(first->id)));

  const auto schedules = scheduler->Schedules();
  REQUIRE(schedules.size() == 1);
  CHECK(schedules[0].running_run_id == first->id);

  api.Release();
  auto done = scheduler->WaitUntilIdle("slow");
  REQUIRE(done.has_value());
  CHECK(done->id == first->id);
  CHECK(done->status == "succeeded");
  CHECK(done->records == 2);
  CHECK(scheduler->Schedules()[0].running_run_id == 0);
  CHECK(rig.Runs("slow").size() == 1);

  // Once it finished, another may start.
  auto third = scheduler->Trigger("slow");
  REQUIRE(third.ok());
  REQUIRE(scheduler->WaitUntilIdle("slow").has_value());
  scheduler->Stop();
}

TEST_CASE("scheduler: Stop ends a run waiting out a long Retry-After at once", "[poll]") {
  HeldApi api([] {
    fakes::Response limited(429, R"({"error":"slow down"})");
    limited.headers.emplace_back("Retry-After", "120");
    return limited;
  });
  api.Release();  // answered at once; the wait is the client's
  Rig rig(HttpSource(api.base_url(), "      rate_limit:\n        max_wait: 10m\n"));
  auto scheduler = rig.MakeScheduler();
  scheduler->Start();
  auto run = scheduler->Trigger("slow");
  REQUIRE(run.ok());
  REQUIRE(api.WaitForRequest());
  std::this_thread::sleep_for(200ms);  // into the wait

  const auto stop = steady_clock::now();
  scheduler->Stop();
  CHECK(steady_clock::now() - stop < 3s);

  const auto runs = rig.Runs("slow");
  const storage::SyncRun* stopped = Find(runs, run->id);
  REQUIRE(stopped != nullptr);
  CHECK(stopped->status == "failed");
  CHECK_THAT(stopped->detail, Catch::Contains("stopped"));
}

}  // namespace
}  // namespace journeyd::poll
