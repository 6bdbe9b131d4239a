#include "engine/identity/golden_record.h"

#include <boost/json/parse.hpp>

#include "engine/config/config.h"

namespace journeyd::identity {

SurvivorshipPolicy MakeSurvivorshipPolicy(const config::SurvivorshipSettings& settings) {
  SurvivorshipPolicy policy;
  policy.default_policy.rule = settings.rule;
  policy.default_policy.source_priority = settings.sources;
  for (const config::SurvivorshipField& field : settings.fields) {
    FieldPolicy& p = policy.fields[field.field];
    p.rule = field.rule;
    // A field without its own list ranks sources like every other field.
    p.source_priority = field.sources.empty() ? settings.sources : field.sources;
    p.owner = field.owner;
  }
  return policy;
}

std::map<std::string, GoldenField> GoldenRecordOf(
    const std::vector<std::pair<int64_t, CanonicalRecord>>& records,
    const SurvivorshipPolicy& policy) {
  std::vector<Contribution> contributions;
  for (const auto& [id, record] : records) {
    std::vector<Contribution> of = ContributionsOf(record, std::to_string(id));
    contributions.insert(contributions.end(), std::make_move_iterator(of.begin()),
                         std::make_move_iterator(of.end()));
  }
  return ComputeGoldenRecord(contributions, policy);
}

std::map<std::string, GoldenField> GoldenRecordOfStored(
    const std::vector<storage::StoredRecord>& records, const SurvivorshipPolicy& policy) {
  std::vector<std::pair<int64_t, CanonicalRecord>> parsed;
  parsed.reserve(records.size());
  for (const storage::StoredRecord& r : records) {
    boost::system::error_code ec;
    const boost::json::value json = boost::json::parse(r.json, ec);
    if (ec) continue;
    auto record = CanonicalRecordFromJson(json);
    if (record.ok()) parsed.emplace_back(r.id, std::move(*record));
  }
  return GoldenRecordOf(parsed, policy);
}

}  // namespace journeyd::identity
