#include "engine/governance/consent_policy.h"

namespace journeyd::governance {

std::map<std::string, ProfileConsent> ConsentOf(const std::vector<CanonicalRecord>& records) {
  std::map<std::string, ProfileConsent> out;
  for (const CanonicalRecord& record : records) ApplyConsent(out, record);
  return out;
}

void ApplyConsent(std::map<std::string, ProfileConsent>& consent, const CanonicalRecord& record) {
  for (const auto& [purpose, statement] : record.traits.consent) {
    const TimePoint at = statement.at.value_or(record.occurred_at);
    auto it = consent.find(purpose);
    if (it == consent.end() || at >= it->second.at) {
      consent[purpose] = {statement.granted, at, record.source};
    }
  }
}

ConsentPolicy::ConsentPolicy(const config::ConsentSettings& settings)
    : enforce_(settings.enforce), purposes_(settings.purposes.begin(), settings.purposes.end()) {}

std::string_view ConsentPolicy::PurposeOf(std::string_view touchpoint_type) const {
  const auto it = purposes_.find(touchpoint_type);
  return it == purposes_.end() ? std::string_view() : std::string_view(it->second);
}

bool ConsentPolicy::MayDeliver(std::string_view touchpoint_type,
                               const std::map<std::string, ProfileConsent>& consent) const {
  if (!enforce_) return true;
  const std::string_view purpose = PurposeOf(touchpoint_type);
  if (purpose.empty()) return true;
  const auto it = consent.find(std::string(purpose));
  return it != consent.end() && it->second.granted;
}

}  // namespace journeyd::governance
