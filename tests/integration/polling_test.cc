// Scheduled sync runs against fake vendor APIs that enforce each vendor's contract
// (tests/fakes/fake_source_api.h): every shipped preset reads every seeded record exactly once,
// page by page, and stores the stream's cursor; a second run fetches nothing new; a changed
// record comes again; 429s with Retry-After and 5xx answers are waited out; a wrong credential
// fails the run without storing anything. Runs go through the real SyncRunner and a real SQLite
// store; the daemon-level tests (polling_daemon_test.cc) kill journeyd mid-run.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include <boost/json.hpp>

#include "connectors/builtin.h"
#include "engine/config/config_loader.h"
#include "engine/mapping/normalize.h"
#include "engine/poll/poll_settings.h"
#include "engine/poll/run_control.h"
#include "engine/poll/stream_state.h"
#include "engine/poll/sync_runner.h"
#include "engine/storage/store.h"
#include "tests/fakes/fake_source_api.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

struct VendorCase {
  std::string vendor;
  std::string credential;
  std::string params;  // YAML lines under params:
  int page_size;
};

const std::vector<VendorCase>& Vendors() {
  static const std::vector<VendorCase> cases{
      {"shopify", "shpat_fake_token", "", 7},
      {"woocommerce", "ck_fake:cs_fake", "", 7},
      {"stripe", "sk_test_fake_key_1234", "", 7},
      {"square", "EAAAfakeSquareToken", "        location_id: D7AVYMEAPJ3A3\n", 7},
      {"zendesk", "agent@example.com/token:zdtoken", "", 20},
      {"mailchimp", "anystring:fakekey-us3", "        list_id: a36b032126\n", 7},
  };
  return cases;
}

// A polled-only source on the vendor's preset, pointed at the fake.
std::string PollConfig(const std::filesystem::path& data_dir, const VendorCase& v,
                       const fakes::FakeSourceApi& api, const std::string& extra = "") {
  std::string streams;
  for (const std::string& c : api.collections()) {
    streams += "        - name: " + c + "\n          page_size: " + std::to_string(v.page_size) + "\n";
  }
  return "data_dir: " + data_dir.string() +
         "\nserver:\n  listen: 127.0.0.1:0\n  admin_token: a\n  read_token: b\n"
         "sources:\n  - name: " + v.vendor + "_poll\n    type: http\n    poll:\n"
         "      preset: " + v.vendor + "\n      schedule: \"@every 1h\"\n"
         "      base_url: " + api.base_url() + "\n"
         "      auth:\n        token: \"" + v.credential + "\"\n"
         "      rate_limit:\n        requests_per_second: 0\n        max_retries: 3\n" +
         extra + (v.params.empty() ? "" : "      params:\n" + v.params) +
         "      streams:\n" + streams;
}

struct Harness {
  explicit Harness(const VendorCase& v, std::unique_ptr<fakes::FakeSourceApi> fake_api,
                   const std::string& extra = "")
      : vendor(v), api(std::move(fake_api)) {
    RegisterBuiltinConnectors(registry);
    const auto file = dir.Write("journeyd.yaml", PollConfig(dir.path() / "data", v, *api, extra));
    config::Diagnostics diag;
    config = config::LoadConfig(file, registry, {}, clock, diag);
    INFO(diag.Format());
    REQUIRE(config);
    auto opened = storage::OpenStore(*config);
    REQUIRE(opened.ok());
    store = std::move(*opened);
  }

  storage::SyncRun Run(poll::SyncRunnerOptions options = {}) {
    const config::SourceEntry& source = config->sources.front();
    storage::SyncRun run;
    run.source = source.name;
    run.trigger = "manual";
    run.started_at = clock.Now();
    auto id = store->StartSyncRun(run);
    REQUIRE(id.ok());
    run.id = *id;
    poll::SyncRunner runner(*store, clock, std::move(options));
    poll::RunControl control;
    return runner.Run(source, run, control);
  }

  // Record ids per stream in the inbox, counted (external ids are "<stream>:<id>:<hash>").
  std::map<std::string, std::map<std::string, int>> InboxIds() {
    std::map<std::string, std::map<std::string, int>> out;
    auto events = store->ReadInbox(0, 1000000);
    REQUIRE(events.ok());
    for (const auto& e : *events) {
      const std::string& key = e.event.external_id;
      const size_t a = key.find(':'), b = key.rfind(':');
      REQUIRE(a != std::string::npos);
      REQUIRE(b > a);
      out[key.substr(0, a)][key.substr(a + 1, b - a - 1)] += 1;
    }
    return out;
  }

  poll::StreamState State(const std::string& stream) {
    auto stored = store->ReadPollState(config->sources.front().name, stream);
    REQUIRE(stored.ok());
    REQUIRE(stored->has_value());
    auto state = poll::DecodeStreamState((*stored)->state);
    REQUIRE(state.ok());
    return *state;
  }

  VendorCase vendor;
  std::unique_ptr<fakes::FakeSourceApi> api;
  TempDir dir;
  SystemClock clock;
  Registry registry;
  std::shared_ptr<const config::Config> config;
  storage::StorePtr store;
};

std::unique_ptr<fakes::FakeSourceApi> MakeApi(const VendorCase& v) {
  fakes::FakeSourceApiOptions options;
  options.fixtures_dir = FixturesDir();
  options.credential = v.credential;
  return fakes::MakeFakeSourceApi(v.vendor, options);
}

}  // namespace

TEST_CASE("polling: every vendor preset reads each seeded record once and keeps its cursor",
          "[polling]") {
  for (const VendorCase& v : Vendors()) {
    DYNAMIC_SECTION(v.vendor) {
      Harness h(v, MakeApi(v));
      // Zendesk leaves out the last minute's changes: seed well before now.
      const auto first = system_clock::now() - 3h;
      std::map<std::string, std::vector<std::string>> seeded;
      for (const std::string& c : h.api->collections()) seeded[c] = h.api->Seed(c, 30, first);

      storage::SyncRun run = h.Run();
      INFO(run.detail);
      REQUIRE(run.status == "succeeded");
      int64_t expected_records = 0;
      for (const auto& [c, ids] : seeded) expected_records += static_cast<int64_t>(ids.size());
      CHECK(run.records == expected_records);
      CHECK(run.errors == 0);
      // 30 records in pages of 7 (20 for Zendesk) take several pages per stream.
      CHECK(run.pages >= 2 * static_cast<int64_t>(seeded.size()));

      auto inbox = h.InboxIds();
      for (const auto& [c, ids] : seeded) {
        INFO("stream " << c);
        std::map<std::string, int> want;
        for (const std::string& id : ids) want[id] = 1;
        CHECK(inbox[c] == want);
        const poll::StreamState state = h.State(c);
        CHECK(state.pending.empty());
        // The cursor is the newest seeded change (clone i changed at first + i s), in the
        // vendor's own format; WooCommerce has no change filter for customers: no cursor.
        if (!(v.vendor == "woocommerce" && c == "customers")) {
          INFO("cursor " << state.cursor);
          auto newest = mapping::ParseTime(state.cursor);
          REQUIRE(newest.has_value());
          const auto expected = first + std::chrono::seconds(29);
          CHECK(std::chrono::abs(*newest - expected) < 1s);
        }
        if (v.vendor != "zendesk") CHECK_FALSE(state.resume.has_value());
        else CHECK(state.resume.has_value());  // the export goes on from its last cursor
      }
      CHECK(run.cursor_after != run.cursor_before);

      // Nothing changed: the next run stores nothing new (what the lookback brings again is
      // recognised).
      storage::SyncRun again = h.Run();
      INFO(again.detail);
      REQUIRE(again.status == "succeeded");
      CHECK(again.records == 0);

      if (v.vendor != "stripe") {  // Stripe lists filter by creation only (see the preset)
        const std::string c = h.api->collections().front();
        const std::string& changed = seeded[c][5];
        h.api->Touch(c, changed, system_clock::now() - 2min);
        storage::SyncRun third = h.Run();
        INFO(third.detail);
        REQUIRE(third.status == "succeeded");
        CHECK(third.records == 1);
        CHECK(h.InboxIds()[c][changed] == 2);  // both versions, each once
      }
    }
  }
}

TEST_CASE("polling: 429 with Retry-After and 5xx are waited out; the records arrive once",
          "[polling]") {
  const VendorCase v{"shopify", "shpat_fake_token", "", 10};
  Harness h(v, MakeApi(v));
  auto ids = h.api->Seed("customers", 35, system_clock::now() - 1h);
  h.api->RateLimitNext(2, 1s);
  h.api->server().FailNext(1, 503);
  storage::SyncRun run = h.Run();
  INFO(run.detail);
  REQUIRE(run.status == "succeeded");
  CHECK(run.records == 35);
  CHECK(run.detail.find("rate-limited") != std::string::npos);
  CHECK(h.InboxIds()["customers"].size() == 35);
  CHECK(h.api->server().StatusCounts()[429] >= 2);
}

TEST_CASE("polling: a request that times out is retried; a run that gives up resumes next time",
          "[polling]") {
  const VendorCase v{"square", "EAAAfakeSquareToken", "        location_id: D7AVYMEAPJ3A3\n", 10};
  Harness h(v, MakeApi(v), "      timeout: 300ms\n");
  auto ids = h.api->Seed("customers", 25, system_clock::now() - 1h);
  h.api->Seed("orders", 3, system_clock::now() - 1h);
  // Every answer comes too late: each request is tried 1 + max_retries times, then the run
  // fails without storing anything or moving a cursor.
  h.api->server().SetDelay(1s);
  storage::SyncRun slow = h.Run();
  CHECK(slow.status == "failed");
  CHECK_THAT(slow.detail, Catch::Contains("gave up after 4 attempts"));
  CHECK(slow.records == 0);
  h.api->server().SetDelay(0ms);
  storage::SyncRun next = h.Run();
  INFO(next.detail);
  REQUIRE(next.status == "succeeded");
  CHECK(next.records == 28);
  std::map<std::string, int> want;
  for (const std::string& id : ids) want[id] = 1;
  CHECK(h.InboxIds()["customers"] == want);
}

TEST_CASE("polling: a run waits while the ingest backlog is over its high-water mark",
          "[polling]") {
  const VendorCase v{"shopify", "shpat_fake_token", "", 10};
  Harness h(v, MakeApi(v));
  h.api->Seed("customers", 25, system_clock::now() - 1h);
  int asked = 0;
  int64_t counted = 0;
  poll::SyncRunnerOptions options;
  // Over the mark for the first page only: the mapping stage catches up meanwhile.
  options.backpressure = [&asked] { return ++asked <= 1; };
  options.after_commit = [&counted](int64_t stored) { counted += stored; };
  const auto started = std::chrono::steady_clock::now();
  storage::SyncRun run = h.Run(std::move(options));
  REQUIRE(run.status == "succeeded");
  CHECK(std::chrono::steady_clock::now() - started >= 1s);
  CHECK_THAT(run.detail, Catch::Contains("waited for the ingest backlog to drain"));
  CHECK(counted == 25);  // the daemon counts polled events into its backlog
  CHECK(asked >= 4);     // asked before every page of the 3
}

TEST_CASE("polling: a wrong credential fails the run, stores nothing and moves no cursor",
          "[polling]") {
  VendorCase v{"stripe", "sk_test_fake_key_1234", "", 10};
  auto api = MakeApi(v);
  api->Seed("customers", 5, system_clock::now() - 1h);
  v.credential = "sk_test_wrong_key_9999";
  Harness h(v, std::move(api));
  storage::SyncRun run = h.Run();
  CHECK(run.status == "failed");
  CHECK(run.detail.find("401") != std::string::npos);
  CHECK(run.detail.find("sk_test_wrong") == std::string::npos);  // never the credential
  CHECK(run.records == 0);
  auto stored = h.store->ReadPollState("stripe_poll", "customers");
  REQUIRE(stored.ok());
  CHECK_FALSE(stored->has_value());
}

TEST_CASE("polling: a run stopped mid-way resumes at its next page and misses nothing",
          "[polling]") {
  // max_pages ends a run after two pages as a crash would, but cleanly; the kill -9 version
  // runs against the daemon in polling_daemon_test.cc.
  const VendorCase v{"mailchimp", "anystring:fakekey-us3", "        list_id: a36b032126\n", 5};
  Harness h(v, MakeApi(v), "      max_pages: 2\n");
  auto ids = h.api->Seed("members", 23, system_clock::now() - 1h);
  storage::SyncRun first = h.Run();
  REQUIRE(first.status == "succeeded");
  CHECK(first.records == 10);
  const poll::StreamState mid = h.State("members");
  REQUIRE(mid.resume.has_value());
  CHECK(mid.resume->value == "10");
  CHECK(mid.read_from.empty());  // the first read has no since_last_changed, and keeps none
  CHECK(mid.cursor.size() > 0);  // ordered by last_changed: the cursor moves per page

  std::set<std::string> all;
  // 23 records in pages of 5, two pages a run: pages 3-4, then the short page 5 ends the read.
  for (int run = 0; run < 2; ++run) {
    storage::SyncRun next = h.Run();
    REQUIRE(next.status == "succeeded");
    CHECK(next.records == (run == 0 ? 10 : 3));
  }
  const auto inbox = h.InboxIds();
  for (const auto& [id, count] : inbox.at("members")) {
    CHECK(count == 1);
    all.insert(id);
  }
  CHECK(all == std::set<std::string>(ids.begin(), ids.end()));
  CHECK_FALSE(h.State("members").resume.has_value());
}

}  // namespace journeyd::testing
