#include "engine/journey/journey_definition.h"

#include "engine/mapping/expression_parser.h"

namespace journeyd::journey {

namespace {

using config::DiagnosticKind;
using config::SourceText;

constexpr std::string_view kSideStates[] = {"at_risk", "churned"};

// Compiles an expression written in the config; null (reported) when it does not parse.
mapping::ExprPtr CompileCondition(const SourceText& text, config::Diagnostics& diag, bool& ok) {
  if (text.empty()) return nullptr;
  mapping::CompileEnv env;
  mapping::ParseResult parsed = mapping::ParseExpression(text.text, env);
  if (parsed.error) {
    config::Position at = text.at;
    at.column += parsed.error->offset + (text.quoted ? 1 : 0);
    diag.Error(at, DiagnosticKind::kInvalidValue, parsed.error->message, parsed.error->hint);
    ok = false;
    return nullptr;
  }
  return std::move(parsed.expression);
}

std::string Listed(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The settings that shape a journey state, as text, hashed (FNV-1a: stable across builds).
std::string FingerprintOf(const config::JourneySettings& s) {
  std::string text;
  const auto add = [&](const auto& value) {
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<T, std::string>) {
      text += value;
    } else if constexpr (std::is_same_v<T, config::SourceText>) {
      text += value.text;
    } else if constexpr (std::is_same_v<T, Duration>) {
      text += std::to_string(value.count());
    } else {
      text += std::to_string(value);
    }
    text += '\x1f';
  };
  for (const auto& stage : s.stages) add(stage);
  for (const auto& r : s.rules) {
    add(r.stage);
    for (const auto& t : r.types) add(t);
    add(r.when);
    add(r.min_count);
    add(r.count_window);
    add(r.after_stage);
    add(r.within);
    text += '\x1e';
  }
  for (const auto& t : s.purchase_types) add(t);
  add(s.inactivity.enabled ? 1 : 0);
  add(s.inactivity.from_stage);
  add(s.inactivity.at_risk);
  add(s.inactivity.churned);
  add(s.engagement.half_life);
  for (const auto& [type, points] : s.engagement.points) {
    add(type);
    add(points);
  }
  add(s.engagement.default_points);
  const config::HealthSettings& h = s.health;
  for (double w : {h.weights.recency, h.weights.frequency, h.weights.tickets, h.weights.satisfaction,
                   h.open_ticket_penalty}) {
    add(w);
  }
  add(h.recency_half_life);
  add(h.frequency_window);
  add(h.frequency_target);
  for (const auto& t : h.ticket_opened) add(t);
  text += '\x1e';
  for (const auto& t : h.ticket_solved) add(t);
  for (const auto* e : {&s.satisfaction.csat_when, &s.satisfaction.csat_good,
                        &s.satisfaction.nps_when, &s.satisfaction.nps_score}) {
    add(*e);
  }
  for (const auto& t : s.thresholds) {
    add(t.name);
    add(static_cast<int>(t.score));
    add(t.above.value_or(0));
    add(t.below.value_or(0));
    add(t.above.has_value() ? 1 : 0);
  }
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(hash));
  return out;
}

}  // namespace

int JourneyDefinition::StageIndex(std::string_view name) const {
  for (size_t i = 0; i < stages_.size(); ++i) {
    if (stages_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

double JourneyDefinition::Points(std::string_view type) const {
  const auto& points = settings_.engagement.points;
  if (auto it = points.find(std::string(type)); it != points.end()) return it->second;
  return settings_.engagement.default_points;
}

std::shared_ptr<const JourneyDefinition> JourneyDefinition::Compile(
    const config::JourneySettings& settings, const std::vector<std::string>& target_names,
    config::Diagnostics& diag) {
  auto def = std::make_shared<JourneyDefinition>();
  def->settings_ = settings;
  def->stages_ = settings.stages;
  bool ok = true;

  const auto stage_of = [&](const SourceText& name, const char* key) -> int {
    const int index = def->StageIndex(name.text);
    if (index < 0) {
      diag.Error(name.at, DiagnosticKind::kInvalidValue,
                 std::string(key) + " '" + name.text + "' is not a stage (stages: " +
                     Listed(def->stages_) + ")");
      ok = false;
    }
    return index;
  };

  for (const config::StageRule& rule : settings.rules) {
    CompiledStageRule compiled;
    compiled.stage = stage_of(rule.stage, "stage");
    compiled.types.insert(rule.types.begin(), rule.types.end());
    compiled.when = CompileCondition(rule.when, diag, ok);
    compiled.min_count = rule.min_count;
    compiled.count_window = rule.count_window;
    if (!rule.after_stage.empty()) {
      compiled.after_stage = stage_of(rule.after_stage, "after_stage");
      if (compiled.after_stage >= 0 && compiled.stage >= 0 &&
          compiled.after_stage >= compiled.stage) {
        diag.Error(rule.after_stage.at, DiagnosticKind::kInvalidValue,
                   "after_stage '" + rule.after_stage.text + "' must come before stage '" +
                       rule.stage.text + "': a profile only moves forward");
        ok = false;
      }
    }
    compiled.within = rule.within;
    def->rules_.push_back(std::move(compiled));
  }

  if (settings.inactivity.enabled) {
    def->inactivity_from_stage_ = stage_of(settings.inactivity.from_stage, "from_stage");
  }

  std::set<std::string, std::less<>> states(def->stages_.begin(), def->stages_.end());
  states.insert(std::begin(kSideStates), std::end(kSideStates));
  for (const config::ScoreThreshold& t : settings.thresholds) {
    if (states.count(t.name.text) > 0) {
      diag.Error(t.name.at, DiagnosticKind::kDuplicateName,
                 "threshold '" + t.name.text + "' has the name of a stage or side state");
      ok = false;
    }
    def->thresholds_.push_back({t.name.text, t.score, t.above.has_value(),
                                t.above ? *t.above : t.below.value_or(0)});
  }
  for (const auto& t : def->thresholds_) states.insert(t.name);

  for (const config::DedupeRule& r : settings.dedupe) {
    CompiledDedupeRule compiled{r.name, {r.types.begin(), r.types.end()}, r.same, r.window,
                                r.across_sources_only};
    def->dedupe_.push_back(std::move(compiled));
  }

  std::vector<std::string> state_names(states.begin(), states.end());
  for (const config::JourneyAction& a : settings.actions) {
    CompiledAction compiled;
    compiled.name = a.name;
    compiled.on_enter = !a.on_enter.empty();
    const SourceText& state = compiled.on_enter ? a.on_enter : a.on_exit;
    compiled.state = state.text;
    if (states.count(state.text) == 0) {
      diag.Error(state.at, DiagnosticKind::kInvalidValue,
                 "'" + state.text + "' is not a stage, side state or threshold (" +
                     Listed(state_names) + ")");
      ok = false;
    }
    compiled.target = a.target.text;
    if (std::find(target_names.begin(), target_names.end(), a.target.text) ==
        target_names.end()) {
      diag.Error(a.target.at, DiagnosticKind::kInvalidValue,
                 "target '" + a.target.text + "' is not configured (targets: " +
                     Listed(target_names) + ")");
      ok = false;
    }
    compiled.set_properties.assign(a.set_properties.begin(), a.set_properties.end());
    compiled.task = a.create_task;
    if (a.create_task) {
      for (const config::OwnerRule& rule : a.create_task->owner_rules) {
        compiled.owner_rules.push_back({CompileCondition(rule.when, diag, ok), rule.owner});
      }
    }
    compiled.post_event = a.post_event;
    def->actions_.push_back(std::move(compiled));
  }

  def->purchase_types_.insert(settings.purchase_types.begin(), settings.purchase_types.end());
  def->ticket_opened_.insert(settings.health.ticket_opened.begin(),
                             settings.health.ticket_opened.end());
  def->ticket_solved_.insert(settings.health.ticket_solved.begin(),
                             settings.health.ticket_solved.end());
  def->csat_when_ = CompileCondition(settings.satisfaction.csat_when, diag, ok);
  def->csat_good_ = CompileCondition(settings.satisfaction.csat_good, diag, ok);
  def->nps_when_ = CompileCondition(settings.satisfaction.nps_when, diag, ok);
  def->nps_score_ = CompileCondition(settings.satisfaction.nps_score, diag, ok);

  if (!ok) return nullptr;
  def->fingerprint_ = FingerprintOf(settings);
  return def;
}

}  // namespace journeyd::journey
