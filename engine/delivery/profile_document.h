// A profile's document is the flat view of a customer that targets project onto CRM properties:
// the golden record's fields by name ("email", "first_name", "consent.email_marketing",
// "custom.tier"), the profile's id ("profile.id") and its journey ("journey.stage",
// "journey.side", "journey.engagement", "journey.health", "journey.first_source",
// "journey.last_activity"). docs/delivery.md lists them. Built by a pure function from the
// summary of the profile's records and its journey row, so what a target would send can be
// computed anywhere (worker, preview, tests).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/delivery/delivery_item.h"
#include "engine/governance/consent_policy.h"
#include "engine/identity/contribution_summary.h"
#include "engine/identity/survivorship.h"
#include "engine/storage/store.h"

namespace journeyd::delivery {

struct ProfileSnapshot {
  PropertyMap document;
  std::map<std::string, governance::ProfileConsent> consent;
};

// What a profile's records say, summarized (ProfileSummaryCache keeps one per profile).
struct ProfileSummary {
  identity::ContributionSummary contributions;                // for the golden record
  std::map<std::string, governance::ProfileConsent> consent;  // governance::ConsentOf
};

// Adds `records` (in id order, after every record already in `summary`); those that do not
// parse contribute nothing. Counts the records parsed into *parsed when given.
void AddRecords(ProfileSummary& summary, const std::vector<storage::StoredRecord>& records,
                int64_t* parsed = nullptr);
// The summary of `records` alone.
ProfileSummary SummarizeRecords(const std::vector<storage::StoredRecord>& records);

ProfileSnapshot BuildProfileSnapshot(int64_t profile_id, const ProfileSummary& summary,
                                     const identity::SurvivorshipPolicy& survivorship,
                                     const std::optional<storage::JourneyStateRow>& journey);

}  // namespace journeyd::delivery
