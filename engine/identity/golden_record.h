// The golden record of a profile: survivorship (survivorship.h) over every record the profile
// holds, under the policy the config's `identity.survivorship` section describes. Computed
// when asked (explain, the profile API), from the stored records, so it is never stale after a
// merge, a split or a config change.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/identity/survivorship.h"
#include "engine/record/canonical_record.h"
#include "engine/storage/store.h"

namespace journeyd::config {
struct SurvivorshipSettings;
}

namespace journeyd::identity {

SurvivorshipPolicy MakeSurvivorshipPolicy(const config::SurvivorshipSettings& settings);

// (record id, record) pairs, in any order.
std::map<std::string, GoldenField> GoldenRecordOf(
    const std::vector<std::pair<int64_t, CanonicalRecord>>& records,
    const SurvivorshipPolicy& policy);

// The same over records as the store keeps them (canonical JSON); a record that does not parse
// contributes nothing.
std::map<std::string, GoldenField> GoldenRecordOfStored(
    const std::vector<storage::StoredRecord>& records, const SurvivorshipPolicy& policy);

}  // namespace journeyd::identity
