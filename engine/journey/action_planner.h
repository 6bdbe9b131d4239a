// ActionPlanner turns a journey transition into the actions configured for it (set CRM
// properties, create a task, post the event), each with an idempotency key made of the profile,
// the action and the transition's ordinal: however often a profile's journey is recomputed, a
// transition yields the same keys, and the store keeps one action per key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/journey/journey_evaluator.h"

namespace journeyd::journey {

struct PlannedAction {
  std::string key;  // "<profile>:<action>:enter:<state>#<n>"
  int64_t profile_id = 0;
  std::string action, target;
  std::string kind;     // set_properties | create_task | post_event
  std::string payload;  // JSON, what the target needs (docs/journey.md)
  TimePoint at;         // the transition's time
};

class ActionPlanner {
 public:
  ActionPlanner(const JourneyDefinition& definition, const JourneyEvaluator& evaluator);

  // Appends the actions `transition` triggers for the profile, given its state just after it.
  // Transitions older than action_max_age at `now` trigger nothing; how many were skipped so is
  // added to `too_old`.
  void Plan(int64_t profile_id, const Transition& transition, const ProfileJourney& state,
            const boost::json::value* touchpoint, TimePoint now, std::vector<PlannedAction>& out,
            int64_t& too_old) const;

 private:
  const JourneyDefinition& def_;
  const JourneyEvaluator& evaluator_;
};

}  // namespace journeyd::journey
