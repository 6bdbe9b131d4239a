// The Store contract for the journey: touchpoints and their idempotency and match keys, journey
// states and transitions, actions kept once per key, dirty and due profiles, the definition's
// fingerprint, the KPI scans, and the outbox rows a journey batch announces.
#include <algorithm>
#include <set>

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
  out.records = SeedRecords(
      store, {Spec("evt-j1", T(-400), {{"email", "bob@example.com"}},
                   {OrderPlaced("820982911946154508", "199.65", T(-400))}),
              Spec("evt-j2", T(-500), {{"email", "bob@example.com"}}),
              Spec("evt-j3", T(-450), {{"email", "jon@example.com"}})});
  const auto& r = out.records;
  IdentityBatch identity;
  identity.at = T(100);
  identity.steps.push_back(NewProfileStep(r[0], 1, {{"email", "bob@example.com"}}));
  identity.steps.push_back(JoinStep(r[1], 1));
  identity.steps.push_back(NewProfileStep(r[2], 2, {{"email", "jon@example.com"}}));
  identity.cursor = r[2].id;
  RequireOk(store.CommitIdentity(identity));
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

}  // namespace
}  // namespace journeyd::storage::contract
