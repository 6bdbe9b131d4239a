// ContributionSummary against a reference written straight from survivorship.h's contract (every
// contribution compared with every other, no grouping), on random contributions built to tie:
// the same golden record whatever the rule, owner and source priority, in any order, and when
// the contributions arrive in two parts (what delivery does with a profile's new records).
#include "engine/identity/contribution_summary.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace journeyd::identity {
namespace {

TimePoint At(int minutes) {
  return std::chrono::sys_days{std::chrono::year{2026} / 1 / 1} + std::chrono::minutes(minutes);
}

// The documented order, spelled out: a decimal id compares as a number.
bool LaterId(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() > b.size();
  return a > b;
}

size_t Rank(const FieldPolicy& policy, const std::string& source) {
  const auto& list = policy.source_priority;
  return static_cast<size_t>(std::find(list.begin(), list.end(), source) - list.begin());
}

int Count(const std::vector<Contribution>& all, const std::string& field,
          const std::string& value) {
  return static_cast<int>(std::count_if(all.begin(), all.end(), [&](const Contribution& c) {
    return c.field == field && c.value == value;
  }));
}

size_t Length(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
}

// True when a is preferred over b for `rule`: the rule first, then source priority, the later
// observation, the later record, the smaller source name and the smaller value.
bool Prefer(SurvivorshipRule rule, const FieldPolicy& policy, const std::vector<Contribution>& all,
            const Contribution& a, const Contribution& b) {
  switch (rule) {
    case SurvivorshipRule::kMostRecent:
      if (a.observed_at != b.observed_at) return a.observed_at > b.observed_at;
      break;
    case SurvivorshipRule::kFirstSeen:
      if (a.observed_at != b.observed_at) return a.observed_at < b.observed_at;
      break;
    case SurvivorshipRule::kMostFrequent: {
      const int ca = Count(all, a.field, a.value), cb = Count(all, b.field, b.value);
      if (ca != cb) return ca > cb;
      break;
    }
    case SurvivorshipRule::kLongest:
      if (Length(a.value) != Length(b.value)) return Length(a.value) > Length(b.value);
      break;
    case SurvivorshipRule::kSourcePriority:
      break;
  }
  if (Rank(policy, a.source) != Rank(policy, b.source)) {
    return Rank(policy, a.source) < Rank(policy, b.source);
  }
  if (a.observed_at != b.observed_at) return a.observed_at > b.observed_at;
  if (a.record_id != b.record_id) return LaterId(a.record_id, b.record_id);
  if (a.source != b.source) return a.source < b.source;
  return a.value < b.value;
}

std::map<std::string, GoldenField> Reference(const std::vector<Contribution>& all,
                                             const SurvivorshipPolicy& policy) {
  std::map<std::string, GoldenField> out;
  std::set<std::string> fields;
  for (const Contribution& c : all) {
    if (!c.value.empty()) fields.insert(c.field);
  }
  for (const std::string& field : fields) {
    const FieldPolicy& fp = policy.For(field);
    const Contribution* best = nullptr;
    bool owned = false;
    for (const Contribution& c : all) {
      if (c.field != field || c.value.empty() || fp.owner.empty() || c.source != fp.owner) continue;
      if (!best || Prefer(SurvivorshipRule::kMostRecent, fp, all, c, *best)) best = &c;
    }
    owned = best != nullptr;
    if (!best) {
      for (const Contribution& c : all) {
        if (c.field != field || c.value.empty()) continue;
        if (!best || Prefer(fp.rule, fp, all, c, *best)) best = &c;
      }
    }
    out[field] = GoldenField{best->value, best->source,     best->record_id,
                             best->observed_at, fp.rule, owned,
                             Count(all, field, best->value)};
  }
  return out;
}

std::vector<Contribution> RandomContributions(std::mt19937& rng, int n) {
  // Few fields, values, sources, ids and minutes, so that every tie-break gets exercised.
  const std::vector<std::string> fields = {"email", "first_name", "city"};
  const std::vector<std::string> values = {"", "a", "bb", "ab", "ccc", "é", "b"};
  const std::vector<std::string> sources = {"shop", "pos", "desk"};
  std::vector<Contribution> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Contribution{fields[rng() % fields.size()], values[rng() % values.size()],
                               sources[rng() % sources.size()], std::to_string(1 + rng() % 12),
                               At(static_cast<int>(rng() % 4))});
  }
  return out;
}

SurvivorshipPolicy RandomPolicy(std::mt19937& rng) {
  const SurvivorshipRule rules[] = {SurvivorshipRule::kSourcePriority, SurvivorshipRule::kMostRecent,
                                    SurvivorshipRule::kMostFrequent, SurvivorshipRule::kFirstSeen,
                                    SurvivorshipRule::kLongest};
  SurvivorshipPolicy policy;
  policy.default_policy.rule = rules[rng() % 5];
  if (rng() % 2) policy.default_policy.source_priority = {"desk", "shop"};
  policy.fields["first_name"].rule = rules[rng() % 5];
  if (rng() % 3 == 0) policy.fields["first_name"].owner = "pos";
  if (rng() % 2) policy.fields["first_name"].source_priority = {"pos"};
  return policy;
}

TEST_CASE("the summary's golden record equals the reference on random contributions",
          "[survivorship]") {
  std::mt19937 rng(20261124);
  int compared_fields = 0;
  for (int round = 0; round < 600; ++round) {
    auto all = RandomContributions(rng, 1 + static_cast<int>(rng() % 40));
    const SurvivorshipPolicy policy = RandomPolicy(rng);
    const auto expected = Reference(all, policy);

    ContributionSummary whole;
    for (const Contribution& c : all) whole.Add(c);
    REQUIRE(whole.Golden(policy) == expected);
    REQUIRE(ComputeGoldenRecord(all, policy) == expected);

    // In two parts, in another order: what a kept summary plus new records gives.
    std::shuffle(all.begin(), all.end(), rng);
    const size_t cut = rng() % (all.size() + 1);
    ContributionSummary parts;
    for (size_t i = 0; i < cut; ++i) parts.Add(all[i]);
    for (size_t i = cut; i < all.size(); ++i) parts.Add(all[i]);
    REQUIRE(parts.Golden(policy) == expected);
    CHECK(parts.entries() == whole.entries());
    compared_fields += static_cast<int>(expected.size());
  }
  CHECK(compared_fields > 1000);
}

TEST_CASE("equal contributions collapse into one entry that keeps their count",
          "[survivorship]") {
  ContributionSummary summary;
  for (int i = 1; i <= 5000; ++i) {
    summary.Add(Contribution{"email", "ann@example.com", "shop", std::to_string(i), At(i)});
    summary.Add(Contribution{"first_name", i % 2 ? "Ann" : "Anne", "shop", std::to_string(i),
                             At(i)});
  }
  summary.Add(Contribution{"first_name", "", "shop", "5001", At(6000)});  // empty: nothing
  CHECK(summary.entries() == 3);

  SurvivorshipPolicy recent;
  const auto golden = summary.Golden(recent);
  CHECK(golden.at("email").supporting == 5000);
  CHECK(golden.at("email").record_id == "5000");
  CHECK(golden.at("first_name").value == "Anne");  // record 5000 is even
  CHECK(golden.at("first_name").supporting == 2500);

  SurvivorshipPolicy first;
  first.default_policy.rule = SurvivorshipRule::kFirstSeen;
  const auto earliest = summary.Golden(first);
  CHECK(earliest.at("first_name").value == "Ann");
  CHECK(earliest.at("first_name").record_id == "1");
  CHECK(earliest.at("email").observed_at == At(1));
}

TEST_CASE("AddRecord contributes what ContributionsOf says", "[survivorship]") {
  CanonicalRecord record;
  record.source = "shop";
  record.occurred_at = At(5);
  record.identities = {{"email", "ann@example.com"}, {"phone", "+14155550100"}};
  record.traits.fields["first_name"] = "Ann";
  ContributionSummary summary;
  summary.AddRecord(record, "7");
  const auto golden = summary.Golden(SurvivorshipPolicy{});
  REQUIRE(golden.size() == 3);
  CHECK(golden.at("phone").value == "+14155550100");
  CHECK(golden.at("first_name").record_id == "7");
  CHECK(golden == ComputeGoldenRecord(ContributionsOf(record, "7"), SurvivorshipPolicy{}));
}

}  // namespace
}  // namespace journeyd::identity
