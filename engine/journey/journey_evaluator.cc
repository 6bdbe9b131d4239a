#include "engine/journey/journey_evaluator.h"

#include <algorithm>
#include <cmath>

namespace journeyd::journey {

namespace {

using std::chrono::duration_cast;
using Ms = std::chrono::milliseconds;

constexpr auto kHorizon = std::chrono::hours(24 * 366);  // how far NextChange looks ahead

double HalfLives(TimePoint from, TimePoint to, Duration half_life) {
  if (to <= from || half_life.count() <= 0) return 0;
  return static_cast<double>(duration_cast<Ms>(to - from).count()) /
         static_cast<double>(half_life.count());
}

Attribution AttributionOf(const JourneyTouchpoint& tp) {
  return {tp.source, tp.touchpoint.channel, tp.touchpoint.type, tp.touchpoint.campaign,
          tp.touchpoint.occurred_at};
}

}  // namespace

JourneyEvaluator::JourneyEvaluator(const JourneyDefinition& definition) : def_(definition) {}

ProfileJourney JourneyEvaluator::Empty() const {
  ProfileJourney s;
  s.entered_at.resize(def_.stages().size());
  s.rules.resize(def_.rules().size());
  return s;
}

std::string JourneyEvaluator::CurrentStage(const ProfileJourney& s) const {
  if (!s.side.empty()) return s.side;
  if (s.stage < 0 || s.stage >= static_cast<int>(def_.stages().size())) return "";
  return def_.stages()[static_cast<size_t>(s.stage)];
}

double JourneyEvaluator::Engagement(const ProfileJourney& s, TimePoint at) const {
  return s.engagement *
         std::exp2(-HalfLives(s.engagement_at, at, def_.settings().engagement.half_life));
}

std::optional<double> JourneyEvaluator::Health(const ProfileJourney& s, TimePoint at) const {
  if (!s.last_activity) return std::nullopt;
  const config::HealthSettings& h = def_.settings().health;
  double sum = 0, weights = 0;
  const auto add = [&](double weight, double part) {
    sum += weight * part;
    weights += weight;
  };
  add(h.weights.recency, 100 * std::exp2(-HalfLives(*s.last_activity, at, h.recency_half_life)));
  int64_t in_window = 0;
  for (TimePoint t : s.recent) {
    if (t <= at && at - t < h.frequency_window) ++in_window;
  }
  add(h.weights.frequency,
      100 * std::min(1.0, static_cast<double>(in_window) / h.frequency_target));
  add(h.weights.tickets,
      std::max(0.0, 100 - h.open_ticket_penalty * static_cast<double>(s.open_tickets.size())));
  if (s.satisfaction) add(h.weights.satisfaction, *s.satisfaction);
  if (weights <= 0) return std::nullopt;
  return sum / weights;
}

double JourneyEvaluator::Score(const ProfileJourney& s, config::ScoreKind kind,
                               TimePoint at) const {
  if (kind == config::ScoreKind::kEngagement) return Engagement(s, at);
  // Before any activity there is no health: hold no health threshold.
  return Health(s, at).value_or(std::numeric_limits<double>::quiet_NaN());
}

std::optional<TimePoint> JourneyEvaluator::CrossingTime(const ProfileJourney& s,
                                                        const CompiledThreshold& t,
                                                        TimePoint from, TimePoint to) const {
  // Between touchpoints both scores only move one way (engagement decays towards 0; health only
  // falls: recency fades, touchpoints leave the window), so whether a threshold holds changes at
  // most once: bisect for the moment, to the second.
  const auto holds = [&](TimePoint at) {
    const double v = Score(s, t.score, at);
    return !std::isnan(v) && t.Holds(v);
  };
  const bool at_from = holds(from);
  if (holds(to) == at_from) return std::nullopt;
  TimePoint lo = from, hi = to;
  while (hi - lo > std::chrono::seconds(1)) {
    const TimePoint mid = lo + (hi - lo) / 2;
    if (holds(mid) == at_from) lo = mid; else hi = mid;
  }
  return std::chrono::time_point_cast<std::chrono::seconds>(hi + std::chrono::milliseconds(999));
}

void JourneyEvaluator::Emit(ProfileJourney& s, Transition t, std::vector<Transition>& out) const {
  if (!t.to.empty()) t.enter_ordinal = ++s.ordinals["enter:" + t.to];
  if (!t.from.empty()) t.exit_ordinal = ++s.ordinals["exit:" + t.from];
  out.push_back(std::move(t));
}

void JourneyEvaluator::CrossThresholds(ProfileJourney& s, TimePoint to, int64_t touchpoint_id,
                                       std::vector<Pending>& pending) const {
  for (const CompiledThreshold& t : def_.thresholds()) {
    const bool held = s.thresholds.count(t.name) > 0;
    const double score = Score(s, t.score, to);
    const bool holds = !std::isnan(score) && t.Holds(score);
    if (held == holds) continue;
    TimePoint at = to;
    if (touchpoint_id == 0) {
      at = CrossingTime(s, t, s.scores_at, to).value_or(to);
      at = std::min(at, to);
    }
    Transition tr{TransitionKind::kThreshold, held ? t.name : "", held ? "" : t.name, at,
                  touchpoint_id, 0, 0};
    pending.push_back({at, std::move(tr)});
  }
}

void JourneyEvaluator::Advance(ProfileJourney& s, TimePoint to, std::vector<Transition>& out) const {
  if (!s.last_activity || to <= s.scores_at) return;
  std::vector<Pending> pending;
  const config::InactivitySettings& inactivity = def_.settings().inactivity;
  if (inactivity.enabled && s.stage >= def_.inactivity_from_stage() && s.stage >= 0) {
    const TimePoint risk = *s.last_activity + inactivity.at_risk;
    const TimePoint churn = *s.last_activity + inactivity.churned;
    std::string side = s.side;
    if (side.empty() && risk <= to) {
      pending.push_back({risk, {TransitionKind::kSide, "", "at_risk", risk, 0, 0, 0}});
      side = "at_risk";
    }
    if (side == "at_risk" && churn <= to) {
      pending.push_back({churn, {TransitionKind::kSide, "at_risk", "churned", churn, 0, 0, 0}});
    }
  }
  CrossThresholds(s, to, 0, pending);
  std::stable_sort(pending.begin(), pending.end(),
                   [](const Pending& a, const Pending& b) { return a.at < b.at; });
  for (Pending& p : pending) {
    const Transition& t = p.transition;
    if (t.kind == TransitionKind::kSide) s.side = t.to;
    if (t.kind == TransitionKind::kThreshold) {
      if (t.to.empty()) s.thresholds.erase(t.from); else s.thresholds.insert(t.to);
    }
    Emit(s, std::move(p.transition), out);
  }
  s.scores_at = to;
}

bool JourneyEvaluator::Matches(const CompiledStageRule& rule, const JourneyTouchpoint& tp,
                               const boost::json::value& view) const {
  if (!rule.types.empty() && rule.types.count(tp.touchpoint.type) == 0) return false;
  return !rule.when || EvalTruthy(rule.when.get(), view);
}

void JourneyEvaluator::Apply(ProfileJourney& s, const JourneyTouchpoint& tp,
                             std::vector<Transition>& out) const {
  const Touchpoint& t = tp.touchpoint;
  const TimePoint at = t.occurred_at;
  Advance(s, at, out);
  if (!s.side.empty()) {
    Emit(s, {TransitionKind::kSide, s.side, "", at, tp.id, 0, 0}, out);
    s.side.clear();
  }

  // Activity, scores and attribution.
  ++s.touchpoints;
  if (!s.first_activity) s.first_activity = at;
  s.last_activity = s.last_activity ? std::max(*s.last_activity, at) : at;
  s.recent.push_back(at);
  while (static_cast<int>(s.recent.size()) > def_.settings().health.frequency_target) {
    s.recent.pop_front();
  }
  s.engagement = Engagement(s, at) + def_.Points(t.type);
  s.engagement_at = at;
  if (!t.reference.empty()) {
    if (def_.OpensTicket(t.type)) s.open_tickets.insert(t.reference);
    if (def_.SolvesTicket(t.type)) s.open_tickets.erase(t.reference);
  }
  if (def_.IsPurchase(t.type)) ++s.purchases;
  if (s.first_touch.empty()) s.first_touch = AttributionOf(tp);
  s.last_touch = AttributionOf(tp);
  if (!t.campaign.empty()) s.last_campaign_touch = AttributionOf(tp);

  const boost::json::value view = TouchpointView(tp);
  if (EvalTruthy(def_.csat_when(), view)) {
    s.satisfaction = EvalTruthy(def_.csat_good(), view) ? 100.0 : 0.0;
  } else if (EvalTruthy(def_.nps_when(), view)) {
    if (auto nps = EvalNumber(def_.nps_score(), view)) {
      s.satisfaction = std::clamp(*nps, 0.0, 10.0) * 10;
    }
  }

  // Stages: the furthest stage whose rule this touchpoint completes; never backwards.
  int target = s.stage;
  for (size_t i = 0; i < def_.rules().size(); ++i) {
    const CompiledStageRule& rule = def_.rules()[i];
    if (!Matches(rule, tp, view)) continue;
    RuleProgress& progress = s.rules[i];
    ++progress.count;
    bool satisfied = progress.count >= rule.min_count;
    if (rule.count_window.count() > 0) {
      progress.recent.push_back(at);
      while (!progress.recent.empty() && at - progress.recent.front() > rule.count_window) {
        progress.recent.pop_front();
      }
      while (static_cast<int>(progress.recent.size()) > rule.min_count) {
        progress.recent.pop_front();
      }
      satisfied = static_cast<int>(progress.recent.size()) >= rule.min_count;
    }
    if (satisfied && rule.after_stage >= 0) {
      const auto& entered = s.entered_at[static_cast<size_t>(rule.after_stage)];
      satisfied = entered && at >= *entered &&
                  (rule.within.count() == 0 || at - *entered <= rule.within);
    }
    if (satisfied) target = std::max(target, rule.stage);
  }
  if (target > s.stage) {
    const std::string from = s.stage >= 0 ? def_.stages()[static_cast<size_t>(s.stage)] : "";
    Emit(s, {TransitionKind::kStage, from, def_.stages()[static_cast<size_t>(target)], at, tp.id,
             0, 0},
         out);
    s.stage = target;
    s.entered_at[static_cast<size_t>(target)] = at;
  }

  std::vector<Pending> pending;
  CrossThresholds(s, at, tp.id, pending);
  for (Pending& p : pending) {
    const Transition& tr = p.transition;
    if (tr.to.empty()) s.thresholds.erase(tr.from); else s.thresholds.insert(tr.to);
    Emit(s, std::move(p.transition), out);
  }
  s.scores_at = at;
  s.last_applied = s.last_applied ? std::max(*s.last_applied, at) : at;
}

std::optional<TimePoint> JourneyEvaluator::NextChange(const ProfileJourney& s,
                                                      TimePoint from) const {
  if (!s.last_activity) return std::nullopt;
  std::optional<TimePoint> next;
  const auto consider = [&](TimePoint t) {
    if (t > from && (!next || t < *next)) next = t;
  };
  const config::InactivitySettings& inactivity = def_.settings().inactivity;
  if (inactivity.enabled && s.stage >= 0 && s.stage >= def_.inactivity_from_stage()) {
    if (s.side.empty()) consider(*s.last_activity + inactivity.at_risk);
    if (s.side.empty() || s.side == "at_risk") consider(*s.last_activity + inactivity.churned);
  }
  const TimePoint start = std::max(from, s.scores_at);
  for (const CompiledThreshold& t : def_.thresholds()) {
    if (auto at = CrossingTime(s, t, start, start + kHorizon)) consider(*at);
  }
  return next;
}

}  // namespace journeyd::journey
