#include "engine/identity/match_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <boost/json/serialize.hpp>

#include "engine/config/config.h"

namespace journeyd::identity {

namespace {

// Defaults per comparator, disagree first, exact last. m: how often the same person's two
// records land on each level (typos, missing middle letters, swapped day and month); u: how
// often two different people do by chance. The exact level's u is replaced by the value's
// observed frequency. The figures follow the published FEBRL/Splink defaults in spirit: exact
// agreement dominates m, near-misses are rare by chance. docs/identity.md lists them.
struct Defaults {
  std::vector<double> m, u;
};

Defaults DefaultsFor(ComparatorKind kind) {
  switch (kind) {
    case ComparatorKind::kExact:
      return {{0.05, 0.95}, {0.90, 0.10}};
    case ComparatorKind::kName:
      return {{0.01, 0.04, 0.15, 0.80}, {0.93, 0.05, 0.01, 0.01}};
    case ComparatorKind::kDate:
      return {{0.02, 0.03, 0.05, 0.10, 0.80}, {0.97, 0.012, 0.002, 0.0005, 0.0001}};
    case ComparatorKind::kPostcode:
      return {{0.05, 0.10, 0.85}, {0.97, 0.02, 0.01}};
    case ComparatorKind::kAddress:
      return {{0.05, 0.07, 0.13, 0.75}, {0.97, 0.02, 0.005, 0.001}};
    case ComparatorKind::kIdentifier:
      return {{0.04, 0.08, 0.88}, {0.999, 0.0005, 0.0001}};
  }
  return {{0.05, 0.95}, {0.90, 0.10}};
}

std::string RemoveSpaces(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  return s;
}

}  // namespace

std::string FoldForComparator(ComparatorKind kind, std::string_view text) {
  switch (kind) {
    case ComparatorKind::kDate: {
      std::string digits;
      for (char c : text) {
        if (c >= '0' && c <= '9') digits.push_back(c);
      }
      // Anything but a full date compares as folded text (Compare's fallback for odd dates).
      return digits.size() == 8 ? digits : FoldForMatching(text);
    }
    case ComparatorKind::kPostcode:
    case ComparatorKind::kIdentifier:
      return RemoveSpaces(FoldForMatching(text));
    default:
      return FoldForMatching(text);
  }
}

std::string FieldValueOf(const CanonicalRecord& record, std::string_view field) {
  if (field == "email" || field == "phone") {
    for (const Identity& identity : record.identities) {
      if (identity.type == field) return identity.value;
    }
    return {};
  }
  if (field.substr(0, 7) == "custom.") {
    const auto* value = record.traits.custom.if_contains(field.substr(7));
    if (value == nullptr || value->is_null()) return {};
    if (value->is_string()) return std::string(value->get_string());
    return boost::json::serialize(*value);
  }
  const auto it = record.traits.fields.find(std::string(field));
  return it == record.traits.fields.end() ? std::string() : it->second;
}

MatchModel::MatchModel(const config::FuzzySettings& settings)
    : auto_merge_(settings.auto_merge),
      review_(settings.review),
      prior_log_odds_(std::log2(settings.prior / (1 - settings.prior))),
      max_block_(settings.max_block) {
  for (const config::FuzzyField& f : settings.fields) {
    Field field;
    field.name = f.field;
    field.kind = f.compare;
    Defaults defaults = DefaultsFor(f.compare);
    field.m = f.m.empty() ? defaults.m : f.m;
    field.u = defaults.u;
    for (size_t level = 0; level + 1 < field.m.size(); ++level) {
      field.weight.push_back(std::log2(field.m[level] / field.u[level]));
    }
    fields_.push_back(std::move(field));
  }
  for (const std::string& name : settings.veto) {
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (fields_[i].name == name) veto_.push_back(i);
    }
  }
  const auto index_of = [this](const std::string& name) {
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (fields_[i].name == name) return i;
    }
    for (size_t i = 0; i < blocking_only_.size(); ++i) {
      if (blocking_only_[i] == name) return fields_.size() + i;
    }
    blocking_only_.push_back(name);
    return fields_.size() + blocking_only_.size() - 1;
  };
  for (const auto& rule : settings.blocking) {
    std::vector<BlockingPart> parts;
    std::vector<size_t> indexes;
    for (const std::string& text : rule) {
      auto part = ParseBlockingPart(text);
      if (!part.ok()) continue;  // the config loader rejected these already
      indexes.push_back(index_of(part->field));
      parts.push_back(std::move(*part));
    }
    blocking_.push_back(std::move(parts));
    blocking_fields_.push_back(std::move(indexes));
  }
}

MatchValues MatchModel::ValuesOf(const CanonicalRecord& record) const {
  MatchValues values;
  values.reserve(fields_.size() + blocking_only_.size());
  for (const Field& field : fields_) {
    values.push_back(FoldForComparator(field.kind, FieldValueOf(record, field.name)));
  }
  for (const std::string& name : blocking_only_) {
    values.push_back(FoldForMatching(FieldValueOf(record, name)));
  }
  return values;
}

std::vector<std::string> MatchModel::BlockingKeys(const MatchValues& values) const {
  std::vector<std::string> keys;
  for (size_t rule = 0; rule < blocking_.size(); ++rule) {
    std::string key = std::to_string(rule);
    bool complete = true;
    for (size_t p = 0; p < blocking_[rule].size() && complete; ++p) {
      const std::string part = BlockingPartKey(blocking_[rule][p], values[blocking_fields_[rule][p]]);
      complete = !part.empty();
      key.push_back('\x1f');
      key += part;
    }
    if (complete) keys.push_back(std::move(key));
  }
  return keys;
}

void MatchModel::Observe(const MatchValues& values) {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (values[i].empty()) continue;
    ++fields_[i].frequency[values[i]];
    ++fields_[i].observed;
  }
}

void MatchModel::Forget(const MatchValues& values) {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (values[i].empty()) continue;
    auto it = fields_[i].frequency.find(values[i]);
    if (it == fields_[i].frequency.end()) continue;
    if (--it->second == 0) fields_[i].frequency.erase(it);
    if (fields_[i].observed > 0) --fields_[i].observed;
  }
}

double MatchModel::ExactWeight(const Field& field, const std::string& value) const {
  double u = field.u.back();
  if (field.observed >= 100) {
    // Add-one smoothing: a value seen once so far is rare, not impossible.
    const auto it = field.frequency.find(value);
    const double count = it == field.frequency.end() ? 0 : it->second;
    u = std::clamp((count + 1) / static_cast<double>(field.observed + 1), 1e-7, 0.5);
  }
  return std::log2(field.m.back() / u);
}

MatchModel::Probe MatchModel::ProbeOf(const MatchValues& values) const {
  Probe probe;
  probe.values = &values;
  probe.exact_weight.resize(fields_.size(), 0);
  for (size_t i = 0; i < fields_.size() && i < values.size(); ++i) {
    if (!values[i].empty()) probe.exact_weight[i] = ExactWeight(fields_[i], values[i]);
  }
  return probe;
}

MatchScore MatchModel::Score(const MatchValues& a, const MatchValues& b) const {
  MatchScore score;
  Score(ProbeOf(a), b, score);
  return score;
}

void MatchModel::Score(const Probe& probe, const MatchValues& b, MatchScore& out) const {
  const MatchValues& a = *probe.values;
  out.levels.assign(fields_.size(), kMissing);
  double weight = prior_log_odds_;
  for (size_t i = 0; i < fields_.size(); ++i) {
    const Field& field = fields_[i];
    const int level = Compare(field.kind, a[i], b[i]);
    out.levels[i] = level;
    if (level == kMissing) continue;
    const int top = static_cast<int>(field.m.size()) - 1;
    weight += level >= top ? probe.exact_weight[i] : field.weight[static_cast<size_t>(level)];
  }
  out.weight = weight;
  out.probability = 1.0 / (1.0 + std::exp2(-weight));
}

const std::string* MatchModel::Vetoed(const MatchScore& score) const {
  // Vetoed when every veto field both sides have disagrees outright: a first name alone may be
  // swapped with the surname or be a nickname, but a different first name and a different
  // birth date are a different person.
  const std::string* first = nullptr;
  for (size_t i : veto_) {
    if (i >= score.levels.size() || score.levels[i] == kMissing) continue;
    if (score.levels[i] != 0) return nullptr;
    if (first == nullptr) first = &fields_[i].name;
  }
  return first;
}

std::string MatchModel::Explain(const MatchScore& score) const {
  std::string out;
  char buffer[32];
  for (size_t i = 0; i < fields_.size() && i < score.levels.size(); ++i) {
    if (!out.empty()) out += ", ";
    out += fields_[i].name;
    out += ' ';
    out += LevelName(fields_[i].kind, score.levels[i]);
    if (score.levels[i] != kMissing) {
      const int top = static_cast<int>(fields_[i].m.size()) - 1;
      if (score.levels[i] < top) {
        std::snprintf(buffer, sizeof buffer, " (%+.1f)",
                      fields_[i].weight[static_cast<size_t>(score.levels[i])]);
        out += buffer;
      }
    }
  }
  std::snprintf(buffer, sizeof buffer, "; p=%.4f", score.probability);
  out += buffer;
  return out;
}

}  // namespace journeyd::identity
