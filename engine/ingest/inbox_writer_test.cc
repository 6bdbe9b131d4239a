#include "engine/ingest/inbox_writer.h"

#include <catch2/catch.hpp>

#include <future>

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

}  // namespace
}  // namespace journeyd::ingest
