// The `journey:` section as typed structs: the stages, the rules that move a profile between them,
// inactivity side states, scores and their thresholds, touchpoint de-duplication and the actions
// a transition triggers. Expressions and the names of stages and targets are kept as SourceText
// so that journey::JourneyDefinition, which compiles them, reports errors at file:line:col.
// docs/journey.md explains every key with examples.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/config/spec.h"
#include "engine/config/value_types.h"

namespace journeyd::config {

// A touchpoint matching this moves the profile forward to `stage` (never back).
struct StageRule {
  SourceText stage{};
  std::vector<std::string> types{};  // touchpoint types; empty: any
  SourceText when{};                 // an expression over the touchpoint (docs/journey.md)
  // The profile must have had this many matching touchpoints (this one included), within
  // `count_window` when that is set.
  int min_count = 1;
  Duration count_window{0};
  // Only while the profile is within `within` of entering `after_stage` (e.g. a ticket in the
  // 30 days after the first purchase is onboarding).
  SourceText after_stage{};
  Duration within{0};
  static const StructSpec<StageRule>& Spec();
  friend bool operator==(const StageRule&, const StageRule&) = default;
};

// Side states a profile enters without activity and leaves on its next touchpoint.
struct InactivitySettings {
  bool enabled = true;
  SourceText from_stage{"awareness"};  // profiles at or past this stage
  Duration at_risk{std::chrono::hours(24 * 60)};
  Duration churned{std::chrono::hours(24 * 180)};
  Duration check_every{std::chrono::hours(1)};
  static const StructSpec<InactivitySettings>& Spec();
  friend bool operator==(const InactivitySettings&, const InactivitySettings&) = default;
};

struct EngagementSettings {
  Duration half_life{std::chrono::hours(24 * 30)};
  // Points per touchpoint type; types not listed score `default_points`.
  std::map<std::string, double> points{
      {"page_viewed", 1},      {"screen_viewed", 1},   {"tracked", 2},
      {"email_subscribed", 5}, {"checkout_started", 10}, {"customer_created", 3},
      {"order_placed", 20},    {"pos_sale", 20},         {"satisfaction_rated", 5},
      {"ticket_created", 2},   {"email_unsubscribed", -10}};
  double default_points = 0;
  static const StructSpec<EngagementSettings>& Spec();
  friend bool operator==(const EngagementSettings&, const EngagementSettings&) = default;
};

struct HealthWeights {
  double recency = 0.35, frequency = 0.25, tickets = 0.2, satisfaction = 0.2;
  static const StructSpec<HealthWeights>& Spec();
  friend bool operator==(const HealthWeights&, const HealthWeights&) = default;
};

struct HealthSettings {
  HealthWeights weights;
  Duration recency_half_life{std::chrono::hours(24 * 30)};
  Duration frequency_window{std::chrono::hours(24 * 90)};
  int frequency_target = 10;  // touchpoints in the window that count as fully active
  double open_ticket_penalty = 25;
  std::vector<std::string> ticket_opened{"ticket_created"};
  std::vector<std::string> ticket_solved{"ticket_solved"};
  static const StructSpec<HealthSettings>& Spec();
  friend bool operator==(const HealthSettings&, const HealthSettings&) = default;
};

// How satisfaction is read off touchpoints: CSAT (good or not) and NPS (0-10).
struct SatisfactionSettings {
  SourceText csat_when{"type == \"satisfaction_rated\""};
  SourceText csat_good{"lower(attributes.rating) == \"good\""};
  SourceText nps_when{"type == \"tracked\" and lower(attributes.event) == \"nps submitted\""};
  SourceText nps_score{"number(attributes.properties.score)"};
  static const StructSpec<SatisfactionSettings>& Spec();
  friend bool operator==(const SatisfactionSettings&, const SatisfactionSettings&) = default;
};

enum class ScoreKind { kEngagement, kHealth };

template <>
struct EnumNames<ScoreKind> {
  static constexpr std::array<std::pair<std::string_view, ScoreKind>, 2> kValues{
      {{"engagement", ScoreKind::kEngagement}, {"health", ScoreKind::kHealth}}};
};

// A named condition on a score; entering and leaving it are transitions like a stage's.
struct ScoreThreshold {
  SourceText name{};
  ScoreKind score = ScoreKind::kEngagement;
  std::optional<double> above, below;  // exactly one
  static const StructSpec<ScoreThreshold>& Spec();
  friend bool operator==(const ScoreThreshold&, const ScoreThreshold&) = default;
};

// Two touchpoints that agree on every `same` field (and occurred within `window`) are one
// real-world event seen twice: the later one becomes a reference on the first.
struct DedupeRule {
  std::string name{};
  std::vector<std::string> types{};  // touchpoint types it may merge; empty: any
  // profile, value, currency, reference, channel, type or attributes.<name>.
  std::vector<std::string> same{};
  Duration window{0};  // 0: any distance in time
  bool across_sources_only = true;
  static const StructSpec<DedupeRule>& Spec();
  friend bool operator==(const DedupeRule&, const DedupeRule&) = default;
};

struct OwnerRule {
  SourceText when;  // over the transition's context (docs/journey.md)
  std::string owner;
  static const StructSpec<OwnerRule>& Spec();
  friend bool operator==(const OwnerRule&, const OwnerRule&) = default;
};

struct TaskSpec {
  std::string subject;
  std::string body;
  Duration due_in{std::chrono::hours(24 * 2)};
  std::string owner;  // the default owner
  std::vector<OwnerRule> owner_rules;
  static const StructSpec<TaskSpec>& Spec();
  friend bool operator==(const TaskSpec&, const TaskSpec&) = default;
};

// What a transition makes a target do: set CRM properties, create a task, or post the event.
struct JourneyAction {
  std::string name;
  SourceText on_enter, on_exit;  // a stage, at_risk, churned or a threshold name; exactly one
  SourceText target;
  std::map<std::string, std::string> set_properties;  // values may use {stage}, {previous}...
  std::optional<TaskSpec> create_task;
  bool post_event = false;
  static const StructSpec<JourneyAction>& Spec();
  friend bool operator==(const JourneyAction&, const JourneyAction&) = default;
};

struct JourneySettings {
  std::vector<std::string> stages{"awareness", "consideration", "decision", "purchase",
                                  "onboarding", "retention",    "advocacy"};
  std::vector<StageRule> rules = DefaultStageRules();
  // The touchpoints that are purchases: revenue, repeat purchases and customer value.
  std::vector<std::string> purchase_types{"order_placed", "pos_sale", "invoice_paid",
                                          "payment_succeeded"};
  InactivitySettings inactivity;
  EngagementSettings engagement;
  HealthSettings health;
  SatisfactionSettings satisfaction;
  std::vector<ScoreThreshold> thresholds{
      {.name = {"engaged"}, .score = ScoreKind::kEngagement, .above = 50, .below = {}},
      {.name = {"unhealthy"}, .score = ScoreKind::kHealth, .above = {}, .below = 30}};
  std::vector<DedupeRule> dedupe = DefaultDedupeRules();
  std::vector<JourneyAction> actions;
  // Transitions older than this (a backfill, an import of last year's orders) trigger no action:
  // the CRM hears of the profile's state, but nobody gets a task about a purchase long past.
  Duration action_max_age{std::chrono::hours(24 * 7)};

  static std::vector<StageRule> DefaultStageRules();
  static std::vector<DedupeRule> DefaultDedupeRules();
  static const StructSpec<JourneySettings>& Spec();
  friend bool operator==(const JourneySettings&, const JourneySettings&) = default;
};

}  // namespace journeyd::config
