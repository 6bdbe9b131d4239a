#include "engine/pipeline/mapping_stage.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "engine/storage/sqlite/sqlite_store.h"
#include "tests/support/temp_dir.h"

namespace journeyd::pipeline {
namespace {

using std::chrono::system_clock;

RawEvent Event(std::string source, std::string type, std::string id, std::string body) {
  RawEvent e;
  e.source = std::move(source);
  e.event_type = std::move(type);
  e.external_id = std::move(id);
  e.content_type = "application/json";
  e.body = std::move(body);
  e.received_at = system_clock::time_point(std::chrono::seconds(1'700'000'000));
  return e;
}

std::shared_ptr<const mapping::Mapping> ShopMapping() {
  config::Diagnostics diag;
  auto root = config::ConfigNode::LoadString(R"(
mapping: shop
ignore: [app/*]
events:
  - on: customers/create
    required: [id]
    identities:
      email: email
      shop.customer_id: id
)",
                                             "shop.yaml", diag);
  REQUIRE(root);
  auto m = mapping::Mapping::Load(*root, {}, diag);
  REQUIRE(m);
  return m;
}

// Commits events to a real SQLite inbox the way intake does.
void Ingest(storage::Store& store, std::vector<RawEvent> events) {
  storage::IntakeBatch batch;
  for (const RawEvent& e : events) {
    storage::InboxRecord r;
    r.event = &e;
    r.stored_body = e.body;
    r.headers = storage::EncodeInboxHeaders(e.headers);
    batch.records.push_back(std::move(r));
  }
  REQUIRE(store.CommitIntake(batch).ok());
}

TEST_CASE("the mapping stage turns inbox events into records and issues, each once",
          "[pipeline]") {
  testing::TempDir dir;
  auto store = storage::SqliteStore::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(store.ok());
  Ingest(**store, {
      Event("shop", "customers/create", "1", R"({"id": 7, "email": "A@Example.com"})"),
      Event("shop", "customers/create", "2", R"({"email": "no-id@example.com"})"),
      Event("shop", "orders/create", "3", "{}"),
      Event("shop", "app/uninstalled", "4", "{}"),
      Event("gone", "x", "5", "{}"),
      Event("bare", "x", "6", "{}"),
  });
  auto shop = ShopMapping();
  ManualClock clock(system_clock::time_point(std::chrono::seconds(1'800'000'000)));
  int64_t processed_total = 0;
  MappingStage stage(
      **store,
      [&](std::string_view source) {
        if (source == "shop") return SourceMapping{true, shop};
        if (source == "bare") return SourceMapping{true, nullptr};
        return SourceMapping{};
      },
      clock, {.batch = 4}, [&](int64_t n) { processed_total += n; });

  // Batches are bounded: 4, then the remaining 2, then nothing.
  auto first = stage.RunOnce();
  REQUIRE(first.ok());
  CHECK(*first == 4);
  auto second = stage.RunOnce();
  REQUIRE(second.ok());
  CHECK(*second == 2);
  auto third = stage.RunOnce();
  REQUIRE(third.ok());
  CHECK(*third == 0);
  CHECK(processed_total == 6);
  CHECK(*(*store)->CountPendingInbox() == 0);

  auto records = (*store)->ReadRecords(0, 100);
  REQUIRE(records.ok());
  REQUIRE(records->size() == 1);
  const auto record = boost::json::parse((*records)[0].json);
  CHECK(record.at("identities").at(0).at("value") == "a@example.com");
  CHECK(record.at("identities").at(1).at("value") == "7");
  CHECK(record.at("external_id") == "1");

  auto issues = (*store)->ListIssues({});
  REQUIRE(issues.ok());
  std::multiset<std::string> kinds;
  for (const auto& issue : *issues) {
    kinds.insert(issue.kind + "/" + issue.source);
    // Issues name fields and types, never values from the payload.
    CHECK_THAT(issue.message, !Catch::Contains("no-id@example.com"));
  }
  CHECK(kinds == std::multiset<std::string>{"mapping_missing_field/shop",
                                             "mapping_unmapped_event/shop",
                                             "mapping_unmapped_event/gone",
                                             "mapping_unmapped_event/bare"});
  CHECK(stage.counters().records == 1);
  CHECK(stage.counters().issues == 4);
  CHECK(stage.counters().ignored == 1);
}

TEST_CASE("the stage thread maps events that arrive while it runs", "[pipeline]") {
  testing::TempDir dir;
  auto store = storage::SqliteStore::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(store.ok());
  auto shop = ShopMapping();
  SystemClock clock;
  MappingStage stage(
      **store, [&](std::string_view) { return SourceMapping{true, shop}; }, clock,
      {.batch = 16, .idle_poll = std::chrono::milliseconds(5)});
  stage.Start();
  for (int i = 0; i < 40; ++i) {
    Ingest(**store, {Event("shop", "customers/create", std::to_string(i),
                           R"({"id": )" + std::to_string(i) + "}")});
  }
  for (int i = 0; i < 400 && *(*store)->CountPendingInbox() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stage.Stop();
  CHECK(*(*store)->CountPendingInbox() == 0);
  auto records = (*store)->ReadRecords(0, 100);
  REQUIRE(records.ok());
  CHECK(records->size() == 40);
}

}  // namespace
}  // namespace journeyd::pipeline
