#include "engine/storage/sqlite/sqlite_store.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "engine/base/compression.h"
#include "engine/storage/migration.h"
#include "tests/support/temp_dir.h"

namespace journeyd::storage {
namespace {

using std::chrono::system_clock;

TEST_CASE("a new store applies every migration and survives reopening", "[storage]") {
  testing::TempDir dir;
  const auto path = dir.path() / "j.db";
  const int newest = SqliteMigrations().back().version;
  {
    auto store = SqliteStore::Open(path, std::chrono::seconds(1));
    REQUIRE(store.ok());
    CHECK((*store)->schema_version() == newest);
    CHECK((*store)->Ping().ok());
  }
  auto again = SqliteStore::Open(path, std::chrono::seconds(1));
  REQUIRE(again.ok());
  CHECK((*again)->schema_version() == newest);
}

TEST_CASE("the store uses WAL and foreign keys", "[storage]") {
  testing::TempDir dir;
  auto store = SqliteStore::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(store.ok());
  auto db = SqliteDb::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(db.ok());
  auto mode = (*db)->Prepare("PRAGMA journal_mode");
  REQUIRE(mode.ok());
  REQUIRE(*mode->Step());
  CHECK(mode->ColumnText(0) == "wal");
  auto fk = (*db)->Prepare("PRAGMA foreign_keys");
  REQUIRE(fk.ok());
  REQUIRE(*fk->Step());
  CHECK(fk->ColumnInt(0) == 1);
}

TEST_CASE("a schema newer than the binary is refused with a clear message", "[storage]") {
  testing::TempDir dir;
  const auto path = dir.path() / "j.db";
  { REQUIRE(SqliteStore::Open(path, std::chrono::seconds(1)).ok()); }
  {
    auto db = SqliteDb::Open(path, std::chrono::seconds(1));
    REQUIRE(db.ok());
    auto insert = (*db)->Prepare(
        "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?1, 'future', 0)");
    REQUIRE(insert.ok());
    insert->Bind(1, int64_t{SqliteMigrations().back().version + 1});
    REQUIRE(insert->Run().ok());
  }
  auto store = SqliteStore::Open(path, std::chrono::seconds(1));
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().code == ErrorCode::kCorruption);
  CHECK_THAT(store.error().message, Catch::Contains("newer than this journeyd"));
}

TEST_CASE("a run without a recorded stop is reported at the next start", "[storage]") {
  testing::TempDir dir;
  auto store = SqliteStore::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(store.ok());
  auto first = (*store)->RecordStart("test", system_clock::now());
  REQUIRE(first.ok());
  CHECK_FALSE(first->previous_run_unclean);
  REQUIRE((*store)->RecordStop(first->run_id, system_clock::now()).ok());
  auto second = (*store)->RecordStart("test", system_clock::now());
  REQUIRE(second.ok());
  CHECK_FALSE(second->previous_run_unclean);
  // No stop recorded for the second run: as after kill -9.
  auto third = (*store)->RecordStart("test", system_clock::now());
  REQUIRE(third.ok());
  CHECK(third->previous_run_unclean);
}

TEST_CASE("opening a file that is not a database fails cleanly", "[storage]") {
  testing::TempDir dir;
  const auto path = dir.Write("garbage.db", std::string(8192, 'x'));
  auto store = SqliteStore::Open(path, std::chrono::seconds(1));
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().code == ErrorCode::kCorruption);
}

}  // namespace
}  // namespace journeyd::storage

namespace journeyd::storage {
namespace {

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

// Migration 0015 rebuilds the counter tables with a shard in their keys (for PostgreSQL's
// writers); the rows of an older file become shard 0 and read back as they were.
TEST_CASE("the intake counters of an older schema survive as shard 0", "[storage]") {
  testing::TempDir dir;
  const auto path = dir.path() / "j.db";
  {
    auto db = SqliteDb::Open(path, std::chrono::seconds(1));
    REQUIRE(db.ok());
    REQUIRE((*db)->Exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                        " name TEXT NOT NULL, applied_at INTEGER NOT NULL)").ok());
    for (const Migration& m : SqliteMigrations()) {
      if (m.version >= 15) break;
      REQUIRE((*db)->Exec(m.sql).ok());
      REQUIRE((*db)->Exec("INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) +
                          ", 'before', 0)").ok());
    }
    REQUIRE((*db)->Exec(
        "INSERT INTO source_stats(source, received, accepted, duplicates, last_event_at,"
        " suppressed) VALUES ('shop', 7, 5, 2, 1700000000123, 3), ('stripe', 1, 0, 0, NULL, 0);"
        "INSERT INTO source_activity(source, minute, received, accepted, duplicates)"
        " VALUES ('shop', 28333333, 7, 5, 2)").ok());
  }
  auto store = SqliteStore::Open(path, std::chrono::seconds(1));
  REQUIRE(store.ok());
  CHECK((*store)->schema_version() == SqliteMigrations().back().version);
  auto stats = (*store)->ListSourceStats();
  REQUIRE(stats.ok());
  REQUIRE(stats->size() == 2);
  CHECK((*stats)[0].source == "shop");
  CHECK((*stats)[0].received == 7);
  CHECK((*stats)[0].accepted == 5);
  CHECK((*stats)[0].duplicates == 2);
  CHECK((*stats)[0].suppressed == 3);
  CHECK((*stats)[0].last_event_at ==
        system_clock::time_point(std::chrono::milliseconds(1700000000123)));
  CHECK((*stats)[1].source == "stripe");
  CHECK_FALSE((*stats)[1].last_event_at.has_value());

  // The next commit adds to the same rows (shard 0), in the minute already counted.
  const RawEvent e = Event("evt-1", "{}");
  IntakeBatch batch;
  batch.records = {{&e, e.body, false, "[]"}};
  batch.received = {{"shop", 1}};
  REQUIRE((*store)->CommitIntake(batch).ok());
  auto after = (*store)->ListSourceStats();
  REQUIRE(after.ok());
  CHECK((*after)[0].received == 8);
  CHECK((*after)[0].accepted == 6);
  auto activity = (*store)->ReadSourceActivity(system_clock::time_point(std::chrono::hours(0)));
  REQUIRE(activity.ok());
  REQUIRE(activity->size() == 1);
  CHECK((*activity)[0].received == 8);

  auto db = SqliteDb::Open(path, std::chrono::seconds(1));
  REQUIRE(db.ok());
  auto rows = (*db)->Prepare(
      "SELECT (SELECT COUNT(*) FROM source_stats WHERE shard = 0),"
      " (SELECT COUNT(*) FROM source_activity WHERE shard = 0),"
      " (SELECT COUNT(*) FROM sqlite_master WHERE name = 'source_activity_minute'),"
      " (SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%striped%')");
  REQUIRE(rows.ok());
  REQUIRE(*rows->Step());
  CHECK(rows->ColumnInt(0) == 2);
  CHECK(rows->ColumnInt(1) == 1);
  CHECK(rows->ColumnInt(2) == 1);
  CHECK(rows->ColumnInt(3) == 0);
}

TEST_CASE("intake commits round-trip through the inbox, once per external id", "[storage]") {
  testing::TempDir dir;
  auto store = SqliteStore::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(store.ok());
  const std::string large(4000, 'x');
  const RawEvent plain = Event("a", "{\"small\":1}");
  const RawEvent packed = Event("b", large);
  const RawEvent again = Event("a", "{\"small\":1}");
  IntakeBatch batch;
  batch.records = {{&plain, plain.body, false, EncodeInboxHeaders(plain.headers)},
                   {&packed, ZstdCompress(packed.body), true, EncodeInboxHeaders(packed.headers)},
                   {&again, again.body, false, EncodeInboxHeaders(again.headers)}};
  batch.rejections = {{"shop", IntakeRejectionKind::kSignatureFailure, "signature_failure",
                       "signature mismatch", system_clock::now()}};
  batch.received = {{"shop", 4}};
  auto results = (*store)->CommitIntake(batch);
  REQUIRE(results.ok());
  CHECK(*results == std::vector<AppendResult>{AppendResult::kStored, AppendResult::kStored,
                                              AppendResult::kDuplicate});

  auto rows = (*store)->ReadInbox(0, 10);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].event.body == plain.body);
  CHECK((*rows)[1].event.body == large);  // decompressed on the way out
  CHECK((*rows)[1].event.external_id == "b");
  CHECK((*rows)[0].event.headers == plain.headers);
  CHECK((*rows)[0].event.received_at == plain.received_at);
  auto after = (*store)->ReadInbox((*rows)[0].id, 10);
  REQUIRE(after.ok());
  CHECK(after->size() == 1);

  auto stats = (*store)->ListSourceStats();
  REQUIRE(stats.ok());
  REQUIRE(stats->size() == 1);
  CHECK((*stats)[0].received == 4);
  CHECK((*stats)[0].accepted == 2);
  CHECK((*stats)[0].duplicates == 1);
  CHECK((*stats)[0].signature_failures == 1);
  CHECK(*(*stats)[0].last_event_at == plain.received_at);
  CHECK(*(*store)->CountPendingInbox() == 2);
  auto issues = (*store)->ListIssues({});
  REQUIRE(issues.ok());
  REQUIRE(issues->size() == 1);
  CHECK((*issues)[0].kind == "signature_failure");

  // The same commit counted the batch's minute for the status page, and the issue's hour.
  auto activity = (*store)->ReadSourceActivity(plain.received_at - std::chrono::hours(1));
  REQUIRE(activity.ok());
  REQUIRE(activity->size() == 1);
  CHECK((*activity)[0].source == "shop");
  CHECK((*activity)[0].received == 4);
  CHECK((*activity)[0].accepted == 2);
  CHECK((*activity)[0].duplicates == 1);
  CHECK((*activity)[0].signature_failures == 1);
  CHECK((*activity)[0].minute <= system_clock::now());
  CHECK((*store)->ReadSourceActivity(system_clock::now() + std::chrono::hours(1))->empty());
  auto trend = (*store)->ReadIssueTrend(system_clock::now() - std::chrono::hours(2));
  REQUIRE(trend.ok());
  REQUIRE(trend->size() == 1);
  CHECK((*trend)[0].kind == "signature_failure");
  CHECK((*trend)[0].count == 1);
}

TEST_CASE("sync runs are recorded, finished, listed newest first and counted", "[storage]") {
  testing::TempDir dir;
  const auto path = dir.path() / "j.db";
  const auto t0 = system_clock::time_point(std::chrono::seconds(1'800'000'000));
  int64_t interrupted = 0;
  {
    auto store = SqliteStore::Open(path, std::chrono::seconds(1));
    REQUIRE(store.ok());
    SyncRun run;
    run.source = "pos";
    run.trigger = "import";
    run.started_at = t0;
    run.cursor_before = "c0";
    run.detail = "day1.csv";
    auto id = (*store)->StartSyncRun(run);
    REQUIRE(id.ok());
    run.id = *id;
    run.status = "succeeded";
    run.ended_at = t0 + std::chrono::seconds(3);
    run.pages = 2;
    run.records = 7;
    run.duplicates = 1;
    run.errors = 1;
    run.cursor_after = "c1";
    REQUIRE((*store)->FinishSyncRun(run).ok());
    run.id = 999;
    CHECK((*store)->FinishSyncRun(run).error().code == ErrorCode::kNotFound);

    SyncRun other;
    other.source = "shop";
    other.trigger = "manual";
    other.started_at = t0 + std::chrono::seconds(10);
    auto second = (*store)->StartSyncRun(other);
    REQUIRE(second.ok());
    interrupted = *second;

    auto runs = (*store)->ListSyncRuns({});
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
    CHECK((*store)->ListSyncRuns(pos)->size() == 1);
    SyncRunFilter page;
    page.limit = 1;
    page.before_id = interrupted;
    CHECK((*store)->ListSyncRuns(page)->front().source == "pos");
    auto latest = (*store)->ListLatestSyncRuns();
    REQUIRE(latest.ok());
    REQUIRE(latest->size() == 2);
    CHECK((*latest)[0].source == "pos");
    CHECK((*latest)[1].id == interrupted);
  }
  // The daemon's next start finds the second run still running: a crash cut it short.
  auto store = SqliteStore::Open(path, std::chrono::seconds(1));
  REQUIRE(store.ok());
  REQUIRE((*store)->RecordStart("test", t0 + std::chrono::minutes(1)).ok());
  auto runs = (*store)->ListSyncRuns({});
  REQUIRE(runs.ok());
  CHECK((*runs)[0].id == interrupted);
  CHECK((*runs)[0].status == "failed");
  CHECK((*runs)[0].detail == "interrupted (journeyd stopped during the run)");
  CHECK(*(*runs)[0].ended_at == t0 + std::chrono::minutes(1));
  CHECK((*runs)[1].status == "succeeded");
  auto counts = (*store)->CountSyncRuns();
  REQUIRE(counts.ok());
  REQUIRE(counts->size() == 2);
  CHECK((*counts)[0].source == "pos");
  CHECK((*counts)[0].trigger == "import");
  CHECK((*counts)[0].status == "succeeded");
  CHECK((*counts)[0].count == 1);
  CHECK((*counts)[1].status == "failed");
}

}  // namespace
}  // namespace journeyd::storage

namespace journeyd::storage {
namespace {

TEST_CASE("in-flight delivery keys survive a reopen and go when settled", "[storage]") {
  testing::TempDir dir;
  const auto path = dir.path() / "j.db";
  const TimePoint sent = std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));
  {
    auto store = SqliteStore::Open(path, std::chrono::seconds(1));
    REQUIRE(store.ok());
    REQUIRE((*store)->MarkInFlight("crm", {"tp:1", "tp:2", "tp:3"}, sent).ok());
    REQUIRE((*store)->MarkInFlight("other", {"tp:1"}, sent).ok());
    REQUIRE((*store)->MarkInFlight("crm", {}, sent).ok());  // nothing to mark
  }
  // As after a crash: what was in flight is read back with when it went.
  auto store = SqliteStore::Open(path, std::chrono::seconds(1));
  REQUIRE(store.ok());
  auto in_flight = (*store)->ReadInFlight("crm");
  REQUIRE(in_flight.ok());
  CHECK(*in_flight == std::map<std::string, TimePoint>{{"tp:1", sent}, {"tp:2", sent},
                                                       {"tp:3", sent}});
  // Delivered and dead-lettered items are settled: their marks go in the same commit.
  DeliveryCommit commit;
  commit.target = "crm";
  commit.delivered_keys = {"tp:1"};
  DeadLetterRow dead;
  dead.kind = "touchpoint";
  dead.profile_id = 7;
  dead.item_key = "tp:3";
  dead.message = "refused";
  dead.request_json = "{}";
  commit.dead.push_back(dead);
  commit.at = sent;
  REQUIRE((*store)->CommitDelivery(commit).ok());
  in_flight = (*store)->ReadInFlight("crm");
  REQUIRE(in_flight.ok());
  CHECK(*in_flight == std::map<std::string, TimePoint>{{"tp:2", sent}});
  auto other = (*store)->ReadInFlight("other");
  REQUIRE(other.ok());
  CHECK(other->size() == 1);  // per target
}


// The mapping stage's commit of a big batch used to hold SQLite's write lock for 5-13 ms while
// webhooks waited for theirs. With an intake committing all along, the batch is now committed in
// parts (IntakePriority), and still every event is mapped exactly once and every intake kept.
TEST_CASE("a mapping commit lets a waiting intake in and still maps every event once",
          "[storage]") {
  testing::TempDir dir;
  auto store = SqliteStore::Open(dir.path() / "j.db", std::chrono::seconds(5));
  REQUIRE(store.ok());
  const std::string body(2000, 'x');

  std::atomic<bool> stop{false};
  std::atomic<int> intake_commits{0};
  std::thread intake([&] {
    for (int i = 0; !stop.load(); ++i) {
      const RawEvent e = Event("live-" + std::to_string(i), body);
      IntakeBatch one;
      one.records = {{&e, e.body, false, "[]"}};
      one.received = {{"shop", 1}};
      if ((*store)->CommitIntake(one).ok()) intake_commits.fetch_add(1);
      // A busy source, not a saturated one: under a saturated intake the pipeline's connection
      // (SQLite's backoff against the intake's 200 us polling) hardly gets the lock at all.
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });

  int mapped = 0;
  for (int round = 0; round < 10 && (*store)->intake_yields() == 0; ++round) {
    std::vector<RawEvent> events;
    for (int i = 0; i < 400; ++i) {
      events.push_back(Event("batch-" + std::to_string(round) + "-" + std::to_string(i), body));
    }
    IntakeBatch backlog;
    for (const RawEvent& e : events) backlog.records.push_back({&e, e.body, false, "[]"});
    CHECK((*store)->CommitIntake(backlog).ok());
    auto pending = (*store)->ReadPendingInbox(100'000);
    CHECK(pending.ok());
    if (!pending.ok()) break;
    MappedBatch batch;
    batch.at = system_clock::now();
    for (const StoredInboxEvent& p : *pending) {
      batch.processed.push_back(p.id);
      batch.records.push_back({p.id, p.event.source, p.event.event_type, batch.at,
                               "{\"note\":\"" + body + "\"}", p.event.external_id});
    }
    const Status committed = (*store)->CommitMapped(batch);
    INFO((committed.ok() ? std::string() : committed.error().message));
    CHECK(committed.ok());
    if (!committed.ok()) break;
    mapped += static_cast<int>(batch.processed.size());
  }
  stop = true;
  intake.join();

  CHECK((*store)->intake_yields() > 0);
  auto records = (*store)->ReadRecords(0, 1'000'000);
  REQUIRE(records.ok());
  CHECK(static_cast<int>(records->size()) == mapped);
  std::set<int64_t> inbox_ids;
  for (const StoredRecord& r : *records) inbox_ids.insert(r.inbox_id);
  CHECK(static_cast<int>(inbox_ids.size()) == mapped);
  // What the live intake stored after the last read is still pending; nothing else is.
  auto left = (*store)->CountPendingInbox();
  REQUIRE(left.ok());
  auto all = (*store)->ReadInbox(0, 1'000'000);
  REQUIRE(all.ok());
  CHECK(static_cast<int>(all->size()) == mapped + static_cast<int>(*left));
  CHECK(*left <= intake_commits.load());
}

}  // namespace
}  // namespace journeyd::storage
