// A profile's document is the flat view of a customer that targets project onto CRM properties:
// the golden record's fields by name ("email", "first_name", "consent.email_marketing",
// "custom.tier"), the profile's id ("profile.id") and its journey ("journey.stage",
// "journey.side", "journey.engagement", "journey.health", "journey.first_source",
// "journey.last_activity"). docs/delivery.md lists them. Built from stored rows by a pure
// function, so what a target would send can be computed anywhere (worker, preview, tests).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/delivery/delivery_item.h"
#include "engine/governance/consent_policy.h"
#include "engine/identity/survivorship.h"
#include "engine/storage/store.h"

namespace journeyd::delivery {

struct ProfileSnapshot {
  PropertyMap document;
  std::map<std::string, governance::ProfileConsent> consent;
};

ProfileSnapshot BuildProfileSnapshot(int64_t profile_id,
                                     const std::vector<storage::StoredRecord>& records,
                                     const identity::SurvivorshipPolicy& survivorship,
                                     const std::optional<storage::JourneyStateRow>& journey);

}  // namespace journeyd::delivery
