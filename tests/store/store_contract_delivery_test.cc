// The Store contract for delivery: the outbox each target reads behind its cursor, the inputs of
// a round, in-flight items, what a round settles (acknowledgements, CRM ids, dead letters,
// actions, the request log, counters), dead-letter decisions and pruning.
#include <algorithm>
#include <latch>
#include <map>
#include <set>
#include <thread>

#include "tests/store/contract_helpers.h"

namespace journeyd::storage::contract {
namespace {

// bob (profile 1) with an order and a page view, jon (profile 2), and a journey action for
// hubspot: the outbox holds profile 1 and 2 (identity, at T(100)), then touchpoint 1,
// touchpoint 2, profile 1 and the action (journey, at T(500)).
struct Delivered {
  std::vector<StoredRecord> records;
  int64_t action_id = 0;
};

Delivered SeedDelivery(Store& store) {
  Delivered out;
  out.records = SeedBobAndJon(store, "evt-d");
  const auto& r = out.records;

  JourneyBatch journey;
  journey.at = T(500);
  for (int64_t id : {1, 2}) {
    TouchpointRow t;
    t.id = id;
    t.record_id = r[id - 1].id;
    t.profile_id = 1;
    t.source = id == 1 ? "shopify" : "tracking";
    t.type = id == 1 ? "order_placed" : "page_viewed";
    t.occurred_at = id == 1 ? T(-400) : T(-500);
    t.value = id == 1 ? "199.65" : "";
    t.currency = id == 1 ? "EUR" : "";
    journey.touchpoints.push_back(t);
  }
  JourneyBatch::Profile bob;
  bob.state.profile_id = 1;
  bob.state.stage = "customer";
  bob.state.first_source = "tracking";
  bob.state.state_json = R"({"stage":"customer"})";
  journey.profiles.push_back(bob);
  JourneyActionRow task;
  task.key = "1|stage:customer|welcome_task|hubspot";
  task.profile_id = 1;
  task.action = "welcome_task";
  task.target = "hubspot";
  task.kind = "task";
  task.payload = R"({"subject":"Welcome call"})";
  task.at = T(-400);
  journey.actions.push_back(task);
  journey.cursor = r[1].id;
  RequireOk(store.CommitJourney(journey));
  out.action_id = Must(store.ListJourneyActions("", 0, 1)).at(0).id;
  return out;
}

DeliveryCommit Round(std::string target, TimePoint at) {
  DeliveryCommit c;
  c.target = std::move(target);
  c.at = at;
  return c;
}

DeadLetterRow Dead(std::string kind, int64_t profile, int64_t item, std::string key,
                   std::string message) {
  DeadLetterRow d;
  d.kind = std::move(kind);
  d.profile_id = profile;
  d.item_id = item;
  d.item_key = std::move(key);
  d.message = std::move(message);
  d.request_json = R"({"properties":{"email":"bob@example.com","lifecyclestage":"customer"}})";
  d.attempts = 5;
  return d;
}

DeliveryRequestRow Request(std::string what, int status, TimePoint at) {
  DeliveryRequestRow r;
  r.method = "POST";
  r.url = "https://api.hubapi.com/crm/v3/objects/contacts/batch/upsert";
  r.body = R"({"inputs":[{"idProperty":"email","id":"bob@example.com"}]})";
  r.what = std::move(what);
  r.items = 1;
  r.status = status;
  r.message = status >= 400 ? "Property values were not valid" : "";
  r.at = at;
  return r;
}

TEST_CASE("delivery: each target reads the outbox in order behind its own cursor",
          "[store][delivery]") {
  FOR_EACH_STORE_BACKEND(store) {
    const Delivered d = SeedDelivery(store);
    auto hubspot = Must(store.ReadOutbox("hubspot", 0, 100));
    REQUIRE(hubspot.size() == 6);
    for (size_t i = 1; i < hubspot.size(); ++i) CHECK(hubspot[i - 1].id < hubspot[i].id);
    CHECK(hubspot[0].kind == "profile");
    CHECK(hubspot[0].created_at == T(100));
    CHECK(hubspot[2].kind == "touchpoint");
    CHECK(hubspot[2].profile_id == 1);
    CHECK(hubspot[2].item_id == 1);
    CHECK(hubspot[2].created_at == T(500));
    CHECK(hubspot[5].kind == "action");
    CHECK(hubspot[5].item_id == d.action_id);
    CHECK(hubspot[5].target == "hubspot");

    SECTION("another target does not see hubspot's action") {
      auto salesforce = Must(store.ReadOutbox("salesforce", 0, 100));
      REQUIRE(salesforce.size() == 5);
      for (size_t i = 0; i < 5; ++i) CHECK(salesforce[i].id == hubspot[i].id);
    }
    SECTION("after_id and limit page through") {
      auto page = Must(store.ReadOutbox("hubspot", hubspot[1].id, 2));
      REQUIRE(page.size() == 2);
      CHECK(page[0].id == hubspot[2].id);
      CHECK(page[1].id == hubspot[3].id);
      CHECK(Must(store.ReadOutbox("hubspot", hubspot[5].id, 10)).empty());
    }
    SECTION("the cursor starts at 0, moves with a commit, and never goes back") {
      CHECK(Must(store.ReadDeliveryCursor("hubspot")) == 0);
      DeliveryCommit round = Round("hubspot", T(600));
      round.cursor = hubspot[3].id;
      RequireOk(store.CommitDelivery(round));
      CHECK(Must(store.ReadDeliveryCursor("hubspot")) == hubspot[3].id);
      CHECK(Must(store.ReadDeliveryCursor("salesforce")) == 0);
      DeliveryCommit older = Round("hubspot", T(601));
      older.cursor = hubspot[1].id;
      RequireOk(store.CommitDelivery(older));
      CHECK(Must(store.ReadDeliveryCursor("hubspot")) == hubspot[3].id);
      DeliveryCommit none = Round("hubspot", T(602));
      RequireOk(store.CommitDelivery(none));
      CHECK(Must(store.ReadDeliveryCursor("hubspot")) == hubspot[3].id);
      auto stats = Must(store.ListDeliveryStats({"hubspot", "salesforce"}));
      REQUIRE(stats.size() == 2);
      CHECK(stats[0].target == "hubspot");
      CHECK(stats[0].cursor == hubspot[3].id);
      CHECK(stats[0].pending == 2);
      CHECK(stats[0].oldest_pending == std::optional<TimePoint>(T(500)));
      CHECK(stats[1].target == "salesforce");
      CHECK(stats[1].cursor == 0);
      CHECK(stats[1].pending == 5);
      CHECK(stats[1].oldest_pending == std::optional<TimePoint>(T(100)));
      CHECK(stats[1].delivered == 0);
      CHECK_FALSE(stats[1].last_success.has_value());
    }
    SECTION("pruning forgets rows every listed target has read") {
      DeliveryCommit h = Round("hubspot", T(600));
      h.cursor = hubspot[4].id;
      RequireOk(store.CommitDelivery(h));
      // salesforce never ran: it holds everything.
      CHECK(Must(store.PruneOutbox({"hubspot", "salesforce"})) == 0);
      DeliveryCommit s = Round("salesforce", T(601));
      s.cursor = hubspot[2].id;
      RequireOk(store.CommitDelivery(s));
      CHECK(Must(store.PruneOutbox({"hubspot", "salesforce"})) == 3);
      auto left = Must(store.ReadOutbox("hubspot", 0, 100));
      REQUIRE(left.size() == 3);
      CHECK(left[0].id == hubspot[3].id);
      CHECK(Must(store.PruneOutbox({"hubspot"})) == 2);
      CHECK(Must(store.ReadOutbox("hubspot", 0, 100)).size() == 1);
      // No targets at all: nobody is waiting for anything.
      CHECK(Must(store.PruneOutbox({})) == 1);
      CHECK(Must(store.ReadOutbox("hubspot", 0, 100)).empty());
      CHECK(Must(store.ReadDeliveryCursor("hubspot")) == hubspot[4].id);
    }
  }
}

TEST_CASE("delivery: a round's inputs, and what a commit settles", "[store][delivery]") {
  FOR_EACH_STORE_BACKEND(store) {
    const Delivered d = SeedDelivery(store);
    const auto rows = Must(store.ReadOutbox("hubspot", 0, 100));
    REQUIRE(rows.size() == 6);

    SECTION("inputs: live profiles, undelivered touchpoints and actions, profile data") {
      auto in = Must(store.ReadDeliveryInputs("hubspot", rows, true, {}));
      CHECK(in.live == std::map<int64_t, int64_t>{{1, 1}, {2, 2}});
      REQUIRE(in.touchpoints.size() == 2);
      CHECK(in.touchpoints[0].id == 1);
      CHECK(in.touchpoints[0].profile_id == 1);
      CHECK(in.touchpoints[0].value == "199.65");
      CHECK(in.touchpoints[1].id == 2);
      REQUIRE(in.actions.size() == 1);
      CHECK(in.actions[0].id == d.action_id);
      CHECK(in.actions[0].profile_id == 1);
      CHECK(in.actions[0].payload == R"({"subject":"Welcome call"})");
      REQUIRE(in.profiles.size() == 2);
      const auto& bob = in.profiles.at(1);
      REQUIRE(bob.records.size() == 2);
      CHECK(bob.records[0].id == d.records[0].id);
      CHECK(bob.records[0].json == d.records[0].json);
      CHECK(bob.records[1].id == d.records[1].id);
      REQUIRE(bob.journey.has_value());
      CHECK(bob.journey->stage == "customer");
      CHECK_FALSE(bob.delivered.has_value());
      const auto& jon = in.profiles.at(2);
      REQUIRE(jon.records.size() == 1);
      CHECK_FALSE(jon.journey.has_value());
    }
    SECTION("inputs: a caller's watermark lets the round read only newer records") {
      RecordWatermark all;
      all.Add(d.records[0].id);
      all.Add(d.records[1].id);
      RecordWatermark first;
      first.Add(d.records[0].id);
      auto in = Must(store.ReadDeliveryInputs("hubspot", rows, false, {{1, first}}));
      const auto& bob = in.profiles.at(1);
      CHECK(bob.incremental);
      REQUIRE(bob.records.size() == 1);
      CHECK(bob.records[0].id == d.records[1].id);
      CHECK(bob.watermark == all);
      // jon's were not known: all of them.
      CHECK_FALSE(in.profiles.at(2).incremental);
      CHECK(in.profiles.at(2).records.size() == 1);
      CHECK(in.profiles.at(2).watermark.count == 1);
      // A watermark that no longer describes the older records (a split took one away, say)
      // gets everything.
      RecordWatermark stale = first;
      stale.Add(d.records[0].id - 1000);
      stale.through_id = d.records[0].id;
      auto full = Must(store.ReadDeliveryInputs("hubspot", rows, false, {{1, stale}}));
      CHECK_FALSE(full.profiles.at(1).incremental);
      CHECK(full.profiles.at(1).records.size() == 2);
      CHECK(full.profiles.at(1).watermark == all);
      auto nothing_new = Must(store.ReadDeliveryInputs("hubspot", rows, false, {{1, all}}));
      CHECK(nothing_new.profiles.at(1).incremental);
      CHECK(nothing_new.profiles.at(1).records.empty());
      CHECK(nothing_new.profiles.at(1).watermark == all);
    }
    SECTION("inputs: touchpoints only when asked, another target's actions never") {
      auto in = Must(store.ReadDeliveryInputs("hubspot", rows, false, {}));
      CHECK(in.touchpoints.empty());
      CHECK(in.actions.size() == 1);
      auto other = Must(store.ReadDeliveryInputs("salesforce", rows, true, {}));
      CHECK(other.actions.empty());
      CHECK(other.touchpoints.size() == 2);
    }
    SECTION("acknowledged items and settled actions leave the inputs") {
      DeliveryCommit round = Round("hubspot", T(600));
      round.profiles = {{1, "crm-501", R"({"email":"bob@example.com","lifecyclestage":"customer"})"}};
      round.delivered_keys = {TouchpointDeliveryKey(1), "1|stage:customer|welcome_task|hubspot"};
      round.actions = {{d.action_id, "delivered"}};
      round.delivered = 3;
      round.cursor = rows.back().id;
      RequireOk(store.CommitDelivery(round));
      auto in = Must(store.ReadDeliveryInputs("hubspot", rows, true, {}));
      REQUIRE(in.touchpoints.size() == 1);
      CHECK(in.touchpoints[0].id == 2);
      CHECK(in.actions.empty());
      REQUIRE(in.profiles.at(1).delivered.has_value());
      CHECK(in.profiles.at(1).delivered->crm_id == "crm-501");
      CHECK(in.profiles.at(1).delivered->acked_json ==
            R"({"email":"bob@example.com","lifecyclestage":"customer"})");
      CHECK(Must(store.ListJourneyActions("delivered", 0, 10)).size() == 1);
      CHECK(Must(store.ListJourneyActions("pending", 0, 10)).empty());
      // Another target has acknowledged nothing.
      auto other = Must(store.ReadDeliveryInputs("salesforce", rows, true, {}));
      CHECK(other.touchpoints.size() == 2);
      CHECK_FALSE(other.profiles.at(1).delivered.has_value());
    }
    SECTION("inputs follow merges to the live profile and skip erased ones") {
      const auto extra = SeedRecords(
          store, {Spec("evt-d4", T(-10), {{"email", "bob@example.com"}, {"email", "jon@example.com"}})});
      IdentityBatch merge;
      merge.at = T(700);
      IdentityBatch::Step step = JoinStep(extra[0], 1);
      step.merges.push_back({1, 2, "identifier", "email", "jon@example.com", 1.0, ""});
      merge.steps.push_back(step);
      merge.cursor = extra[0].id;
      RequireOk(store.CommitIdentity(merge));
      auto in = Must(store.ReadDeliveryInputs("hubspot", rows, false, {}));
      CHECK(in.live == std::map<int64_t, int64_t>{{1, 1}, {2, 1}});
      REQUIRE(in.profiles.size() == 1);
      CHECK(in.profiles.at(1).records.size() == 4);

      IdentityAction erase;
      erase.kind = IdentityActionKind::kErase;
      erase.profile_id = 1;
      const int64_t action = Must(store.QueueIdentityAction(erase, T(800)));
      IdentityActionOutcome outcome;
      outcome.action_id = action;
      outcome.done = true;
      IdentityActionOutcome::Erasure erasure;
      erasure.profiles = {1};
      erasure.records = {d.records[0].id, d.records[1].id, d.records[2].id, extra[0].id};
      erasure.identifiers = {{"email", "bob@example.com"}, {"email", "jon@example.com"}};
      erasure.requested_by = "cli";
      outcome.erasure = erasure;
      outcome.at = T(810);
      RequireOk(store.CommitIdentityAction(outcome));
      auto gone = Must(store.ReadDeliveryInputs("hubspot", rows, true, {}));
      CHECK(gone.live.empty());
      CHECK(gone.touchpoints.empty());
      CHECK(gone.actions.empty());
      CHECK(gone.profiles.empty());
    }
    SECTION("CRM ids: written back per target, kept when a later round says none") {
      DeliveryCommit h = Round("hubspot", T(600));
      h.profiles = {{1, "crm-501", R"({"email":"bob@example.com"})"}};
      RequireOk(store.CommitDelivery(h));
      DeliveryCommit s = Round("salesforce", T(601));
      s.profiles = {{1, "0035e00000AbCdEAA1", R"({"Email":"bob@example.com"})"}, {2, "", "{}"}};
      RequireOk(store.CommitDelivery(s));
      using Ids = std::vector<std::pair<std::string, std::string>>;
      CHECK(Must(store.ReadCrmIds(1)) ==
            Ids{{"hubspot", "crm-501"}, {"salesforce", "0035e00000AbCdEAA1"}});
      CHECK(Must(store.ReadCrmIds(2)).empty());
      DeliveryCommit later = Round("hubspot", T(700));
      later.profiles = {{1, "", R"({"email":"bob@example.com","lifecyclestage":"customer"})"}};
      RequireOk(store.CommitDelivery(later));
      CHECK(Must(store.ReadCrmIds(1))[0] == std::pair<std::string, std::string>{"hubspot", "crm-501"});
      auto in = Must(store.ReadDeliveryInputs("hubspot", rows, false, {}));
      REQUIRE(in.profiles.at(1).delivered.has_value());
      CHECK(in.profiles.at(1).delivered->acked_json ==
            R"({"email":"bob@example.com","lifecyclestage":"customer"})");
      CHECK(Must(store.ReadCrmIds(3)).empty());
    }
  }
}

TEST_CASE("delivery: in-flight items are kept per target until a commit settles them",
          "[store][delivery]") {
  FOR_EACH_STORE_BACKEND(store) {
    CHECK(Must(store.ReadInFlight("hubspot")).empty());
    RequireOk(store.MarkInFlight("hubspot", {"touchpoint:1", "touchpoint:2", "7|action"}, T(10)));
    RequireOk(store.MarkInFlight("salesforce", {"touchpoint:1"}, T(11)));
    RequireOk(store.MarkInFlight("hubspot", {}, T(12)));
    auto flying = Must(store.ReadInFlight("hubspot"));
    CHECK(flying == std::map<std::string, TimePoint>{
                        {"7|action", T(10)}, {"touchpoint:1", T(10)}, {"touchpoint:2", T(10)}});
    // Sent again: the newer time.
    RequireOk(store.MarkInFlight("hubspot", {"touchpoint:2"}, T(20)));
    CHECK(Must(store.ReadInFlight("hubspot")).at("touchpoint:2") == T(20));

    DeliveryCommit round = Round("hubspot", T(30));
    round.delivered_keys = {"touchpoint:1"};
    round.dead = {Dead("touchpoint", 1, 2, "touchpoint:2", "INVALID_EMAIL")};
    RequireOk(store.CommitDelivery(round));
    CHECK(Must(store.ReadInFlight("hubspot")) ==
          std::map<std::string, TimePoint>{{"7|action", T(10)}});
    // Settled for hubspot only.
    CHECK(Must(store.ReadInFlight("salesforce")) ==
          std::map<std::string, TimePoint>{{"touchpoint:1", T(11)}});
  }
}

TEST_CASE("delivery: a commit marks the next request's items in flight after settling the last",
          "[store][delivery]") {
  FOR_EACH_STORE_BACKEND(store) {
    RequireOk(store.MarkInFlight("hubspot", {"touchpoint:1", "touchpoint:2"}, T(10)));
    // The commit before the next request: touchpoint:1 settled, touchpoint:2 sent again (it was
    // retried) and touchpoint:3 going for the first time, named twice.
    DeliveryCommit round = Round("hubspot", T(40));
    round.delivered_keys = {"touchpoint:1"};
    round.in_flight = {"touchpoint:2", "touchpoint:3", "touchpoint:3"};
    RequireOk(store.CommitDelivery(round));
    CHECK(Must(store.ReadInFlight("hubspot")) ==
          std::map<std::string, TimePoint>{{"touchpoint:2", T(40)}, {"touchpoint:3", T(40)}});
    // A key settled and marked in one commit was answered and then sent again: still in flight.
    DeliveryCommit again = Round("hubspot", T(50));
    again.delivered_keys = {"touchpoint:3"};
    again.in_flight = {"touchpoint:3"};
    RequireOk(store.CommitDelivery(again));
    CHECK(Must(store.ReadInFlight("hubspot")) ==
          std::map<std::string, TimePoint>{{"touchpoint:2", T(40)}, {"touchpoint:3", T(50)}});
    CHECK(Must(store.ReadInFlight("salesforce")).empty());
  }
}

TEST_CASE("delivery: dead letters are listed, shown, replayed or discarded once",
          "[store][delivery]") {
  FOR_EACH_STORE_BACKEND(store) {
    const Delivered d = SeedDelivery(store);
    const auto before = Must(store.ReadOutbox("hubspot", 0, 100));
    DeliveryCommit round = Round("hubspot", T(600));
    round.dead = {Dead("touchpoint", 1, 2, TouchpointDeliveryKey(2),
                       "Property values were not valid: page_viewed is not an event"),
                  Dead("action", 1, d.action_id, "1|stage:customer|welcome_task|hubspot",
                       "Task owner 12 does not exist")};
    round.actions = {{d.action_id, "failed"}};
    round.failures = 1;
    round.last_error = "HTTP 400: Property values were not valid";
    RequireOk(store.CommitDelivery(round));
    DeliveryCommit other = Round("salesforce", T(601));
    other.dead = {Dead("profile", 2, 0, "profile:2", "REQUIRED_FIELD_MISSING: LastName")};
    RequireOk(store.CommitDelivery(other));

    auto dead = Must(store.ListDeadLetters({}));
    REQUIRE(dead.size() == 3);
    const DeadLetterRow touchpoint = dead[2];
    const DeadLetterRow action = dead[1];
    const DeadLetterRow profile = dead[0];

    SECTION("listed newest first with every field, filtered by target") {
      CHECK(profile.target == "salesforce");
      CHECK(profile.kind == "profile");
      CHECK(profile.item_id == 0);
      CHECK(touchpoint.target == "hubspot");
      CHECK(touchpoint.kind == "touchpoint");
      CHECK(touchpoint.profile_id == 1);
      CHECK(touchpoint.item_id == 2);
      CHECK(touchpoint.item_key == "touchpoint:2");
      CHECK(touchpoint.message == "Property values were not valid: page_viewed is not an event");
      CHECK(touchpoint.request_json ==
            R"({"properties":{"email":"bob@example.com","lifecyclestage":"customer"}})");
      CHECK(touchpoint.attempts == 5);
      CHECK(touchpoint.status == DeadLetterStatus::kDead);
      CHECK(touchpoint.created_at == T(600));
      CHECK_FALSE(touchpoint.decided_at.has_value());
      CHECK(touchpoint.decided_by.empty());
      DeadLetterFilter hubspot;
      hubspot.target = "hubspot";
      auto listed = Must(store.ListDeadLetters(hubspot));
      REQUIRE(listed.size() == 2);
      CHECK(listed[0].id == action.id);
      DeadLetterFilter page;
      page.limit = 1;
      page.before_id = action.id;
      auto paged = Must(store.ListDeadLetters(page));
      REQUIRE(paged.size() == 1);
      CHECK(paged[0].id == touchpoint.id);
      auto shown = Must(store.ReadDeadLetter(action.id));
      CHECK(shown.message == "Task owner 12 does not exist");
      auto missing = store.ReadDeadLetter(profile.id + 10);
      REQUIRE_FALSE(missing.ok());
      CHECK(missing.error().code == ErrorCode::kNotFound);
      CHECK(Must(store.CountOpenWork()).dead_letters == 3);
    }
    SECTION("the round's counters") {
      auto stats = Must(store.ListDeliveryStats({"hubspot"}));
      REQUIRE(stats.size() == 1);
      CHECK(stats[0].dead == 2);
      CHECK(stats[0].dead_now == 2);
      CHECK(stats[0].failures == 1);
      CHECK(stats[0].last_error == "HTTP 400: Property values were not valid");
      CHECK(stats[0].last_failure == std::optional<TimePoint>(T(600)));
      CHECK_FALSE(stats[0].last_success.has_value());
      CHECK(Must(store.ListJourneyActions("failed", 0, 10)).size() == 1);
    }
    SECTION("replay: back in the outbox for its own target, decided once") {
      RequireOk(store.DecideDeadLetter(touchpoint.id, DeadLetterStatus::kReplayed, "cli", T(700)));
      auto replayed = Must(store.ReadDeadLetter(touchpoint.id));
      CHECK(replayed.status == DeadLetterStatus::kReplayed);
      CHECK(replayed.decided_at == std::optional<TimePoint>(T(700)));
      CHECK(replayed.decided_by == "cli");
      auto after = Must(store.ReadOutbox("hubspot", before.back().id, 10));
      REQUIRE(after.size() == 1);
      CHECK(after[0].kind == "touchpoint");
      CHECK(after[0].profile_id == 1);
      CHECK(after[0].item_id == 2);
      CHECK(after[0].target == "hubspot");
      CHECK(after[0].created_at == T(700));
      CHECK(Must(store.ReadOutbox("salesforce", before.back().id, 10)).empty());
      Status again = store.DecideDeadLetter(touchpoint.id, DeadLetterStatus::kDiscarded, "cli",
                                            T(701));
      REQUIRE_FALSE(again.ok());
      CHECK(again.error().code == ErrorCode::kConflict);
      CHECK(Must(store.ListDeadLetters({})).size() == 2);
      DeadLetterFilter any;
      any.status = std::nullopt;
      CHECK(Must(store.ListDeadLetters(any)).size() == 3);
      DeadLetterFilter only_replayed;
      only_replayed.status = DeadLetterStatus::kReplayed;
      CHECK(Must(store.ListDeadLetters(only_replayed)).size() == 1);
      CHECK(Must(store.ListDeliveryStats({"hubspot"})).at(0).dead_now == 1);
    }
    SECTION("replaying an action makes it pending again") {
      RequireOk(store.DecideDeadLetter(action.id, DeadLetterStatus::kReplayed, "admin api",
                                       T(710)));
      auto pending = Must(store.ListJourneyActions("pending", 0, 10));
      REQUIRE(pending.size() == 1);
      CHECK(pending[0].id == d.action_id);
      auto after = Must(store.ReadOutbox("hubspot", before.back().id, 10));
      REQUIRE(after.size() == 1);
      CHECK(after[0].kind == "action");
      CHECK(after[0].item_id == d.action_id);
      auto in = Must(store.ReadDeliveryInputs("hubspot", after, false, {}));
      REQUIRE(in.actions.size() == 1);
      CHECK(in.actions[0].id == d.action_id);
    }
    SECTION("discard: only marked, nothing goes back out") {
      RequireOk(store.DecideDeadLetter(profile.id, DeadLetterStatus::kDiscarded, "cli", T(720)));
      auto discarded = Must(store.ReadDeadLetter(profile.id));
      CHECK(discarded.status == DeadLetterStatus::kDiscarded);
      CHECK(discarded.decided_at == std::optional<TimePoint>(T(720)));
      CHECK(Must(store.ReadOutbox("salesforce", before.back().id, 10)).empty());
      Status again = store.DecideDeadLetter(profile.id, DeadLetterStatus::kReplayed, "cli", T(721));
      REQUIRE_FALSE(again.ok());
      CHECK(again.error().code == ErrorCode::kConflict);
      Status missing = store.DecideDeadLetter(profile.id + 10, DeadLetterStatus::kReplayed, "cli",
                                              T(722));
      REQUIRE_FALSE(missing.ok());
      CHECK(missing.error().code == ErrorCode::kNotFound);
      CHECK(Must(store.CountOpenWork()).dead_letters == 2);
    }
  }
}

TEST_CASE("delivery: the request log and the counters per target", "[store][delivery]") {
  FOR_EACH_STORE_BACKEND(store) {
    DeliveryCommit first = Round("hubspot", T(100));
    first.requests = {Request("3 contacts", 200, T(99)), Request("1 contact", 400, T(100))};
    first.delivered = 3;
    first.failures = 1;
    first.last_error = "HTTP 400: Property values were not valid";
    RequireOk(store.CommitDelivery(first));
    DeliveryCommit second = Round("hubspot", T(200));
    second.requests = {Request("2 contacts", 200, T(200))};
    second.delivered = 2;
    RequireOk(store.CommitDelivery(second));

    SECTION("requests newest first, every field") {
      auto requests = Must(store.ListDeliveryRequests("hubspot", 0, 10));
      REQUIRE(requests.size() == 3);
      CHECK(requests[0].what == "2 contacts");
      CHECK(requests[1].what == "1 contact");
      CHECK(requests[2].what == "3 contacts");
      CHECK(requests[1].target == "hubspot");
      CHECK(requests[1].method == "POST");
      CHECK(requests[1].url == "https://api.hubapi.com/crm/v3/objects/contacts/batch/upsert");
      CHECK(requests[1].body == R"({"inputs":[{"idProperty":"email","id":"bob@example.com"}]})");
      CHECK(requests[1].items == 1);
      CHECK(requests[1].status == 400);
      CHECK(requests[1].message == "Property values were not valid");
      CHECK(requests[1].at == T(100));
      auto older = Must(store.ListDeliveryRequests("hubspot", requests[0].id, 1));
      REQUIRE(older.size() == 1);
      CHECK(older[0].id == requests[1].id);
      CHECK(Must(store.ListDeliveryRequests("salesforce", 0, 10)).empty());
    }
    SECTION("only the newest keep_requests are kept") {
      DeliveryCommit third = Round("hubspot", T(300));
      third.requests = {Request("4 contacts", 200, T(300))};
      third.keep_requests = 2;
      RequireOk(store.CommitDelivery(third));
      auto kept = Must(store.ListDeliveryRequests("hubspot", 0, 10));
      REQUIRE(kept.size() == 2);
      CHECK(kept[0].what == "4 contacts");
      CHECK(kept[1].what == "2 contacts");
    }
    SECTION("counters add up, and the last error stays until another replaces it") {
      auto stats = Must(store.ListDeliveryStats({"hubspot", "never-ran"}));
      REQUIRE(stats.size() == 2);
      CHECK(stats[0].delivered == 5);
      CHECK(stats[0].requests == 3);
      CHECK(stats[0].failures == 1);
      CHECK(stats[0].dead == 0);
      CHECK(stats[0].last_failure == std::optional<TimePoint>(T(100)));
      CHECK(stats[0].last_success == std::optional<TimePoint>(T(200)));
      CHECK(stats[0].last_error == "HTTP 400: Property values were not valid");
      CHECK(stats[0].cursor == 0);
      CHECK(stats[0].pending == 0);
      CHECK_FALSE(stats[0].oldest_pending.has_value());
      CHECK(stats[1].target == "never-ran");
      CHECK(stats[1].delivered == 0);
      CHECK(stats[1].requests == 0);
      CHECK(stats[1].last_error.empty());
      CHECK_FALSE(stats[1].last_failure.has_value());
      DeliveryCommit worse = Round("hubspot", T(400));
      worse.failures = 2;
      worse.last_error = "HTTP 503";
      RequireOk(store.CommitDelivery(worse));
      auto now = Must(store.ListDeliveryStats({"hubspot"}));
      CHECK(now[0].failures == 3);
      CHECK(now[0].last_error == "HTTP 503");
      CHECK(now[0].last_failure == std::optional<TimePoint>(T(400)));
      CHECK(now[0].last_success == std::optional<TimePoint>(T(200)));
      CHECK(Must(store.ListDeliveryStats({})).empty());
    }
  }
}

// keep_requests is "per target": another target's requests in between must not cost this one
// any of its kept requests (request ids are shared by every target).
TEST_CASE("delivery: keep_requests counts the target's own requests only", "[store][delivery]") {
  FOR_EACH_STORE_BACKEND(store) {
    for (int i = 0; i < 3; ++i) {
      DeliveryCommit h = Round("hubspot", T(100 + i));
      h.requests = {Request("hubspot " + std::to_string(i), 200, T(100 + i))};
      RequireOk(store.CommitDelivery(h));
      DeliveryCommit p = Round("preview", T(100 + i));
      p.requests = {Request("preview " + std::to_string(i), -1, T(100 + i))};
      RequireOk(store.CommitDelivery(p));
    }
    DeliveryCommit last = Round("hubspot", T(200));
    last.requests = {Request("hubspot 3", 200, T(200))};
    last.keep_requests = 2;
    RequireOk(store.CommitDelivery(last));
    auto kept = Must(store.ListDeliveryRequests("hubspot", 0, 10));
    REQUIRE(kept.size() == 2);
    CHECK(kept[0].what == "hubspot 3");
    CHECK(kept[1].what == "hubspot 2");
    CHECK(Must(store.ListDeliveryRequests("preview", 0, 10)).size() == 3);
  }
}

// Keys and texts travel as they are, whatever characters they hold: quotes, backslashes,
// commas, braces, the word NULL, spaces, an empty key, UTF-8.
TEST_CASE("delivery: keys and texts of any characters survive in flight and in a commit",
          "[store][delivery]") {
  FOR_EACH_STORE_BACKEND(store) {
    const std::vector<std::string> keys = {
        "say \"hi\"", "back\\slash", "a,b", "{x,y}", "NULL", " spaced ", "", "caf\xc3\xa9|1"};
    RequireOk(store.MarkInFlight("hubspot", keys, T(10)));
    std::map<std::string, TimePoint> expected;
    for (const std::string& key : keys) expected[key] = T(10);
    CHECK(Must(store.ReadInFlight("hubspot")) == expected);

    DeliveryCommit round = Round("hubspot", T(20));
    round.delivered_keys = {"say \"hi\"", "NULL", ""};
    DeadLetterRow dead = Dead("touchpoint", 1, 9, "back\\slash", "bad \"value\": \\d+, {x}");
    dead.request_json = R"({"note":"line\nbreak \"quoted\""})";
    round.dead = {dead};
    DeliveryRequestRow request = Request("1 contact, \"bob\"", 400, T(20));
    request.body = R"({"inputs":[{"id":"a\\b","note":"{,}"}]})";
    request.message = "NULL";
    round.requests = {request};
    round.profiles = {{1, "crm \"7\"", R"({"name":"O'Brien \"Bob\""})"}};
    RequireOk(store.CommitDelivery(round));

    expected.erase("say \"hi\"");
    expected.erase("NULL");
    expected.erase("");
    expected.erase("back\\slash");
    CHECK(Must(store.ReadInFlight("hubspot")) == expected);
    auto letters = Must(store.ListDeadLetters({}));
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].item_key == "back\\slash");
    CHECK(letters[0].message == "bad \"value\": \\d+, {x}");
    CHECK(letters[0].request_json == R"({"note":"line\nbreak \"quoted\""})");
    CHECK(letters[0].item_id == 9);
    auto requests = Must(store.ListDeliveryRequests("hubspot", 0, 10));
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].what == "1 contact, \"bob\"");
    CHECK(requests[0].body == R"({"inputs":[{"id":"a\\b","note":"{,}"}]})");
    CHECK(requests[0].message == "NULL");
    using Ids = std::vector<std::pair<std::string, std::string>>;
    CHECK(Must(store.ReadCrmIds(1)) == Ids{{"hubspot", "crm \"7\""}});
  }
}

// A round may name one item more than once (a replayed letter beside the original row): the
// store takes it as SqliteStore's statement-per-item writes would, never as an error.
TEST_CASE("delivery: an item named twice in one call counts as the last one says",
          "[store][delivery]") {
  FOR_EACH_STORE_BACKEND(store) {
    RequireOk(store.MarkInFlight("hubspot", {"touchpoint:1", "touchpoint:1", "touchpoint:2"},
                                 T(10)));
    CHECK(Must(store.ReadInFlight("hubspot")) ==
          std::map<std::string, TimePoint>{{"touchpoint:1", T(10)}, {"touchpoint:2", T(10)}});

    DeliveryCommit first = Round("hubspot", T(20));
    first.profiles = {{1, "crm-1", R"({"a":"1"})"}, {2, "", R"({"b":"1"})"},
                      {1, "", R"({"a":"2"})"}};
    first.delivered_keys = {"touchpoint:1", "touchpoint:1"};
    RequireOk(store.CommitDelivery(first));
    using Ids = std::vector<std::pair<std::string, std::string>>;
    // The later entry for profile 1 names no CRM id: the earlier one's stays.
    CHECK(Must(store.ReadCrmIds(1)) == Ids{{"hubspot", "crm-1"}});
    CHECK(Must(store.ReadCrmIds(2)).empty());
    CHECK(Must(store.ReadInFlight("hubspot")) ==
          std::map<std::string, TimePoint>{{"touchpoint:2", T(10)}});

    DeliveryCommit second = Round("hubspot", T(30));
    second.profiles = {{1, "crm-2", R"({"a":"3"})"}, {1, "crm-3", R"({"a":"4"})"},
                       {2, "crm-9", R"({"b":"2"})"}, {2, "", R"({"b":"3"})"}};
    RequireOk(store.CommitDelivery(second));
    CHECK(Must(store.ReadCrmIds(1)) == Ids{{"hubspot", "crm-3"}});
    CHECK(Must(store.ReadCrmIds(2)) == Ids{{"hubspot", "crm-9"}});
    auto stats = Must(store.ListDeliveryStats({"hubspot"}));
    REQUIRE(stats.size() == 1);
    CHECK(stats[0].last_success == std::optional<TimePoint>(T(30)));
  }
}

TEST_CASE("delivery: an action settled twice in one round keeps the last status, and profile "
          "data shows the last acknowledgement",
          "[store][delivery]") {
  FOR_EACH_STORE_BACKEND(store) {
    const Delivered d = SeedDelivery(store);
    const auto rows = Must(store.ReadOutbox("hubspot", 0, 100));
    DeliveryCommit round = Round("hubspot", T(600));
    round.actions = {{d.action_id, "failed"}, {d.action_id, "delivered"}};
    round.profiles = {{1, "crm-1", R"({"x":"1"})"}, {1, "", R"({"x":"2"})"}};
    RequireOk(store.CommitDelivery(round));
    CHECK(Must(store.ListJourneyActions("delivered", 0, 10)).size() == 1);
    CHECK(Must(store.ListJourneyActions("failed", 0, 10)).empty());
    auto in = Must(store.ReadDeliveryInputs("hubspot", rows, false, {}));
    CHECK(in.actions.empty());  // no longer pending
    REQUIRE(in.profiles.at(1).delivered.has_value());
    CHECK(in.profiles.at(1).delivered->crm_id == "crm-1");
    CHECK(in.profiles.at(1).delivered->acked_json == R"({"x":"2"})");
  }
}

TEST_CASE("delivery: targets sort bytewise in CRM ids, and stats come in the order asked",
          "[store][delivery]") {
  FOR_EACH_STORE_BACKEND(store) {
    for (const char* target : {"hubspot", "Zendesk", "_audit", "Salesforce"}) {
      DeliveryCommit c = Round(target, T(10));
      c.profiles = {{4, std::string("id-") + target, "{}"}};
      c.delivered = 1;
      RequireOk(store.CommitDelivery(c));
    }
    using Ids = std::vector<std::pair<std::string, std::string>>;
    CHECK(Must(store.ReadCrmIds(4)) == Ids{{"Salesforce", "id-Salesforce"},
                                           {"Zendesk", "id-Zendesk"},
                                           {"_audit", "id-_audit"},
                                           {"hubspot", "id-hubspot"}});
    auto stats = Must(store.ListDeliveryStats({"hubspot", "never-ran", "Zendesk"}));
    REQUIRE(stats.size() == 3);
    CHECK(stats[0].target == "hubspot");
    CHECK(stats[0].delivered == 1);
    CHECK(stats[1].target == "never-ran");
    CHECK(stats[1].delivered == 0);
    CHECK(stats[2].target == "Zendesk");
    CHECK(stats[2].delivered == 1);
  }
}

TEST_CASE("delivery: inputs of a window that names items twice, or items that are gone",
          "[store][delivery]") {
  FOR_EACH_STORE_BACKEND(store) {
    const Delivered d = SeedDelivery(store);
    auto rows = Must(store.ReadOutbox("hubspot", 0, 100));
    REQUIRE(rows.size() == 6);
    // Unknown profile, touchpoint and action ids are no inputs, not errors.
    OutboxRow ghost_profile = rows[0];
    ghost_profile.profile_id = 99;
    OutboxRow ghost_touchpoint = rows[2];
    ghost_touchpoint.item_id = 99;
    OutboxRow ghost_action = rows[5];
    ghost_action.item_id = d.action_id + 99;
    std::vector<OutboxRow> window = {rows[0], rows[0], ghost_profile, ghost_touchpoint,
                                     ghost_action, rows[5]};
    auto in = Must(store.ReadDeliveryInputs("hubspot", window, true, {}));
    CHECK(in.live == std::map<int64_t, int64_t>{{1, 1}});
    CHECK(in.touchpoints.empty());
    REQUIRE(in.actions.size() == 1);
    CHECK(in.actions[0].id == d.action_id);
    REQUIRE(in.profiles.size() == 1);
    CHECK(in.profiles.at(1).records.size() == 2);
    CHECK(in.profiles.at(1).watermark.count == 2);
    // A watermark of count 0 holds nothing: every record is read.
    RecordWatermark none;
    none.through_id = d.records[1].id;
    auto all = Must(store.ReadDeliveryInputs("hubspot", window, false, {{1, none}}));
    CHECK_FALSE(all.profiles.at(1).incremental);
    CHECK(all.profiles.at(1).records.size() == 2);
    // No rows, no inputs.
    auto empty = Must(store.ReadDeliveryInputs("hubspot", {}, true, {}));
    CHECK(empty.live.empty());
    CHECK(empty.profiles.empty());
    CHECK(empty.touchpoints.empty());
    CHECK(empty.actions.empty());
  }
}

// Admins replaying the same dead letters at the same moment: each goes back out once. Several
// callers walk the same letters in step, so that decisions on one letter overlap.
TEST_CASE("delivery: concurrent decisions on one dead letter, exactly one wins",
          "[store][delivery]") {
  FOR_EACH_STORE_BACKEND(store) {
    constexpr int kLetters = 24, kAdmins = 4;
    DeliveryCommit round = Round("hubspot", T(10));
    for (int i = 1; i <= kLetters; ++i) {
      round.dead.push_back(Dead("profile", i, 0, "profile:" + std::to_string(i), "MISSING"));
    }
    RequireOk(store.CommitDelivery(round));
    auto letters = Must(store.ListDeadLetters({}));
    REQUIRE(letters.size() == kLetters);
    std::vector<std::vector<Status>> outcomes(kAdmins, std::vector<Status>(kLetters, OkStatus()));
    std::latch start(kAdmins);
    std::vector<std::thread> admins;
    for (int a = 0; a < kAdmins; ++a) {
      admins.emplace_back([&, a] {
        start.arrive_and_wait();
        for (int i = 0; i < kLetters; ++i) {
          outcomes[a][i] =
              store.DecideDeadLetter(letters[i].id, DeadLetterStatus::kReplayed, "cli", T(20 + a));
        }
      });
    }
    for (std::thread& t : admins) t.join();
    int won = 0, conflicts = 0;
    for (int i = 0; i < kLetters; ++i) {
      int letter_won = 0;
      for (int a = 0; a < kAdmins; ++a) {
        const Status& s = outcomes[a][i];
        if (s.ok()) {
          ++letter_won;
        } else if (s.error().code == ErrorCode::kConflict) {
          ++conflicts;
        }
      }
      CHECK(letter_won == 1);
      won += letter_won;
    }
    CHECK(won == kLetters);
    CHECK(conflicts == kLetters * (kAdmins - 1));
    auto outbox = Must(store.ReadOutbox("hubspot", 0, 100));
    REQUIRE(outbox.size() == kLetters);
    std::set<int64_t> profiles;
    for (const OutboxRow& row : outbox) {
      CHECK(row.kind == "profile");
      CHECK(row.target == "hubspot");
      profiles.insert(row.profile_id);
    }
    CHECK(profiles.size() == kLetters);
    CHECK(Must(store.ListDeadLetters({})).empty());
  }
}

}  // namespace
}  // namespace journeyd::storage::contract
