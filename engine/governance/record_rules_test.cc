#include "engine/governance/record_rules.h"

#include <catch2/catch.hpp>

namespace journeyd::governance {
namespace {

const TimePoint kNow{std::chrono::seconds(1'800'000'000)};

config::ValidationRule Rule(std::string name, std::string field, RuleCheck check,
                            RuleAction action = RuleAction::kReject) {
  config::ValidationRule r;
  r.name = std::move(name);
  r.field = std::move(field);
  r.check = check;
  r.action = action;
  return r;
}

CanonicalRecord Order() {
  CanonicalRecord r;
  r.source = "shop";
  r.occurred_at = kNow - std::chrono::hours(1);
  r.identities = {{"email", "a@example.com"}, {"phone", "+14155550123"}};
  r.traits.fields["country"] = "DE";
  r.traits.custom["age"] = 42;
  r.traits.custom["vip"] = "yes";
  Touchpoint t;
  t.type = "order_placed";
  t.occurred_at = kNow + std::chrono::hours(2);
  t.value = "19.99";
  t.currency = "eur";
  r.touchpoints.push_back(t);
  return r;
}

std::vector<std::string> Broken(const std::vector<Violation>& violations) {
  std::vector<std::string> names;
  for (const auto& v : violations) names.push_back(v.rule);
  return names;
}

TEST_CASE("each check passes good values and fails bad ones", "[governance]") {
  std::vector<config::ValidationRule> rules;
  rules.push_back(Rule("past_ok", "occurred_at", RuleCheck::kNotFuture));
  rules.push_back(Rule("tp_future", "touchpoint.occurred_at", RuleCheck::kNotFuture));
  auto range = Rule("age_range", "custom.age", RuleCheck::kRange);
  range.min = 18;
  range.max = 40;
  rules.push_back(range);
  auto in = Rule("country_in", "country", RuleCheck::kEnum);
  in.values = {"DE", "FR"};
  rules.push_back(in);
  auto type = Rule("vip_bool", "custom.vip", RuleCheck::kType);
  type.type = ValueType::kBoolean;
  rules.push_back(type);
  auto age_int = Rule("age_int", "custom.age", RuleCheck::kType);
  age_int.type = ValueType::kInteger;
  rules.push_back(age_int);
  rules.push_back(Rule("phone_e164", "phone", RuleCheck::kPhone));
  rules.push_back(Rule("email_ok", "email", RuleCheck::kEmail));
  rules.push_back(Rule("zip_needed", "postal_code", RuleCheck::kRequired, RuleAction::kWarn));
  auto other_source = Rule("only_pos", "first_name", RuleCheck::kRequired);
  other_source.sources = {"pos"};
  rules.push_back(other_source);
  for (const auto& r : rules) REQUIRE_FALSE(CheckRuleSpec(r));

  CanonicalRecord record = Order();
  const auto violations = RecordRules(rules).Apply(record, kNow);
  CHECK(Broken(violations) ==
        std::vector<std::string>{"tp_future", "age_range", "vip_bool", "zip_needed"});
  CHECK(Rejects(violations));
  for (const auto& v : violations) {
    CHECK_THAT(v.message, !Catch::Contains("42") && !Catch::Contains("yes"));
  }
  CHECK(violations[1].message == "rule 'age_range': custom.age is not a number from 18 to 40");
}

TEST_CASE("drop_field removes only the failing value, warnings never reject", "[governance]") {
  auto currency = Rule("currency_iso", "touchpoint.currency", RuleCheck::kRegex,
                       RuleAction::kDropField);
  currency.pattern = "[A-Z]{3}";
  auto length = Rule("email_short", "email", RuleCheck::kMaxLength, RuleAction::kDropField);
  length.max_length = 5;
  auto warn = Rule("age_small", "custom.age", RuleCheck::kRange, RuleAction::kWarn);
  warn.max = 10;
  CanonicalRecord record = Order();
  const auto violations = RecordRules({currency, length, warn}).Apply(record, kNow);
  CHECK(Broken(violations) ==
        std::vector<std::string>{"currency_iso", "email_short", "age_small"});
  CHECK_FALSE(Rejects(violations));
  CHECK(record.touchpoints[0].currency.empty());
  CHECK(record.touchpoints[0].value == "19.99");
  REQUIRE(record.identities.size() == 1);
  CHECK(record.identities[0].type == "phone");
  CHECK(record.traits.custom.contains("age"));
}

TEST_CASE("rules that cannot work are refused with a reason", "[governance]") {
  CHECK(CheckRuleSpec(Rule("r", "nonsense", RuleCheck::kRequired)));
  CHECK(CheckRuleSpec(Rule("r", "touchpoint.colour", RuleCheck::kRequired)));
  CHECK(CheckRuleSpec(Rule("r", "city", RuleCheck::kRequired, RuleAction::kDropField)));
  CHECK(CheckRuleSpec(Rule("r", "occurred_at", RuleCheck::kNotFuture, RuleAction::kDropField)));
  CHECK(CheckRuleSpec(Rule("r", "city", RuleCheck::kEnum)));
  CHECK(CheckRuleSpec(Rule("r", "city", RuleCheck::kRange)));
  CHECK(CheckRuleSpec(Rule("r", "city", RuleCheck::kMaxLength)));
  CHECK_FALSE(CheckRuleSpec(Rule("r", "shopify.customer_id", RuleCheck::kRequired)));
  CHECK_FALSE(CheckRuleSpec(Rule("r", "custom.tier", RuleCheck::kRequired)));
}

}  // namespace
}  // namespace journeyd::governance

namespace journeyd::governance {
namespace {

TEST_CASE("a regex the engine gives up on fails its check instead of throwing", "[governance]") {
  auto rule = Rule("vip_pattern", "custom.vip", RuleCheck::kRegex);
  rule.pattern = "(a+)+b";  // backtracks exponentially on a long run of a's
  REQUIRE_FALSE(CheckRuleSpec(rule));
  CanonicalRecord record = Order();
  record.traits.custom["vip"] = std::string(5000, 'a');
  std::vector<Violation> violations;
  REQUIRE_NOTHROW(violations = RecordRules({rule}).Apply(record, kNow));
  CHECK(Broken(violations) == std::vector<std::string>{"vip_pattern"});
  record.traits.custom["vip"] = "aab";
  CHECK(RecordRules({rule}).Apply(record, kNow).empty());
}

}  // namespace
}  // namespace journeyd::governance
