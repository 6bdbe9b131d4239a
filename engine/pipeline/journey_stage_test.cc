#include "engine/pipeline/journey_stage.h"

#include <boost/json.hpp>
#include <algorithm>
#include <catch2/catch.hpp>

#include "engine/config/config.h"
#include "engine/journey/journey_definition.h"
#include "engine/storage/sqlite/sqlite_store.h"
#include "tests/support/inbox.h"
#include "tests/support/temp_dir.h"

namespace journeyd::pipeline {
namespace {

using std::chrono::system_clock;
constexpr auto kDay = std::chrono::hours(24);
const TimePoint kNow = TimePoint(std::chrono::seconds(1'800'000'000));

CanonicalRecord Purchase(std::string source, std::string id, std::string type,
                         std::string reference, TimePoint at,
                         std::vector<Identity> identities = {{"email", "ann@example.com"}}) {
  CanonicalRecord r;
  r.source = std::move(source);
  r.event_type = "event";
  r.external_id = std::move(id);
  r.occurred_at = at;
  r.identities = std::move(identities);
  Touchpoint t;
  t.type = std::move(type);
  t.occurred_at = at;
  t.value = "10.00";
  t.currency = "USD";
  t.reference = std::move(reference);
  r.touchpoints.push_back(std::move(t));
  return r;
}

journey::JourneyDefinitionPtr Definition(bool inactivity = true) {
  config::JourneySettings settings;
  settings.thresholds.clear();
  settings.inactivity.enabled = inactivity;
  settings.action_max_age = 365 * kDay;
  config::JourneyAction call;
  call.name = "onboarding_call";
  call.on_enter = "onboarding";
  call.target = "preview";
  call.post_event = true;
  config::JourneyAction win_back;
  win_back.name = "win_back";
  win_back.on_enter = "at_risk";
  win_back.target = "preview";
  win_back.post_event = true;
  settings.actions = {call, win_back};
  config::Diagnostics diag;
  auto def = journey::JourneyDefinition::Compile(settings, {"preview"}, diag);
  REQUIRE(def != nullptr);
  return def;
}

std::vector<std::string> History(storage::Store& store, int64_t profile) {
  auto rows = store.ReadJourneyTransitions(profile);
  REQUIRE(rows.ok());
  std::vector<std::string> out;
  for (const auto& t : *rows) out.push_back(t.kind + ":" + t.from + ">" + t.to);
  return out;
}

std::unique_ptr<storage::SqliteStore> OpenStore(const testing::TempDir& dir) {
  auto opened = storage::SqliteStore::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(opened.ok());
  return std::move(*opened);
}

config::IdentitySettings ByEmail() {
  config::IdentitySettings settings;
  settings.identifiers = {{"email", 0, false}};
  return settings;
}

// A real SQLite file with the identity stage (email decides) in front of the journey stage.
struct StagesOnSqlite {
  StagesOnSqlite() { REQUIRE(identity.Load().ok()); }
  testing::TempDir dir;
  std::unique_ptr<storage::SqliteStore> store = OpenStore(dir);
  ManualClock clock{kNow};
  const config::IdentitySettings identity_settings = ByEmail();
  IdentityStage identity{*store, identity_settings, clock, {}};
};

TEST_CASE("a record without touchpoints is known by the end of its text", "[pipeline][journey]") {
  CanonicalRecord r = Purchase("shop", "o1", "order_placed", "shop:order:1", kNow);
  r.touchpoints.clear();
  r.traits.custom["touchpoints"] = boost::json::array();  // a custom trait of that name
  CHECK(boost::json::serialize(ToJson(r)).ends_with("\"touchpoints\":[]}"));
  CHECK_FALSE(boost::json::serialize(ToJson(Purchase("shop", "o1", "order_placed", "r", kNow)))
                  .ends_with("\"touchpoints\":[]}"));
}

TEST_CASE("the journey stage keeps one touchpoint per event, resumes, and checks inactivity",
          "[pipeline][journey]") {
  StagesOnSqlite stages;
  storage::Store& store = *stages.store;
  ManualClock& clock = stages.clock;
  IdentityStage& identity = stages.identity;
  const auto definition = Definition();

  const TimePoint bought = kNow - 2 * kDay;
  testing::CommitMappedRecords(
      store, {Purchase("shop", "o1", "order_placed", "shop:order:1", bought),
              // The payment for it, from another system: the same event.
              Purchase("pay", "ch1", "payment_succeeded", "pay:charge:1", bought + std::chrono::minutes(5)),
              // The order again (a replay under a new event id): nothing new.
              Purchase("shop", "o1-replay", "order_placed", "shop:order:1", bought),
              // A second charge of the same amount: a second purchase, not the same one again.
              Purchase("pay", "ch2", "payment_succeeded", "pay:charge:2",
                       bought + std::chrono::minutes(20))});
  REQUIRE(identity.RunOnce().ok());
  {
    JourneyStage stage(store, definition, clock, {});
    auto taken = stage.RunOnce();
    REQUIRE(taken.ok());
    CHECK(stage.counters().touchpoints == 2);
    CHECK(stage.counters().duplicates == 1);
    CHECK(stage.counters().merged == 1);
  }
  auto profile = store.FindProfileByIdentifier("email", "ann@example.com");
  REQUIRE(profile.ok());
  auto touchpoints = store.ReadProfileTouchpoints(*profile);
  REQUIRE(touchpoints.ok());
  REQUIRE(touchpoints->size() == 2);
  auto profile_keys = store.ReadProfileTouchpointKeys(*profile);
  REQUIRE(profile_keys.ok());
  std::vector<storage::TouchpointKeyRow> keys_of_first;
  for (const auto& k : *profile_keys) {
    if (k.touchpoint_id == (*touchpoints)[0].id) keys_of_first.push_back(k);
  }
  const auto* keys = &keys_of_first;
  REQUIRE(keys->size() == 2);
  CHECK(((*keys)[0].reference == "shop:order:1" && (*keys)[0].rule.empty()));
  CHECK(((*keys)[1].reference == "pay:charge:1" && (*keys)[1].rule == "order_and_payment"));
  CHECK(History(store, *profile) ==
        std::vector<std::string>{"stage:>purchase", "stage:purchase>retention"});

  // A new process picks up where the last left off: nothing is taken twice.
  JourneyStage stage(store, definition, clock, {});
  auto again = stage.RunOnce();
  REQUIRE(again.ok());
  CHECK(*again == 0);

  // Inactivity is checked when due, at the exact moment it began, and acts once.
  clock.Advance(57 * kDay);
  REQUIRE(stage.CheckDue().ok());
  CHECK(History(store, *profile).size() == 2);
  clock.Advance(2 * kDay);
  auto due = stage.CheckDue();
  REQUIRE(due.ok());
  CHECK(*due == 1);
  auto transitions = store.ReadJourneyTransitions(*profile);
  REQUIRE(transitions.ok());
  REQUIRE(transitions->size() == 3);
  CHECK(transitions->back().to == "at_risk");
  CHECK(transitions->back().at == bought + std::chrono::minutes(20) + 60 * kDay);
  REQUIRE(stage.CheckDue().ok());
  auto actions = store.ListJourneyActions("", 0, 10);
  REQUIRE(actions.ok());
  REQUIRE(actions->size() == 1);
  CHECK(actions->front().key == std::to_string(*profile) + ":win_back:enter:at_risk#1");
  auto state = store.ReadJourneyState(*profile);
  REQUIRE((state.ok() && state->has_value()));
  CHECK((*state)->side == "at_risk");
  CHECK((*state)->stage == "retention");
  // Next: churned, 180 days after the last touchpoint.
  CHECK((*state)->next_check_at == bought + std::chrono::minutes(20) + 180 * kDay);

  // An admin splits the second charge off: both profiles' journeys are rebuilt from their
  // touchpoints; the old one keeps its at_risk action (it happened), nothing is sent twice.
  storage::IdentityAction split;
  split.kind = storage::IdentityActionKind::kSplit;
  split.profile_id = *profile;
  split.records = {4};
  REQUIRE(store.QueueIdentityAction(split, clock.Now()).ok());
  REQUIRE(identity.RunOnce().ok());
  auto recomputed = stage.RunOnce();
  REQUIRE(recomputed.ok());
  CHECK(stage.counters().recomputed == 2);
  CHECK(History(store, *profile) ==
        std::vector<std::string>{"stage:>purchase", "side:>at_risk"});
  auto other = store.ResolveProfile(*profile + 1);
  REQUIRE(other.ok());
  CHECK(History(store, *other) == std::vector<std::string>{"stage:>purchase", "side:>at_risk"});
  actions = store.ListJourneyActions("", 0, 10);
  REQUIRE(actions.ok());
  CHECK(actions->size() == 2);  // the new profile's own at_risk

  // A restart under another definition (inactivity off) rebuilds every stored journey.
  JourneyStage changed(store, Definition(/*inactivity=*/false), clock, {});
  auto rebuilt = changed.RunOnce();
  REQUIRE(rebuilt.ok());
  CHECK(changed.counters().recomputed == 2);
  CHECK(History(store, *profile) == std::vector<std::string>{"stage:>purchase"});
  CHECK(History(store, *other) == std::vector<std::string>{"stage:>purchase"});
  auto idle = changed.RunOnce();
  REQUIRE(idle.ok());
  CHECK(*idle == 0);
}

TEST_CASE("after a merge, what either journey set off is not set off again", "[pipeline][journey]") {
  StagesOnSqlite stages;
  storage::Store& store = *stages.store;
  ManualClock& clock = stages.clock;
  IdentityStage& identity = stages.identity;
  JourneyStage stage(store, Definition(), clock, {});
  const auto onboarding_calls = [&] {
    auto actions = store.ListJourneyActions("", 0, 100);
    REQUIRE(actions.ok());
    return std::count_if(actions->begin(), actions->end(),
                         [](const auto& a) { return a.action == "onboarding_call"; });
  };
  const std::vector<Identity> work{{"email", "ann@work.example"}};
  const std::vector<Identity> home{{"email", "ann@home.example"}};
  // One person as two profiles: the older (the survivor of a merge: identity keeps the lower id)
  // only looked around; the newer bought and opened a ticket soon after: onboarding, acted on.
  testing::CommitMappedRecords(
      store, {Purchase("web", "p1", "page_viewed", "p1", kNow - 12 * kDay, home),
              Purchase("shop", "o1", "order_placed", "o1", kNow - 10 * kDay, work),
              Purchase("desk", "t1", "ticket_created", "t1", kNow - 9 * kDay, work)});
  REQUIRE(identity.RunOnce().ok());
  REQUIRE(stage.RunOnce().ok());
  CHECK(onboarding_calls() == 1);
  // A record with both addresses merges them into the older profile, whose rebuilt journey
  // enters onboarding: a transition the absorbed profile already acted on.
  CanonicalRecord both = Purchase("crm", "c1", "note_added", "c1", kNow - 6 * kDay, work);
  both.identities.push_back(home[0]);
  testing::CommitMappedRecords(store, {both});
  REQUIRE(identity.RunOnce().ok());
  REQUIRE(stage.RunOnce().ok());
  CHECK(stage.counters().recomputed == 1);
  CHECK(onboarding_calls() == 1);
  auto profile = store.FindProfileByIdentifier("email", "ann@home.example");
  REQUIRE(profile.ok());
  CHECK(History(store, *profile) ==
        std::vector<std::string>{"stage:>awareness", "stage:awareness>purchase",
                                 "stage:purchase>onboarding"});
}

}  // namespace
}  // namespace journeyd::pipeline
