#include "engine/journey/touchpoint_keys.h"

#include <algorithm>
#include <boost/json/serialize.hpp>

namespace journeyd::journey {

namespace {

// Separates key parts; it cannot occur in JSON text values a mapping produces unescaped.
constexpr char kSeparator = '\x1f';

std::string FieldText(const JourneyTouchpoint& jt, std::string_view field, int64_t profile_id) {
  const Touchpoint& t = jt.touchpoint;
  if (field == "profile") return profile_id > 0 ? std::to_string(profile_id) : "";
  if (field == "value") return t.value;
  if (field == "currency") return t.currency;
  if (field == "reference") return t.reference;
  if (field == "channel") return t.channel;
  if (field == "type") return t.type;
  if (field.starts_with("attributes.")) {
    const boost::json::value* v = t.attributes.if_contains(field.substr(11));
    if (!v || v->is_null()) return "";
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_object() || v->is_array()) return "";
    return boost::json::serialize(*v);
  }
  return "";
}

}  // namespace

std::string IdempotencyKey(const JourneyTouchpoint& jt, std::string_view external_id,
                           size_t index) {
  std::string key = jt.source + '|' + jt.touchpoint.type + '|';
  if (!jt.touchpoint.reference.empty()) return key + jt.touchpoint.reference;
  if (!external_id.empty()) {
    key += "event:";
    key += external_id;
  } else {
    key += "record:" + std::to_string(jt.record_id);
  }
  return key + '#' + std::to_string(index);
}

std::optional<std::string> MatchKey(const CompiledDedupeRule& rule, const JourneyTouchpoint& tp,
                                    int64_t profile_id) {
  if (!rule.types.empty() && rule.types.count(tp.touchpoint.type) == 0) return std::nullopt;
  std::string key;
  for (const std::string& field : rule.same) {
    std::string text = FieldText(tp, field, profile_id);
    if (text.empty()) return std::nullopt;
    key += text;
    key += kSeparator;
  }
  return key;
}

std::string MemberOf(const JourneyTouchpoint& tp) {
  return tp.source + '|' + tp.touchpoint.type;
}

bool SameEvent(const CompiledDedupeRule& rule, const JourneyTouchpoint& tp, TimePoint candidate_at,
               const std::vector<std::string>& members) {
  const TimePoint at = tp.touchpoint.occurred_at;
  if (rule.window.count() > 0) {
    const auto distance = at > candidate_at ? at - candidate_at : candidate_at - at;
    if (distance > rule.window) return false;
  }
  const std::string me = MemberOf(tp);
  for (const std::string& member : members) {
    // Two charges of one amount are two events, even when they both match one order.
    if (member == me) return false;
    if (rule.across_sources_only && member.substr(0, member.find('|')) == tp.source) return false;
  }
  return true;
}

}  // namespace journeyd::journey
