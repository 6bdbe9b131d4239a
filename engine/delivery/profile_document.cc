#include "engine/delivery/profile_document.h"

#include <boost/json.hpp>
#include <cstdio>

#include "engine/base/time_format.h"

namespace journeyd::delivery {

namespace json = boost::json;

namespace {

// Custom traits keep their JSON text in the golden record (survivorship compares text); a CRM
// property wants the string itself, not its quoted form.
std::string PlainValue(const std::string& field, const std::string& value) {
  if (field.rfind("custom.", 0) != 0) return value;
  boost::system::error_code ec;
  const json::value parsed = json::parse(value, ec);
  if (!ec && parsed.is_string()) return std::string(parsed.get_string());
  return value;
}

std::string Score(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}

}  // namespace

void AddRecords(ProfileSummary& summary, const std::vector<storage::StoredRecord>& records,
                int64_t* parsed) {
  for (const storage::StoredRecord& r : records) {
    boost::system::error_code ec;
    const json::value v = json::parse(r.json, ec);
    if (ec) continue;
    auto record = CanonicalRecordFromJson(v);
    if (!record.ok()) continue;
    if (parsed != nullptr) ++*parsed;
    summary.contributions.AddRecord(*record, std::to_string(r.id));
    governance::ApplyConsent(summary.consent, *record);
  }
}

ProfileSummary SummarizeRecords(const std::vector<storage::StoredRecord>& records) {
  ProfileSummary summary;
  AddRecords(summary, records, nullptr);
  return summary;
}

ProfileSnapshot BuildProfileSnapshot(int64_t profile_id, const ProfileSummary& summary,
                                     const identity::SurvivorshipPolicy& survivorship,
                                     const std::optional<storage::JourneyStateRow>& journey) {
  ProfileSnapshot out;
  for (const auto& [field, golden] : summary.contributions.Golden(survivorship)) {
    out.document[field] = PlainValue(field, golden.value);
  }
  out.consent = summary.consent;
  out.document["profile.id"] = std::to_string(profile_id);
  if (journey) {
    if (!journey->stage.empty()) out.document["journey.stage"] = journey->stage;
    if (!journey->side.empty()) out.document["journey.side"] = journey->side;
    if (!journey->first_source.empty()) out.document["journey.first_source"] = journey->first_source;
    out.document["journey.engagement"] = Score(journey->engagement);
    if (journey->health) out.document["journey.health"] = Score(*journey->health);
    if (journey->last_activity) {
      out.document["journey.last_activity"] = FormatIso8601(*journey->last_activity);
    }
  }
  return out;
}

}  // namespace journeyd::delivery
