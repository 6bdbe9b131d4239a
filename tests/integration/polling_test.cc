// Scheduled sync runs against fake vendor APIs that enforce each vendor's contract
// (tests/fakes/fake_source_api.h): every shipped preset reads every seeded record exactly once,
// page by page, and stores the stream's cursor; a second run fetches nothing new; a changed
// record comes again; 429s with Retry-After and 5xx answers are waited out; a wrong credential
// fails the run without storing anything. Runs go through the real SyncRunner and a real SQLite
// store; the daemon-level tests (polling_daemon_test.cc) kill journeyd mid-run.
#include <catch2/catch.hpp>

#include <atomic>
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
#include "tests/fakes/recording_api.h"
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
// `streams`: YAML lines under streams:, or "" for each collection of the fake.
std::string PollConfig(const std::filesystem::path& data_dir, const VendorCase& v,
                       const fakes::FakeSourceApi& api, const std::string& extra = "",
                       std::string streams = "") {
  for (const std::string& c : streams.empty() ? api.collections() : std::vector<std::string>{}) {
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
                   const std::string& extra = "", const std::string& streams = "")
      : vendor(v), api(std::move(fake_api)) {
    RegisterBuiltinConnectors(registry);
    const auto file =
        dir.Write("journeyd.yaml", PollConfig(dir.path() / "data", v, *api, extra, streams));
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

  // Record ids per stream in the inbox, counted (external ids are "<stream>:<id>:<hash>"; a
  // child stream's "<stream>:<parent id>:<id or ->:<hash>" counts under "<parent id>:<id>").
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

TEST_CASE("polling: 429 with Retry-After and 5xx are waited out, the records arrive once",
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

TEST_CASE("polling: a request that times out is retried, a run that gives up resumes next time",
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

TEST_CASE("polling: Mailchimp member activity is read with each changed member's page",
          "[polling]") {
  const VendorCase v{"mailchimp", "anystring:fakekey-us3", "        list_id: a36b032126\n", 4};
  Harness h(v, MakeApi(v), "",
            "        - name: members\n          page_size: 4\n        - member_activity\n");
  const auto first = system_clock::now() - 3h;
  auto ids = h.api->Seed("members", 10, first);
  h.api->AddMemberActivity(ids[1], "sent", "c1", first + 1min);
  h.api->AddMemberActivity(ids[1], "open", "c1", first + 2min);
  h.api->AddMemberActivity(ids[6], "click", "c1", first + 3min);

  storage::SyncRun run = h.Run();
  INFO(run.detail);
  REQUIRE(run.status == "succeeded");
  CHECK(run.records == 10 + 3);
  CHECK(run.errors == 0);
  CHECK(run.pages == 3);  // 10 members in pages of 4; activity goes with its member's page
  CHECK(h.api->PagesServed()["member_activity"] == 10);  // one request per member
  auto inbox = h.InboxIds();
  CHECK(inbox["members"].size() == 10);
  CHECK(inbox["member_activity"] ==
        std::map<std::string, int>{{ids[1] + ":-", 2}, {ids[6] + ":-", 1}});
  // The cursor summary names the members stream only: activity has no cursor of its own.
  CHECK_THAT(run.cursor_after, !Catch::Contains("member_activity"));

  // Each stored entry names its member, as the mapping's identities need.
  auto events = h.store->ReadInbox(0, 1000);
  REQUIRE(events.ok());
  int activities = 0;
  for (const auto& e : *events) {
    if (e.event.event_type != "poll:member_activity") continue;
    ++activities;
    const auto body = boost::json::parse(e.event.body).as_object();
    const auto& parent = body.at("_parent").as_object();
    CHECK(parent.at("member_id").as_string() == (body.at("action") == "click" ? ids[6] : ids[1]));
    CHECK(parent.at("email").as_string().find('@') != boost::json::string::npos);
    CHECK(parent.at("unique_email_id").as_string().size() == 10);
  }
  CHECK(activities == 3);

  // The preset's 5-minute lookback brings the same members again (all changed within 10 s):
  // their activity is asked again and nothing new is stored.
  storage::SyncRun again = h.Run();
  REQUIRE(again.status == "succeeded");
  CHECK(again.records == 0);
  CHECK(again.duplicates == 10 + 3);
  CHECK(h.api->PagesServed()["member_activity"] == 20);

  // A member who changed brings their new activity; what was stored already is recognised.
  h.api->AddMemberActivity(ids[1], "click", "c2", system_clock::now() - 10min);
  h.api->Touch("members", ids[1], system_clock::now() - 9min);
  const int asked_before = h.api->PagesServed()["member_activity"];
  storage::SyncRun third = h.Run();
  INFO(third.detail);
  REQUIRE(third.status == "succeeded");
  CHECK(third.records == 2);  // the member's new version and the new click
  CHECK(third.duplicates >= 2);
  CHECK(h.InboxIds()["member_activity"][ids[1] + ":-"] == 3);
  // The cursor had not moved since the first run, so its lookback still covers every member.
  CHECK(h.api->PagesServed()["member_activity"] == asked_before + 10);
  // Now it has: a run brings only the changed member again (inside the new lookback).
  storage::SyncRun fourth = h.Run();
  REQUIRE(fourth.status == "succeeded");
  CHECK(fourth.records == 0);
  CHECK(h.api->PagesServed()["member_activity"] == asked_before + 11);
}

TEST_CASE("polling: a child stream that fails stores nothing of its parent's page, a gone "
          "parent is a bad record",
          "[polling]") {
  // A generic parent/child pair: people, and each person's visits.
  std::atomic<int> visit_status{200};
  fakes::RecordingApi api([&visit_status](const fakes::Request& r) {
    if (r.path == "/people") {
      return fakes::Response(200, R"({"people":[{"id":"p1","changed":"2026-01-01T00:00:01Z"},)"
                                  R"({"id":"p2","changed":"2026-01-01T00:00:02Z"},)"
                                  R"({"id":"p3","changed":"2026-01-01T00:00:03Z"}]})");
    }
    if (r.path == "/people/p3/visits") return fakes::Response(404, R"({"error":"no p3"})");
    if (r.path == "/people/p2/visits" && visit_status != 200) {
      return fakes::Response(visit_status, R"({"error":"broken"})");
    }
    if (r.path.rfind("/people/", 0) == 0) {
      return fakes::Response(200, R"({"visits":[{"page":"/a"},{"page":"/b"}]})");
    }
    return fakes::Response(404, "{}");
  });
  TempDir dir;
  const auto file = dir.Write(
      "journeyd.yaml",
      "data_dir: " + (dir.path() / "data").string() +
          "\nserver:\n  listen: 127.0.0.1:0\n  admin_token: a\n  read_token: b\n"
          "sources:\n  - name: site\n    type: http\n    poll:\n"
          "      schedule: \"@every 1h\"\n      base_url: " + api.base_url() + "\n"
          "      rate_limit: {requests_per_second: 0, max_retries: 1}\n"
          "      streams:\n"
          "        - name: people\n          event_type: person\n          records: people\n"
          "          request: {path: /people}\n          cursor: {field: changed}\n"
          "        - name: visits\n          parent: people\n          event_type: visit\n"
          "          parent_fields: {person: id}\n          records: visits\n"
          "          id_field: \"\"\n"
          "          request: {path: \"/people/{{parent.person}}/visits\"}\n");
  Registry registry;
  RegisterBuiltinConnectors(registry);
  SystemClock clock;
  config::Diagnostics diag;
  auto config = config::LoadConfig(file, registry, {}, clock, diag);
  INFO(diag.Format());
  REQUIRE(config);
  auto store = storage::OpenStore(*config);
  REQUIRE(store.ok());
  const auto run = [&] {
    storage::SyncRun r;
    r.source = "site";
    r.trigger = "manual";
    r.started_at = clock.Now();
    r.id = *(*store)->StartSyncRun(r);
    poll::SyncRunner runner(**store, clock, {});
    poll::RunControl control;
    return runner.Run(config->sources.front(), r, control);
  };

  visit_status = 400;
  storage::SyncRun failed = run();
  CHECK(failed.status == "failed");
  CHECK_THAT(failed.detail, Catch::Contains("stream visits (for people p2)"));
  CHECK(failed.records == 0);
  auto nothing = (*store)->ReadInbox(0, 100);
  REQUIRE(nothing.ok());
  CHECK(nothing->empty());  // not even p1 and its visits: the page goes in whole or not at all
  auto cursor = (*store)->ReadPollState("site", "people");
  REQUIRE(cursor.ok());
  CHECK_FALSE(cursor->has_value());

  visit_status = 200;
  storage::SyncRun ok = run();
  INFO(ok.detail);
  CHECK(ok.status == "succeeded");
  CHECK(ok.records == 3 + 4);  // three people, two visits each for p1 and p2
  CHECK(ok.errors == 1);       // p3's visits: gone
  storage::IssueFilter filter;
  filter.source = "site";
  auto issues = (*store)->ListIssues(filter);
  REQUIRE(issues.ok());
  REQUIRE(issues->size() == 1);
  CHECK(issues->front().kind == "poll_bad_record");
  CHECK_THAT(issues->front().message, Catch::Contains("people p3 is gone"));
  auto events = (*store)->ReadInbox(0, 100);
  REQUIRE(events.ok());
  std::multiset<std::string> keys;
  for (const auto& e : *events) {
    keys.insert(e.event.external_id.substr(0, e.event.external_id.rfind(':')));
  }
  CHECK(keys == std::multiset<std::string>{"people:p1", "people:p2", "people:p3", "visits:p1:-",
                                           "visits:p1:-", "visits:p2:-", "visits:p2:-"});
}

}  // namespace journeyd::testing
