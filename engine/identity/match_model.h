// MatchModel is the fuzzy half of identity resolution: a Fellegi-Sunter model over the fields the
// config names. Each field is compared at an agreement level (comparators.h); each level weighs
// log2(m/u), where m = P(level | same person) comes from the config or the comparator's default,
// and u = P(level | different people) is a default for the partial levels and, for exact
// agreement, the value's observed frequency: sharing a rare surname says more than sharing
// "smith". The sum plus the prior's log-odds is a match probability that the thresholds act on.
//
// Term frequencies are the only mutable state (Observe); a MatchModel is used from one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/identity/blocking_key.h"
#include "engine/identity/comparators.h"
#include "engine/record/canonical_record.h"

namespace journeyd::config {
struct FuzzySettings;
}

namespace journeyd::identity {

// One value per model field, folded for matching, then the values of fields used only for
// blocking; empty when the record has none.
using MatchValues = std::vector<std::string>;

struct MatchScore {
  double probability = 0;
  double weight = 0;        // log2 Bayes factor plus the prior's log-odds
  std::vector<int> levels;  // per field; kMissing when either side lacks it
};

class MatchModel {
 public:
  // `settings` passed the config checks (m sizes match the comparators, blocking parts parse).
  explicit MatchModel(const config::FuzzySettings& settings);

  size_t field_count() const { return fields_.size(); }
  const std::string& field_name(size_t i) const { return fields_[i].name; }
  ComparatorKind field_kind(size_t i) const { return fields_[i].kind; }
  double auto_merge() const { return auto_merge_; }
  double review() const { return review_; }
  int max_block() const { return max_block_; }

  // The record's values of the model's fields, folded as their comparator expects.
  MatchValues ValuesOf(const CanonicalRecord& record) const;
  // Blocking keys of the values, each prefixed with its rule's number so rules never collide.
  std::vector<std::string> BlockingKeys(const MatchValues& values) const;

  // Counts the values for the term frequencies of exact agreement.
  void Observe(const MatchValues& values);
  // Takes back an Observe (an erased record).
  void Forget(const MatchValues& values);

  // One side of many comparisons: a record's values with the weight of agreeing exactly on
  // each, looked up once. Exact agreement means equal values, so that weight depends on this
  // side alone; a record compared with a block of candidates pays for the lookups once.
  struct Probe {
    const MatchValues* values = nullptr;
    std::vector<double> exact_weight;  // per field
  };
  Probe ProbeOf(const MatchValues& values) const;

  MatchScore Score(const MatchValues& a, const MatchValues& b) const;
  // The same score, into `out` so a loop over candidates reuses its storage.
  void Score(const Probe& a, const MatchValues& b, MatchScore& out) const;
  // When every veto field that both sides have disagrees outright (level 0), the first of them;
  // else nullptr. A vetoed pair is never merged automatically.
  const std::string* Vetoed(const MatchScore& score) const;
  // "first_name exact (+9.6), birth_date day_month_swapped (+5.1), postal_code disagree (-4.3)"
  std::string Explain(const MatchScore& score) const;

 private:
  struct Field {
    std::string name;
    ComparatorKind kind;
    std::vector<double> m, u;  // per level, disagree first; u of the top level is a fallback
    std::vector<double> weight;  // log2(m/u) of the levels below exact
    std::unordered_map<std::string, uint32_t> frequency;
    uint64_t observed = 0;
  };
  double ExactWeight(const Field& field, const std::string& value) const;

  std::vector<Field> fields_;
  std::vector<size_t> veto_;  // field indexes
  std::vector<std::string> blocking_only_;  // fields blocked on but not compared
  std::vector<std::vector<BlockingPart>> blocking_;
  std::vector<std::vector<size_t>> blocking_fields_;  // per rule, per part: index into MatchValues
  double auto_merge_, review_, prior_log_odds_;
  int max_block_;
};

// The folded form a comparator of this kind expects: dates as their digits ("19870314"),
// postcodes and identifiers without spaces, other text through FoldForMatching.
std::string FoldForComparator(ComparatorKind kind, std::string_view text);

// A record's value of a field name: a known trait, "email"/"phone" (the first identity of that
// type), "custom.<name>" (string or number). Empty when absent.
std::string FieldValueOf(const CanonicalRecord& record, std::string_view field);

}  // namespace journeyd::identity
