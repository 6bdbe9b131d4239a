#include "engine/identity/survivorship.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>

#include "engine/base/time_format.h"

namespace journeyd::identity {
namespace {

constexpr std::pair<SurvivorshipRule, std::string_view> kRuleNames[] = {
    {SurvivorshipRule::kSourcePriority, "source_priority"},
    {SurvivorshipRule::kMostRecent, "most_recent"},
    {SurvivorshipRule::kMostFrequent, "most_frequent"},
    {SurvivorshipRule::kFirstSeen, "first_seen"},
    {SurvivorshipRule::kLongest, "longest"},
};

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// <0, 0, >0 as a is smaller, equal or larger. Store ids are decimal, so "10" must be larger than
// "9". The order has to stay total when non-decimal ids show up (a max over an intransitive order
// would depend on input order), so every decimal id ranks below every other id.
int CompareRecordIds(std::string_view a, std::string_view b) {
  const bool a_digits = AllDigits(a), b_digits = AllDigits(b);
  if (a_digits != b_digits) return a_digits ? -1 : 1;
  if (a_digits) {
    std::string_view na = a.substr(std::min(a.find_first_not_of('0'), a.size()));
    std::string_view nb = b.substr(std::min(b.find_first_not_of('0'), b.size()));
    if (na.size() != nb.size()) return na.size() < nb.size() ? -1 : 1;
    if (int c = na.compare(nb); c != 0) return c;
  }
  return a.compare(b);
}

size_t CodePoints(std::string_view s) {
  // Every byte but UTF-8 continuation bytes (10xxxxxx) starts a code point.
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// A non-empty contribution to the field being decided, with what the comparisons need.
struct Candidate {
  const Contribution* c;
  size_t rank;    // position in source_priority; every unlisted source gets its size
  int count;      // contributions to this field with exactly this value
  size_t length;  // in code points; only computed for kLongest
};

// The order that breaks every rule's ties: true when `a` is preferred over `b`. Total over
// distinct contributions, which is what makes the result independent of input order.
bool WinsTie(const Candidate& a, const Candidate& b) {
  if (a.rank != b.rank) return a.rank < b.rank;
  if (a.c->observed_at != b.c->observed_at) return a.c->observed_at > b.c->observed_at;
  if (int id = CompareRecordIds(a.c->record_id, b.c->record_id); id != 0) return id > 0;
  if (a.c->source != b.c->source) return a.c->source < b.c->source;
  return a.c->value < b.c->value;
}

// True when `a` is preferred over `b` under `rule`.
bool Wins(SurvivorshipRule rule, const Candidate& a, const Candidate& b) {
  switch (rule) {
    case SurvivorshipRule::kSourcePriority:
      // Rank comes first in WinsTie, and equal ranks (one source, or unlisted sources) fall
      // back to the most recent value.
      break;
    case SurvivorshipRule::kMostRecent:
      if (a.c->observed_at != b.c->observed_at) return a.c->observed_at > b.c->observed_at;
      break;
    case SurvivorshipRule::kMostFrequent:
      if (a.count != b.count) return a.count > b.count;
      break;
    case SurvivorshipRule::kFirstSeen:
      if (a.c->observed_at != b.c->observed_at) return a.c->observed_at < b.c->observed_at;
      break;
    case SurvivorshipRule::kLongest:
      if (a.length != b.length) return a.length > b.length;
      break;
  }
  return WinsTie(a, b);
}

size_t RankOf(const FieldPolicy& policy, std::string_view source) {
  // A linear search: priority lists name a handful of sources.
  const auto& list = policy.source_priority;
  return static_cast<size_t>(std::find(list.begin(), list.end(), source) - list.begin());
}

// Decides one field from its non-empty contributions [begin, end). REQUIRES: begin != end.
GoldenField Decide(std::vector<const Contribution*>::const_iterator begin,
                   std::vector<const Contribution*>::const_iterator end, const FieldPolicy& policy,
                   std::vector<Candidate>& candidates,
                   std::unordered_map<std::string_view, int>& counts) {
  counts.clear();
  for (auto it = begin; it != end; ++it) ++counts[(*it)->value];

  candidates.clear();
  for (auto it = begin; it != end; ++it) {
    const Contribution* c = *it;
    candidates.push_back(Candidate{
        c, RankOf(policy, c->source), counts[c->value],
        policy.rule == SurvivorshipRule::kLongest ? CodePoints(c->value) : 0});
  }

  const Candidate* best = nullptr;
  bool owned = false;
  if (!policy.owner.empty()) {
    for (const Candidate& candidate : candidates) {
      if (candidate.c->source != policy.owner) continue;
      if (!best || Wins(SurvivorshipRule::kMostRecent, candidate, *best)) best = &candidate;
    }
    owned = best != nullptr;
  }
  if (!best) {
    for (const Candidate& candidate : candidates) {
      if (!best || Wins(policy.rule, candidate, *best)) best = &candidate;
    }
  }

  GoldenField golden;
  golden.value = best->c->value;
  golden.source = best->c->source;
  golden.record_id = best->c->record_id;
  golden.observed_at = best->c->observed_at;
  golden.rule = policy.rule;
  golden.owned = owned;
  golden.supporting = best->count;
  return golden;
}

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
  // Group by field once: sort pointers, then decide each run of equal fields in linear time.
  std::vector<const Contribution*> sorted;
  sorted.reserve(contributions.size());
  for (const Contribution& c : contributions) {
    if (!c.value.empty()) sorted.push_back(&c);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const Contribution* a, const Contribution* b) { return a->field < b->field; });

  std::map<std::string, GoldenField> golden;
  std::vector<Candidate> candidates;  // reused across fields
  std::unordered_map<std::string_view, int> counts;
  for (auto begin = sorted.cbegin(); begin != sorted.cend();) {
    const std::string& field = (*begin)->field;
    auto end = std::find_if(begin, sorted.cend(),
                            [&](const Contribution* c) { return c->field != field; });
    golden.emplace_hint(golden.end(), field,
                        Decide(begin, end, policy.For(field), candidates, counts));
    begin = end;
  }
  return golden;
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
