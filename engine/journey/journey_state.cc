#include "engine/journey/journey_state.h"

#include <boost/json.hpp>
#include <cmath>

#include "engine/base/time_format.h"

namespace journeyd::journey {

namespace json = boost::json;

namespace {

// The stored state keeps times as unix milliseconds: compact, exact and quick to read back.
int64_t Ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint FromMs(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

json::value OptionalMs(const std::optional<TimePoint>& t) {
  return t ? json::value(Ms(*t)) : json::value(nullptr);
}

json::array TimesJson(const std::deque<TimePoint>& times) {
  json::array out;
  for (TimePoint t : times) out.push_back(Ms(t));
  return out;
}

json::object StoredAttribution(const Attribution& a) {
  json::object o;
  if (a.empty()) return o;
  o["source"] = a.source;
  o["channel"] = a.channel;
  o["type"] = a.type;
  o["campaign"] = ToJson(a.campaign);
  o["at"] = Ms(a.at);
  return o;
}

// Reading back what ToJson wrote: a missing or mistyped member is corruption, reported by name.
class Reader {
 public:
  explicit Reader(const json::object& o) : o_(o) {}
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  int64_t Int(std::string_view key, int64_t fallback = 0) {
    const json::value* v = o_.if_contains(key);
    if (!v) return fallback;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
    Fail(key);
    return fallback;
  }
  double Double(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (!v) return 0;
    if (v->is_double()) return v->get_double();
    if (v->is_int64()) return static_cast<double>(v->get_int64());
    Fail(key);
    return 0;
  }
  std::string String(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (!v) return {};
    if (v->is_string()) return std::string(v->get_string());
    Fail(key);
    return {};
  }
  std::optional<TimePoint> OptionalTime(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (v->is_int64()) return FromMs(v->get_int64());
    Fail(key);
    return std::nullopt;
  }
  const json::array* Array(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (!v) return nullptr;
    if (v->is_array()) return &v->get_array();
    Fail(key);
    return nullptr;
  }
  const json::object* Object(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (!v) return nullptr;
    if (v->is_object()) return &v->get_object();
    Fail(key);
    return nullptr;
  }
  std::deque<TimePoint> Times(const json::array* a) {
    std::deque<TimePoint> out;
    if (!a) return out;
    for (const auto& t : *a) {
      if (!t.is_int64()) {
        Fail("time");
        break;
      }
      out.push_back(FromMs(t.get_int64()));
    }
    return out;
  }
  Attribution ReadAttribution(std::string_view key) {
    Attribution a;
    const json::object* o = Object(key);
    if (!o || o->empty()) return a;
    Reader r(*o);
    a.source = r.String("source");
    a.channel = r.String("channel");
    a.type = r.String("type");
    if (const json::object* c = r.Object("campaign")) {
      auto campaign = CampaignFromJson(*c);
      if (campaign.ok()) a.campaign = std::move(*campaign); else r.Fail("campaign");
    }
    a.at = FromMs(r.Int("at"));
    if (!r.ok()) Fail(key);
    return a;
  }
  void Fail(std::string_view key) {
    if (error_.empty()) error_ = "journey state: member '" + std::string(key) + "' has the wrong type";
  }

 private:
  const json::object& o_;
  std::string error_;
};

}  // namespace

std::string_view TransitionKindName(TransitionKind kind) {
  switch (kind) {
    case TransitionKind::kStage: return "stage";
    case TransitionKind::kSide: return "side";
    case TransitionKind::kThreshold: return "threshold";
  }
  return "stage";
}

std::optional<TransitionKind> ParseTransitionKind(std::string_view name) {
  if (name == "stage") return TransitionKind::kStage;
  if (name == "side") return TransitionKind::kSide;
  if (name == "threshold") return TransitionKind::kThreshold;
  return std::nullopt;
}

json::object ToJson(const Attribution& a) {
  json::object o;
  if (a.empty()) return o;
  o["source"] = a.source;
  o["channel"] = a.channel;
  o["type"] = a.type;
  o["at"] = FormatIso8601(a.at);
  const Campaign& c = a.campaign;
  o["campaign"] = c.name;
  o["utm_source"] = c.source;
  o["utm_medium"] = c.medium;
  o["utm_campaign"] = c.name;
  o["utm_term"] = c.term;
  o["utm_content"] = c.content;
  return o;
}

json::value ToJson(const ProfileJourney& s) {
  json::object o;
  o["stage"] = s.stage;
  if (!s.side.empty()) o["side"] = s.side;
  json::array entered;
  for (const auto& t : s.entered_at) entered.push_back(OptionalMs(t));
  o["entered_at"] = std::move(entered);
  json::array rules;
  for (const RuleProgress& r : s.rules) {
    json::object ro;
    ro["count"] = r.count;
    if (!r.recent.empty()) ro["recent"] = TimesJson(r.recent);
    rules.push_back(std::move(ro));
  }
  o["rules"] = std::move(rules);
  json::array thresholds;
  for (const auto& t : s.thresholds) thresholds.push_back(json::string(t));
  o["thresholds"] = std::move(thresholds);
  o["engagement"] = s.engagement;
  o["engagement_at"] = Ms(s.engagement_at);
  o["first_activity"] = OptionalMs(s.first_activity);
  o["last_activity"] = OptionalMs(s.last_activity);
  o["recent"] = TimesJson(s.recent);
  json::array tickets;
  for (const auto& t : s.open_tickets) tickets.push_back(json::string(t));
  o["open_tickets"] = std::move(tickets);
  o["satisfaction"] = s.satisfaction ? json::value(*s.satisfaction) : json::value(nullptr);
  o["first_touch"] = StoredAttribution(s.first_touch);
  o["last_touch"] = StoredAttribution(s.last_touch);
  o["last_campaign_touch"] = StoredAttribution(s.last_campaign_touch);
  o["touchpoints"] = s.touchpoints;
  o["purchases"] = s.purchases;
  o["scores_at"] = Ms(s.scores_at);
  o["last_applied"] = OptionalMs(s.last_applied);
  json::object ordinals;
  for (const auto& [k, n] : s.ordinals) ordinals[k] = n;
  o["ordinals"] = std::move(ordinals);
  return o;
}

Result<ProfileJourney> ProfileJourneyFromJson(const json::value& value) {
  if (!value.is_object()) return Corruption("journey state: not an object");
  Reader r(value.get_object());
  ProfileJourney s;
  s.stage = static_cast<int>(r.Int("stage", -1));
  s.side = r.String("side");
  if (const json::array* entered = r.Array("entered_at")) {
    for (const auto& t : *entered) {
      if (t.is_null()) {
        s.entered_at.emplace_back();
      } else if (t.is_int64()) {
        s.entered_at.emplace_back(FromMs(t.get_int64()));
      } else {
        r.Fail("entered_at");
      }
    }
  }
  if (const json::array* rules = r.Array("rules")) {
    for (const auto& rv : *rules) {
      if (!rv.is_object()) {
        r.Fail("rules");
        break;
      }
      Reader rr(rv.get_object());
      RuleProgress p;
      p.count = rr.Int("count");
      p.recent = rr.Times(rr.Array("recent"));
      if (!rr.ok()) r.Fail("rules");
      s.rules.push_back(std::move(p));
    }
  }
  if (const json::array* thresholds = r.Array("thresholds")) {
    for (const auto& t : *thresholds) {
      if (t.is_string()) s.thresholds.insert(std::string(t.get_string()));
    }
  }
  s.engagement = r.Double("engagement");
  s.engagement_at = FromMs(r.Int("engagement_at"));
  s.first_activity = r.OptionalTime("first_activity");
  s.last_activity = r.OptionalTime("last_activity");
  s.recent = r.Times(r.Array("recent"));
  if (const json::array* tickets = r.Array("open_tickets")) {
    for (const auto& t : *tickets) {
      if (t.is_string()) s.open_tickets.insert(std::string(t.get_string()));
    }
  }
  if (const json::value* sat = value.get_object().if_contains("satisfaction");
      sat && !sat->is_null()) {
    s.satisfaction = r.Double("satisfaction");
  }
  s.first_touch = r.ReadAttribution("first_touch");
  s.last_touch = r.ReadAttribution("last_touch");
  s.last_campaign_touch = r.ReadAttribution("last_campaign_touch");
  s.touchpoints = r.Int("touchpoints");
  s.purchases = r.Int("purchases");
  s.scores_at = FromMs(r.Int("scores_at"));
  s.last_applied = r.OptionalTime("last_applied");
  if (const json::object* ordinals = r.Object("ordinals")) {
    for (const auto& [k, v] : *ordinals) {
      if (v.is_int64()) s.ordinals[std::string(k)] = static_cast<int>(v.get_int64());
    }
  }
  if (!r.ok()) return Corruption(r.error());
  return s;
}

bool EvalTruthy(const mapping::Expression* expression, const json::value& view) {
  if (!expression) return false;
  mapping::EvalContext context;
  context.payload = &view;
  json::value scratch;
  return mapping::Truthy(expression->Eval(context, scratch));
}

std::optional<double> EvalNumber(const mapping::Expression* expression, const json::value& view) {
  if (!expression) return std::nullopt;
  mapping::EvalContext context;
  context.payload = &view;
  json::value scratch;
  const json::value* v = expression->Eval(context, scratch);
  if (!v) return std::nullopt;
  double d = 0;
  if (v->is_double()) {
    d = v->get_double();
  } else if (v->is_int64()) {
    d = static_cast<double>(v->get_int64());
  } else if (v->is_uint64()) {
    d = static_cast<double>(v->get_uint64());
  } else if (v->is_string()) {
    const std::string text(v->get_string());
    char* end = nullptr;
    d = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0') return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

json::value TouchpointView(const JourneyTouchpoint& jt) {
  const Touchpoint& t = jt.touchpoint;
  json::object o;
  o["type"] = t.type;
  o["channel"] = t.channel;
  o["source"] = jt.source;
  if (!t.value.empty()) {
    char* end = nullptr;
    const double v = std::strtod(t.value.c_str(), &end);
    if (end && *end == '\0') o["value"] = v;
  }
  o["currency"] = t.currency;
  o["reference"] = t.reference;
  o["occurred_at"] = FormatIso8601(t.occurred_at);
  o["campaign"] = ToJson(t.campaign);
  o["attributes"] = t.attributes;
  return o;
}

}  // namespace journeyd::journey
