#include "engine/storage/postgres/pg_store.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <set>
#include <thread>
#include <vector>

#include "engine/base/compression.h"
#include "engine/config/config.h"
#include "engine/storage/migration.h"
#include "engine/storage/postgres/pg_transaction.h"
#include "tests/support/postgres.h"

// The expectations of engine/storage/sqlite/sqlite_store_test.cc, for the methods PgStore has.

namespace journeyd::storage {
namespace {

using std::chrono::system_clock;

std::unique_ptr<PgStore> OpenPg(const std::string& url) {
  auto store = PgStore::Open(url, PgStore::Options{});
  if (!store.ok()) FAIL(store.error().ToString());
  return std::move(*store);
}

RawEvent Event(std::string external_id, std::string body) {
  RawEvent e;
  e.source = "shop";
  e.event_type = "orders/create";
  e.external_id = std::move(external_id);
  e.content_type = "application/json";
  e.body = std::move(body);
  e.headers = {{"X-Shopify-Topic", "orders/create"}};
  e.received_at = system_clock::time_point(std::chrono::milliseconds(1700000000123));
  return e;
}

TEST_CASE("postgres: a new store applies every migration and survives reopening",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  const int newest = PostgresMigrations().back().version;
  {
    auto store = OpenPg(db.url());
    CHECK(store->schema_version() == newest);
    CHECK(store->Ping().ok());
  }
  auto again = OpenPg(db.url());
  CHECK(again->schema_version() == newest);
}

TEST_CASE("postgres: an unreachable server fails the open as unavailable",
          "[postgres][storage]") {
  auto store = PgStore::Open("postgresql://journeyd:pw@/none?host=/nonexistent-dir",
                             PgStore::Options{});
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(store.error().message, !Catch::Contains("pw"));
}

TEST_CASE("postgres: OpenStore opens a PgStore for a postgresql URL", "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  config::Config config;
  config.storage.url = db.url();
  config.storage.location = {config::StorageBackend::kPostgres, db.url()};
  auto store = OpenStore(config);
  REQUIRE(store.ok());
  CHECK((*store)->Ping().ok());
  CHECK((*store)->schema_version() == PostgresMigrations().back().version);
  auto max_profile = (*store)->MaxProfileId();
  REQUIRE(max_profile.ok());
  CHECK(*max_profile == 0);
}

TEST_CASE("postgres: a run without a recorded stop is reported at the next start",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto store = OpenPg(db.url());
  auto first = store->RecordStart("test", system_clock::now());
  REQUIRE(first.ok());
  CHECK_FALSE(first->previous_run_unclean);
  REQUIRE(store->RecordStop(first->run_id, system_clock::now()).ok());
  auto second = store->RecordStart("test", system_clock::now());
  REQUIRE(second.ok());
  CHECK_FALSE(second->previous_run_unclean);
  CHECK(second->run_id > first->run_id);
  auto third = store->RecordStart("test", system_clock::now());
  REQUIRE(third.ok());
  CHECK(third->previous_run_unclean);
  // While another instance holds a live lease, the run not stopped may well be its own.
  REQUIRE(*store->AcquireLease("identity", "instance-a", std::chrono::seconds(15)));
  auto fourth = store->RecordStart("test", system_clock::now());
  REQUIRE(fourth.ok());
  CHECK_FALSE(fourth->previous_run_unclean);
}

TEST_CASE("postgres: intake commits round-trip through the inbox, once per external id",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto store = OpenPg(db.url());
  const std::string large(4000, 'x');
  const RawEvent plain = Event("a", "{\"small\":1}");
  const RawEvent packed = Event("b", large);
  const RawEvent again = Event("a", "{\"small\":1}");
  const RawEvent anonymous = Event("", "no id");  // no external id: never a duplicate
  IntakeBatch batch;
  batch.records = {{&plain, plain.body, false, EncodeInboxHeaders(plain.headers)},
                   {&packed, ZstdCompress(packed.body), true, EncodeInboxHeaders(packed.headers)},
                   {&again, again.body, false, EncodeInboxHeaders(again.headers)},
                   {&anonymous, anonymous.body, false, EncodeInboxHeaders(anonymous.headers)},
                   {&anonymous, anonymous.body, false, EncodeInboxHeaders(anonymous.headers)}};
  batch.rejections = {{"shop", IntakeRejectionKind::kSignatureFailure, "signature_failure",
                       "signature mismatch", system_clock::now()}};
  batch.received = {{"shop", 6}};
  auto results = store->CommitIntake(batch);
  REQUIRE(results.ok());
  CHECK(*results == std::vector<AppendResult>{AppendResult::kStored, AppendResult::kStored,
                                              AppendResult::kDuplicate, AppendResult::kStored,
                                              AppendResult::kStored});

  auto rows = store->ReadInbox(0, 10);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 4);
  CHECK((*rows)[0].event.body == plain.body);
  CHECK((*rows)[1].event.body == large);  // decompressed on the way out
  CHECK((*rows)[1].event.external_id == "b");
  CHECK((*rows)[0].event.headers == plain.headers);
  CHECK((*rows)[0].event.received_at == plain.received_at);
  CHECK((*rows)[0].event.source == "shop");
  CHECK((*rows)[0].event.event_type == "orders/create");
  CHECK((*rows)[0].event.content_type == "application/json");
  CHECK((*rows)[2].event.external_id.empty());
  auto after = store->ReadInbox((*rows)[0].id, 10);
  REQUIRE(after.ok());
  CHECK(after->size() == 3);
  CHECK(store->ReadInbox(0, 1)->size() == 1);

  auto stats = store->ListSourceStats();
  REQUIRE(stats.ok());
  REQUIRE(stats->size() == 1);
  CHECK((*stats)[0].received == 6);
  CHECK((*stats)[0].accepted == 4);
  CHECK((*stats)[0].duplicates == 1);
  CHECK((*stats)[0].signature_failures == 1);
  CHECK((*stats)[0].rejected == 0);
  CHECK(*(*stats)[0].last_event_at == plain.received_at);
  CHECK(*store->CountPendingInbox() == 4);
  auto issues = store->ListIssues({});
  REQUIRE(issues.ok());
  REQUIRE(issues->size() == 1);
  CHECK((*issues)[0].kind == "signature_failure");
  CHECK((*issues)[0].inbox_id == 0);
  auto counts = store->CountIssues({});
  REQUIRE(counts.ok());
  REQUIRE(counts->size() == 1);
  CHECK((*counts)[0].count == 1);

  // The same commit counted the batch's minute for the status page, and the issue's hour.
  auto activity = store->ReadSourceActivity(plain.received_at - std::chrono::hours(1));
  REQUIRE(activity.ok());
  REQUIRE(activity->size() == 1);
  CHECK((*activity)[0].source == "shop");
  CHECK((*activity)[0].received == 6);
  CHECK((*activity)[0].accepted == 4);
  CHECK((*activity)[0].duplicates == 1);
  CHECK((*activity)[0].signature_failures == 1);
  CHECK((*activity)[0].minute <= system_clock::now());
  CHECK(store->ReadSourceActivity(system_clock::now() + std::chrono::hours(1))->empty());
  auto trend = store->ReadIssueTrend(system_clock::now() - std::chrono::hours(2));
  REQUIRE(trend.ok());
  REQUIRE(trend->size() == 1);
  CHECK((*trend)[0].kind == "signature_failure");
  CHECK((*trend)[0].count == 1);

  // A second commit adds to the counters; an older event leaves last_event_at alone.
  RawEvent older = Event("c", "{}");
  older.received_at = plain.received_at - std::chrono::hours(1);
  IntakeBatch second;
  second.records = {{&older, older.body, false, EncodeInboxHeaders(older.headers)}};
  second.rejections = {{"shop", IntakeRejectionKind::kRejected, "malformed_payload", "bad json",
                        system_clock::now()},
                       {"web", IntakeRejectionKind::kRejected, "malformed_payload", "bad json",
                        system_clock::now()}};
  second.received = {{"shop", 2}, {"web", 1}};
  REQUIRE(store->CommitIntake(second).ok());
  stats = store->ListSourceStats();
  REQUIRE(stats.ok());
  REQUIRE(stats->size() == 2);
  CHECK((*stats)[0].received == 8);
  CHECK((*stats)[0].accepted == 5);
  CHECK((*stats)[0].rejected == 1);
  CHECK(*(*stats)[0].last_event_at == plain.received_at);
  CHECK((*stats)[1].source == "web");
  CHECK(!(*stats)[1].last_event_at);
  IssueFilter web;
  web.source = "web";
  CHECK(store->ListIssues(web)->size() == 1);
  IssueFilter page;
  page.limit = 1;
  auto newest = store->ListIssues(page);
  REQUIRE(newest.ok());
  REQUIRE(newest->size() == 1);
  page.before_id = (*newest)[0].id;
  page.limit = 10;
  CHECK(store->ListIssues(page)->size() == 2);
}

TEST_CASE("postgres: a large batch keeps one result per record, in order",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto store = OpenPg(db.url());
  const RawEvent earlier = Event("k5", "{}");
  IntakeBatch first;
  first.records = {{&earlier, earlier.body, false, "[]"}};
  REQUIRE(store->CommitIntake(first).ok());
  // 100 records go in chunks of 64, 32 and 4 rows; keys repeat within and across chunks.
  std::vector<RawEvent> events;
  for (int i = 0; i < 100; ++i) {
    events.push_back(Event(i % 10 == 9 ? "" : "k" + std::to_string(i % 70), "{}"));
    events.back().source = i % 2 == 0 ? "shop" : "web";
  }
  IntakeBatch batch;
  std::vector<AppendResult> expected;
  std::set<std::pair<std::string, std::string>> seen = {{"shop", "k5"}};
  for (const RawEvent& e : events) {
    batch.records.push_back({&e, e.body, false, "[]"});
    const bool fresh = e.external_id.empty() || seen.insert({e.source, e.external_id}).second;
    expected.push_back(fresh ? AppendResult::kStored : AppendResult::kDuplicate);
  }
  auto results = store->CommitIntake(batch);
  REQUIRE(results.ok());
  CHECK(*results == expected);
  const auto stored = std::count(expected.begin(), expected.end(), AppendResult::kStored);
  CHECK(*store->CountPendingInbox() == stored + 1);
  auto stats = store->ListSourceStats();
  REQUIRE(stats.ok());
  REQUIRE(stats->size() == 2);
  CHECK((*stats)[0].accepted + (*stats)[1].accepted == stored + 1);
  CHECK((*stats)[0].duplicates + (*stats)[1].duplicates == 100 - stored);
}

TEST_CASE("postgres: mapping takes pending inbox rows once", "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto store = OpenPg(db.url());
  const RawEvent a = Event("a", "{}");
  const RawEvent b = Event("b", "{}");
  IntakeBatch batch;
  batch.records = {{&a, a.body, false, EncodeInboxHeaders(a.headers)},
                   {&b, b.body, false, EncodeInboxHeaders(b.headers)}};
  REQUIRE(store->CommitIntake(batch).ok());
  auto pending = store->ReadPendingInbox(10);
  REQUIRE(pending.ok());
  REQUIRE(pending->size() == 2);
  MappedBatch mapped;
  mapped.records.push_back({(*pending)[0].id, "shop", "orders/create",
                            system_clock::time_point(std::chrono::seconds(1)), "{\"r\":1}", "a"});
  mapped.quarantined.push_back({(*pending)[1].id, "shop", "orders/create", "b", "[]",
                                {"email_required", "email_required"}, ""});
  mapped.processed = {(*pending)[0].id, (*pending)[1].id};
  mapped.at = system_clock::now();
  REQUIRE(store->CommitMapped(mapped).ok());
  REQUIRE(store->CommitMapped(mapped).ok());  // a replay after a crash adds no record
  CHECK(*store->CountPendingInbox() == 0);
  CHECK(store->ReadPendingInbox(10)->empty());
  auto records = store->ReadRecords(0, 10);
  REQUIRE(records.ok());
  REQUIRE(records->size() == 1);
  CHECK((*records)[0].json == "{\"r\":1}");
  CHECK((*records)[0].inbox_id == (*pending)[0].id);
  auto work = store->CountOpenWork();
  REQUIRE(work.ok());
  CHECK(work->quarantined == 2);  // the replay quarantined it again, as SQLite does
  REQUIRE(work->quarantined_by_rule.size() == 1);
  CHECK(work->quarantined_by_rule[0] ==
        std::pair<std::string, int64_t>{"email_required", 2});
}

TEST_CASE("postgres: poll state and imported files commit with their page",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto store = OpenPg(db.url());
  const auto t0 = system_clock::time_point(std::chrono::seconds(1'800'000'000));
  CHECK(!*store->ReadPollState("crm", "contacts"));
  IntakeBatch page;
  page.poll_states = {{"crm", "contacts", "{\"cursor\":1}", t0},
                      {"crm", "deals", "{\"cursor\":7}", t0}};
  page.imported_files = {{"drop", "abc", "day1.csv", 100, 3, t0}};
  REQUIRE(store->CommitIntake(page).ok());
  page.poll_states = {{"crm", "contacts", "{\"cursor\":2}", t0 + std::chrono::seconds(1)}};
  page.imported_files = {{"drop", "abc", "renamed.csv", 100, 3, t0 + std::chrono::seconds(1)}};
  REQUIRE(store->CommitIntake(page).ok());
  auto state = store->ReadPollState("crm", "contacts");
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  CHECK((*state)->state == "{\"cursor\":2}");
  CHECK((*state)->updated_at == t0 + std::chrono::seconds(1));
  auto all = store->ListPollStates();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[1].stream == "deals");
  auto file = store->FindImportedFile("drop", "abc");
  REQUIRE(file.ok());
  REQUIRE(file->has_value());
  CHECK((*file)->name == "day1.csv");  // the first import is the one remembered
  CHECK((*file)->rows == 3);
  CHECK((*file)->imported_at == t0);
  CHECK(!*store->FindImportedFile("drop", "other"));
  REQUIRE(store->ResetPollState("crm", "deals").ok());
  CHECK(store->ListPollStates()->size() == 1);
  REQUIRE(store->ResetPollState("crm", "").ok());
  CHECK(store->ListPollStates()->empty());
}

TEST_CASE("postgres: sync runs are recorded, finished, listed newest first and counted",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  const auto t0 = system_clock::time_point(std::chrono::seconds(1'800'000'000));
  int64_t interrupted = 0;
  {
    auto store = OpenPg(db.url());
    SyncRun run;
    run.source = "pos";
    run.trigger = "import";
    run.started_at = t0;
    run.cursor_before = "c0";
    run.detail = "day1.csv";
    auto id = store->StartSyncRun(run);
    REQUIRE(id.ok());
    run.id = *id;
    run.status = "succeeded";
    run.ended_at = t0 + std::chrono::seconds(3);
    run.pages = 2;
    run.records = 7;
    run.duplicates = 1;
    run.errors = 1;
    run.cursor_after = "c1";
    REQUIRE(store->FinishSyncRun(run).ok());
    run.id = 999;
    CHECK(store->FinishSyncRun(run).error().code == ErrorCode::kNotFound);

    SyncRun other;
    other.source = "shop";
    other.trigger = "manual";
    other.started_at = t0 + std::chrono::seconds(10);
    auto second = store->StartSyncRun(other);
    REQUIRE(second.ok());
    interrupted = *second;

    auto runs = store->ListSyncRuns({});
    REQUIRE(runs.ok());
    REQUIRE(runs->size() == 2);
    CHECK((*runs)[0].id == interrupted);
    CHECK((*runs)[0].status == "running");
    CHECK(!(*runs)[0].ended_at);
    const SyncRun& done = (*runs)[1];
    CHECK(done.status == "succeeded");
    CHECK(*done.ended_at == t0 + std::chrono::seconds(3));
    CHECK(done.pages == 2);
    CHECK(done.records == 7);
    CHECK(done.duplicates == 1);
    CHECK(done.errors == 1);
    CHECK(done.cursor_before == "c0");
    CHECK(done.cursor_after == "c1");
    CHECK(done.detail == "day1.csv");
    SyncRunFilter pos;
    pos.source = "pos";
    CHECK(store->ListSyncRuns(pos)->size() == 1);
    SyncRunFilter page;
    page.limit = 1;
    page.before_id = interrupted;
    CHECK(store->ListSyncRuns(page)->front().source == "pos");
    auto latest = store->ListLatestSyncRuns();
    REQUIRE(latest.ok());
    REQUIRE(latest->size() == 2);
    CHECK((*latest)[0].source == "pos");
    CHECK((*latest)[1].id == interrupted);
    auto last = store->LastSuccessfulSyncRun("pos");
    REQUIRE(last.ok());
    REQUIRE(last->has_value());
    CHECK((*last)->records == 7);
    CHECK(!*store->LastSuccessfulSyncRun("shop"));
  }
  // Another instance starting leaves the second run alone (its instance may still be running
  // it); the one that takes the source's poll lease over ends it.
  auto store = OpenPg(db.url());
  REQUIRE(store->RecordStart("test", t0 + std::chrono::seconds(30)).ok());
  CHECK(store->ListSyncRuns({})->front().status == "running");
  REQUIRE(store->InterruptSyncRuns("shop", t0 + std::chrono::minutes(1)).ok());
  auto runs = store->ListSyncRuns({});
  REQUIRE(runs.ok());
  CHECK((*runs)[0].id == interrupted);
  CHECK((*runs)[0].status == "failed");
  CHECK((*runs)[0].detail == "interrupted (the instance running it stopped)");
  CHECK(*(*runs)[0].ended_at == t0 + std::chrono::minutes(1));
  CHECK((*runs)[1].status == "succeeded");
  auto counts = store->CountSyncRuns();
  REQUIRE(counts.ok());
  REQUIRE(counts->size() == 2);
  CHECK((*counts)[0].source == "pos");
  CHECK((*counts)[0].trigger == "import");
  CHECK((*counts)[0].status == "succeeded");
  CHECK((*counts)[0].count == 1);
  CHECK((*counts)[1].status == "failed");
}

TEST_CASE("postgres: concurrent intake commits from many threads all land",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto store = OpenPg(db.url());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const RawEvent e = Event(std::to_string(t) + "-" + std::to_string(i), "{}");
        const RawEvent dup = Event("shared", "{}");
        IntakeBatch batch;
        batch.records = {{&e, e.body, false, "[]"}, {&dup, dup.body, false, "[]"}};
        batch.received = {{"shop", 2}};
        if (!store->CommitIntake(batch).ok()) ++failures;
        if (!store->CountPendingInbox().ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(*store->CountPendingInbox() == 41);
  auto stats = store->ListSourceStats();
  REQUIRE(stats.ok());
  CHECK((*stats)[0].received == 80);
  CHECK((*stats)[0].accepted == 41);
  CHECK((*stats)[0].duplicates == 39);
}

// Two instances on one database: each connection counts on its own shard (pg_backend_pid() %
// 16), and every reader adds the shards up, whichever connection wrote them.
TEST_CASE("postgres: the intake counters are striped per connection and read back summed",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto a = OpenPg(db.url());
  auto b = OpenPg(db.url());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      PgStore& store = t % 2 == 0 ? *a : *b;
      for (int i = 0; i < 10; ++i) {
        const RawEvent e = Event(std::to_string(t) + "-" + std::to_string(i), "{}");
        IntakeBatch batch;
        batch.records = {{&e, e.body, false, "[]"}};
        batch.received = {{"shop", 1}};
        if (!store.CommitIntake(batch).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(failures == 0);
  auto conn = PgConnection::Open(db.url());
  REQUIRE(conn.ok());
  auto shards = (*conn)->Query(
      "SELECT COUNT(*), MIN(shard), MAX(shard), SUM(accepted) FROM source_stats");
  REQUIRE(shards.ok());
  CHECK(shards->Int64(0, 0) >= 1);
  CHECK(shards->Int64(0, 1) >= 0);
  CHECK(shards->Int64(0, 2) < 16);
  CHECK(shards->Int64(0, 3) == 40);

  // What other connections left on shards of their own (16 and 17: no connection writes those,
  // so the rows stay apart from this test's).
  const int64_t minute = 1700000000123 / 60000;
  REQUIRE((*conn)->Query(
      "INSERT INTO source_stats(source, received, accepted, duplicates, rejected,"
      " signature_failures, last_event_at, suppressed, shard)"
      " VALUES ('shop', 5, 4, 1, 2, 3, 1700000099000, 6, 16),"
      " ('shop', 1, 0, 1, 0, 0, NULL, 1, 17), ('other', 1, 1, 0, 0, 0, 1, 0, 16)").ok());
  REQUIRE((*conn)->Query(
      "INSERT INTO source_activity(source, minute, received, accepted, duplicates, rejected,"
      " signature_failures, shard) VALUES ('shop', $1, 5, 4, 1, 2, 3, 16),"
      " ('shop', $1 + 1, 1, 1, 0, 0, 0, 16), ('shop', $1 - 8 * 24 * 60 - 1, 7, 7, 0, 0, 0, 17)",
      PgParams().Add(minute)).ok());
  auto stats = a->ListSourceStats();
  REQUIRE(stats.ok());
  REQUIRE(stats->size() == 2);
  CHECK((*stats)[0].source == "other");
  CHECK((*stats)[1].source == "shop");
  CHECK((*stats)[1].received == 46);
  CHECK((*stats)[1].accepted == 44);
  CHECK((*stats)[1].duplicates == 2);
  CHECK((*stats)[1].rejected == 2);
  CHECK((*stats)[1].signature_failures == 3);
  CHECK((*stats)[1].suppressed == 7);
  REQUIRE((*stats)[1].last_event_at.has_value());
  CHECK(*(*stats)[1].last_event_at ==
        system_clock::time_point(std::chrono::milliseconds(1700000099000)));
  auto activity = b->ReadSourceActivity(
      system_clock::time_point(std::chrono::minutes(minute - 10 * 24 * 60)));
  REQUIRE(activity.ok());
  REQUIRE(activity->size() == 3);  // one row per minute, however many shards
  CHECK((*activity)[0].received == 7);
  CHECK((*activity)[1].minute == system_clock::time_point(std::chrono::minutes(minute)));
  CHECK((*activity)[1].received == 45);
  CHECK((*activity)[1].accepted == 44);
  CHECK((*activity)[1].rejected == 2);
  CHECK((*activity)[2].received == 1);

  // A store's first commit prunes the activity older than eight days, on every shard.
  auto c = OpenPg(db.url());
  const RawEvent late = Event("late", "{}");
  IntakeBatch batch;
  batch.records = {{&late, late.body, false, "[]"}};
  batch.received = {{"shop", 1}};
  REQUIRE(c->CommitIntake(batch).ok());
  auto pruned = c->ReadSourceActivity(
      system_clock::time_point(std::chrono::minutes(minute - 10 * 24 * 60)));
  REQUIRE(pruned.ok());
  REQUIRE(pruned->size() == 2);
  CHECK((*pruned)[0].received == 46);
  auto after = c->ListSourceStats();
  REQUIRE(after.ok());
  CHECK((*after)[1].accepted == 45);
}

// Not run by default ("[.]"): the measurement behind CommitIntake's multi-row inserts.
// ./journeyd_unit_tests "postgres: intake insert strategies measured"
TEST_CASE("postgres: intake insert strategies measured", "[.][postgres][bench]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto store = OpenPg(db.url());
  constexpr int kRows = 64;
  constexpr int kRounds = 50;
  const std::string body(2048, 'b');
  std::vector<RawEvent> events;
  for (int i = 0; i < kRows * kRounds * 2; ++i) events.push_back(Event(std::to_string(i), body));

  const auto t0 = std::chrono::steady_clock::now();
  for (int round = 0; round < kRounds; ++round) {
    IntakeBatch batch;
    for (int i = 0; i < kRows; ++i) {
      const RawEvent& e = events[round * kRows + i];
      batch.records.push_back({&e, e.body, false, "[]"});
    }
    batch.received = {{"shop", kRows}};
    REQUIRE(store->CommitIntake(batch).ok());
  }
  const auto multi_row = std::chrono::steady_clock::now() - t0;

  // The alternative: one prepared INSERT per record, then the same counters.
  auto conn = PgConnection::Open(db.url());
  REQUIRE(conn.ok());
  const auto t1 = std::chrono::steady_clock::now();
  for (int round = kRounds; round < 2 * kRounds; ++round) {
    auto tx = PgTransaction::Begin(**conn);
    REQUIRE(tx.ok());
    for (int i = 0; i < kRows; ++i) {
      const RawEvent& e = events[round * kRows + i];
      auto inserted = (*conn)->Query(
          "INSERT INTO inbox(source, event_type, external_id, received_at, content_type,"
          " headers, body_encoding, body, body_size)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
          " ON CONFLICT (source, external_id) DO NOTHING",
          PgParams().Add(e.source).Add(e.event_type).Add(e.external_id)
              .AddMillis(e.received_at).Add(e.content_type).Add("[]").Add("identity")
              .AddBytes(e.body).Add(static_cast<int64_t>(e.body.size())));
      REQUIRE(inserted.ok());
      REQUIRE(inserted->affected_rows() == 1);
    }
    REQUIRE((*conn)->Query(
        "INSERT INTO source_stats(source, received, accepted, shard)"
        " VALUES ($1, $2, $3, pg_backend_pid() % 16)"
        " ON CONFLICT (source, shard) DO UPDATE SET received = source_stats.received + $2,"
        " accepted = source_stats.accepted + $3",
        PgParams().Add("shop").Add(int64_t{kRows}).Add(int64_t{kRows})).ok());
    REQUIRE(tx->Commit().ok());
  }
  const auto per_row = std::chrono::steady_clock::now() - t1;
  using ms = std::chrono::duration<double, std::milli>;
  WARN("64 rows of 2 KB per commit, mean of " << kRounds << ": multi-row inserts (CommitIntake) "
       << ms(multi_row).count() / kRounds << " ms, one insert per row "
       << ms(per_row).count() / kRounds << " ms");
}

}  // namespace
}  // namespace journeyd::storage
