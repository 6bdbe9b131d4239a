// What the journey knows of one profile between touchpoints (ProfileJourney), what it takes in
// (JourneyTouchpoint) and what it puts out (Transition). The state is small and bounded: it
// keeps counters and the few recent times that windowed rules need, never the touchpoints
// themselves, so a profile's journey is one row however long its history.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/mapping/expression.h"
#include "engine/record/canonical_record.h"

namespace journeyd::journey {

// One de-duplicated touchpoint on its profile.
struct JourneyTouchpoint {
  int64_t id = 0;
  int64_t record_id = 0;
  std::string source;
  Touchpoint touchpoint;
};

enum class TransitionKind { kStage, kSide, kThreshold };
std::string_view TransitionKindName(TransitionKind kind);
std::optional<TransitionKind> ParseTransitionKind(std::string_view name);

// A profile entered `to` and left `from` (either may be empty: the first stage has no `from`,
// entering a side state or a threshold leaves nothing). The ordinals count how often the profile
// has entered `to` and left `from`, this time included: with the profile and the state they make
// the idempotency key of the actions the transition triggers.
struct Transition {
  TransitionKind kind = TransitionKind::kStage;
  std::string from, to;
  TimePoint at;
  int64_t touchpoint_id = 0;  // 0 for a time-driven transition (inactivity, score decay)
  int enter_ordinal = 0, exit_ordinal = 0;
  friend bool operator==(const Transition&, const Transition&) = default;
};

struct Attribution {
  std::string source, channel, type;
  Campaign campaign;
  TimePoint at{};
  bool empty() const { return source.empty(); }
};

struct RuleProgress {
  int64_t count = 0;
  std::deque<TimePoint> recent;  // for windowed rules: the last min_count matching times
};

struct ProfileJourney {
  int stage = -1;     // index into the stages; -1 before the first touchpoint
  std::string side;   // "", "at_risk" or "churned"
  std::vector<std::optional<TimePoint>> entered_at;  // per stage, when it was entered
  std::vector<RuleProgress> rules;                   // per stage rule
  std::set<std::string> thresholds;                  // the thresholds now held
  double engagement = 0;                             // as of engagement_at
  TimePoint engagement_at{};
  std::optional<TimePoint> first_activity, last_activity;
  std::deque<TimePoint> recent;  // the latest touchpoint times (at most frequency_target)
  std::set<std::string> open_tickets;  // references
  std::optional<double> satisfaction;  // 0-100, the latest CSAT or NPS
  Attribution first_touch, last_touch, last_campaign_touch;
  int64_t touchpoints = 0, purchases = 0;
  TimePoint scores_at{};     // when thresholds were last evaluated
  std::optional<TimePoint> last_applied;  // occurred_at of the latest touchpoint applied
  std::map<std::string, int> ordinals;    // "enter:<state>" / "exit:<state>" -> count

  // The touch that gets last-touch credit: the latest with a campaign, else the latest.
  const Attribution& LastTouch() const {
    return last_campaign_touch.empty() ? last_touch : last_campaign_touch;
  }
};

boost::json::value ToJson(const ProfileJourney& state);
Result<ProfileJourney> ProfileJourneyFromJson(const boost::json::value& json);
boost::json::object ToJson(const Attribution& attribution);

// A `when:`-style expression evaluated against a view (TouchpointView, or an action's context):
// its truth, and its value as a finite number (numbers, or numeric text) when it has one.
bool EvalTruthy(const mapping::Expression* expression, const boost::json::value& view);
std::optional<double> EvalNumber(const mapping::Expression* expression,
                                 const boost::json::value& view);

// The touchpoint as `when:` expressions see it: type, channel, source, value (a number),
// currency, reference, occurred_at, campaign.{source,medium,name,term,content}, attributes.
boost::json::value TouchpointView(const JourneyTouchpoint& tp);

}  // namespace journeyd::journey
