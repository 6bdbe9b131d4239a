#include "engine/ingest/inbox_writer.h"

#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include "engine/storage/sqlite/sqlite_db.h"
#include "engine/storage/sqlite/sqlite_store.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/temp_dir.h"

namespace journeyd::ingest {
namespace {

RawEvent Event(std::string id) {
  RawEvent e;
  e.source = "shop";
  e.event_type = "orders/create";
  e.external_id = std::move(id);
  e.content_type = "application/json";
  e.body = "{}";
  e.received_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  return e;
}

SubmitOutcome SubmitAndWait(InboxWriter& inbox, std::vector<RawEvent> events) {
  std::promise<Result<SubmitOutcome>> answered;
  auto future = answered.get_future();
  inbox.Submit("shop", std::move(events),
               [&answered](Result<SubmitOutcome> r) { answered.set_value(std::move(r)); });
  auto outcome = future.get();
  REQUIRE(outcome.ok());
  return *outcome;
}

double Sample(const observability::Registry& registry, std::string_view name,
              const std::map<std::string, std::string>& labels = {}) {
  auto parsed = testing::ParsePrometheusText(registry.RenderText());
  REQUIRE(parsed.ok());
  auto value = testing::FindSample(*parsed, name, labels);
  REQUIRE(value.has_value());
  return *value;
}

TEST_CASE("the inbox writer times each stored event and sizes each group commit",
          "[metrics][ingest]") {
  testing::TempDir dir;
  auto store = storage::SqliteStore::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(store.ok());
  observability::Registry registry;
  InboxWriterOptions options;
  options.metrics = &registry;
  InboxWriter inbox(**store, options);

  SubmitOutcome first = SubmitAndWait(inbox, {Event("1"), Event("2")});
  CHECK(first.stored == 2);
  // One redelivery and one new event: only the new one is a stored event to time.
  SubmitOutcome second = SubmitAndWait(inbox, {Event("2"), Event("3")});
  CHECK(second.stored == 1);
  CHECK(second.duplicates == 1);
  // A commit of refusals only writes no events and is no group-commit size.
  std::promise<void> refused;
  inbox.RecordRejection({"shop", storage::IntakeRejectionKind::kSignatureFailure,
                         "signature_failure", "bad signature", {}},
                        [&refused] { refused.set_value(); });
  refused.get_future().get();

  CHECK(Sample(registry, "journeyd_ingest_commit_seconds_count") == 3);
  CHECK(Sample(registry, "journeyd_ingest_commit_seconds_bucket", {{"le", "+Inf"}}) == 3);
  CHECK(Sample(registry, "journeyd_ingest_commit_seconds_sum") > 0);
  // Each submission waited for its answer, so each was its own commit.
  CHECK(Sample(registry, "journeyd_ingest_batch_events_count") == 2);
  CHECK(Sample(registry, "journeyd_ingest_batch_events_sum") == 4);
  CHECK(Sample(registry, "journeyd_ingest_batch_events_bucket", {{"le", "1"}}) == 0);
  CHECK(Sample(registry, "journeyd_ingest_batch_events_bucket", {{"le", "2"}}) == 2);
}

TEST_CASE("a failing inbox commit is answered unavailable, reported, and forgotten once a "
          "commit succeeds",
          "[ingest]") {
  testing::TempDir dir;
  const auto path = dir.path() / "j.db";
  auto store = storage::SqliteStore::Open(path, std::chrono::milliseconds(100));
  REQUIRE(store.ok());
  InboxWriter inbox(**store, {});
  CHECK_FALSE(inbox.Failing().has_value());

  // Another connection holds the write lock: the commit fails as it would on a full disk
  // (which SQLite reports the same way: a retryable storage error), nothing is stored.
  auto other = storage::SqliteDb::Open(path, std::chrono::milliseconds(100));
  REQUIRE(other.ok());
  REQUIRE((*other)->Exec("BEGIN IMMEDIATE").ok());
  const auto submit = [&inbox](std::string id) {
    std::promise<Result<SubmitOutcome>> answered;
    auto future = answered.get_future();
    inbox.Submit("shop", {Event(std::move(id))},
                 [&answered](Result<SubmitOutcome> r) { answered.set_value(std::move(r)); });
    return future.get();
  };
  auto refused = submit("1");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kUnavailable);
  CHECK_FALSE(submit("2").ok());
  auto failing = inbox.Failing();
  REQUIRE(failing.has_value());
  CHECK(failing->failed_commits == 2);
  CHECK_THAT(failing->message, Catch::Contains("locked"));

  // Storage is back: the next commit succeeds, and the failure is gone without a restart.
  REQUIRE((*other)->Exec("ROLLBACK").ok());
  auto stored = submit("1");
  REQUIRE(stored.ok());
  CHECK(stored->stored == 1);
  CHECK_FALSE(inbox.Failing().has_value());
}

// Instances sharing a database each keep a backlog of their own commits in and their own
// mapping out, while the others ingest and map the same inbox: the store's count must win.
TEST_CASE("the backlog follows the store when other writers ingest or map the same inbox",
          "[ingest]") {
  testing::TempDir dir;
  auto store = storage::SqliteStore::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(store.ok());
  InboxWriterOptions options;
  options.backlog_high_water = 4;
  options.recount_every = std::chrono::milliseconds(100);
  InboxWriter here(**store, options);
  InboxWriter elsewhere(**store, {});  // another instance's intake
  const auto submit = [&here](std::string id) {
    std::promise<Result<SubmitOutcome>> answered;
    auto future = answered.get_future();
    here.Submit("shop", {Event(std::move(id))},
                [&answered](Result<SubmitOutcome> r) { answered.set_value(std::move(r)); });
    return future.get();
  };
  // True once `condition` holds, polling for up to five seconds.
  const auto eventually = [](const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
  };

  for (const char* id : {"1", "2", "3", "4"}) REQUIRE(submit(id).ok());
  auto full = submit("5");
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().code == ErrorCode::kUnavailable);
  CHECK(here.OverHighWater());

  // Another instance maps all four; this one never hears of it from its own mapping stage.
  auto pending = (*store)->ReadPendingInbox(10);
  REQUIRE(pending.ok());
  REQUIRE(pending->size() == 4);
  storage::MappedBatch mapped;
  for (const auto& e : *pending) mapped.processed.push_back(e.id);
  REQUIRE((*store)->CommitMapped(mapped).ok());
  CHECK(eventually([&] { return !here.OverHighWater(); }));
  CHECK(submit("5").ok());

  // Another instance's intake fills the inbox: this one refuses too, once it has counted.
  CHECK(SubmitAndWait(elsewhere, {Event("6"), Event("7"), Event("8")}).stored == 3);
  CHECK(eventually([&] { return here.OverHighWater(); }));
  CHECK_FALSE(submit("9").ok());
}

}  // namespace
}  // namespace journeyd::ingest
