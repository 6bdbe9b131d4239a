// JourneyDefinition is the `journey:` section compiled once at load: stage names resolved to
// indexes, `when:` expressions parsed, action targets checked against the configured targets.
// Everything the evaluator, the action planner and the KPIs need, immutable and shared.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/config/diagnostics.h"
#include "engine/config/journey_settings.h"
#include "engine/mapping/expression.h"

namespace journeyd::journey {

using Duration = std::chrono::milliseconds;

struct CompiledStageRule {
  int stage = 0;
  std::set<std::string, std::less<>> types;  // empty: any
  mapping::ExprPtr when;                     // null: always
  int min_count = 1;
  Duration count_window{0};
  int after_stage = -1;  // -1: none
  Duration within{0};
};

struct CompiledThreshold {
  std::string name;
  config::ScoreKind score = config::ScoreKind::kEngagement;
  bool above = true;  // entered when the score is above `bound`; else below
  double bound = 0;
  bool Holds(double value) const { return above ? value > bound : value < bound; }
};

struct CompiledDedupeRule {
  std::string name;
  std::set<std::string, std::less<>> types;
  std::vector<std::string> same;
  Duration window{0};
  bool across_sources_only = true;
};

struct CompiledOwnerRule {
  mapping::ExprPtr when;
  std::string owner;
};

struct CompiledAction {
  std::string name;
  bool on_enter = true;  // else on_exit
  std::string state;     // a stage, at_risk, churned or a threshold name
  std::string target;
  std::vector<std::pair<std::string, std::string>> set_properties;
  std::optional<config::TaskSpec> task;
  std::vector<CompiledOwnerRule> owner_rules;
  bool post_event = false;
};

class JourneyDefinition {
 public:
  // Reports every problem to `diag` at its position; returns null when there was one.
  static std::shared_ptr<const JourneyDefinition> Compile(
      const config::JourneySettings& settings, const std::vector<std::string>& target_names,
      config::Diagnostics& diag);

  const std::vector<std::string>& stages() const { return stages_; }
  // -1 when not a stage.
  int StageIndex(std::string_view name) const;
  const std::vector<CompiledStageRule>& rules() const { return rules_; }
  const std::vector<CompiledThreshold>& thresholds() const { return thresholds_; }
  const std::vector<CompiledDedupeRule>& dedupe() const { return dedupe_; }
  const std::vector<CompiledAction>& actions() const { return actions_; }
  const config::JourneySettings& settings() const { return settings_; }
  bool IsPurchase(std::string_view type) const { return purchase_types_.count(type) > 0; }
  bool OpensTicket(std::string_view type) const { return ticket_opened_.count(type) > 0; }
  bool SolvesTicket(std::string_view type) const { return ticket_solved_.count(type) > 0; }
  int inactivity_from_stage() const { return inactivity_from_stage_; }
  const mapping::Expression* csat_when() const { return csat_when_.get(); }
  const mapping::Expression* csat_good() const { return csat_good_.get(); }
  const mapping::Expression* nps_when() const { return nps_when_.get(); }
  const mapping::Expression* nps_score() const { return nps_score_.get(); }
  double Points(std::string_view type) const;
  // Changes whenever anything that shapes a journey state changes (stages, rules, inactivity,
  // scores, thresholds, satisfaction); not with actions or de-duplication rules, which act on
  // what comes next. A stored state made under another fingerprint is rebuilt.
  const std::string& fingerprint() const { return fingerprint_; }

 private:
  config::JourneySettings settings_;
  std::vector<std::string> stages_;
  std::vector<CompiledStageRule> rules_;
  std::vector<CompiledThreshold> thresholds_;
  std::vector<CompiledDedupeRule> dedupe_;
  std::vector<CompiledAction> actions_;
  std::set<std::string, std::less<>> purchase_types_, ticket_opened_, ticket_solved_;
  int inactivity_from_stage_ = 0;
  mapping::ExprPtr csat_when_, csat_good_, nps_when_, nps_score_;
  std::string fingerprint_;
};

using JourneyDefinitionPtr = std::shared_ptr<const JourneyDefinition>;

}  // namespace journeyd::journey
