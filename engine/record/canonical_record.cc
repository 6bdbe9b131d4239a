#include "engine/record/canonical_record.h"

#include <algorithm>
#include <boost/json.hpp>

#include "engine/base/time_format.h"
#include "engine/mapping/normalize.h"

namespace journeyd {
namespace json = boost::json;

const std::vector<std::string_view>& KnownTraitNames() {
  static const std::vector<std::string_view> names = {
      "first_name", "last_name", "full_name",   "company",  "job_title",
      "address_line1", "address_line2", "city", "region",   "postal_code",
      "country",    "birth_date", "locale",     "timezone", "gender"};
  return names;
}

bool IsKnownTraitName(std::string_view name) {
  const auto& names = KnownTraitNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

namespace {

void PutIfSet(json::object& o, std::string_view key, const std::string& value) {
  if (!value.empty()) o[key] = value;
}

json::object TouchpointToJson(const Touchpoint& t) {
  json::object o;
  o["type"] = t.type;
  PutIfSet(o, "channel", t.channel);
  o["occurred_at"] = FormatIso8601(t.occurred_at);
  PutIfSet(o, "value", t.value);
  PutIfSet(o, "currency", t.currency);
  PutIfSet(o, "reference", t.reference);
  if (!t.campaign.empty()) o["campaign"] = ToJson(t.campaign);
  if (!t.attributes.empty()) o["attributes"] = t.attributes;
  return o;
}

json::object TraitsToJson(const Traits& traits) {
  json::object o;
  for (const auto& [name, value] : traits.fields) o[name] = value;
  if (!traits.consent.empty()) {
    json::object consent;
    for (const auto& [purpose, c] : traits.consent) {
      json::object entry;
      entry["granted"] = c.granted;
      if (c.at) entry["at"] = FormatIso8601(*c.at);
      consent[purpose] = std::move(entry);
    }
    o["consent"] = std::move(consent);
  }
  if (!traits.custom.empty()) o["custom"] = traits.custom;
  return o;
}

// Reading back: every accessor names the field it failed on.
class Reader {
 public:
  explicit Reader(std::string context) : context_(std::move(context)) {}

  Result<std::string> Text(const json::object& o, std::string_view key, bool required) const {
    const json::value* v = o.if_contains(key);
    if (!v || v->is_null()) {
      if (required) return InvalidArgument(context_ + ": missing '" + std::string(key) + "'");
      return std::string();
    }
    if (!v->is_string()) return InvalidArgument(context_ + ": '" + std::string(key) + "' is not text");
    return std::string(v->get_string());
  }

  Result<TimePoint> Time(const json::object& o, std::string_view key) const {
    auto text = Text(o, key, true);
    if (!text.ok()) return text.error();
    auto t = mapping::ParseTime(*text);
    if (!t) return InvalidArgument(context_ + ": '" + std::string(key) + "' is not a time");
    return *t;
  }

 private:
  std::string context_;
};

Result<Touchpoint> TouchpointFromJson(const json::value& v) {
  if (!v.is_object()) return InvalidArgument("touchpoint is not an object");
  const json::object& o = v.get_object();
  Reader r("touchpoint");
  Touchpoint t;
  auto type = r.Text(o, "type", true);
  if (!type.ok()) return type.error();
  t.type = std::move(*type);
  auto at = r.Time(o, "occurred_at");
  if (!at.ok()) return at.error();
  t.occurred_at = *at;
  for (auto [key, field] : {std::pair{"channel", &t.channel}, {"value", &t.value},
                            {"currency", &t.currency}, {"reference", &t.reference}}) {
    auto text = r.Text(o, key, false);
    if (!text.ok()) return text.error();
    *field = std::move(*text);
  }
  if (const json::value* c = o.if_contains("campaign")) {
    auto campaign = CampaignFromJson(*c);
    if (!campaign.ok()) return campaign.error();
    t.campaign = std::move(*campaign);
  }
  if (const json::value* a = o.if_contains("attributes")) {
    if (!a->is_object()) return InvalidArgument("touchpoint: 'attributes' is not an object");
    t.attributes = a->get_object();
  }
  return t;
}

Status TraitsFromJson(const json::value& v, Traits& traits) {
  if (!v.is_object()) return InvalidArgument("'traits' is not an object");
  for (const auto& [key, value] : v.get_object()) {
    if (key == "custom") {
      if (!value.is_object()) return InvalidArgument("traits: 'custom' is not an object");
      traits.custom = value.get_object();
    } else if (key == "consent") {
      if (!value.is_object()) return InvalidArgument("traits: 'consent' is not an object");
      for (const auto& [purpose, entry] : value.get_object()) {
        const json::object* e = entry.if_object();
        const json::value* granted = e ? e->if_contains("granted") : nullptr;
        if (!granted || !granted->is_bool()) {
          return InvalidArgument("consent '" + std::string(purpose) + "' has no boolean 'granted'");
        }
        Consent c;
        c.granted = granted->get_bool();
        if (const json::value* at = e->if_contains("at"); at && at->is_string()) {
          c.at = mapping::ParseTime(at->get_string());
        }
        traits.consent.emplace(std::string(purpose), c);
      }
    } else {
      if (!value.is_string()) return InvalidArgument("trait '" + std::string(key) + "' is not text");
      traits.fields.emplace(std::string(key), std::string(value.get_string()));
    }
  }
  return OkStatus();
}

}  // namespace

json::object ToJson(const Campaign& c) {
  json::object o;
  PutIfSet(o, "source", c.source);
  PutIfSet(o, "medium", c.medium);
  PutIfSet(o, "name", c.name);
  PutIfSet(o, "term", c.term);
  PutIfSet(o, "content", c.content);
  return o;
}

Result<Campaign> CampaignFromJson(const json::value& json) {
  if (!json.is_object()) return InvalidArgument("touchpoint: 'campaign' is not an object");
  Reader cr("campaign");
  Campaign campaign;
  for (auto [key, field] :
       {std::pair{"source", &campaign.source}, {"medium", &campaign.medium},
        {"name", &campaign.name}, {"term", &campaign.term}, {"content", &campaign.content}}) {
    auto text = cr.Text(json.get_object(), key, false);
    if (!text.ok()) return text.error();
    *field = std::move(*text);
  }
  return campaign;
}

json::value ToJson(const CanonicalRecord& record) {
  json::object o;
  o["source"] = record.source;
  o["event_type"] = record.event_type;
  o["external_id"] = record.external_id;
  o["occurred_at"] = FormatIso8601(record.occurred_at);
  json::array identities;
  for (const Identity& id : record.identities) {
    identities.push_back(json::object{{"type", id.type}, {"value", id.value}});
  }
  o["identities"] = std::move(identities);
  o["traits"] = TraitsToJson(record.traits);
  json::array touchpoints;
  for (const Touchpoint& t : record.touchpoints) touchpoints.push_back(TouchpointToJson(t));
  // Last, always: the journey stage skips records whose text ends in `"touchpoints":[]}`
  // without parsing them (journey_stage_test checks this).
  o["touchpoints"] = std::move(touchpoints);
  return o;
}

json::array ToJson(const std::vector<CanonicalRecord>& records) {
  json::array out;
  for (const CanonicalRecord& r : records) out.push_back(ToJson(r));
  return out;
}

Result<CanonicalRecord> CanonicalRecordFromJson(const json::value& v) {
  if (!v.is_object()) return InvalidArgument("canonical record is not an object");
  const json::object& o = v.get_object();
  Reader r("record");
  CanonicalRecord record;
  for (auto [key, field] : {std::pair{"source", &record.source},
                            {"event_type", &record.event_type},
                            {"external_id", &record.external_id}}) {
    auto text = r.Text(o, key, false);
    if (!text.ok()) return text.error();
    *field = std::move(*text);
  }
  auto at = r.Time(o, "occurred_at");
  if (!at.ok()) return at.error();
  record.occurred_at = *at;
  if (const json::value* ids = o.if_contains("identities")) {
    if (!ids->is_array()) return InvalidArgument("record: 'identities' is not a list");
    for (const json::value& id : ids->get_array()) {
      const json::object* io = id.if_object();
      if (!io) return InvalidArgument("identity is not an object");
      Reader ir("identity");
      auto type = ir.Text(*io, "type", true);
      if (!type.ok()) return type.error();
      auto value = ir.Text(*io, "value", true);
      if (!value.ok()) return value.error();
      record.identities.push_back({std::move(*type), std::move(*value)});
    }
  }
  if (const json::value* traits = o.if_contains("traits")) {
    if (Status s = TraitsFromJson(*traits, record.traits); !s.ok()) return s.error();
  }
  if (const json::value* tps = o.if_contains("touchpoints")) {
    if (!tps->is_array()) return InvalidArgument("record: 'touchpoints' is not a list");
    for (const json::value& t : tps->get_array()) {
      auto tp = TouchpointFromJson(t);
      if (!tp.ok()) return tp.error();
      record.touchpoints.push_back(std::move(*tp));
    }
  }
  return record;
}

}  // namespace journeyd
