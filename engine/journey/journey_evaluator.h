// JourneyEvaluator moves one profile's journey forward: a touchpoint at a time (in the order they
// occurred) and with the passing of time (inactivity, score decay). It is a pure function of the
// definition, the state and its inputs, so replaying a profile's touchpoints from an empty state
// yields the same stages, scores and transitions as applying them one by one as they arrived;
// that is what lets the journey stage recompute a profile after a merge or a late event.
#pragma once

#include <optional>
#include <vector>

#include "engine/journey/journey_definition.h"
#include "engine/journey/journey_state.h"

namespace journeyd::journey {

class JourneyEvaluator {
 public:
  explicit JourneyEvaluator(const JourneyDefinition& definition);

  ProfileJourney Empty() const;
  // Advances time to the touchpoint's, then applies it. REQUIRES: it did not occur before the
  // latest touchpoint applied (replay the profile instead).
  void Apply(ProfileJourney& state, const JourneyTouchpoint& touchpoint,
             std::vector<Transition>& out) const;
  // What the passing of time alone changes up to `to`: at_risk, churned, score thresholds.
  void Advance(ProfileJourney& state, TimePoint to, std::vector<Transition>& out) const;

  double Engagement(const ProfileJourney& state, TimePoint at) const;
  // 0 to 100; nullopt before any activity.
  std::optional<double> Health(const ProfileJourney& state, TimePoint at) const;
  // The earliest time after `from` at which Advance would change something, if any: the
  // journey stage looks at the profile again then.
  std::optional<TimePoint> NextChange(const ProfileJourney& state, TimePoint from) const;
  // The stage shown for the profile: its side state if any, else its stage ("" before any).
  std::string CurrentStage(const ProfileJourney& state) const;

 private:
  struct Pending {
    TimePoint at;
    Transition transition;
  };
  void Emit(ProfileJourney& state, Transition t, std::vector<Transition>& out) const;
  // Threshold changes between state.scores_at and `to`, at the moment each score crossed.
  void CrossThresholds(ProfileJourney& state, TimePoint to, int64_t touchpoint_id,
                       std::vector<Pending>& pending) const;
  double Score(const ProfileJourney& state, config::ScoreKind kind, TimePoint at) const;
  std::optional<TimePoint> CrossingTime(const ProfileJourney& state, const CompiledThreshold& t,
                                        TimePoint from, TimePoint to) const;
  bool Matches(const CompiledStageRule& rule, const JourneyTouchpoint& tp,
               const boost::json::value& view) const;

  const JourneyDefinition& def_;
};

}  // namespace journeyd::journey
