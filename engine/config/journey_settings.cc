#include "engine/config/journey_settings.h"

#include <cmath>

namespace journeyd::config {

namespace {

constexpr auto kDay = std::chrono::hours(24);

std::optional<std::string> NotNegative(const Duration& d) {
  if (d.count() < 0) return "must not be negative";
  return std::nullopt;
}

std::optional<std::string> PositiveDuration(const Duration& d) {
  if (d.count() <= 0) return "must be longer than 0ms";
  return std::nullopt;
}

std::optional<std::string> SnakeCaseName(const std::string& name) {
  if (name.empty()) return "must not be empty";
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return "'" + name + "' must be snake_case (a-z, 0-9, _)";
    }
  }
  return std::nullopt;
}

std::optional<std::string> Finite(const double& v) {
  if (!std::isfinite(v)) return "must be a finite number";
  return std::nullopt;
}

const std::string& NameText(const std::string& name) { return name; }
const std::string& NameText(const SourceText& name) { return name.text; }

template <class T>
std::optional<std::string> UniqueNames(const std::vector<T>& items, const char* what) {
  for (size_t i = 0; i < items.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (items[i].name == items[j].name) {
        return std::string(what) + " name '" + NameText(items[i].name) + "' is used twice";
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<StageRule> JourneySettings::DefaultStageRules() {
  const std::vector<std::string> purchases{"order_placed", "pos_sale", "invoice_paid",
                                           "payment_succeeded"};
  std::vector<StageRule> rules;
  rules.push_back({.stage = {"awareness"}});
  rules.push_back({.stage = {"consideration"},
                   .types = {"tracked", "email_clicked"},
                   .when = {"type == \"email_clicked\" or lower(attributes.event) == \"email link "
                            "clicked\" or lower(attributes.event) == \"demo requested\" or "
                            "lower(attributes.event) == \"content downloaded\""}});
  rules.push_back({.stage = {"consideration"},
                   .types = {"page_viewed"},
                   .when = {"exists(regex_extract(attributes.path, \"^/pricing\"))"},
                   .min_count = 3,
                   .count_window = 7 * kDay});
  rules.push_back({.stage = {"decision"},
                   .types = {"checkout_started", "tracked"},
                   .when = {"type == \"checkout_started\" or lower(attributes.event) == "
                            "\"checkout started\" or lower(attributes.event) == \"proposal "
                            "sent\""}});
  rules.push_back({.stage = {"purchase"}, .types = purchases});
  rules.push_back({.stage = {"onboarding"},
                   .types = {"ticket_created", "tracked"},
                   .when = {"type == \"ticket_created\" or lower(attributes.event) == "
                            "\"onboarding milestone reached\""},
                   .after_stage = {"purchase"},
                   .within = 30 * kDay});
  rules.push_back({.stage = {"retention"}, .types = purchases, .min_count = 2});
  rules.push_back({.stage = {"advocacy"},
                   .types = {"tracked"},
                   .when = {"(lower(attributes.event) == \"nps submitted\" and "
                            "number(attributes.properties.score) >= 9) or lower(attributes.event) "
                            "== \"product reviewed\" or lower(attributes.event) == \"referral "
                            "sent\""}});
  return rules;
}

std::vector<DedupeRule> JourneySettings::DefaultDedupeRules() {
  // A shop order and the card payment for it (Shopify and Stripe, or Stripe Checkout and its
  // charge) are one purchase: same person, same amount, minutes apart.
  return {{.name = "order_and_payment",
           .types = {"order_placed", "payment_succeeded", "invoice_paid", "pos_sale"},
           .same = {"profile", "value", "currency"},
           .window = std::chrono::hours(1),
           .across_sources_only = false}};
}

const StructSpec<StageRule>& StageRule::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<StageRule>();
    s->Required("stage", &StageRule::stage, "The stage a matching touchpoint moves the profile to.")
        .Optional("types", &StageRule::types, "Touchpoint types that match; empty: any.")
        .Optional("when", &StageRule::when,
                  "An expression over the touchpoint that must be true (docs/journey.md).")
        .Optional("min_count", &StageRule::min_count,
                  "Matching touchpoints needed, this one included (3: the third).",
                  [](const int& n) -> std::optional<std::string> {
                    if (n < 1) return "must be at least 1";
                    if (n > 1000) return "must be at most 1000";
                    return std::nullopt;
                  })
        .Optional("count_window", &StageRule::count_window,
                  "With min_count: the touchpoints must fall within this span; 0: ever.",
                  NotNegative)
        .Optional("after_stage", &StageRule::after_stage,
                  "Only while the profile is within `within` of entering this stage.")
        .Optional("within", &StageRule::within, "With after_stage: how long after; 0: any time.",
                  NotNegative)
        .Validate([](const StageRule& r) -> std::optional<std::string> {
          if (r.count_window.count() > 0 && r.min_count < 2) {
            return "count_window needs min_count of 2 or more";
          }
          if (r.within.count() > 0 && r.after_stage.empty()) return "within needs after_stage";
          return std::nullopt;
        });
    return s;
  }();
  return *spec;
}

const StructSpec<InactivitySettings>& InactivitySettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<InactivitySettings>();
    s->Optional("enabled", &InactivitySettings::enabled, "Track at_risk and churned.")
        .Optional("from_stage", &InactivitySettings::from_stage,
                  "Only profiles at or past this stage become at_risk or churned.")
        .Optional("at_risk", &InactivitySettings::at_risk,
                  "Inactivity after which a profile is at_risk.", PositiveDuration)
        .Optional("churned", &InactivitySettings::churned,
                  "Inactivity after which a profile is churned.", PositiveDuration)
        .Optional("check_every", &InactivitySettings::check_every,
                  "How often the daemon looks for inactive profiles.", PositiveDuration)
        .Validate([](const InactivitySettings& i) -> std::optional<std::string> {
          if (i.churned <= i.at_risk) return "churned must be longer than at_risk";
          return std::nullopt;
        });
    return s;
  }();
  return *spec;
}

const StructSpec<EngagementSettings>& EngagementSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<EngagementSettings>();
    s->Optional("half_life", &EngagementSettings::half_life,
                "Points lose half their weight in this time.", PositiveDuration)
        .Optional("points", &EngagementSettings::points, "Points per touchpoint type.",
                  [](const std::map<std::string, double>& by_type) -> std::optional<std::string> {
                    for (const auto& [type, p] : by_type) {
                      if (!std::isfinite(p)) return "points of '" + type + "' must be finite";
                    }
                    return std::nullopt;
                  })
        .Optional("default_points", &EngagementSettings::default_points,
                  "Points of a type not listed.", Finite);
    return s;
  }();
  return *spec;
}

const StructSpec<HealthWeights>& HealthWeights::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<HealthWeights>();
    const auto weight = [](const double& w) -> std::optional<std::string> {
      if (!(w >= 0 && w <= 1)) return "must be between 0 and 1";
      return std::nullopt;
    };
    s->Optional("recency", &HealthWeights::recency, "Weight of recency.", weight)
        .Optional("frequency", &HealthWeights::frequency, "Weight of frequency.", weight)
        .Optional("tickets", &HealthWeights::tickets, "Weight of open support tickets.", weight)
        .Optional("satisfaction", &HealthWeights::satisfaction, "Weight of CSAT/NPS.", weight)
        .Validate([](const HealthWeights& w) -> std::optional<std::string> {
          if (w.recency + w.frequency + w.tickets + w.satisfaction <= 0) {
            return "at least one weight must be above 0";
          }
          return std::nullopt;
        });
    return s;
  }();
  return *spec;
}

const StructSpec<HealthSettings>& HealthSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<HealthSettings>();
    s->Optional("weights", &HealthSettings::weights,
                "How much each part counts (normalised to sum to 1).")
        .Optional("recency_half_life", &HealthSettings::recency_half_life,
                  "Recency is 100 on the day of activity and halves every this long.",
                  PositiveDuration)
        .Optional("frequency_window", &HealthSettings::frequency_window,
                  "Frequency counts touchpoints in this trailing window.", PositiveDuration)
        .Optional("frequency_target", &HealthSettings::frequency_target,
                  "Touchpoints in the window that make frequency 100.",
                  [](const int& n) -> std::optional<std::string> {
                    if (n < 1 || n > 1000) return "must be between 1 and 1000";
                    return std::nullopt;
                  })
        .Optional("open_ticket_penalty", &HealthSettings::open_ticket_penalty,
                  "Points the ticket part loses per open ticket (from 100).",
                  [](const double& p) -> std::optional<std::string> {
                    if (!(p >= 0 && p <= 100)) return "must be between 0 and 100";
                    return std::nullopt;
                  })
        .Optional("ticket_opened", &HealthSettings::ticket_opened,
                  "Touchpoint types that open a ticket (keyed by reference).")
        .Optional("ticket_solved", &HealthSettings::ticket_solved,
                  "Touchpoint types that solve the ticket with the same reference.");
    return s;
  }();
  return *spec;
}

const StructSpec<SatisfactionSettings>& SatisfactionSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<SatisfactionSettings>();
    s->Optional("csat_when", &SatisfactionSettings::csat_when,
                "An expression: the touchpoint is a CSAT rating.")
        .Optional("csat_good", &SatisfactionSettings::csat_good,
                  "An expression: the rating is good (satisfied).")
        .Optional("nps_when", &SatisfactionSettings::nps_when,
                  "An expression: the touchpoint is an NPS answer.")
        .Optional("nps_score", &SatisfactionSettings::nps_score,
                  "An expression: the NPS score, 0 to 10.");
    return s;
  }();
  return *spec;
}

const StructSpec<ScoreThreshold>& ScoreThreshold::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<ScoreThreshold>();
    s->Required("name", &ScoreThreshold::name,
                "A name actions use in on_enter/on_exit (unique among stages and thresholds).",
                [](const SourceText& value) { return SnakeCaseName(value.text); })
        .Optional("score", &ScoreThreshold::score, "engagement or health.")
        .Optional("above", &ScoreThreshold::above, "Entered when the score rises above this.")
        .Optional("below", &ScoreThreshold::below, "Entered when the score falls below this.")
        .Validate([](const ScoreThreshold& t) -> std::optional<std::string> {
          if (t.above.has_value() == t.below.has_value()) return "needs exactly one of above, below";
          const double v = t.above ? *t.above : *t.below;
          if (!std::isfinite(v)) return "the bound must be finite";
          return std::nullopt;
        });
    return s;
  }();
  return *spec;
}

const StructSpec<DedupeRule>& DedupeRule::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<DedupeRule>();
    s->Required("name", &DedupeRule::name, "A unique name; merged touchpoints record it.",
                SnakeCaseName)
        .Optional("types", &DedupeRule::types, "Touchpoint types it may merge; empty: any.")
        .Required("same", &DedupeRule::same,
                  "Fields that must agree: profile, value, currency, reference, channel, type "
                  "or attributes.<name>.",
                  [](const std::vector<std::string>& fields) -> std::optional<std::string> {
                    if (fields.empty()) return "needs at least one field";
                    for (const auto& f : fields) {
                      if (f == "profile" || f == "value" || f == "currency" || f == "reference" ||
                          f == "channel" || f == "type") {
                        continue;
                      }
                      if (f.starts_with("attributes.") && f.size() > 11) continue;
                      return "unknown field '" + f +
                             "' (profile, value, currency, reference, channel, type, "
                             "attributes.<name>)";
                    }
                    return std::nullopt;
                  })
        .Optional("window", &DedupeRule::window,
                  "The two must occur within this time of each other; 0: any.", NotNegative)
        .Optional("across_sources_only", &DedupeRule::across_sources_only,
                  "Merge only touchpoints from different sources.");
    return s;
  }();
  return *spec;
}

const StructSpec<OwnerRule>& OwnerRule::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<OwnerRule>();
    s->Required("when", &OwnerRule::when, "An expression over the transition's context.")
        .Required("owner", &OwnerRule::owner, "The owner when it is true.");
    return s;
  }();
  return *spec;
}

const StructSpec<TaskSpec>& TaskSpec::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<TaskSpec>();
    s->Required("subject", &TaskSpec::subject, "The task's subject; may use the placeholders of set_properties.",
                [](const std::string& v) -> std::optional<std::string> {
                  if (v.empty()) return "must not be empty";
                  return std::nullopt;
                })
        .Optional("body", &TaskSpec::body, "The task's text; may use the same placeholders.")
        .Optional("due_in", &TaskSpec::due_in, "Due this long after the transition.",
                  NotNegative)
        .Optional("owner", &TaskSpec::owner, "The owner when no owner rule matches.")
        .Optional("owner_rules", &TaskSpec::owner_rules, "The first rule that is true names the owner.");
    return s;
  }();
  return *spec;
}

const StructSpec<JourneyAction>& JourneyAction::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<JourneyAction>();
    s->Required("name", &JourneyAction::name, "A unique name; part of each action's idempotency key.",
                SnakeCaseName)
        .Optional("on_enter", &JourneyAction::on_enter,
                  "A stage, at_risk, churned or a threshold name: fires when it is entered.")
        .Optional("on_exit", &JourneyAction::on_exit, "Likewise, when it is left.")
        .Required("target", &JourneyAction::target, "The target that carries it out.")
        .Optional("set_properties", &JourneyAction::set_properties,
                  "CRM properties to set; values may use {stage}, {state}, {previous}, "
                  "{profile_id}, {at}, {engagement}, {health}.")
        .Optional("create_task", &JourneyAction::create_task, "A CRM task to create.")
        .Optional("post_event", &JourneyAction::post_event, "Post the transition itself.")
        .Validate([](const JourneyAction& a) -> std::optional<std::string> {
          if (a.on_enter.empty() == a.on_exit.empty()) return "needs exactly one of on_enter, on_exit";
          const int kinds = (a.set_properties.empty() ? 0 : 1) + (a.create_task ? 1 : 0) +
                            (a.post_event ? 1 : 0);
          if (kinds != 1) {
            return "needs exactly one of set_properties, create_task, post_event: true";
          }
          return std::nullopt;
        });
    return s;
  }();
  return *spec;
}

const StructSpec<JourneySettings>& JourneySettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<JourneySettings>();
    s->Optional("stages", &JourneySettings::stages, "Journey stages, in order.",
                [](const std::vector<std::string>& names) -> std::optional<std::string> {
                  if (names.empty()) return "needs at least one stage";
                  for (size_t i = 0; i < names.size(); ++i) {
                    if (auto bad = SnakeCaseName(names[i])) return "stage " + *bad;
                    if (names[i] == "at_risk" || names[i] == "churned") {
                      return "'" + names[i] + "' is a side state, not a stage";
                    }
                    for (size_t j = 0; j < i; ++j) {
                      if (names[i] == names[j]) return "stage '" + names[i] + "' is listed twice";
                    }
                  }
                  return std::nullopt;
                })
        .Optional("rules", &JourneySettings::rules,
                  "What moves a profile to a stage (docs/journey.md); the defaults follow "
                  "the seven stages.")
        .Optional("purchase_types", &JourneySettings::purchase_types,
                  "Touchpoint types that are purchases (revenue, repeat purchase rate).")
        .Optional("inactivity", &JourneySettings::inactivity, "The at_risk and churned side states.")
        .Optional("engagement", &JourneySettings::engagement, "The engagement (lead) score.")
        .Optional("health", &JourneySettings::health, "The health score, 0 to 100.")
        .Optional("satisfaction", &JourneySettings::satisfaction, "How CSAT and NPS are read.")
        .Optional("thresholds", &JourneySettings::thresholds,
                  "Named score thresholds; crossing one is a transition.",
                  [](const std::vector<ScoreThreshold>& t) { return UniqueNames(t, "threshold"); })
        .Optional("dedupe", &JourneySettings::dedupe,
                  "Rules that merge one real-world event seen by two systems.",
                  [](const std::vector<DedupeRule>& r) { return UniqueNames(r, "dedupe rule"); })
        .Optional("actions", &JourneySettings::actions,
                  "What transitions make targets do.",
                  [](const std::vector<JourneyAction>& a) { return UniqueNames(a, "action"); })
        .Optional("action_max_age", &JourneySettings::action_max_age,
                  "Transitions older than this trigger no action (backfills, imports); 0: any age.",
                  NotNegative);
    return s;
  }();
  return *spec;
}

}  // namespace journeyd::config
