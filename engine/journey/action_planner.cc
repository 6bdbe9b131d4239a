#include "engine/journey/action_planner.h"

#include <boost/json.hpp>
#include <algorithm>
#include <cmath>

#include "engine/base/time_format.h"

namespace journeyd::journey {

namespace json = boost::json;

namespace {

std::string Rounded(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Replaces {name} placeholders from `values`; unknown ones stay as written.
std::string Render(std::string_view text, const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      const size_t close = text.find('}', i);
      if (close != std::string_view::npos) {
        const std::string_view name = text.substr(i + 1, close - i - 1);
        bool found = false;
        for (const auto& [k, v] : values) {
          if (k == name) {
            out += v;
            found = true;
            break;
          }
        }
        if (found) {
          i = close;
          continue;
        }
      }
    }
    out += text[i];
  }
  return out;
}

bool Fires(const CompiledAction& action, const Transition& t) {
  return action.on_enter ? action.state == t.to : action.state == t.from;
}

}  // namespace

ActionPlanner::ActionPlanner(const JourneyDefinition& definition, const JourneyEvaluator& evaluator)
    : def_(definition), evaluator_(evaluator) {}

void ActionPlanner::Plan(int64_t profile_id, const Transition& t, const ProfileJourney& state,
                         const json::value* touchpoint, TimePoint now,
                         std::vector<PlannedAction>& out, int64_t& too_old) const {
  const auto& actions = def_.actions();
  if (std::none_of(actions.begin(), actions.end(),
                   [&](const CompiledAction& a) { return Fires(a, t); })) {
    return;
  }
  const auto max_age = def_.settings().action_max_age;
  if (max_age.count() > 0 && now - t.at > max_age) {
    ++too_old;
    return;
  }

  const double engagement = evaluator_.Engagement(state, t.at);
  const std::optional<double> health = evaluator_.Health(state, t.at);
  const std::string stage = evaluator_.CurrentStage(state);
  json::object context;
  context["profile_id"] = profile_id;
  context["stage"] = stage;
  context["kind"] = TransitionKindName(t.kind);
  context["from"] = t.from;
  context["to"] = t.to;
  context["at"] = FormatIso8601(t.at);
  context["engagement"] = engagement;
  context["health"] = health ? json::value(*health) : json::value(nullptr);
  context["touchpoint"] = touchpoint ? *touchpoint : json::value(nullptr);
  context["first_touch"] = ToJson(state.first_touch);
  context["last_touch"] = ToJson(state.LastTouch());
  const json::value context_value(context);

  for (const CompiledAction& a : def_.actions()) {
    if (!Fires(a, t)) continue;
    const int ordinal = a.on_enter ? t.enter_ordinal : t.exit_ordinal;
    const std::vector<std::pair<std::string, std::string>> values{
        {"stage", stage},
        {"state", a.state},
        {"previous", t.from},
        {"profile_id", std::to_string(profile_id)},
        {"at", FormatIso8601(t.at)},
        {"engagement", Rounded(engagement)},
        {"health", health ? Rounded(*health) : ""}};
    PlannedAction p;
    p.key = std::to_string(profile_id) + ":" + a.name + ":" + (a.on_enter ? "enter:" : "exit:") +
            a.state + "#" + std::to_string(ordinal);
    p.profile_id = profile_id;
    p.action = a.name;
    p.target = a.target;
    p.at = t.at;
    json::object payload;
    payload["profile_id"] = profile_id;
    payload["event"] = a.on_enter ? "enter" : "exit";
    payload["state"] = a.state;
    payload["transition"] = {{"kind", TransitionKindName(t.kind)},
                             {"from", t.from},
                             {"to", t.to},
                             {"at", FormatIso8601(t.at)},
                             {"touchpoint_id", t.touchpoint_id}};
    if (!a.set_properties.empty()) {
      p.kind = "set_properties";
      json::object properties;
      for (const auto& [name, value] : a.set_properties) properties[name] = Render(value, values);
      payload["properties"] = std::move(properties);
    } else if (a.task) {
      p.kind = "create_task";
      std::string owner = a.task->owner;
      for (const CompiledOwnerRule& rule : a.owner_rules) {
        if (EvalTruthy(rule.when.get(), context_value)) {
          owner = rule.owner;
          break;
        }
      }
      payload["task"] = {{"subject", Render(a.task->subject, values)},
                         {"body", Render(a.task->body, values)},
                         {"due_at", FormatIso8601(t.at + a.task->due_in)},
                         {"owner", owner}};
    } else {
      p.kind = "post_event";
      payload["stage"] = stage;
      payload["engagement"] = engagement;
      payload["health"] = health ? json::value(*health) : json::value(nullptr);
      payload["first_touch"] = ToJson(state.first_touch);
      payload["last_touch"] = ToJson(state.LastTouch());
    }
    p.payload = json::serialize(payload);
    out.push_back(std::move(p));
  }
}

}  // namespace journeyd::journey
