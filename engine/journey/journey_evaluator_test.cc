#include "engine/journey/journey_evaluator.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cmath>

#include "engine/config/config_node.h"
#include "engine/journey/action_planner.h"

namespace journeyd::journey {
namespace {

using namespace std::chrono_literals;
const TimePoint kStart = TimePoint(std::chrono::seconds(1'800'000'000));
constexpr auto kDay = std::chrono::hours(24);

JourneyDefinitionPtr Compile(const config::JourneySettings& settings) {
  config::Diagnostics diag;
  auto def = JourneyDefinition::Compile(settings, {"preview"}, diag);
  INFO((diag.entries().empty() ? std::string() : diag.entries().front().ToString()));
  REQUIRE(def != nullptr);
  return def;
}

struct Builder {
  int64_t next_id = 1;
  JourneyTouchpoint Make(std::string source, std::string type, TimePoint at,
                         boost::json::object attributes = {}, std::string reference = "",
                         std::string value = "", std::string currency = "") {
    JourneyTouchpoint tp;
    tp.id = next_id++;
    tp.record_id = tp.id;
    tp.source = std::move(source);
    tp.touchpoint.type = std::move(type);
    tp.touchpoint.occurred_at = at;
    tp.touchpoint.attributes = std::move(attributes);
    tp.touchpoint.reference = std::move(reference);
    tp.touchpoint.value = std::move(value);
    tp.touchpoint.currency = std::move(currency);
    return tp;
  }
};

std::vector<std::string> Stages(const std::vector<Transition>& ts) {
  std::vector<std::string> out;
  for (const Transition& t : ts) {
    out.push_back(std::string(TransitionKindName(t.kind)) + ":" + t.from + ">" + t.to);
  }
  return out;
}

TEST_CASE("the default journey walks the seven stages on a realistic sequence", "[journey]") {
  config::JourneySettings settings;
  settings.thresholds.clear();  // stages only here
  auto def = Compile(settings);
  JourneyEvaluator evaluator(*def);
  Builder b;
  ProfileJourney s = evaluator.Empty();
  std::vector<Transition> out;

  const auto apply = [&](const JourneyTouchpoint& tp) { evaluator.Apply(s, tp, out); };
  apply(b.Make("segment", "page_viewed", kStart, {{"path", "/blog/launch"}}));
  // Pricing three times within 7 days: the third view is consideration.
  apply(b.Make("segment", "page_viewed", kStart + 1 * kDay, {{"path", "/pricing"}}));
  apply(b.Make("segment", "page_viewed", kStart + 3 * kDay, {{"path", "/pricing"}}));
  REQUIRE(out.size() == 1);
  apply(b.Make("segment", "page_viewed", kStart + 5 * kDay, {{"path", "/pricing/teams"}}));
  apply(b.Make("shopify", "checkout_started", kStart + 6 * kDay));
  apply(b.Make("shopify", "order_placed", kStart + 7 * kDay, {}, "shopify:order:1", "404.95",
               "USD"));
  apply(b.Make("zendesk", "ticket_created", kStart + 10 * kDay, {}, "zendesk:ticket:35436"));
  apply(b.Make("shopify", "order_placed", kStart + 40 * kDay, {}, "shopify:order:2", "20.00",
               "USD"));
  apply(b.Make("segment", "tracked", kStart + 45 * kDay,
               {{"event", "NPS Submitted"}, {"properties", {{"score", 10}}}}));

  CHECK(Stages(out) == std::vector<std::string>{
                           "stage:>awareness", "stage:awareness>consideration",
                           "stage:consideration>decision", "stage:decision>purchase",
                           "stage:purchase>onboarding", "stage:onboarding>retention",
                           "stage:retention>advocacy"});
  CHECK(out[1].at == kStart + 5 * kDay);  // the third pricing view in a week
  CHECK(out[1].touchpoint_id == 4);
  CHECK(out[3].at == kStart + 7 * kDay);
  CHECK(out[6].touchpoint_id == 9);
  CHECK(evaluator.CurrentStage(s) == "advocacy");
  CHECK(s.purchases == 2);
  CHECK(s.satisfaction == 100.0);  // NPS 10
  CHECK(s.open_tickets == std::set<std::string>{"zendesk:ticket:35436"});
  CHECK(s.first_touch.source == "segment");
  CHECK(s.first_touch.type == "page_viewed");
}

TEST_CASE("stage rules: windows, after_stage and never backwards", "[journey]") {
  config::JourneySettings settings;
  settings.thresholds.clear();
  auto def = Compile(settings);
  JourneyEvaluator evaluator(*def);
  Builder b;
  std::vector<Transition> out;

  SECTION("pricing views spread over more than 7 days are not consideration") {
    ProfileJourney s = evaluator.Empty();
    for (int i = 0; i < 4; ++i) {
      evaluator.Apply(s, b.Make("segment", "page_viewed", kStart + i * 4 * kDay, {{"path", "/pricing"}}),
                      out);
    }
    CHECK(Stages(out) == std::vector<std::string>{"stage:>awareness"});
  }
  SECTION("a ticket long after the first purchase is not onboarding") {
    ProfileJourney s = evaluator.Empty();
    evaluator.Apply(s, b.Make("shopify", "order_placed", kStart, {}, "o1", "1.00", "USD"), out);
    evaluator.Apply(s, b.Make("zendesk", "ticket_created", kStart + 31 * kDay, {}, "t1"), out);
    CHECK(Stages(out) == std::vector<std::string>{"stage:>purchase"});
  }
  SECTION("a first touch that is an order goes straight to purchase; a later page view does not "
          "move it back") {
    ProfileJourney s = evaluator.Empty();
    evaluator.Apply(s, b.Make("pos", "pos_sale", kStart, {}, "r1", "5.00", "EUR"), out);
    evaluator.Apply(s, b.Make("segment", "tracked", kStart + kDay, {{"event", "Demo Requested"}}),
                    out);
    CHECK(Stages(out) == std::vector<std::string>{"stage:>purchase"});
    CHECK(evaluator.CurrentStage(s) == "purchase");
  }
}

TEST_CASE("inactivity: at_risk, then churned, left on the next touchpoint", "[journey]") {
  config::JourneySettings settings;
  settings.thresholds.clear();
  auto def = Compile(settings);
  JourneyEvaluator evaluator(*def);
  Builder b;
  ProfileJourney s = evaluator.Empty();
  std::vector<Transition> out;
  evaluator.Apply(s, b.Make("shopify", "order_placed", kStart, {}, "o1", "9.00", "USD"), out);
  REQUIRE(evaluator.NextChange(s, kStart) == kStart + 60 * kDay);

  evaluator.Advance(s, kStart + 59 * kDay, out);
  CHECK(out.size() == 1);
  evaluator.Advance(s, kStart + 200 * kDay, out);
  REQUIRE(out.size() == 3);
  CHECK((out[1].kind == TransitionKind::kSide && out[1].to == "at_risk" &&
         out[1].at == kStart + 60 * kDay && out[1].touchpoint_id == 0));
  CHECK((out[2].from == "at_risk" && out[2].to == "churned" && out[2].at == kStart + 180 * kDay));
  CHECK(evaluator.CurrentStage(s) == "churned");
  CHECK_FALSE(evaluator.NextChange(s, kStart + 200 * kDay).has_value());

  evaluator.Apply(s, b.Make("shopify", "order_placed", kStart + 210 * kDay, {}, "o2", "9.00", "USD"),
                  out);
  REQUIRE(out.size() == 5);
  CHECK((out[3].kind == TransitionKind::kSide && out[3].from == "churned" && out[3].to.empty()));
  CHECK((out[4].kind == TransitionKind::kStage && out[4].to == "retention"));
  CHECK(evaluator.CurrentStage(s) == "retention");
  // The second time at_risk is entered is ordinal 2: a second action, not a repeat of the first.
  evaluator.Advance(s, kStart + 275 * kDay, out);
  REQUIRE(out.size() == 6);
  CHECK(out[5].enter_ordinal == 2);
}

TEST_CASE("scores: half-life decay and threshold crossings at the moment they happen",
          "[journey]") {
  config::JourneySettings settings;
  settings.engagement.points = {{"order_placed", 40}, {"page_viewed", 1}};
  settings.thresholds = {{.name = {"engaged"}, .score = config::ScoreKind::kEngagement,
                          .above = 50, .below = {}}};
  settings.inactivity.enabled = false;
  auto def = Compile(settings);
  JourneyEvaluator evaluator(*def);
  Builder b;
  ProfileJourney s = evaluator.Empty();
  std::vector<Transition> out;
  evaluator.Apply(s, b.Make("shopify", "order_placed", kStart, {}, "o1", "1", "USD"), out);
  CHECK(evaluator.Engagement(s, kStart) == Approx(40));
  CHECK(evaluator.Engagement(s, kStart + 30 * kDay) == Approx(20));  // one half-life
  // 40 * 2^-(10/30) + 40 = 71.7: above 50, entered at the order.
  evaluator.Apply(s, b.Make("shopify", "order_placed", kStart + 10 * kDay, {}, "o2", "1", "USD"),
                  out);
  const auto thresholds = [&] {
    std::vector<Transition> t;
    for (const Transition& x : out) {
      if (x.kind == TransitionKind::kThreshold) t.push_back(x);
    }
    return t;
  };
  REQUIRE(thresholds().size() == 1);
  CHECK((thresholds()[0].to == "engaged" && thresholds()[0].touchpoint_id == 2 &&
         thresholds()[0].at == kStart + 10 * kDay));
  // It decays below 50 at 10d + 30d * log2(71.75 / 50).
  const double score = evaluator.Engagement(s, kStart + 10 * kDay);
  const auto expected = kStart + 10 * kDay +
                        std::chrono::duration_cast<std::chrono::milliseconds>(
                            30 * kDay * std::log2(score / 50));
  REQUIRE(evaluator.NextChange(s, kStart + 10 * kDay).has_value());
  CHECK(std::chrono::abs(*evaluator.NextChange(s, kStart + 10 * kDay) - expected) < 2s);
  evaluator.Advance(s, kStart + 100 * kDay, out);
  REQUIRE(thresholds().size() == 2);
  CHECK((thresholds()[1].from == "engaged" && thresholds()[1].to.empty() &&
         thresholds()[1].touchpoint_id == 0));
  CHECK(std::chrono::abs(thresholds()[1].at - expected) < 2s);
}

TEST_CASE("health combines recency, frequency, open tickets and satisfaction", "[journey]") {
  config::JourneySettings settings;
  settings.thresholds.clear();
  auto def = Compile(settings);
  JourneyEvaluator evaluator(*def);
  Builder b;
  ProfileJourney s = evaluator.Empty();
  std::vector<Transition> out;
  CHECK_FALSE(evaluator.Health(s, kStart).has_value());
  for (int i = 0; i < 5; ++i) {
    evaluator.Apply(s, b.Make("segment", "page_viewed", kStart + i * kDay), out);
  }
  evaluator.Apply(s, b.Make("zendesk", "ticket_created", kStart + 4 * kDay, {}, "t1"), out);
  // Now: recency 100, frequency 6/10 -> 60, tickets 100 - 25 = 75, no satisfaction yet.
  const double expected = (0.35 * 100 + 0.25 * 60 + 0.2 * 75) / 0.8;
  CHECK(*evaluator.Health(s, kStart + 4 * kDay) == Approx(expected));
  evaluator.Apply(s, b.Make("zendesk", "satisfaction_rated", kStart + 4 * kDay,
                            {{"rating", "bad"}}, "t1"),
                  out);
  evaluator.Apply(s, b.Make("zendesk", "ticket_solved", kStart + 4 * kDay, {}, "t1"), out);
  // 8 touchpoints, none open, CSAT bad: 0.35*100 + 0.25*80 + 0.2*100 + 0.2*0.
  CHECK(*evaluator.Health(s, kStart + 4 * kDay) == Approx(75));
  // A month later recency has halved.
  CHECK(*evaluator.Health(s, kStart + 34 * kDay) == Approx(0.35 * 50 + 0.25 * 80 + 0.2 * 100));
}

TEST_CASE("replaying a profile's touchpoints gives the journey it had", "[journey]") {
  config::JourneySettings settings;
  auto def = Compile(settings);
  JourneyEvaluator evaluator(*def);
  Builder b;
  std::vector<JourneyTouchpoint> tps{
      b.Make("segment", "page_viewed", kStart), b.Make("shopify", "checkout_started", kStart + kDay),
      b.Make("shopify", "order_placed", kStart + 2 * kDay, {}, "o", "50.00", "USD"),
      b.Make("shopify", "order_placed", kStart + 90 * kDay, {}, "o2", "50.00", "USD")};
  ProfileJourney live = evaluator.Empty();
  std::vector<Transition> live_out;
  for (const auto& tp : tps) evaluator.Apply(live, tp, live_out);
  const auto json_text = boost::json::serialize(ToJson(live));
  auto restored = ProfileJourneyFromJson(boost::json::parse(json_text));
  REQUIRE(restored.ok());
  CHECK(boost::json::serialize(ToJson(*restored)) == json_text);

  ProfileJourney replay = evaluator.Empty();
  std::vector<Transition> replay_out;
  for (const auto& tp : tps) evaluator.Apply(replay, tp, replay_out);
  CHECK(replay_out == live_out);
  // The 88 quiet days between the orders made the customer at_risk, then the order ended it.
  CHECK(Stages(live_out) == std::vector<std::string>{
                                "stage:>awareness", "stage:awareness>decision",
                                "stage:decision>purchase", "side:>at_risk", "side:at_risk>",
                                "stage:purchase>retention"});
}

TEST_CASE("actions: one per transition, keyed by ordinal, none for old transitions",
          "[journey]") {
  config::JourneySettings settings;
  settings.thresholds.clear();
  config::JourneyAction lifecycle;
  lifecycle.name = "lifecycle_customer";
  lifecycle.on_enter = "purchase";
  lifecycle.target = "preview";
  lifecycle.set_properties = {{"lifecyclestage", "customer"}, {"journey_stage", "{stage}"}};
  config::JourneyAction call;
  call.name = "onboarding_call";
  call.on_enter = "onboarding";
  call.target = "preview";
  call.create_task = config::TaskSpec{};
  call.create_task->subject = "Onboarding call ({state})";
  call.create_task->owner = "success@example.com";
  call.create_task->owner_rules = {{.when = {"touchpoint.source == \"zendesk\""},
                                    .owner = "support-lead@example.com"}};
  settings.actions = {lifecycle, call};
  auto def = Compile(settings);
  JourneyEvaluator evaluator(*def);
  ActionPlanner planner(*def, evaluator);
  Builder b;
  ProfileJourney s = evaluator.Empty();
  std::vector<Transition> out;
  evaluator.Apply(s, b.Make("shopify", "order_placed", kStart, {}, "o1", "1.00", "USD"), out);
  evaluator.Apply(s, b.Make("zendesk", "ticket_created", kStart + kDay, {}, "t"), out);
  REQUIRE(out.size() == 2);

  std::vector<PlannedAction> planned;
  int64_t too_old = 0;
  const auto view = TouchpointView(b.Make("zendesk", "ticket_created", kStart + kDay));
  for (const Transition& t : out) planner.Plan(42, t, s, &view, kStart + 2 * kDay, planned, too_old);
  REQUIRE(planned.size() == 2);
  CHECK(planned[0].key == "42:lifecycle_customer:enter:purchase#1");
  CHECK(planned[0].kind == "set_properties");
  const auto p0 = boost::json::parse(planned[0].payload);
  CHECK(p0.at("properties").at("lifecyclestage") == "customer");
  CHECK(p0.at("properties").at("journey_stage") == "onboarding");
  CHECK(planned[1].key == "42:onboarding_call:enter:onboarding#1");
  const auto p1 = boost::json::parse(planned[1].payload);
  CHECK(p1.at("task").at("subject") == "Onboarding call (onboarding)");
  CHECK(p1.at("task").at("owner") == "support-lead@example.com");
  CHECK(p1.at("task").at("due_at") == "2027-01-18T08:00:00.000Z");  // transition + 2 days

  planned.clear();
  for (const Transition& t : out) planner.Plan(42, t, s, &view, kStart + 30 * kDay, planned, too_old);
  CHECK(planned.empty());
  CHECK(too_old == 2);
}

TEST_CASE("journey config errors name the file, line and column", "[journey][config]") {
  const auto compile = [](const std::string& yaml) {
    config::Diagnostics diag;
    auto node = config::ConfigNode::LoadString(yaml, "journey.yaml", diag);
    REQUIRE(node.has_value());
    config::JourneySettings settings;
    config::JourneySettings::Spec().Parse(*node, settings, diag);
    JourneyDefinition::Compile(settings, {"preview"}, diag);
    std::vector<std::string> lines;
    for (const auto& d : diag.entries()) lines.push_back(d.ToString());
    return lines;
  };
  CHECK(compile(R"yaml(rules:
  - stage: purchse
    types: [order_placed]
)yaml") == std::vector<std::string>{
                 "journey.yaml:2:12: error: stage 'purchse' is not a stage (stages: awareness, "
                 "consideration, decision, purchase, onboarding, retention, advocacy)"});
  const auto bad_when = compile(R"yaml(rules:
  - stage: advocacy
    when: attributes.score >= 9 and
)yaml");
  REQUIRE(bad_when.size() == 1);
  CHECK(bad_when[0].rfind("journey.yaml:3:", 0) == 0);
  CHECK(compile(R"yaml(actions:
  - name: tell_crm
    on_enter: purchase
    target: hubspot
    post_event: true
)yaml") == std::vector<std::string>{
                 "journey.yaml:4:13: error: target 'hubspot' is not configured (targets: preview)"});
  CHECK(compile(R"yaml(rules:
  - stage: decision
    after_stage: purchase
)yaml") == std::vector<std::string>{
                 "journey.yaml:3:18: error: after_stage 'purchase' must come before stage "
                 "'decision': a profile only moves forward"});
  CHECK(compile(R"yaml(thresholds:
  - name: purchase
    above: 3
)yaml") == std::vector<std::string>{
                 "journey.yaml:2:11: error: threshold 'purchase' has the name of a stage or side "
                 "state"});
}

}  // namespace
}  // namespace journeyd::journey
