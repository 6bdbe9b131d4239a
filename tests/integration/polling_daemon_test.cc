// Sync runs in the real daemon: started through the admin API and `journeyd sync`, never two of
// one source at once, a kill -9 in the middle of a run followed by a restart that resumes at
// the last committed page (nothing missed, nothing stored twice, verified against the fake
// Shopify API's log and the inbox), and a drop directory of POS exports imported once each.
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "connectors/builtin.h"
#include "engine/config/config_loader.h"
#include "engine/storage/store.h"
#include "tests/fakes/fake_source_api.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using std::chrono::system_clock;

constexpr const char* kToken = "shpat_fake_token";

std::string Header(const std::filesystem::path& data_dir) {
  return "data_dir: " + data_dir.string() +
         "\nserver:\n  listen: 127.0.0.1:0\n  admin_token: ${env:JOURNEYD_ADMIN_TOKEN}\n"
         "  read_token: ${env:JOURNEYD_READ_TOKEN}\n";
}

std::string ShopConfig(const std::filesystem::path& data_dir, const std::string& base_url) {
  return Header(data_dir) + "sources:\n  - name: shop\n    type: shopify\n    mapping: " +
         (SourceDir() / "mappings/shopify.yaml").string() +
         "\n    secret: ${env:JOURNEYD_SHOPIFY_SECRET}\n    poll:\n"
         "      schedule: \"@every 1h\"\n      catch_up: false\n"
         "      base_url: " + base_url + "\n      auth:\n        token: " + kToken + "\n"
         "      streams:\n        - name: customers\n          page_size: 20\n";
}

json::value Api(DaemonProcess& daemon, const std::string& method, const std::string& path,
                int expected_status) {
  auto r = HttpRequest(daemon.host(), daemon.port(), method, path, "",
                       {{"Authorization", "Bearer test-admin-token"}});
  REQUIRE(r.ok());
  INFO(method << " " << path << ": " << r->body);
  REQUIRE(r->status == expected_status);
  return json::parse(r->body);
}

// The run with `id` once it is no longer running.
json::object AwaitRun(DaemonProcess& daemon, int64_t id, std::chrono::seconds timeout = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    json::value runs = Api(daemon, "GET", "/api/v1/runs?limit=100", 200);
    for (const auto& run : runs.at("runs").as_array()) {
      if (run.at("id").as_int64() == id && run.at("status").as_string() != "running") {
        return run.as_object();
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  FAIL("run " << id << " did not finish in time\n" << daemon.log());
  return {};
}

// Record ids in the inbox of `source`, counted. Opens the store the daemon used (stopped).
std::map<std::string, int> InboxIds(const std::filesystem::path& config_file,
                                    const std::string& source) {
  for (const auto& [name, value] : DefaultTestEnvironment()) setenv(name.c_str(), value.c_str(), 1);
  Registry registry;
  RegisterBuiltinConnectors(registry);
  SystemClock clock;
  config::Diagnostics diag;
  auto config = config::LoadConfig(config_file, registry, {}, clock, diag);
  INFO(diag.Format());
  REQUIRE(config);
  auto store = storage::OpenStore(*config);
  REQUIRE(store.ok());
  auto events = (*store)->ReadInbox(0, 1000000);
  REQUIRE(events.ok());
  std::map<std::string, int> out;
  for (const auto& e : *events) {
    if (e.event.source != source) continue;
    const std::string& key = e.event.external_id;
    out[key.substr(key.find(':') + 1, key.rfind(':') - key.find(':') - 1)] += 1;
  }
  return out;
}

std::unique_ptr<fakes::FakeSourceApi> FakeShopify() {
  fakes::FakeSourceApiOptions options;
  options.fixtures_dir = FixturesDir();
  options.credential = kToken;
  return fakes::MakeFakeSourceApi("shopify", options);
}

}  // namespace

TEST_CASE("polling: a run killed with -9 resumes at its last committed page after a restart",
          "[polling][daemon]") {
  auto shopify = FakeShopify();
  const std::vector<std::string> ids = shopify->Seed("customers", 400, system_clock::now() - 1h);
  // Slow answers, so the kill lands in the middle of the 20-page read.
  shopify->server().SetDelay(100ms);
  TempDir dir;
  const auto config = dir.Write("journeyd.yaml", ShopConfig(dir.path() / "data", shopify->base_url()));

  int64_t first_run = 0;
  {
    DaemonProcess daemon(config, dir.path() / "data");
    REQUIRE(daemon.Start());
    json::value started = Api(daemon, "POST", "/api/v1/sources/shop/sync", 202);
    first_run = started.at("run").at("id").as_int64();
    CHECK(started.at("run").at("status").as_string() == "running");
    // Never two runs of one source at once.
    json::value refused = Api(daemon, "POST", "/api/v1/sources/shop/sync", 409);
    CHECK(refused.at("error").at("code").as_string() == "already_running");
    Api(daemon, "POST", "/api/v1/sources/nope/sync", 404);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (shopify->PagesServed()["customers"] < 6 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    REQUIRE(shopify->PagesServed()["customers"] >= 6);
    daemon.Signal(SIGKILL);
    REQUIRE(daemon.Wait(10s).has_value());
  }
  const int pages_before = shopify->PagesServed()["customers"];
  REQUIRE(pages_before < 20);  // the kill came mid-run
  shopify->server().ClearLog();
  shopify->server().SetDelay(0ms);

  {
    DaemonProcess daemon(config, dir.path() / "data");
    REQUIRE(daemon.Start());
    json::object killed = AwaitRun(daemon, first_run);
    CHECK(killed.at("status").as_string() == "failed");
    CHECK_THAT(std::string(killed.at("detail").as_string()), Catch::Contains("interrupted"));
    json::value started = Api(daemon, "POST", "/api/v1/sources/shop/sync", 202);
    json::object done = AwaitRun(daemon, started.at("run").at("id").as_int64());
    INFO(json::serialize(done));
    CHECK(done.at("status").as_string() == "succeeded");
    // It began with the stored page_info URL, not at page one...
    const auto log = shopify->server().Log();
    REQUIRE_FALSE(log.empty());
    CHECK_THAT(log.front().target, Catch::Contains("page_info="));
    // ...and fetched at most the page that was in flight again.
    const int pages_after = shopify->PagesServed()["customers"] - pages_before;
    CHECK(pages_before + pages_after <= 21);
    CHECK_THAT(std::string(done.at("cursor_after").as_string()), Catch::Contains("customers="));
    daemon.Signal(SIGTERM);
    REQUIRE(daemon.Wait(20s) == std::optional<int>(0));
  }
  std::map<std::string, int> stored = InboxIds(config, "shop");
  std::map<std::string, int> want;
  for (const std::string& id : ids) want[id] = 1;
  CHECK(stored == want);  // every record, each once
}

TEST_CASE("polling: journeyd sync runs a source in-process, or through the running daemon",
          "[polling][daemon][cli]") {
  auto shopify = FakeShopify();
  shopify->Seed("customers", 45, system_clock::now() - 1h);
  TempDir dir;
  const auto config = dir.Write("journeyd.yaml", ShopConfig(dir.path() / "data", shopify->base_url()));

  auto alone = RunJourneyd({"sync", "--config", config.string(), "shop"}, DefaultTestEnvironment());
  INFO(alone.output);
  CHECK(alone.exit_code == 0);
  CHECK_THAT(alone.output, Catch::Contains("succeeded, 3 pages, 45 new records"));

  auto unknown = RunJourneyd({"sync", "--config", config.string(), "nope"}, DefaultTestEnvironment());
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.output, Catch::Contains("no source named 'nope'"));

  DaemonProcess daemon(config, dir.path() / "data");
  REQUIRE(daemon.Start());
  shopify->Touch("customers", shopify->Seed("customers", 1, system_clock::now() - 1h).front(),
                 system_clock::now() - 30min);
  auto through = RunJourneyd({"sync", "--config", config.string(), "shop"}, DefaultTestEnvironment());
  INFO(through.output);
  CHECK(through.exit_code == 0);
  CHECK_THAT(through.output, Catch::Contains("journeyd is running: it started run"));
  CHECK_THAT(through.output, Catch::Contains("1 new records"));
  json::value runs = Api(daemon, "GET", "/api/v1/runs?source=shop", 200);
  REQUIRE(runs.at("runs").as_array().size() == 2);
  CHECK(runs.at("runs").at(0).at("trigger").as_string() == "manual");
  json::value schedules = Api(daemon, "GET", "/api/v1/schedules", 200);
  REQUIRE(schedules.at("schedules").as_array().size() == 1);
  CHECK(schedules.at("schedules").at(0).at("schedule").as_string() == "@every 1h");
  CHECK(schedules.at("schedules").at(0).at("next_run").is_string());
  // The overview judges a polled source by its runs, and says how fresh its data is.
  json::value status = Api(daemon, "GET", "/api/v1/status", 200);
  const json::object& shop = status.at("sources").at(0).as_object();
  INFO(json::serialize(shop));
  CHECK(shop.at("state").as_string() == "green");
  CHECK_THAT(std::string(shop.at("reason").as_string()), Catch::Contains("last sync run 1 new records"));
  CHECK(shop.at("poll").at("schedule").as_string() == "@every 1h");
  CHECK(shop.at("poll").at("lag_seconds").as_int64() < 60);
  CHECK(shop.at("last_run").at("trigger").as_string() == "manual");
}

TEST_CASE("polling: a drop directory imports each export once and files it in done/ or failed/",
          "[polling][daemon]") {
  TempDir dir;
  const auto drop = dir.path() / "drop";
  const auto config = dir.Write(
      "journeyd.yaml",
      Header(dir.path() / "data") + "sources:\n  - name: pos\n    type: csv\n    mapping: " +
          (SourceDir() / "mappings/csv.yaml").string() +
          "\n    token: ${env:JOURNEYD_POS_TOKEN}\n    id_column: receipt_id\n    poll:\n"
          "      schedule: \"@every 1s\"\n      directory: " + drop.string() +
          "\n      settle: 0s\n");
  DaemonProcess daemon(config, dir.path() / "data");
  REQUIRE(daemon.Start());
  const std::string sales = ReadFile(SourceDir() / "mappings/tests/csv/pos_sales.csv");
  const auto wait_for = [&](const std::filesystem::path& path) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!std::filesystem::exists(path) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
    }
    INFO(daemon.log());
    REQUIRE(std::filesystem::exists(path));
  };
  // Written under a temporary name and renamed, as a careful writer does.
  const auto put = [&](const std::string& name, const std::string& text) {
    std::ofstream(drop / (name + ".part")) << text;
    std::filesystem::rename(drop / (name + ".part"), drop / name);
  };
  wait_for(drop / "done");  // the first run prepared the directory
  put("monday.csv", sales);
  wait_for(drop / "done" / "monday.csv");
  CHECK_FALSE(std::filesystem::exists(drop / "monday.csv"));
  // The same export again under another name: filed, not imported twice.
  put("monday-again.csv", sales);
  wait_for(drop / "done" / "monday-again.csv");
  // A file that cannot be read as CSV at all.
  put("broken.csv", "receipt_id,total\n\"R-1,12\n");
  wait_for(drop / "failed" / "broken.csv");
  CHECK_THAT(ReadFile(drop / "failed" / "broken.csv.error.txt"), Catch::Contains("quote"));

  json::value runs = Api(daemon, "GET", "/api/v1/runs?source=pos&limit=200", 200);
  int64_t records = 0, duplicates = 0;
  bool saw_skip = false, saw_failure = false;
  for (const auto& run : runs.at("runs").as_array()) {
    records += run.at("records").as_int64();
    duplicates += run.at("duplicates").as_int64();
    const std::string detail(run.at("detail").as_string());
    saw_skip = saw_skip || detail.find("1 already imported") != std::string::npos;
    saw_failure = saw_failure || (run.at("status").as_string() == "failed" &&
                                  detail.find("broken.csv") != std::string::npos);
  }
  CHECK(records == 4);  // the four rows of pos_sales.csv, once
  CHECK(duplicates == 0);
  CHECK(saw_skip);
  CHECK(saw_failure);
  json::value issues = Api(daemon, "GET", "/api/v1/issues?kind=import_failed_file", 200);
  REQUIRE(issues.at("issues").as_array().size() == 1);
  CHECK_THAT(std::string(issues.at("issues").at(0).at("message").as_string()),
             Catch::Contains("broken.csv"));
}

}  // namespace journeyd::testing
