// The Store contract for governance: quarantine (list, filters, release, discard), the
// suppression salt and list, and erasure of a person with its audit entry.
#include <latch>
#include <thread>

#include <boost/json.hpp>

#include "engine/governance/suppression.h"
#include "tests/store/contract_helpers.h"

namespace journeyd::storage::contract {
namespace {

const char kEmailReasons[] =
    R"([{"rule":"valid_email","field":"identities.email","check":"email","message":"not an email address"}])";
const char kMappingReasons[] =
    R"([{"rule":"mapping","field":"","check":"mapping","message":"body is not JSON"}])";

QuarantineFilter AnyStatus() {
  QuarantineFilter filter;
  filter.status = std::nullopt;
  return filter;
}

// Three quarantined events of two sources, at T(10), T(20) and T(30); returns their inbox ids.
std::vector<int64_t> SeedQuarantine(Store& store) {
  const std::string order = Fixture("webhooks/shopify/orders_create.json");
  const RawEvent a = Event("shopify", "orders/create", "evt-7001", order, T(0));
  const RawEvent b = Event("woocommerce", "order.created", "wc-7002", "{\"id\":", T(1));
  const RawEvent c = Event("shopify", "customers/create", "evt-7003", order, T(2));
  IntakeBatch intake;
  intake.records = {Inbox(a, true), Inbox(b), Inbox(c, true)};
  REQUIRE(Must(store.CommitIntake(intake)).size() == 3);
  auto pending = Must(store.ReadPendingInbox(10));
  REQUIRE(pending.size() == 3);
  const RecordSpec bad = Spec("evt-7001", T(-5), {{"email", "bob(at)example.com"}});
  const RecordSpec bad2 = Spec("evt-7003", T(-4), {{"email", "jon@example"}});
  const auto quarantine = [&](size_t i, TimePoint at, MappedBatch::Quarantined q) {
    MappedBatch batch;
    batch.at = at;
    batch.quarantined = {std::move(q)};
    batch.processed = {pending[i].id};
    RequireOk(store.CommitMapped(batch));
  };
  quarantine(0, T(10), {pending[0].id, "shopify", "orders/create", "evt-7001", kEmailReasons,
                        {"valid_email"}, CanonicalJson(bad)});
  quarantine(1, T(20), {pending[1].id, "woocommerce", "order.created", "wc-7002", kMappingReasons,
                        {"mapping"}, ""});
  quarantine(2, T(30), {pending[2].id, "shopify", "customers/create", "evt-7003", kEmailReasons,
                        {"valid_email"}, CanonicalJson(bad2)});
  return {pending[0].id, pending[1].id, pending[2].id};
}

TEST_CASE("governance: quarantine lists by status, rule, source, time and page",
          "[store][governance]") {
  FOR_EACH_STORE_BACKEND(store) {
    const auto inbox = SeedQuarantine(store);
    auto all = Must(store.ListQuarantine({}));
    REQUIRE(all.size() == 3);
    CHECK(all[0].inbox_id == inbox[2]);
    CHECK(all[1].inbox_id == inbox[1]);
    CHECK(all[2].inbox_id == inbox[0]);
    CHECK(all[0].created_at == T(30));

    SECTION("by rule and by source") {
      QuarantineFilter by_rule;
      by_rule.rule = "valid_email";
      auto email = Must(store.ListQuarantine(by_rule));
      REQUIRE(email.size() == 2);
      CHECK(email[0].external_id == "evt-7003");
      CHECK(email[1].external_id == "evt-7001");
      QuarantineFilter by_source;
      by_source.source = "woocommerce";
      auto woo = Must(store.ListQuarantine(by_source));
      REQUIRE(woo.size() == 1);
      CHECK(woo[0].rules == std::vector<std::string>{"mapping"});
      by_source.rule = "valid_email";
      CHECK(Must(store.ListQuarantine(by_source)).empty());
    }
    SECTION("by time: since inclusive, until exclusive") {
      QuarantineFilter window;
      window.since = T(20);
      window.until = T(30);
      auto rows = Must(store.ListQuarantine(window));
      REQUIRE(rows.size() == 1);
      CHECK(rows[0].inbox_id == inbox[1]);
      QuarantineFilter from;
      from.since = T(11);
      CHECK(Must(store.ListQuarantine(from)).size() == 2);
    }
    SECTION("by page") {
      QuarantineFilter page;
      page.limit = 2;
      auto first = Must(store.ListQuarantine(page));
      REQUIRE(first.size() == 2);
      page.before_id = first.back().id;
      auto second = Must(store.ListQuarantine(page));
      REQUIRE(second.size() == 1);
      CHECK(second[0].inbox_id == inbox[0]);
    }
    SECTION("unknown entries are not found") {
      auto missing = store.ReadQuarantine(all[0].id + 100);
      REQUIRE_FALSE(missing.ok());
      CHECK(missing.error().code == ErrorCode::kNotFound);
      Status decided = store.DecideQuarantine(all[0].id + 100, QuarantineStatus::kReleased,
                                              "cli", T(40));
      REQUIRE_FALSE(decided.ok());
      CHECK(decided.error().code == ErrorCode::kNotFound);
    }
  }
}

TEST_CASE("governance: releasing and discarding quarantined events", "[store][governance]") {
  FOR_EACH_STORE_BACKEND(store) {
    const std::string order = Fixture("webhooks/shopify/orders_create.json");
    const auto inbox = SeedQuarantine(store);
    const auto rows = Must(store.ListQuarantine({}));
    REQUIRE(rows.size() == 3);
    const QuarantineRow& newest = rows[0];  // evt-7003
    const QuarantineRow& oldest = rows[2];  // evt-7001
    CHECK(Must(store.CountPendingInbox()) == 0);

    SECTION("release: the event is pending again, payload intact, decision recorded") {
      RequireOk(store.DecideQuarantine(oldest.id, QuarantineStatus::kReleased, "admin api", T(50)));
      auto released = Must(store.ReadQuarantine(oldest.id));
      CHECK(released.status == QuarantineStatus::kReleased);
      REQUIRE(released.decided_at.has_value());
      CHECK(*released.decided_at == T(50));
      CHECK(released.decided_by == "admin api");
      CHECK_FALSE(released.record_json.empty());
      CHECK(Must(store.CountPendingInbox()) == 1);
      auto pending = Must(store.ReadPendingInbox(10));
      REQUIRE(pending.size() == 1);
      CHECK(pending[0].id == inbox[0]);
      CHECK(pending[0].event.body == order);
      // Only quarantined entries by default; any status when asked.
      CHECK(Must(store.ListQuarantine({})).size() == 2);
      QuarantineFilter released_only;
      released_only.status = QuarantineStatus::kReleased;
      auto listed = Must(store.ListQuarantine(released_only));
      REQUIRE(listed.size() == 1);
      CHECK(listed[0].id == oldest.id);
      CHECK(Must(store.ListQuarantine(AnyStatus())).size() == 3);
      CHECK(Must(store.CountOpenWork()).quarantined == 2);
    }
    SECTION("discard: the record and raw payload are blanked, the event stays processed") {
      RequireOk(store.DecideQuarantine(newest.id, QuarantineStatus::kDiscarded, "cli", T(60)));
      auto discarded = Must(store.ReadQuarantine(newest.id));
      CHECK(discarded.status == QuarantineStatus::kDiscarded);
      CHECK(discarded.record_json.empty());
      CHECK(discarded.decided_by == "cli");
      REQUIRE(discarded.decided_at.has_value());
      CHECK(*discarded.decided_at == T(60));
      CHECK(Must(store.CountPendingInbox()) == 0);
      auto rows_now = Must(store.ReadInbox(0, 10));
      REQUIRE(rows_now.size() == 3);
      CHECK(rows_now[2].event.body.empty());
      CHECK(rows_now[2].event.headers.empty());
      CHECK(rows_now[0].event.body == order);
      // A redelivery of the discarded event is still a duplicate.
      const RawEvent again = Event("shopify", "customers/create", "evt-7003", order, T(70));
      IntakeBatch redelivery;
      redelivery.records = {Inbox(again)};
      CHECK(Must(store.CommitIntake(redelivery)) ==
            std::vector<AppendResult>{AppendResult::kDuplicate});
      auto work = Must(store.CountOpenWork());
      CHECK(work.quarantined == 2);
      using Count = std::pair<std::string, int64_t>;
      CHECK(work.quarantined_by_rule == std::vector<Count>{{"mapping", 1}, {"valid_email", 1}});
    }
    SECTION("a decided entry cannot be decided again") {
      RequireOk(store.DecideQuarantine(oldest.id, QuarantineStatus::kReleased, "cli", T(50)));
      Status again = store.DecideQuarantine(oldest.id, QuarantineStatus::kDiscarded, "cli", T(51));
      REQUIRE_FALSE(again.ok());
      CHECK(again.error().code == ErrorCode::kConflict);
      RequireOk(store.DecideQuarantine(newest.id, QuarantineStatus::kDiscarded, "cli", T(52)));
      Status release = store.DecideQuarantine(newest.id, QuarantineStatus::kReleased, "cli", T(53));
      REQUIRE_FALSE(release.ok());
      CHECK(release.error().code == ErrorCode::kConflict);
      CHECK(Must(store.ReadQuarantine(newest.id)).status == QuarantineStatus::kDiscarded);
    }
    SECTION("a released event that fails again is quarantined anew") {
      RequireOk(store.DecideQuarantine(oldest.id, QuarantineStatus::kReleased, "cli", T(50)));
      auto pending = Must(store.ReadPendingInbox(10));
      REQUIRE(pending.size() == 1);
      MappedBatch again;
      again.at = T(80);
      again.quarantined = {{pending[0].id, "shopify", "orders/create", "evt-7001", kEmailReasons,
                            {"valid_email"}, oldest.record_json}};
      again.processed = {pending[0].id};
      RequireOk(store.CommitMapped(again));
      auto current = Must(store.ListQuarantine({}));
      REQUIRE(current.size() == 3);
      CHECK(current[0].inbox_id == inbox[0]);
      CHECK(current[0].id > newest.id);
      CHECK(current[0].created_at == T(80));
      CHECK(Must(store.CountPendingInbox()) == 0);
    }
  }
}

TEST_CASE("governance: the suppression salt is made once and kept", "[store][governance]") {
  FOR_EACH_STORE_BACKEND(store) {
    CHECK(Must(store.ListSuppressions()).empty());
    CHECK(Must(store.CountSuppressions()) == 0);
    CHECK(Must(store.ListErasures(10)).empty());
    const std::string salt = Must(store.SuppressionSalt());
    CHECK(salt.size() >= 32);
    CHECK(Must(store.SuppressionSalt()) == salt);
    CHECK(Must(store.SuppressionSalt()) == salt);
  }
}

TEST_CASE("governance: an erasure removes a person and leaves salted hashes and an audit entry",
          "[store][governance]") {
  FOR_EACH_STORE_BACKEND(store) {
    const auto r = SeedRecords(
        store, {Spec("evt-8001", T(-400), {{"email", "bob@example.com"}}),
                Spec("evt-8002", T(-300), {{"email", "jon@example.com"}, {"phone", "+15145550101"}}),
                Spec("evt-8003", T(-200), {{"email", "jon@example.com"}})});
    IdentityBatch batch;
    batch.at = T(100);
    batch.steps.push_back(NewProfileStep(r[0], 1, {{"email", "bob@example.com"}}));
    IdentityBatch::Step jon = NewProfileStep(r[1], 2, {{"email", "jon@example.com"},
                                                       {"phone", "+15145550101"}});
    jon.reviews.push_back({1, 2, 0.7, "{}"});
    batch.steps.push_back(jon);
    batch.steps.push_back(JoinStep(r[2], 2));
    batch.cursor = r[2].id;
    RequireOk(store.CommitIdentity(batch));
    // A quarantined event of jon's, and one of somebody else's.
    const RawEvent q1 = Event("shopify", "orders/create", "evt-8004", "{\"email\":\"JON@example.com\"}", T(5));
    const RawEvent q2 = Event("shopify", "orders/create", "evt-8005", "{\"email\":\"ann@example.com\"}", T(6));
    IntakeBatch intake;
    intake.records = {Inbox(q1), Inbox(q2)};
    REQUIRE(Must(store.CommitIntake(intake)).size() == 2);
    auto pending = Must(store.ReadPendingInbox(10));
    REQUIRE(pending.size() == 2);
    MappedBatch mapped;
    mapped.at = T(110);
    mapped.quarantined = {{pending[0].id, "shopify", "orders/create", "evt-8004", kMappingReasons,
                           {"mapping"}, ""},
                          {pending[1].id, "shopify", "orders/create", "evt-8005", kMappingReasons,
                           {"mapping"}, ""}};
    mapped.processed = {pending[0].id, pending[1].id};
    RequireOk(store.CommitMapped(mapped));
    const std::string salt = Must(store.SuppressionSalt());

    IdentityAction erase;
    erase.kind = IdentityActionKind::kErase;
    erase.identifiers = {{"email", "jon@example.com"}};
    erase.requested_by = "cli";
    erase.targets = {"hubspot"};
    const int64_t action = Must(store.QueueIdentityAction(erase, T(200)));
    IdentityActionOutcome outcome;
    outcome.action_id = action;
    outcome.done = true;
    outcome.result = "erased profile 2";
    IdentityActionOutcome::Erasure erasure;
    erasure.profiles = {2};
    erasure.records = {r[1].id, r[2].id};
    erasure.identifiers = {{"email", "jon@example.com"}, {"phone", "+15145550101"}};
    erasure.requested_by = "cli";
    erasure.targets = {"hubspot"};
    outcome.erasure = erasure;
    outcome.at = T(210);
    RequireOk(store.CommitIdentityAction(outcome));

    SECTION("the profile is gone: it resolves to not found, its identifiers to no one") {
      auto resolved = store.ResolveProfile(2);
      REQUIRE_FALSE(resolved.ok());
      CHECK(resolved.error().code == ErrorCode::kNotFound);
      auto by_email = store.FindProfileByIdentifier("email", "jon@example.com");
      REQUIRE_FALSE(by_email.ok());
      CHECK(by_email.error().code == ErrorCode::kNotFound);
      auto by_phone = store.FindProfileByIdentifier("phone", "+15145550101");
      REQUIRE_FALSE(by_phone.ok());
      CHECK(by_phone.error().code == ErrorCode::kNotFound);
      CHECK(Must(store.ReadProfileRecords(2)).empty());
      // Its id is never given to anybody else.
      CHECK(Must(store.MaxProfileId()) == 2);
    }
    SECTION("its records and raw payloads are gone, others stay") {
      auto records = Must(store.ReadRecords(0, 10));
      REQUIRE(records.size() == 1);
      CHECK(records[0].id == r[0].id);
      auto inbox = Must(store.ReadInbox(0, 10));
      REQUIRE(inbox.size() == 2);
      CHECK(inbox[0].event.external_id == "evt-8001");
      CHECK(inbox[1].event.external_id == "evt-8005");
      CHECK(Must(store.ResolveProfile(1)) == 1);
      CHECK(Must(store.FindProfileByIdentifier("email", "bob@example.com")) == 1);
      CHECK(Must(store.ReadProfile(1)).reviews.empty());
      CHECK(Must(store.ListReviews("", 0, 10)).empty());
    }
    SECTION("their quarantined events go, found in the raw payload") {
      auto left = Must(store.ListQuarantine(AnyStatus()));
      REQUIRE(left.size() == 1);
      CHECK(left[0].external_id == "evt-8005");
    }
    SECTION("salted hashes of every identifier suppress their later events") {
      CHECK(Must(store.SuppressionSalt()) == salt);
      CHECK(Must(store.CountSuppressions()) == 2);
      auto hashes = Must(store.ListSuppressions());
      std::sort(hashes.begin(), hashes.end());
      std::vector<std::string> expected = {
          governance::SuppressionHash(salt, "email", "jon@example.com"),
          governance::SuppressionHash(salt, "phone", "+15145550101")};
      std::sort(expected.begin(), expected.end());
      CHECK(hashes == expected);
    }
    SECTION("the audit entry: who, when, which profile, hashes, counts and targets") {
      auto erasures = Must(store.ListErasures(10));
      REQUIRE(erasures.size() == 1);
      const ErasureRow& e = erasures[0];
      CHECK(e.id > 0);
      CHECK(e.requested_by == "cli");
      CHECK(e.requested_at == T(210));
      CHECK(e.profile_id == 2);
      CHECK(e.identifier_hashes.size() == 2);
      CHECK(e.pending_targets == std::vector<std::string>{"hubspot"});
      boost::system::error_code ec;
      const auto removed = boost::json::parse(e.removed_json, ec);
      REQUIRE_FALSE(ec);
      REQUIRE(removed.is_object());
      const auto& counts = removed.as_object();
      CHECK(counts.at("records").to_number<int64_t>() == 2);
      CHECK(counts.at("raw_payloads").to_number<int64_t>() == 3);
      CHECK(counts.at("identifiers").to_number<int64_t>() == 2);
      CHECK(counts.at("reviews").to_number<int64_t>() == 1);
      CHECK(counts.at("quarantined").to_number<int64_t>() == 1);
      CHECK(Must(store.ReadIdentityAction(action)).status == "done");
    }
    SECTION("a second erasure adds its hashes, and the newest audit entry comes first") {
      IdentityAction again;
      again.kind = IdentityActionKind::kErase;
      again.identifiers = {{"email", "bob@example.com"}};
      again.requested_by = "admin api";
      const int64_t second = Must(store.QueueIdentityAction(again, T(300)));
      IdentityActionOutcome out;
      out.action_id = second;
      out.done = true;
      IdentityActionOutcome::Erasure bob;
      bob.profiles = {1};
      bob.records = {r[0].id};
      // jon's email again: a hash is kept once.
      bob.identifiers = {{"email", "bob@example.com"}, {"email", "jon@example.com"}};
      bob.requested_by = "admin api";
      out.erasure = bob;
      out.at = T(310);
      RequireOk(store.CommitIdentityAction(out));
      CHECK(Must(store.CountSuppressions()) == 3);
      auto erasures = Must(store.ListErasures(10));
      REQUIRE(erasures.size() == 2);
      CHECK(erasures[0].requested_by == "admin api");
      CHECK(erasures[0].profile_id == 1);
      CHECK(erasures[0].pending_targets.empty());
      CHECK(erasures[1].requested_by == "cli");
      CHECK(Must(store.ListErasures(1)).size() == 1);
      CHECK(Must(store.ReadRecords(0, 10)).empty());
      auto resolved = store.ResolveProfile(1);
      REQUIRE_FALSE(resolved.ok());
      CHECK(resolved.error().code == ErrorCode::kNotFound);
    }
  }
}

TEST_CASE("governance: erasing a live profile erases the ids merged into it",
          "[store][governance]") {
  FOR_EACH_STORE_BACKEND(store) {
    const auto r = SeedRecords(
        store, {Spec("evt-9001", T(-400), {{"email", "ann@example.com"}}),
                Spec("evt-9002", T(-300), {{"phone", "+4915112345678"}}),
                Spec("evt-9003", T(-200), {{"email", "ann@example.com"},
                                           {"phone", "+4915112345678"}})});
    IdentityBatch batch;
    batch.at = T(100);
    batch.steps.push_back(NewProfileStep(r[0], 1, {{"email", "ann@example.com"}}));
    batch.steps.push_back(NewProfileStep(r[1], 2, {{"phone", "+4915112345678"}}));
    IdentityBatch::Step both = JoinStep(r[2], 1);
    both.merges.push_back({1, 2, "identifier", "phone", "+4915112345678", 1.0, ""});
    batch.steps.push_back(both);
    batch.cursor = r[2].id;
    RequireOk(store.CommitIdentity(batch));
    REQUIRE(Must(store.ResolveProfile(2)) == 1);

    IdentityAction erase;
    erase.kind = IdentityActionKind::kErase;
    erase.profile_id = 1;
    erase.requested_by = "cli";
    const int64_t action = Must(store.QueueIdentityAction(erase, T(200)));
    IdentityActionOutcome outcome;
    outcome.action_id = action;
    outcome.done = true;
    IdentityActionOutcome::Erasure erasure;
    erasure.profiles = {1};
    erasure.records = {r[0].id, r[1].id, r[2].id};
    erasure.identifiers = {{"email", "ann@example.com"}, {"phone", "+4915112345678"}};
    erasure.requested_by = "cli";
    outcome.erasure = erasure;
    outcome.at = T(210);
    RequireOk(store.CommitIdentityAction(outcome));

    for (int64_t id : {1, 2}) {
      auto resolved = store.ResolveProfile(id);
      REQUIRE_FALSE(resolved.ok());
      CHECK(resolved.error().code == ErrorCode::kNotFound);
    }
    CHECK(Must(store.ReadRecords(0, 10)).empty());
    CHECK(Must(store.ReadInbox(0, 10)).empty());
    int identifiers = 0;
    RequireOk(store.ScanIdentifiers([&](std::string, std::string, int64_t) { ++identifiers; }));
    CHECK(identifiers == 0);
    int placed = 0;
    RequireOk(store.ScanPlacedRecords([&](PlacedRecord&&) { ++placed; }));
    CHECK(placed == 0);
    CHECK(Must(store.ReadJourneyDirty(10)).empty());
  }
}

TEST_CASE("governance: an event without a raw payload can be discarded but not released",
          "[store][governance]") {
  FOR_EACH_STORE_BACKEND(store) {
    // A webhook with an empty body failed its mapping: nothing to map again.
    const RawEvent empty = Event("shopify", "orders/create", "evt-7101", "", T(0));
    IntakeBatch intake;
    intake.records = {Inbox(empty)};
    REQUIRE(Must(store.CommitIntake(intake)).size() == 1);
    auto pending = Must(store.ReadPendingInbox(10));
    REQUIRE(pending.size() == 1);
    MappedBatch batch;
    batch.at = T(10);
    batch.quarantined = {{pending[0].id, "shopify", "orders/create", "evt-7101", kMappingReasons,
                          {"mapping"}, ""}};
    batch.processed = {pending[0].id};
    RequireOk(store.CommitMapped(batch));
    const auto rows = Must(store.ListQuarantine({}));
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].inbox_id == pending[0].id);
    CHECK(rows[0].record_json.empty());

    Status released = store.DecideQuarantine(rows[0].id, QuarantineStatus::kReleased, "cli", T(20));
    REQUIRE_FALSE(released.ok());
    CHECK(released.error().code == ErrorCode::kConflict);
    // Nothing changed.
    const QuarantineRow still = Must(store.ReadQuarantine(rows[0].id));
    CHECK(still.status == QuarantineStatus::kQuarantined);
    CHECK_FALSE(still.decided_at.has_value());
    CHECK(still.decided_by.empty());
    CHECK(Must(store.CountPendingInbox()) == 0);

    RequireOk(store.DecideQuarantine(rows[0].id, QuarantineStatus::kDiscarded, "admin api", T(30)));
    const QuarantineRow discarded = Must(store.ReadQuarantine(rows[0].id));
    CHECK(discarded.status == QuarantineStatus::kDiscarded);
    CHECK(discarded.decided_at == std::optional<TimePoint>(T(30)));
    CHECK(discarded.decided_by == "admin api");
    CHECK(Must(store.ListQuarantine({})).empty());
  }
}

TEST_CASE("governance: an entry's rules come back sorted bytewise, each filterable",
          "[store][governance]") {
  FOR_EACH_STORE_BACKEND(store) {
    const RawEvent e = Event("woocommerce", "order.created", "wc-7201", "{\"id\":7201}", T(0));
    IntakeBatch intake;
    intake.records = {Inbox(e)};
    REQUIRE(Must(store.CommitIntake(intake)).size() == 1);
    auto pending = Must(store.ReadPendingInbox(10));
    REQUIRE(pending.size() == 1);
    MappedBatch batch;
    batch.at = T(10);
    // Upper case sorts before lower case bytewise (a locale's collation would say otherwise).
    batch.quarantined = {{pending[0].id, "woocommerce", "order.created", "wc-7201", kEmailReasons,
                          {"valid_email", "Required_name", "mapping", "_private"},
                          CanonicalJson(Spec("wc-7201", T(-1), {{"email", "x(at)y"}}))}};
    batch.processed = {pending[0].id};
    RequireOk(store.CommitMapped(batch));
    const auto rows = Must(store.ListQuarantine({}));
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].rules ==
          std::vector<std::string>{"Required_name", "_private", "mapping", "valid_email"});
    CHECK(rows[0].reasons_json == kEmailReasons);
    CHECK(rows[0].source == "woocommerce");
    CHECK(rows[0].event_type == "order.created");
    CHECK(rows[0].external_id == "wc-7201");
    CHECK(rows[0].created_at == T(10));
    CHECK(Must(store.ReadQuarantine(rows[0].id)).rules == rows[0].rules);
    for (const char* rule : {"valid_email", "Required_name", "mapping", "_private"}) {
      QuarantineFilter by_rule;
      by_rule.rule = rule;
      CHECK(Must(store.ListQuarantine(by_rule)).size() == 1);
    }
    QuarantineFilter other;
    other.rule = "required_name";
    CHECK(Must(store.ListQuarantine(other)).empty());
    // Discarded entries are found by their status.
    RequireOk(store.DecideQuarantine(rows[0].id, QuarantineStatus::kDiscarded, "cli", T(20)));
    QuarantineFilter discarded;
    discarded.status = QuarantineStatus::kDiscarded;
    discarded.rule = "mapping";
    auto found = Must(store.ListQuarantine(discarded));
    REQUIRE(found.size() == 1);
    CHECK(found[0].record_json.empty());
    discarded.status = QuarantineStatus::kReleased;
    CHECK(Must(store.ListQuarantine(discarded)).empty());
  }
}

// Several journeyd instances (or threads) may ask for the salt at once before any erasure: all
// must get the one salt stored, and none an error.
TEST_CASE("governance: callers racing for the first salt all get the one stored",
          "[store][governance]") {
  FOR_EACH_STORE_BACKEND(store) {
    constexpr int kCallers = 8;
    std::vector<Result<std::string>> salts(kCallers, Result<std::string>(std::string()));
    std::latch start(kCallers);
    std::vector<std::thread> callers;
    for (int i = 0; i < kCallers; ++i) {
      callers.emplace_back([&store, &salts, &start, i] {
        start.arrive_and_wait();
        salts[i] = store.SuppressionSalt();
      });
    }
    for (std::thread& t : callers) t.join();
    const std::string stored = Must(store.SuppressionSalt());
    CHECK(stored.size() >= 32);
    for (const auto& salt : salts) {
      RequireOk(salt);
      if (salt.ok()) CHECK(*salt == stored);
    }
  }
}

// Admins deciding the same entries at the same moment: one decision wins each, the others are
// told. Several callers walk the same entries in step, so that decisions on one entry overlap.
TEST_CASE("governance: concurrent decisions on one entry, exactly one wins",
          "[store][governance]") {
  FOR_EACH_STORE_BACKEND(store) {
    constexpr int kEntries = 24, kAdmins = 4;
    std::vector<RawEvent> events;
    for (int i = 0; i < kEntries; ++i) {
      events.push_back(Event("shopify", "orders/create", "evt-73" + std::to_string(10 + i),
                             "{\"email\":\"x(at)y\"}", T(i)));
    }
    IntakeBatch intake;
    for (const RawEvent& e : events) intake.records.push_back(Inbox(e));
    REQUIRE(Must(store.CommitIntake(intake)).size() == kEntries);
    auto pending = Must(store.ReadPendingInbox(100));
    REQUIRE(pending.size() == kEntries);
    MappedBatch batch;
    batch.at = T(100);
    for (const StoredInboxEvent& p : pending) {
      batch.quarantined.push_back({p.id, "shopify", "orders/create", p.event.external_id,
                                   kMappingReasons, {"mapping"}, ""});
      batch.processed.push_back(p.id);
    }
    RequireOk(store.CommitMapped(batch));
    auto entries = Must(store.ListQuarantine({}));
    REQUIRE(entries.size() == kEntries);
    std::vector<std::vector<Status>> outcomes(kAdmins, std::vector<Status>(kEntries, OkStatus()));
    std::latch start(kAdmins);
    std::vector<std::thread> admins;
    for (int a = 0; a < kAdmins; ++a) {
      admins.emplace_back([&, a] {
        start.arrive_and_wait();
        for (int i = 0; i < kEntries; ++i) {
          const QuarantineStatus decision =
              a % 2 == 0 ? QuarantineStatus::kReleased : QuarantineStatus::kDiscarded;
          outcomes[a][i] = store.DecideQuarantine(entries[i].id, decision, "cli", T(200 + a));
        }
      });
    }
    for (std::thread& t : admins) t.join();
    int conflicts = 0, released = 0;
    for (int i = 0; i < kEntries; ++i) {
      int entry_won = 0;
      for (int a = 0; a < kAdmins; ++a) {
        const Status& s = outcomes[a][i];
        if (s.ok()) {
          ++entry_won;
        } else if (s.error().code == ErrorCode::kConflict) {
          ++conflicts;
        }
      }
      CHECK(entry_won == 1);
      const QuarantineRow decided = Must(store.ReadQuarantine(entries[i].id));
      CHECK(decided.status != QuarantineStatus::kQuarantined);
      if (decided.status == QuarantineStatus::kReleased) ++released;
    }
    CHECK(conflicts == kEntries * (kAdmins - 1));
    // Each release made its event pending once; a discard left its event processed.
    CHECK(Must(store.CountPendingInbox()) == released);
    CHECK(Must(store.ListQuarantine({})).empty());
  }
}

}  // namespace
}  // namespace journeyd::storage::contract
