#include "engine/identity/contribution_summary.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace journeyd::identity {
namespace {

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

}  // namespace

void ContributionSummary::Add(const Contribution& c) {
  if (c.value.empty()) return;
  auto field = fields_.find(c.field);
  if (field == fields_.end()) field = fields_.emplace(c.field, std::map<ValueSource, Entry>()).first;
  auto [it, inserted] = field->second.try_emplace(ValueSource(c.value, c.source));
  Entry& entry = it->second;
  if (inserted) {
    ++entries_;
    entry.count = 1;
    entry.latest = c;
    entry.earliest = c;
    return;
  }
  ++entry.count;
  // Within one (value, source) every rule's order comes down to the time, then the record id.
  const int vs_latest = CompareRecordIds(c.record_id, entry.latest.record_id);
  if (c.observed_at > entry.latest.observed_at ||
      (c.observed_at == entry.latest.observed_at && vs_latest > 0)) {
    entry.latest = c;
  }
  const int vs_earliest = CompareRecordIds(c.record_id, entry.earliest.record_id);
  if (c.observed_at < entry.earliest.observed_at ||
      (c.observed_at == entry.earliest.observed_at && vs_earliest > 0)) {
    entry.earliest = c;
  }
}

void ContributionSummary::AddRecord(const CanonicalRecord& record, std::string_view record_id) {
  for (const Contribution& c : ContributionsOf(record, record_id)) Add(c);
}

std::map<std::string, GoldenField> ContributionSummary::Golden(
    const SurvivorshipPolicy& policy) const {
  std::map<std::string, GoldenField> golden;
  std::vector<Candidate> candidates;  // reused across fields
  std::map<std::string_view, int> counts;
  for (const auto& [field, entries] : fields_) {
    const FieldPolicy& field_policy = policy.For(field);
    counts.clear();
    for (const auto& [key, entry] : entries) counts[key.first] += entry.count;

    // An entry offers the contribution its rule would pick among its equals: the earliest for
    // first_seen, the latest for every other rule and for an owner's claim.
    const auto candidate_of = [&](const Entry& entry, bool earliest) {
      const Contribution& c = earliest ? entry.earliest : entry.latest;
      return Candidate{&c, RankOf(field_policy, c.source), counts[c.value],
                       field_policy.rule == SurvivorshipRule::kLongest ? CodePoints(c.value) : 0};
    };

    std::optional<Candidate> best;
    bool owned = false;
    if (!field_policy.owner.empty()) {
      for (const auto& [key, entry] : entries) {
        if (key.second != field_policy.owner) continue;
        const Candidate candidate = candidate_of(entry, false);
        if (!best || Wins(SurvivorshipRule::kMostRecent, candidate, *best)) best = candidate;
      }
      owned = best.has_value();
    }
    if (!best) {
      const bool earliest = field_policy.rule == SurvivorshipRule::kFirstSeen;
      for (const auto& [key, entry] : entries) {
        const Candidate candidate = candidate_of(entry, earliest);
        if (!best || Wins(field_policy.rule, candidate, *best)) best = candidate;
      }
    }

    GoldenField out;
    out.value = best->c->value;
    out.source = best->c->source;
    out.record_id = best->c->record_id;
    out.observed_at = best->c->observed_at;
    out.rule = field_policy.rule;
    out.owned = owned;
    out.supporting = best->count;
    golden.emplace_hint(golden.end(), field, std::move(out));
  }
  return golden;
}

}  // namespace journeyd::identity
