// The Store contract for the journey: touchpoints and their idempotency and match keys, journey
// states and transitions, actions kept once per key, dirty and due profiles, the definition's
// fingerprint, the KPI scans, and the outbox rows a journey batch announces.
#include <algorithm>
#include <latch>
#include <set>
#include <thread>
#include <tuple>

#include "tests/store/contract_helpers.h"

namespace journeyd::storage::contract {
namespace {

constexpr char kOrderKey[] = "shopify|order_placed|820982911946154508";
constexpr char kPageKey[] = "tracking|page_viewed|/products/sneaker";
constexpr char kChargeKey[] = "stripe|charge_succeeded|ch_3MmlLrLkdIwHu7ix0snN0B15";
constexpr char kMatchKey[] = "EUR|199.65|bob@example.com";
constexpr char kWelcomeKey[] = "1|stage:customer|welcome_task|hubspot";

struct Journeyed {
  std::vector<StoredRecord> records;  // r0, r1 of bob (profile 1), r2 of jon (profile 2)
};

Journeyed SeedJourney(Store& store) {
  Journeyed out;
  out.records = SeedBobAndJon(store, "evt-j");
  return out;
}

TouchpointRow Touch(int64_t id, const StoredRecord& record, int64_t profile, std::string source,
                    std::string type, std::string reference, TimePoint at) {
  TouchpointRow t;
  t.id = id;
  t.record_id = record.id;
  t.profile_id = profile;
  t.source = std::move(source);
  t.type = std::move(type);
  t.occurred_at = at;
  t.reference = std::move(reference);
  return t;
}

JourneyTransitionRow Transition(std::string kind, std::string from, std::string to, TimePoint at,
                                int64_t touchpoint, int enter, int exit) {
  JourneyTransitionRow t;
  t.kind = std::move(kind);
  t.from = std::move(from);
  t.to = std::move(to);
  t.at = at;
  t.touchpoint_id = touchpoint;
  t.enter_ordinal = enter;
  t.exit_ordinal = exit;
  return t;
}

// The journey stage's batch over bob's two records.
JourneyBatch BobsBatch(const Journeyed& j) {
  const auto& r = j.records;
  JourneyBatch batch;
  batch.at = T(500);
  TouchpointRow order = Touch(1, r[0], 1, "shopify", "order_placed", "820982911946154508", T(-400));
  order.channel = "web";
  order.value = "199.65";
  order.currency = "EUR";
  order.campaign_json = R"({"source":"newsletter","medium":"email","name":"summer-sale"})";
  order.attributes_json = R"({"items":3,"discount_codes":["SUMMER10"]})";
  batch.touchpoints.push_back(order);
  batch.touchpoints.push_back(
      Touch(2, r[1], 1, "tracking", "page_viewed", "/products/sneaker", T(-500)));
  batch.keys = {{kOrderKey, 1, "shopify", "order_placed", "820982911946154508", r[0].id, ""},
                {kPageKey, 2, "tracking", "page_viewed", "/products/sneaker", r[1].id, ""},
                {kChargeKey, 1, "stripe", "charge_succeeded", "ch_3MmlLrLkdIwHu7ix0snN0B15",
                 r[1].id, "order_payment"}};
  batch.match_keys = {{"order_payment", kMatchKey, 1, T(-400)}};
  JourneyBatch::Profile bob;
  bob.state.profile_id = 1;
  bob.state.stage = "customer";
  bob.state.side = "";
  bob.state.first_source = "tracking";
  bob.state.last_activity = T(-400);
  bob.state.next_check_at = T(3600);
  bob.state.engagement = 12.5;
  bob.state.health = 0.8;
  bob.state.state_json = R"({"stage":"customer","orders":1,"revenue":"199.65"})";
  bob.transitions = {Transition("stage", "", "lead", T(-500), 2, 0, 1),
                     Transition("stage", "lead", "customer", T(-400), 1, 1, 2)};
  batch.profiles.push_back(bob);
  JourneyActionRow welcome;
  welcome.key = kWelcomeKey;
  welcome.profile_id = 1;
  welcome.action = "welcome_task";
  welcome.target = "hubspot";
  welcome.kind = "task";
  welcome.payload = R"({"subject":"Welcome call","due_in_days":2})";
  welcome.at = T(-400);
  batch.actions.push_back(welcome);
  batch.cursor = r[1].id;
  return batch;
}

TEST_CASE("journey: a batch stores touchpoints, keys, state, transitions and actions",
          "[store][journey]") {
  FOR_EACH_STORE_BACKEND(store) {
    const Journeyed j = SeedJourney(store);
    CHECK(Must(store.ReadStageCursor("journey")) == 0);
    CHECK(Must(store.MaxTouchpointId()) == 0);
    CHECK(Must(store.ReadJourneyFingerprint()).empty());
    const JourneyBatch batch = BobsBatch(j);
    RequireOk(store.CommitJourney(batch));

    SECTION("the cursor and the largest touchpoint id") {
      CHECK(Must(store.ReadStageCursor("journey")) == j.records[1].id);
      CHECK(Must(store.ReadStageCursor("identity")) == j.records[2].id);
      CHECK(Must(store.MaxTouchpointId()) == 2);
    }
    SECTION("idempotency keys find their touchpoint, a duplicate's included") {
      CHECK(Must(store.FindTouchpointKey(kOrderKey)) == std::optional<int64_t>(1));
      CHECK(Must(store.FindTouchpointKey(kPageKey)) == std::optional<int64_t>(2));
      CHECK(Must(store.FindTouchpointKey(kChargeKey)) == std::optional<int64_t>(1));
      CHECK_FALSE(Must(store.FindTouchpointKey("shopify|order_placed|1")).has_value());
    }
    SECTION("match candidates hold what their touchpoint already stands for") {
      auto candidates = Must(store.FindMatchCandidates("order_payment", kMatchKey));
      REQUIRE(candidates.size() == 1);
      CHECK(candidates[0].touchpoint_id == 1);
      CHECK(candidates[0].occurred_at == T(-400));
      auto members = candidates[0].members;
      std::sort(members.begin(), members.end());
      CHECK(members ==
            std::vector<std::string>{"shopify|order_placed", "stripe|charge_succeeded"});
      CHECK(Must(store.FindMatchCandidates("order_payment", "EUR|1.00|x")).empty());
      CHECK(Must(store.FindMatchCandidates("other_rule", kMatchKey)).empty());
    }
    SECTION("a profile's touchpoints by time, every field as written") {
      auto touchpoints = Must(store.ReadProfileTouchpoints(1));
      REQUIRE(touchpoints.size() == 2);
      CHECK(touchpoints[0].id == 2);
      CHECK(touchpoints[0].type == "page_viewed");
      CHECK(touchpoints[0].campaign_json == "{}");
      CHECK(touchpoints[0].attributes_json == "{}");
      CHECK(touchpoints[0].value.empty());
      const TouchpointRow& order = touchpoints[1];
      CHECK(order.id == 1);
      CHECK(order.record_id == j.records[0].id);
      CHECK(order.profile_id == 1);
      CHECK(order.source == "shopify");
      CHECK(order.type == "order_placed");
      CHECK(order.channel == "web");
      CHECK(order.occurred_at == T(-400));
      CHECK(order.value == "199.65");
      CHECK(order.currency == "EUR");
      CHECK(order.reference == "820982911946154508");
      CHECK(order.campaign_json == batch.touchpoints[0].campaign_json);
      CHECK(order.attributes_json == batch.touchpoints[0].attributes_json);
      CHECK(Must(store.ReadProfileTouchpoints(2)).empty());
    }
    SECTION("a profile's touchpoint keys by touchpoint, its own key first") {
      auto keys = Must(store.ReadProfileTouchpointKeys(1));
      REQUIRE(keys.size() == 3);
      CHECK(keys[0].key == kOrderKey);
      CHECK(keys[0].touchpoint_id == 1);
      CHECK(keys[0].rule.empty());
      CHECK(keys[0].record_id == j.records[0].id);
      CHECK(keys[1].key == kChargeKey);
      CHECK(keys[1].touchpoint_id == 1);
      CHECK(keys[1].source == "stripe");
      CHECK(keys[1].type == "charge_succeeded");
      CHECK(keys[1].reference == "ch_3MmlLrLkdIwHu7ix0snN0B15");
      CHECK(keys[1].rule == "order_payment");
      CHECK(keys[2].key == kPageKey);
      CHECK(keys[2].touchpoint_id == 2);
    }
    SECTION("the journey state as written, stamped with the batch's time") {
      auto state = Must(store.ReadJourneyState(1));
      REQUIRE(state.has_value());
      CHECK(state->profile_id == 1);
      CHECK(state->stage == "customer");
      CHECK(state->side.empty());
      CHECK(state->first_source == "tracking");
      CHECK(state->last_activity == std::optional<TimePoint>(T(-400)));
      CHECK(state->next_check_at == std::optional<TimePoint>(T(3600)));
      CHECK(state->engagement == Approx(12.5));
      REQUIRE(state->health.has_value());
      CHECK(*state->health == Approx(0.8));
      CHECK(state->state_json == batch.profiles[0].state.state_json);
      CHECK(state->updated_at == T(500));
      CHECK_FALSE(Must(store.ReadJourneyState(2)).has_value());
    }
    SECTION("transitions by time") {
      auto transitions = Must(store.ReadJourneyTransitions(1));
      REQUIRE(transitions.size() == 2);
      CHECK(transitions[0].profile_id == 1);
      CHECK(transitions[0].kind == "stage");
      CHECK(transitions[0].from.empty());
      CHECK(transitions[0].to == "lead");
      CHECK(transitions[0].at == T(-500));
      CHECK(transitions[0].touchpoint_id == 2);
      CHECK(transitions[0].enter_ordinal == 0);
      CHECK(transitions[0].exit_ordinal == 1);
      CHECK(transitions[1].from == "lead");
      CHECK(transitions[1].to == "customer");
      CHECK(transitions[1].touchpoint_id == 1);
      CHECK(transitions[1].enter_ordinal == 1);
      CHECK(transitions[1].exit_ordinal == 2);
      CHECK(transitions[0].id != transitions[1].id);
      CHECK(Must(store.ReadJourneyTransitions(2)).empty());
    }
    SECTION("the action, once per key") {
      CHECK(Must(store.HasJourneyAction(kWelcomeKey)));
      CHECK_FALSE(Must(store.HasJourneyAction("1|stage:lead|welcome_task|hubspot")));
      auto actions = Must(store.ListJourneyActions("", 0, 10));
      REQUIRE(actions.size() == 1);
      const JourneyActionRow& a = actions[0];
      CHECK(a.id > 0);
      CHECK(a.key == kWelcomeKey);
      CHECK(a.profile_id == 1);
      CHECK(a.action == "welcome_task");
      CHECK(a.target == "hubspot");
      CHECK(a.kind == "task");
      CHECK(a.payload == R"({"subject":"Welcome call","due_in_days":2})");
      CHECK(a.at == T(-400));
      CHECK(a.created_at == T(500));
      CHECK(a.status == "pending");
      CHECK(Must(store.ListJourneyActions("pending", 0, 10)).size() == 1);
      CHECK(Must(store.ListJourneyActions("delivered", 0, 10)).empty());
      CHECK(Must(store.ListJourneyActions("", a.id, 10)).empty());
      // A recompute plans the same action again: it is kept once, as first planned.
      JourneyBatch again;
      again.at = T(600);
      JourneyActionRow replanned = batch.actions[0];
      replanned.payload = R"({"subject":"changed"})";
      again.actions.push_back(replanned);
      RequireOk(store.CommitJourney(again));
      auto still = Must(store.ListJourneyActions("", 0, 10));
      REQUIRE(still.size() == 1);
      CHECK(still[0].payload == a.payload);
      CHECK(still[0].created_at == T(500));
    }
    SECTION("due profiles: next_check_at at or before now") {
      CHECK(Must(store.ListJourneyDue(T(3599), 10)).empty());
      CHECK(Must(store.ListJourneyDue(T(3600), 10)) == std::vector<int64_t>{1});
      CHECK(Must(store.ListJourneyDue(T(7200), 10)) == std::vector<int64_t>{1});
    }
    SECTION("the outbox announces each touchpoint and the profile to all, the action to its "
            "target") {
      auto all = Must(store.ReadOutbox("hubspot", 0, 100));
      std::vector<std::tuple<std::string, int64_t, int64_t, std::string>> journey_rows;
      for (const OutboxRow& row : all) {
        if (row.created_at != T(500)) continue;  // the identity stage's announcements
        journey_rows.emplace_back(row.kind, row.profile_id, row.item_id, row.target);
      }
      const int64_t action_id = Must(store.ListJourneyActions("", 0, 1)).at(0).id;
      std::sort(journey_rows.begin(), journey_rows.end());
      using Row = std::tuple<std::string, int64_t, int64_t, std::string>;
      CHECK(journey_rows == std::vector<Row>{{"action", 1, action_id, "hubspot"},
                                             {"profile", 1, 0, ""},
                                             {"touchpoint", 1, 1, ""},
                                             {"touchpoint", 1, 2, ""}});
      for (const OutboxRow& row : Must(store.ReadOutbox("salesforce", 0, 100))) {
        CHECK(row.kind != "action");
      }
    }
  }
}

TEST_CASE("journey: history replaced or appended, retired profiles and skipped actions",
          "[store][journey]") {
  FOR_EACH_STORE_BACKEND(store) {
    const Journeyed j = SeedJourney(store);
    RequireOk(store.CommitJourney(BobsBatch(j)));

    SECTION("transitions are appended unless the profile was recomputed") {
      JourneyBatch append;
      append.at = T(700);
      JourneyBatch::Profile bob;
      bob.state.profile_id = 1;
      bob.state.stage = "customer";
      bob.state.side = "at_risk";
      bob.state.state_json = "{}";
      bob.transitions = {Transition("side", "", "at_risk", T(650), 0, 2, 3)};
      append.profiles.push_back(bob);
      RequireOk(store.CommitJourney(append));
      auto three = Must(store.ReadJourneyTransitions(1));
      REQUIRE(three.size() == 3);
      CHECK(three[2].kind == "side");
      CHECK(three[2].touchpoint_id == 0);  // time alone caused it
      auto state = Must(store.ReadJourneyState(1));
      REQUIRE(state.has_value());
      CHECK(state->side == "at_risk");
      CHECK_FALSE(state->health.has_value());
      CHECK_FALSE(state->last_activity.has_value());
      CHECK_FALSE(state->next_check_at.has_value());
      CHECK(state->updated_at == T(700));
      CHECK(Must(store.ListJourneyDue(T(100000), 10)).empty());

      JourneyBatch recompute;
      recompute.at = T(800);
      bob.replace_history = true;
      bob.transitions = {Transition("stage", "", "customer", T(-400), 1, 0, 1)};
      recompute.profiles.push_back(bob);
      RequireOk(store.CommitJourney(recompute));
      auto one = Must(store.ReadJourneyTransitions(1));
      REQUIRE(one.size() == 1);
      CHECK(one[0].to == "customer");
      CHECK(one[0].from.empty());
    }
    SECTION("a retired profile's journey goes") {
      JourneyBatch retire;
      retire.at = T(900);
      retire.retired = {1};
      RequireOk(store.CommitJourney(retire));
      CHECK_FALSE(Must(store.ReadJourneyState(1)).has_value());
      CHECK(Must(store.ReadJourneyTransitions(1)).empty());
      // The touchpoints stay with their records.
      CHECK(Must(store.ReadProfileTouchpoints(1)).size() == 2);
    }
    SECTION("an action planned as skipped is kept but never announced") {
      JourneyBatch skipped;
      skipped.at = T(1000);
      JourneyActionRow a;
      a.key = "1|stage:customer|survey|salesforce";
      a.profile_id = 1;
      a.action = "survey";
      a.target = "salesforce";
      a.kind = "task";
      a.payload = "{}";
      a.at = T(-400);
      a.status = "skipped";
      skipped.actions.push_back(a);
      RequireOk(store.CommitJourney(skipped));
      CHECK(Must(store.HasJourneyAction(a.key)));
      auto listed = Must(store.ListJourneyActions("skipped", 0, 10));
      REQUIRE(listed.size() == 1);
      CHECK(listed[0].target == "salesforce");
      for (const OutboxRow& row : Must(store.ReadOutbox("salesforce", 0, 100))) {
        CHECK(row.kind != "action");
      }
      auto newest_first = Must(store.ListJourneyActions("", 0, 10));
      REQUIRE(newest_first.size() == 2);
      CHECK(newest_first[0].key == a.key);
      CHECK(Must(store.ListJourneyActions("", 0, 1)).size() == 1);
    }
    SECTION("touchpoints follow their records when profiles merge") {
      JourneyBatch jons;
      jons.at = T(1100);
      jons.touchpoints.push_back(
          Touch(3, j.records[2], 2, "tracking", "signed_up", "newsletter", T(-450)));
      jons.keys = {{"tracking|signed_up|newsletter", 3, "tracking", "signed_up", "newsletter",
                    j.records[2].id, ""}};
      RequireOk(store.CommitJourney(jons));
      CHECK(Must(store.ReadProfileTouchpoints(2)).size() == 1);
      const auto extra = SeedRecords(store, {Spec("evt-j4", T(-10), {{"email", "bob@example.com"},
                                                                     {"email", "jon@example.com"}})});
      IdentityBatch merge;
      merge.at = T(1200);
      IdentityBatch::Step step = JoinStep(extra[0], 1);
      step.merges.push_back({1, 2, "identifier", "email", "jon@example.com", 1.0, ""});
      merge.steps.push_back(step);
      merge.cursor = extra[0].id;
      RequireOk(store.CommitIdentity(merge));
      auto touchpoints = Must(store.ReadProfileTouchpoints(1));
      REQUIRE(touchpoints.size() == 3);
      CHECK(touchpoints[0].id == 2);
      CHECK(touchpoints[1].id == 3);
      CHECK(touchpoints[1].profile_id == 1);
      CHECK(touchpoints[2].id == 1);
      CHECK(Must(store.ReadProfileTouchpoints(2)).empty());
      CHECK(Must(store.ReadProfileTouchpointKeys(1)).size() == 4);
      CHECK(Must(store.ReadJourneyDirty(10)) == std::vector<int64_t>{1, 2});
    }
  }
}

TEST_CASE("journey: the fingerprint marks every journey dirty, a batch cleans them",
          "[store][journey]") {
  FOR_EACH_STORE_BACKEND(store) {
    const Journeyed j = SeedJourney(store);
    RequireOk(store.CommitJourney(BobsBatch(j)));
    CHECK(Must(store.ReadJourneyDirty(10)).empty());
    RequireOk(store.ChangeJourneyFingerprint("sha256:4f1c2a"));
    CHECK(Must(store.ReadJourneyFingerprint()) == "sha256:4f1c2a");
    CHECK(Must(store.ReadJourneyDirty(10)) == std::vector<int64_t>{1});
    JourneyBatch clean;
    clean.at = T(900);
    clean.clean = {1};
    RequireOk(store.CommitJourney(clean));
    CHECK(Must(store.ReadJourneyDirty(10)).empty());
    // A clean batch without records leaves the cursor where it was.
    CHECK(Must(store.ReadStageCursor("journey")) == j.records[1].id);
    RequireOk(store.ChangeJourneyFingerprint("sha256:77aa90"));
    CHECK(Must(store.ReadJourneyFingerprint()) == "sha256:77aa90");
    CHECK(Must(store.ReadJourneyDirty(10)) == std::vector<int64_t>{1});
  }
}

TEST_CASE("journey: the KPI scans cover states, transitions and touchpoints in a range",
          "[store][journey]") {
  FOR_EACH_STORE_BACKEND(store) {
    const Journeyed j = SeedJourney(store);
    RequireOk(store.CommitJourney(BobsBatch(j)));
    JourneyBatch jons;
    jons.at = T(600);
    jons.touchpoints.push_back(
        Touch(3, j.records[2], 2, "tracking", "signed_up", "newsletter", T(-450)));
    JourneyBatch::Profile jon;
    jon.state.profile_id = 2;
    jon.state.stage = "lead";
    jon.state.first_source = "tracking";
    jon.state.state_json = "{}";
    jon.transitions = {Transition("stage", "", "lead", T(-450), 3, 0, 1)};
    jons.profiles.push_back(jon);
    RequireOk(store.CommitJourney(jons));

    std::vector<JourneyStateRow> states;
    RequireOk(store.ScanJourneyStates([&](const JourneyStateRow& s) { states.push_back(s); }));
    REQUIRE(states.size() == 2);
    CHECK(states[0].profile_id == 1);
    CHECK(states[0].stage == "customer");
    CHECK(states[1].profile_id == 2);
    CHECK(states[1].stage == "lead");

    std::vector<JourneyTransitionRow> transitions;
    RequireOk(store.ScanJourneyTransitions(
        {}, [&](const JourneyTransitionRow& t) { transitions.push_back(t); }));
    REQUIRE(transitions.size() == 3);
    // By profile, then time.
    CHECK(transitions[0].profile_id == 1);
    CHECK(transitions[0].at == T(-500));
    CHECK(transitions[1].profile_id == 1);
    CHECK(transitions[1].at == T(-400));
    CHECK(transitions[2].profile_id == 2);
    transitions.clear();
    JourneyScanFilter window;
    window.since = T(-450);
    window.until = T(-400);
    RequireOk(store.ScanJourneyTransitions(
        window, [&](const JourneyTransitionRow& t) { transitions.push_back(t); }));
    REQUIRE(transitions.size() == 1);  // since inclusive, until exclusive
    CHECK(transitions[0].profile_id == 2);

    std::vector<TouchpointRow> touchpoints;
    RequireOk(store.ScanTouchpoints({}, [&](const TouchpointRow& t) { touchpoints.push_back(t); }));
    REQUIRE(touchpoints.size() == 3);
    // By time: page view, jon's sign-up, the order.
    CHECK(touchpoints[0].id == 2);
    CHECK(touchpoints[0].profile_id == 1);
    CHECK(touchpoints[1].id == 3);
    CHECK(touchpoints[1].profile_id == 2);
    CHECK(touchpoints[2].id == 1);
    CHECK(touchpoints[2].value == "199.65");
    touchpoints.clear();
    JourneyScanFilter since;
    since.since = T(-450);
    RequireOk(store.ScanTouchpoints(since, [&](const TouchpointRow& t) { touchpoints.push_back(t); }));
    REQUIRE(touchpoints.size() == 2);
    CHECK(touchpoints[0].id == 3);
    CHECK(touchpoints[1].id == 1);
  }
}


JourneyBatch::Profile StateOf(int64_t profile, std::string stage,
                              std::optional<TimePoint> next_check) {
  JourneyBatch::Profile p;
  p.state.profile_id = profile;
  p.state.stage = std::move(stage);
  p.state.next_check_at = next_check;
  p.state.state_json = "{}";
  return p;
}

JourneyActionRow ActionRow(std::string key, int64_t profile, std::string status) {
  JourneyActionRow a;
  a.key = std::move(key);
  a.profile_id = profile;
  a.action = "welcome_task";
  a.target = "hubspot";
  a.kind = "task";
  a.payload = "{}";
  a.at = T(-400);
  a.status = std::move(status);
  return a;
}

TEST_CASE("journey: records reach the stage once placed, with their profile now",
          "[store][journey]") {
  FOR_EACH_STORE_BACKEND(store) {
    const auto r = SeedRecords(
        store, {Spec("evt-r1", T(-400), {{"email", "bob@example.com"}},
                     {OrderPlaced("820982911946154508", "199.65", T(-400))}),
                Spec("evt-r2", T(-300)), Spec("evt-r3", T(-200), {{"email", "jon@example.com"}}),
                Spec("evt-r4", T(-100), {{"email", "jon@example.com"}})});
    CHECK(Must(store.ReadJourneyRecords(0, 10)).empty());  // the identity stage took nothing yet
    IdentityBatch identity;
    identity.at = T(100);
    identity.steps.push_back(NewProfileStep(r[0], 1, {{"email", "bob@example.com"}}));
    IdentityBatch::Step unreadable = JoinStep(r[1], 0);  // placed nowhere
    identity.steps.push_back(unreadable);
    identity.steps.push_back(NewProfileStep(r[2], 2, {{"email", "jon@example.com"}}));
    identity.cursor = r[2].id;  // r[3] not taken yet
    RequireOk(store.CommitIdentity(identity));

    auto records = Must(store.ReadJourneyRecords(0, 10));
    REQUIRE(records.size() == 2);
    CHECK(records[0].record_id == r[0].id);
    CHECK(records[0].profile_id == 1);
    CHECK(records[0].source == "shopify");
    CHECK(records[0].external_id == "evt-r1");
    CHECK(records[0].json == r[0].json);
    CHECK(records[1].record_id == r[2].id);
    CHECK(records[1].profile_id == 2);
    CHECK(records[1].external_id == "evt-r3");
    CHECK(records[1].json == r[2].json);
    auto first = Must(store.ReadJourneyRecords(0, 1));
    REQUIRE(first.size() == 1);
    CHECK(first[0].record_id == r[0].id);
    auto after = Must(store.ReadJourneyRecords(r[0].id, 10));
    REQUIRE(after.size() == 1);
    CHECK(after[0].record_id == r[2].id);
    CHECK(Must(store.ReadJourneyRecords(r[2].id, 10)).empty());

    // The next identity batch takes r[3] and merges jon into bob: every record reads as bob's.
    IdentityBatch merge;
    merge.at = T(200);
    IdentityBatch::Step step = JoinStep(r[3], 1);
    step.merges.push_back({1, 2, "identifier", "email", "jon@example.com", 1.0, ""});
    merge.steps.push_back(step);
    merge.cursor = r[3].id;
    RequireOk(store.CommitIdentity(merge));
    std::vector<std::pair<int64_t, int64_t>> placed;
    for (const JourneyRecord& record : Must(store.ReadJourneyRecords(0, 10))) {
      placed.emplace_back(record.record_id, record.profile_id);
    }
    CHECK(placed == std::vector<std::pair<int64_t, int64_t>>{
                        {r[0].id, 1}, {r[2].id, 1}, {r[3].id, 1}});
  }
}

TEST_CASE("journey: due profiles by next check, dirty profiles by id, both limited",
          "[store][journey]") {
  FOR_EACH_STORE_BACKEND(store) {
    JourneyBatch batch;
    batch.at = T(0);
    batch.profiles = {StateOf(3, "lead", T(100)), StateOf(1, "customer", T(300)),
                      StateOf(4, "lead", std::nullopt), StateOf(2, "lead", T(100))};
    RequireOk(store.CommitJourney(batch));
    CHECK(Must(store.ListJourneyDue(T(99), 10)).empty());
    CHECK(Must(store.ListJourneyDue(T(100), 10)) == std::vector<int64_t>{2, 3});
    CHECK(Must(store.ListJourneyDue(T(300), 10)) == std::vector<int64_t>{2, 3, 1});
    CHECK(Must(store.ListJourneyDue(T(300), 2)) == std::vector<int64_t>{2, 3});

    CHECK(Must(store.ReadJourneyDirty(10)).empty());
    RequireOk(store.ChangeJourneyFingerprint("sha256:0b9e"));
    CHECK(Must(store.ReadJourneyDirty(10)) == std::vector<int64_t>{1, 2, 3, 4});
    CHECK(Must(store.ReadJourneyDirty(2)) == std::vector<int64_t>{1, 2});
    // Marked again before a batch cleaned them: still once each.
    RequireOk(store.ChangeJourneyFingerprint("sha256:77c1"));
    CHECK(Must(store.ReadJourneyDirty(10)) == std::vector<int64_t>{1, 2, 3, 4});
    JourneyBatch clean;
    clean.at = T(10);
    clean.clean = {2, 4, 9};
    RequireOk(store.CommitJourney(clean));
    CHECK(Must(store.ReadJourneyDirty(10)) == std::vector<int64_t>{1, 3});
    CHECK(Must(store.ReadJourneyFingerprint()) == "sha256:77c1");
  }
}

TEST_CASE("journey: actions page newest first, by status", "[store][journey]") {
  FOR_EACH_STORE_BACKEND(store) {
    JourneyBatch batch;
    batch.at = T(0);
    for (int i = 1; i <= 5; ++i) {
      batch.actions.push_back(
          ActionRow("1|stage:s" + std::to_string(i) + "|welcome_task|hubspot", 1,
                 i % 2 == 0 ? "skipped" : "pending"));
    }
    RequireOk(store.CommitJourney(batch));
    const auto keys = [](const std::vector<JourneyActionRow>& rows) {
      std::vector<std::string> out;
      for (const JourneyActionRow& a : rows) out.push_back(a.key.substr(8, 2));
      return out;
    };
    auto newest = Must(store.ListJourneyActions("", 0, 2));
    CHECK(keys(newest) == std::vector<std::string>{"s5", "s4"});
    auto next = Must(store.ListJourneyActions("", newest.back().id, 2));
    CHECK(keys(next) == std::vector<std::string>{"s3", "s2"});
    auto last = Must(store.ListJourneyActions("", next.back().id, 2));
    CHECK(keys(last) == std::vector<std::string>{"s1"});
    auto pending = Must(store.ListJourneyActions("pending", 0, 10));
    CHECK(keys(pending) == std::vector<std::string>{"s5", "s3", "s1"});
    CHECK(keys(Must(store.ListJourneyActions("pending", pending[0].id, 1))) ==
          std::vector<std::string>{"s3"});
    CHECK(keys(Must(store.ListJourneyActions("skipped", 0, 10))) ==
          std::vector<std::string>{"s4", "s2"});
    CHECK(Must(store.ListJourneyActions("failed", 0, 10)).empty());
  }
}

TEST_CASE("journey: repeats within one batch resolve as if written one by one",
          "[store][journey]") {
  FOR_EACH_STORE_BACKEND(store) {
    const Journeyed j = SeedJourney(store);
    const auto& r = j.records;
    JourneyBatch batch;
    batch.at = T(500);
    batch.touchpoints = {Touch(1, r[0], 1, "shopify", "order_placed", "A-1", T(-400)),
                         Touch(2, r[2], 2, "shopify", "order_placed", "A-2", T(-300))};
    // The same idempotency key twice: the first stays.
    batch.keys = {{"shopify|order_placed|A", 1, "shopify", "order_placed", "A-1", r[0].id, ""},
                  {"shopify|order_placed|A", 2, "shopify", "order_placed", "A-2", r[2].id, ""}};
    batch.match_keys = {{"order_payment", "EUR|10.00|x", 1, T(-400)},
                        {"order_payment", "EUR|10.00|x", 1, T(-400)}};
    // Bob twice, recomputed the second time: the last state, and only the transitions given
    // after the replace. Jon twice, appended: both transitions.
    JourneyBatch::Profile bob1 = StateOf(1, "lead", T(100));
    bob1.transitions = {Transition("stage", "", "lead", T(-500), 0, 0, 1)};
    JourneyBatch::Profile bob2 = StateOf(1, "customer", T(200));
    bob2.replace_history = true;
    bob2.transitions = {Transition("stage", "", "lead", T(-450), 0, 0, 1),
                        Transition("stage", "lead", "customer", T(-400), 1, 1, 2)};
    JourneyBatch::Profile jon1 = StateOf(2, "lead", T(100));
    jon1.transitions = {Transition("stage", "", "lead", T(-300), 2, 0, 1)};
    JourneyBatch::Profile jon2 = StateOf(2, "customer", std::nullopt);
    jon2.transitions = {Transition("stage", "lead", "customer", T(-300), 2, 1, 2)};
    batch.profiles = {bob1, jon1, bob2, jon2};
    // The same action key twice: the first is kept and announced once.
    JourneyActionRow first = ActionRow("1|stage:customer|welcome_task|hubspot", 1, "pending");
    first.payload = R"({"n":1})";
    JourneyActionRow second = first;
    second.payload = R"({"n":2})";
    JourneyActionRow skipped = ActionRow("2|stage:customer|welcome_task|hubspot", 2, "skipped");
    JourneyActionRow skipped_then_pending = skipped;
    skipped_then_pending.status = "pending";
    batch.actions = {first, skipped, second, skipped_then_pending};
    RequireOk(store.CommitJourney(batch));

    CHECK(Must(store.FindTouchpointKey("shopify|order_placed|A")) == std::optional<int64_t>(1));
    auto candidates = Must(store.FindMatchCandidates("order_payment", "EUR|10.00|x"));
    REQUIRE(candidates.size() == 1);
    CHECK(candidates[0].members == std::vector<std::string>{"shopify|order_placed"});

    auto bob = Must(store.ReadJourneyState(1));
    REQUIRE(bob.has_value());
    CHECK(bob->stage == "customer");
    CHECK(bob->next_check_at == std::optional<TimePoint>(T(200)));
    auto bobs = Must(store.ReadJourneyTransitions(1));
    REQUIRE(bobs.size() == 2);
    CHECK(bobs[0].at == T(-450));
    CHECK(bobs[1].to == "customer");
    auto jon = Must(store.ReadJourneyState(2));
    REQUIRE(jon.has_value());
    CHECK(jon->stage == "customer");
    CHECK_FALSE(jon->next_check_at.has_value());
    auto jons = Must(store.ReadJourneyTransitions(2));
    REQUIRE(jons.size() == 2);
    // At the same time: in the order given.
    CHECK(jons[0].to == "lead");
    CHECK(jons[1].to == "customer");

    auto actions = Must(store.ListJourneyActions("", 0, 10));
    REQUIRE(actions.size() == 2);
    CHECK(actions[1].key == first.key);
    CHECK(actions[1].payload == R"({"n":1})");
    CHECK(actions[0].key == skipped.key);
    CHECK(actions[0].status == "skipped");
    int announced = 0;
    for (const OutboxRow& row : Must(store.ReadOutbox("hubspot", 0, 100))) {
      if (row.kind != "action") continue;
      ++announced;
      CHECK(row.item_id == actions[1].id);
    }
    CHECK(announced == 1);
  }
}

TEST_CASE("journey: a batch that meets a taken touchpoint id is refused whole",
          "[store][journey]") {
  FOR_EACH_STORE_BACKEND(store) {
    const Journeyed j = SeedJourney(store);
    RequireOk(store.CommitJourney(BobsBatch(j)));
    const size_t outbox_before = Must(store.ReadOutbox("hubspot", 0, 100)).size();

    JourneyBatch clash;
    clash.at = T(900);
    clash.touchpoints = {Touch(7, j.records[2], 2, "tracking", "signed_up", "newsletter", T(-450)),
                         Touch(2, j.records[2], 2, "tracking", "page_viewed", "/", T(-440))};
    clash.keys = {{"tracking|signed_up|newsletter", 7, "tracking", "signed_up", "newsletter",
                   j.records[2].id, ""}};
    clash.profiles = {StateOf(2, "lead", T(100))};
    clash.actions = {ActionRow("2|stage:lead|welcome_task|hubspot", 2, "pending")};
    clash.retired = {1};
    clash.cursor = j.records[2].id;
    auto refused = store.CommitJourney(clash);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::kConflict);

    CHECK(Must(store.MaxTouchpointId()) == 2);
    CHECK_FALSE(Must(store.FindTouchpointKey("tracking|signed_up|newsletter")).has_value());
    CHECK_FALSE(Must(store.ReadJourneyState(2)).has_value());
    CHECK(Must(store.ReadJourneyState(1)).has_value());
    CHECK(Must(store.ReadJourneyTransitions(1)).size() == 2);
    CHECK_FALSE(Must(store.HasJourneyAction("2|stage:lead|welcome_task|hubspot")));
    CHECK(Must(store.ReadStageCursor("journey")) == j.records[1].id);
    CHECK(Must(store.ReadOutbox("hubspot", 0, 100)).size() == outbox_before);

    // The ids are the caller's, gaps and all.
    clash.touchpoints.pop_back();
    RequireOk(store.CommitJourney(clash));
    CHECK(Must(store.MaxTouchpointId()) == 7);
    auto jons = Must(store.ReadProfileTouchpoints(2));
    REQUIRE(jons.size() == 1);
    CHECK(jons[0].id == 7);
    CHECK(Must(store.FindTouchpointKey("tracking|signed_up|newsletter")) ==
          std::optional<int64_t>(7));
  }
}

TEST_CASE("journey: text and numbers come back exactly as written", "[store][journey]") {
  FOR_EACH_STORE_BACKEND(store) {
    const Journeyed j = SeedJourney(store);
    const std::string awkward = R"(a "quoted" \back\slash, {brace} NULL é€ 'single')";
    JourneyBatch batch;
    batch.at = T(500);
    TouchpointRow t = Touch(1, j.records[0], 1, "shopify", "order_placed", awkward, T(-400));
    t.channel = "";
    t.value = "NULL";
    t.currency = "{}";
    t.campaign_json = R"({"name":"say \"hi\"\\n","term":"NULL"})";
    t.attributes_json = R"({"path":"C:\\tmp\\x","list":["a,b","{c}"]})";
    batch.touchpoints = {t};
    batch.keys = {{awkward, 1, "shopify", "order_placed", awkward, j.records[0].id, "NULL"}};
    batch.match_keys = {{"rule \"x\"", awkward, 1, T(-400)}};
    JourneyBatch::Profile bob = StateOf(1, "NULL", std::nullopt);
    bob.state.side = "\\";
    bob.state.first_source = awkward;
    bob.state.engagement = 1.0 / 3.0;
    bob.state.health = 0.1 + 0.2;
    bob.state.state_json = t.attributes_json;
    bob.transitions = {Transition("threshold", awkward, "\"", T(-400), 1, 0, 0)};
    batch.profiles = {bob};
    JourneyActionRow a = ActionRow(awkward, 1, "pending");
    a.payload = t.campaign_json;
    a.target = "NULL";
    batch.actions = {a};
    RequireOk(store.CommitJourney(batch));

    auto touchpoints = Must(store.ReadProfileTouchpoints(1));
    REQUIRE(touchpoints.size() == 1);
    CHECK(touchpoints[0].reference == awkward);
    CHECK(touchpoints[0].channel.empty());
    CHECK(touchpoints[0].value == "NULL");
    CHECK(touchpoints[0].currency == "{}");
    CHECK(touchpoints[0].campaign_json == t.campaign_json);
    CHECK(touchpoints[0].attributes_json == t.attributes_json);
    CHECK(Must(store.FindTouchpointKey(awkward)) == std::optional<int64_t>(1));
    auto keys = Must(store.ReadProfileTouchpointKeys(1));
    REQUIRE(keys.size() == 1);
    CHECK(keys[0].reference == awkward);
    CHECK(keys[0].rule == "NULL");
    CHECK(Must(store.FindMatchCandidates("rule \"x\"", awkward)).size() == 1);
    auto state = Must(store.ReadJourneyState(1));
    REQUIRE(state.has_value());
    CHECK(state->stage == "NULL");
    CHECK(state->side == "\\");
    CHECK(state->first_source == awkward);
    CHECK(state->engagement == 1.0 / 3.0);  // exactly: no decimal rounding on the way
    REQUIRE(state->health.has_value());
    CHECK(*state->health == 0.1 + 0.2);
    CHECK(state->state_json == t.attributes_json);
    auto transitions = Must(store.ReadJourneyTransitions(1));
    REQUIRE(transitions.size() == 1);
    CHECK(transitions[0].kind == "threshold");
    CHECK(transitions[0].from == awkward);
    CHECK(transitions[0].to == "\"");
    auto actions = Must(store.ListJourneyActions("", 0, 10));
    REQUIRE(actions.size() == 1);
    CHECK(actions[0].key == awkward);
    CHECK(actions[0].payload == t.campaign_json);
    CHECK(actions[0].target == "NULL");
    CHECK(Must(store.HasJourneyAction(awkward)));
  }
}

TEST_CASE("journey: match candidates by touchpoint, keys by touchpoint then rule bytewise",
          "[store][journey]") {
  FOR_EACH_STORE_BACKEND(store) {
    const Journeyed j = SeedJourney(store);
    const auto& r = j.records;
    JourneyBatch batch;
    batch.at = T(500);
    batch.touchpoints = {Touch(4, r[1], 1, "shopify", "order_placed", "B", T(-300)),
                         Touch(3, r[0], 1, "shopify", "order_placed", "A", T(-400))};
    batch.keys = {{"k-own-4", 4, "shopify", "order_placed", "B", r[1].id, ""},
                  {"k-own-3", 3, "shopify", "order_placed", "A", r[0].id, ""},
                  {"k-paypal", 3, "paypal", "payment", "P", r[0].id, "alpha"},
                  {"k-stripe", 3, "stripe", "charge_succeeded", "S", r[0].id, "Zeta"}};
    batch.match_keys = {{"order_payment", "EUR|5.00|bob", 4, T(-300)},
                        {"order_payment", "EUR|5.00|bob", 3, T(-400)}};
    RequireOk(store.CommitJourney(batch));

    auto candidates = Must(store.FindMatchCandidates("order_payment", "EUR|5.00|bob"));
    REQUIRE(candidates.size() == 2);
    CHECK(candidates[0].touchpoint_id == 3);
    CHECK(candidates[0].occurred_at == T(-400));
    auto members = candidates[0].members;
    std::sort(members.begin(), members.end());
    CHECK(members == std::vector<std::string>{"paypal|payment", "shopify|order_placed",
                                              "stripe|charge_succeeded"});
    CHECK(candidates[1].touchpoint_id == 4);
    CHECK(candidates[1].members == std::vector<std::string>{"shopify|order_placed"});

    std::vector<std::string> keys;
    for (const TouchpointKeyRow& k : Must(store.ReadProfileTouchpointKeys(1))) {
      keys.push_back(k.key);
    }
    // Its own key (rule '') first, then "Zeta" before "alpha" as bytes sort.
    CHECK(keys == std::vector<std::string>{"k-own-3", "k-stripe", "k-paypal", "k-own-4"});
  }
}

TEST_CASE("journey: the KPI scans stream more rows than one page, in order, each once",
          "[store][journey]") {
  FOR_EACH_STORE_BACKEND(store) {
    const Journeyed j = SeedJourney(store);
    constexpr int kRows = 10050;  // past any page size up to 10,000
    JourneyBatch batch;
    batch.at = T(500);
    for (int i = 1; i <= kRows; ++i) {
      // Seven distinct times: long runs of equal occurred_at across any page boundary.
      batch.touchpoints.push_back(
          Touch(i, j.records[0], 0, "tracking", "page_viewed", std::to_string(i), T(i % 7)));
      JourneyBatch::Profile p = StateOf(kRows + 1 - i, "lead", std::nullopt);
      if (i == 1) {
        for (int k = 0; k < kRows; ++k) {
          p.transitions.push_back(Transition("threshold", "", "x", T(k % 3), 0, 0, 0));
        }
      }
      batch.profiles.push_back(std::move(p));
    }
    batch.profiles.push_back(StateOf(kRows + 1, "lead", std::nullopt));
    batch.profiles.back().transitions = {Transition("stage", "", "lead", T(-1), 0, 0, 1)};
    RequireOk(store.CommitJourney(batch));

    std::vector<int64_t> states;
    RequireOk(store.ScanJourneyStates([&](const JourneyStateRow& s) {
      states.push_back(s.profile_id);
    }));
    REQUIRE(states.size() == static_cast<size_t>(kRows + 1));
    for (size_t i = 0; i < states.size(); ++i) CHECK(states[i] == static_cast<int64_t>(i + 1));

    std::vector<std::tuple<int64_t, TimePoint, int64_t>> transitions;
    RequireOk(store.ScanJourneyTransitions({}, [&](const JourneyTransitionRow& t) {
      transitions.emplace_back(t.profile_id, t.at, t.id);
    }));
    REQUIRE(transitions.size() == static_cast<size_t>(kRows + 1));
    CHECK(std::is_sorted(transitions.begin(), transitions.end()));
    CHECK(std::adjacent_find(transitions.begin(), transitions.end()) == transitions.end());
    CHECK(std::get<0>(transitions.front()) == kRows);
    CHECK(std::get<0>(transitions.back()) == kRows + 1);

    std::vector<std::pair<TimePoint, int64_t>> touchpoints;
    RequireOk(store.ScanTouchpoints({}, [&](const TouchpointRow& t) {
      touchpoints.emplace_back(t.occurred_at, t.id);
      if (t.profile_id != 1) FAIL("touchpoint " << t.id << " has profile " << t.profile_id);
    }));
    std::vector<std::pair<TimePoint, int64_t>> expected;
    for (int i = 1; i <= kRows; ++i) expected.emplace_back(T(i % 7), i);
    std::sort(expected.begin(), expected.end());
    CHECK(touchpoints == expected);

    JourneyScanFilter window;
    window.since = T(2);
    window.until = T(3);
    std::vector<std::pair<TimePoint, int64_t>> in_window;
    RequireOk(store.ScanTouchpoints(window, [&](const TouchpointRow& t) {
      in_window.emplace_back(t.occurred_at, t.id);
    }));
    expected.erase(std::remove_if(expected.begin(), expected.end(),
                                  [](const auto& e) { return e.first != T(2); }),
                   expected.end());
    CHECK(expected.size() == 1436);  // i % 7 == 2 for i in 1..10050
    CHECK(in_window == expected);
  }
}

// Two writers committing journeys at once (two instances, or a rebuild beside the stage), each
// batch naming the same profiles in opposite orders and planning the same actions: every commit
// goes through, each action is kept and announced once, and no transition is lost.
TEST_CASE("journey: concurrent batches over the same profiles all commit",
          "[store][journey]") {
  FOR_EACH_STORE_BACKEND(store) {
    constexpr int kWriters = 2, kBatches = 20, kProfiles = 30;
    std::vector<std::vector<Status>> outcomes(kWriters,
                                              std::vector<Status>(kBatches, OkStatus()));
    std::latch start(kWriters);
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        start.arrive_and_wait();
        for (int b = 0; b < kBatches; ++b) {
          JourneyBatch batch;
          batch.at = T(b);
          for (int i = 0; i < kProfiles; ++i) {
            const int64_t profile = w == 0 ? i + 1 : kProfiles - i;
            JourneyBatch::Profile p = StateOf(profile, "lead", T(1000 + b));
            p.transitions = {Transition("threshold", "", std::to_string(w), T(b), 0, 0, 0)};
            batch.profiles.push_back(std::move(p));
          }
          batch.actions = {ActionRow("1|batch:" + std::to_string(b) + "|welcome_task|hubspot",
                                     1, "pending")};
          outcomes[w][b] = store.CommitJourney(batch);
        }
      });
    }
    for (std::thread& t : writers) t.join();
    for (int w = 0; w < kWriters; ++w) {
      for (int b = 0; b < kBatches; ++b) {
        INFO("writer " << w << ", batch " << b);
        CHECK(outcomes[w][b].ok());
        if (!outcomes[w][b].ok()) WARN(outcomes[w][b].error().ToString());
      }
    }
    CHECK(Must(store.ListJourneyActions("", 0, 100)).size() == kBatches);
    int announced = 0;
    for (const OutboxRow& row : Must(store.ReadOutbox("hubspot", 0, 10000))) {
      if (row.kind == "action") ++announced;
    }
    CHECK(announced == kBatches);
    for (int64_t profile = 1; profile <= kProfiles; ++profile) {
      INFO("profile " << profile);
      CHECK(Must(store.ReadJourneyTransitions(profile)).size() == kWriters * kBatches);
      auto state = Must(store.ReadJourneyState(profile));
      REQUIRE(state.has_value());
      CHECK(state->next_check_at == std::optional<TimePoint>(T(1000 + kBatches - 1)));
    }
  }
}

}  // namespace
}  // namespace journeyd::storage::contract
