#include "engine/identity/survivorship.h"

#include <boost/json/serialize.hpp>
#include <string>
#include <utility>

#include "engine/base/time_format.h"
#include "engine/identity/contribution_summary.h"

namespace journeyd::identity {
namespace {

constexpr std::pair<SurvivorshipRule, std::string_view> kRuleNames[] = {
    {SurvivorshipRule::kSourcePriority, "source_priority"},
    {SurvivorshipRule::kMostRecent, "most_recent"},
    {SurvivorshipRule::kMostFrequent, "most_frequent"},
    {SurvivorshipRule::kFirstSeen, "first_seen"},
    {SurvivorshipRule::kLongest, "longest"},
};

}  // namespace

std::optional<SurvivorshipRule> ParseSurvivorshipRule(std::string_view name) {
  for (const auto& [rule, rule_name] : kRuleNames) {
    if (rule_name == name) return rule;
  }
  return std::nullopt;
}

std::string_view SurvivorshipRuleName(SurvivorshipRule rule) {
  for (const auto& [candidate, name] : kRuleNames) {
    if (candidate == rule) return name;
  }
  return "unknown";
}

const FieldPolicy& SurvivorshipPolicy::For(std::string_view field) const {
  auto it = fields.find(std::string(field));
  return it == fields.end() ? default_policy : it->second;
}

std::map<std::string, GoldenField> ComputeGoldenRecord(
    const std::vector<Contribution>& contributions, const SurvivorshipPolicy& policy) {
  // One implementation of the rules: the summary's, which delivery also keeps per profile.
  ContributionSummary summary;
  for (const Contribution& c : contributions) summary.Add(c);
  return summary.Golden(policy);
}

std::vector<Contribution> ContributionsOf(const CanonicalRecord& record,
                                          std::string_view record_id) {
  std::vector<Contribution> out;
  out.reserve(record.identities.size() + record.traits.fields.size() +
              record.traits.consent.size() + record.traits.custom.size());
  auto add = [&](std::string field, std::string value, TimePoint observed_at) {
    if (value.empty()) return;
    out.push_back(Contribution{std::move(field), std::move(value), record.source,
                               std::string(record_id), observed_at});
  };

  for (const Identity& identity : record.identities) {
    add(identity.type, identity.value, record.occurred_at);
  }
  for (const auto& [name, value] : record.traits.fields) add(name, value, record.occurred_at);
  for (const auto& [purpose, consent] : record.traits.consent) {
    add("consent." + purpose, consent.granted ? "granted" : "denied",
        consent.at.value_or(record.occurred_at));
  }
  for (const auto& [name, value] : record.traits.custom) {
    if (value.is_null() || (value.is_string() && value.get_string().empty())) continue;
    add("custom." + std::string(name), boost::json::serialize(value), record.occurred_at);
  }
  return out;
}

std::string Explain(const GoldenField& field) {
  std::string out = field.owned ? "owned by " + field.source
                                : std::string(SurvivorshipRuleName(field.rule));
  out += ": from " + field.source + " record " + field.record_id + " at " +
         FormatIso8601(field.observed_at) + ", ";
  out += field.supporting > 1 ? std::to_string(field.supporting) + " records agree"
                              : std::string("no other record agrees");
  return out;
}

}  // namespace journeyd::identity
