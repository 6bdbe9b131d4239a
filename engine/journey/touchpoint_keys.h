// The keys that keep a touchpoint single. Its idempotency key (source, type, reference) makes a
// webhook redelivery, an overlapping poll or a replay land on the touchpoint it already made;
// a de-duplication rule's match key (the fields the rule says must agree) finds the touchpoint
// another system already reported for the same real-world event.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/journey/journey_definition.h"
#include "engine/journey/journey_state.h"

namespace journeyd::journey {

// "source|type|reference". A touchpoint without a reference is keyed by the event it came from
// (its external id, else its record) and its position in that event.
std::string IdempotencyKey(const JourneyTouchpoint& tp, std::string_view external_id,
                           size_t index);

// The rule's match key for the touchpoint on `profile_id`, or nullopt when the rule does not
// apply (another type, or a field it compares is empty).
std::optional<std::string> MatchKey(const CompiledDedupeRule& rule, const JourneyTouchpoint& tp,
                                    int64_t profile_id);

// "source|type": what a touchpoint, or a duplicate merged into it, stands for in SameEvent.
std::string MemberOf(const JourneyTouchpoint& tp);

// Whether a touchpoint that holds the same match key (occurred at `candidate_at`, standing for
// `members`, "source|type" each) is the same event as `tp` under `rule`.
bool SameEvent(const CompiledDedupeRule& rule, const JourneyTouchpoint& tp, TimePoint candidate_at,
               const std::vector<std::string>& members);

}  // namespace journeyd::journey
