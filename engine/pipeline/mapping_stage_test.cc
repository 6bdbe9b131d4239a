#include "engine/pipeline/mapping_stage.h"

#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "engine/storage/sqlite/sqlite_store.h"
#include "tests/support/inbox.h"
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

// A store in `dir`, opened or the test stops.
std::unique_ptr<storage::SqliteStore> OpenStore(const testing::TempDir& dir) {
  auto store = storage::SqliteStore::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(store.ok());
  return std::move(*store);
}

std::shared_ptr<const mapping::Mapping> MappingFrom(const char* yaml) {
  config::Diagnostics diag;
  auto root = config::ConfigNode::LoadString(yaml, "shop.yaml", diag);
  REQUIRE(root);
  auto m = mapping::Mapping::Load(*root, {}, diag);
  REQUIRE(m);
  return m;
}

std::shared_ptr<const mapping::Mapping> ShopMapping() {
  return MappingFrom(R"(
mapping: shop
ignore: [app/*]
events:
  - on: customers/create
    required: [id]
    identities:
      email: email
      shop.customer_id: id
)");
}

TEST_CASE("the mapping stage turns inbox events into records and issues, each once",
          "[pipeline]") {
  testing::TempDir dir;
  auto store = OpenStore(dir);
  testing::CommitToInbox(*store, {
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
      *store,
      [&](std::string_view source) {
        if (source == "shop") return SourceMapping{true, shop, nullptr};
        if (source == "bare") return SourceMapping{true, nullptr, nullptr};
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
  CHECK(*store->CountPendingInbox() == 0);

  auto records = store->ReadRecords(0, 100);
  REQUIRE(records.ok());
  REQUIRE(records->size() == 1);
  const auto record = boost::json::parse((*records)[0].json);
  CHECK(record.at("identities").at(0).at("value") == "a@example.com");
  CHECK(record.at("identities").at(1).at("value") == "7");
  CHECK(record.at("external_id") == "1");

  auto issues = store->ListIssues({});
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

  // Every event that did not become a record (and was not deliberately ignored) waits in
  // quarantine with its reason, so a mapping fix and a release can bring it back.
  CHECK(stage.counters().quarantined == 4);
  auto quarantined = store->ListQuarantine({});
  REQUIRE(quarantined.ok());
  std::multiset<std::string> reasons;
  for (const auto& q : *quarantined) {
    REQUIRE(q.rules.size() == 1);
    reasons.insert(q.source + "/" + q.rules[0]);
    CHECK(q.inbox_id != 0);
    CHECK(q.record_json.empty());
    CHECK_THAT(q.reasons_json, !Catch::Contains("no-id@example.com"));
  }
  CHECK(reasons == std::multiset<std::string>{"shop/mapping", "shop/mapping", "gone/unmapped",
                                               "bare/unmapped"});
}

std::shared_ptr<const governance::RecordRules> Rules() {
  std::vector<config::ValidationRule> rules(3);
  rules[0].name = "id_numeric";
  rules[0].field = "shop.customer_id";
  rules[0].check = governance::RuleCheck::kRegex;
  rules[0].pattern = "[0-9]+";
  rules[0].action = governance::RuleAction::kReject;
  rules[1].name = "id_short";
  rules[1].field = "shop.customer_id";
  rules[1].check = governance::RuleCheck::kMaxLength;
  rules[1].max_length = 3;
  rules[1].action = governance::RuleAction::kDropField;
  rules[2].name = "city_known";
  rules[2].field = "city";
  rules[2].check = governance::RuleCheck::kRequired;
  rules[2].action = governance::RuleAction::kWarn;
  for (const auto& rule : rules) REQUIRE_FALSE(governance::CheckRuleSpec(rule));
  return std::make_shared<const governance::RecordRules>(rules);
}

std::shared_ptr<const mapping::Mapping> LaxShopMapping() {
  return MappingFrom(R"(
mapping: shop
events:
  - on: customers/create
    identities:
      email: lower(email)
      shop.customer_id: id
)");
}

TEST_CASE("rules quarantine, drop or warn, a release maps the event again", "[pipeline][governance]") {
  testing::TempDir dir;
  auto store = OpenStore(dir);
  testing::CommitToInbox(*store, {
      Event("shop", "customers/create", "1", R"({"id": 7, "email": "good@example.com"})"),
      Event("shop", "customers/create", "2", R"({"id": 123456, "email": "also@example.com"})"),
      Event("shop", "customers/create", "3", R"({"id": "x9", "email": "bad@example.com"})"),
      Event("shop", "customers/create", "4", R"({"id": 10, "email": "not-an-email"})"),
  });
  auto shop = LaxShopMapping();
  auto rules = Rules();
  ManualClock clock(system_clock::time_point(std::chrono::seconds(1'800'000'000)));
  MappingStage stage(
      *store, [&](std::string_view) { return SourceMapping{true, shop, rules}; }, clock, {});
  REQUIRE(stage.RunOnce().ok());

  auto records = store->ReadRecords(0, 100);
  REQUIRE(records.ok());
  REQUIRE(records->size() == 3);
  // drop_field: the over-long id is gone, the record stays.
  const auto second = boost::json::parse((*records)[1].json);
  CHECK(second.at("identities").as_array().size() == 1);
  CHECK(second.at("identities").at(0).at("type") == "email");
  // The mapping left out an email that is not one: said, not silent.
  const auto fourth = boost::json::parse((*records)[2].json);
  CHECK(fourth.at("identities").as_array().size() == 1);

  auto quarantined = store->ListQuarantine({});
  REQUIRE(quarantined.ok());
  REQUIRE(quarantined->size() == 1);
  const storage::QuarantineRow q = (*quarantined)[0];
  // Every rule it broke is listed, the warnings too: the admin sees the whole picture.
  CHECK(q.rules == std::vector<std::string>{"city_known", "id_numeric"});
  CHECK(q.external_id == "3");
  CHECK_THAT(q.reasons_json, Catch::Contains("shop.customer_id does not match the rule's pattern"));
  CHECK_THAT(q.reasons_json, !Catch::Contains("x9"));
  CHECK_THAT(q.record_json, Catch::Contains("x9"));  // for the admin to inspect

  std::multiset<std::string> kinds;
  auto issues = store->ListIssues({});
  REQUIRE(issues.ok());
  for (const auto& issue : *issues) kinds.insert(issue.kind);
  CHECK(kinds.count("quarantined") == 1);
  CHECK(kinds.count("rule_dropped_field") == 1);
  CHECK(kinds.count("rule_warning") == 3);  // no city on the three that went on
  CHECK(kinds.count("mapping_value_left_out") == 1);
  for (const auto& issue : *issues) CHECK_THAT(issue.message, !Catch::Contains("not-an-email"));

  // Filters: by rule and source; a decided entry leaves the default (quarantined) view.
  storage::QuarantineFilter by_rule;
  by_rule.rule = "id_short";
  CHECK(store->ListQuarantine(by_rule)->empty());
  by_rule.rule = "id_numeric";
  CHECK(store->ListQuarantine(by_rule)->size() == 1);

  // The admin relaxes the rules and releases: the event is mapped again and becomes a record.
  auto relaxed = std::make_shared<const governance::RecordRules>();
  MappingStage fixed(
      *store, [&](std::string_view) { return SourceMapping{true, shop, relaxed}; }, clock, {});
  REQUIRE(store->DecideQuarantine(q.id, storage::QuarantineStatus::kReleased, "cli",
                                     clock.Now()).ok());
  auto again = store->DecideQuarantine(q.id, storage::QuarantineStatus::kDiscarded, "cli",
                                          clock.Now());
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::kConflict);
  auto taken = fixed.RunOnce();
  REQUIRE(taken.ok());
  CHECK(*taken == 1);
  CHECK(store->ReadRecords(0, 100)->size() == 4);
  CHECK(store->ListQuarantine({})->empty());
  CHECK(store->ReadQuarantine(q.id)->status == storage::QuarantineStatus::kReleased);
}

TEST_CASE("a discarded entry keeps no payload and cannot be released", "[pipeline][governance]") {
  testing::TempDir dir;
  auto store = OpenStore(dir);
  testing::CommitToInbox(*store, {Event("shop", "customers/create", "3", R"({"id": "x", "email": "a@b.co"})")});
  auto shop = LaxShopMapping();
  auto rules = Rules();
  ManualClock clock(system_clock::time_point(std::chrono::seconds(1'800'000'000)));
  MappingStage stage(
      *store, [&](std::string_view) { return SourceMapping{true, shop, rules}; }, clock, {});
  REQUIRE(stage.RunOnce().ok());
  auto quarantined = store->ListQuarantine({});
  REQUIRE(quarantined->size() == 1);
  const int64_t id = (*quarantined)[0].id;
  REQUIRE(store->DecideQuarantine(id, storage::QuarantineStatus::kDiscarded, "admin api",
                                     clock.Now()).ok());
  auto discarded = store->ReadQuarantine(id);
  REQUIRE(discarded.ok());
  CHECK(discarded->status == storage::QuarantineStatus::kDiscarded);
  CHECK(discarded->decided_by == "admin api");
  CHECK(discarded->record_json.empty());
  auto inbox = store->ReadInbox(0, 10);
  REQUIRE(inbox->size() == 1);
  CHECK((*inbox)[0].event.body.empty());
  CHECK_FALSE(store->DecideQuarantine(id, storage::QuarantineStatus::kReleased, "cli",
                                         clock.Now()).ok());
}

TEST_CASE("the stage thread maps events that arrive while it runs", "[pipeline]") {
  testing::TempDir dir;
  auto store = OpenStore(dir);
  auto shop = ShopMapping();
  SystemClock clock;
  MappingStage stage(
      *store, [&](std::string_view) { return SourceMapping{true, shop, nullptr}; }, clock,
      {.batch = 16, .idle_poll = std::chrono::milliseconds(5)});
  stage.Start();
  for (int i = 0; i < 40; ++i) {
    testing::CommitToInbox(*store, {Event("shop", "customers/create", std::to_string(i),
                           R"({"id": )" + std::to_string(i) + "}")});
  }
  for (int i = 0; i < 400 && *store->CountPendingInbox() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stage.Stop();
  CHECK(*store->CountPendingInbox() == 0);
  auto records = store->ReadRecords(0, 100);
  REQUIRE(records.ok());
  CHECK(records->size() == 40);
}

TEST_CASE("a stage woken by its input signal maps at once and signals its output", "[pipeline]") {
  testing::TempDir dir;
  auto store = OpenStore(dir);
  auto shop = ShopMapping();
  SystemClock clock;
  WorkSignal inbox_stored, records_mapped;
  std::atomic<int> mapped_signals{0};
  const int listener = 0;
  records_mapped.Subscribe(&listener, [&] { ++mapped_signals; });
  // An idle poll of an hour: only the signal can make the stage look again within the test.
  MappingStage stage(
      *store, [&](std::string_view) { return SourceMapping{true, shop, nullptr}; }, clock,
      {.batch = 16,
       .idle_poll = std::chrono::hours(1),
       .input = &inbox_stored,
       .output = &records_mapped});
  stage.Start();
  // The first turn finds nothing; give it time to settle into its idle wait.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  testing::CommitToInbox(*store, {Event("shop", "customers/create", "1", R"({"id": 1})")});
  inbox_stored.Notify();
  for (int i = 0; i < 500 && *store->CountPendingInbox() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(*store->CountPendingInbox() == 0);
  for (int i = 0; i < 500 && mapped_signals == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(mapped_signals == 1);
  stage.Stop();

  // A stopped stage has left the signal: a notification wakes nothing and maps nothing.
  testing::CommitToInbox(*store, {Event("shop", "customers/create", "2", R"({"id": 2})")});
  inbox_stored.Notify();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(*store->CountPendingInbox() == 1);
  CHECK(mapped_signals == 1);
  records_mapped.Unsubscribe(&listener);
}

}  // namespace
}  // namespace journeyd::pipeline
