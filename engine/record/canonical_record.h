// CanonicalRecord is what a mapping makes of one vendor event, and all that later stages see:
// who the customer is (identities), what is known about them (traits) and what they did
// (touchpoints). docs/mapping.md describes every field; the JSON form here is the one
// `journeyd map` prints and mapping tests compare against.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"

namespace journeyd {

using TimePoint = std::chrono::system_clock::time_point;

struct Identity {
  std::string type;   // "email", "phone" or "<namespace>.<name>"
  std::string value;  // normalised: lower-case email, E.164 phone, trimmed id
  friend bool operator==(const Identity&, const Identity&) = default;
};

struct Consent {
  bool granted = false;
  std::optional<TimePoint> at;
  friend bool operator==(const Consent&, const Consent&) = default;
};

// The fixed trait names (survivorship works per name); anything else is custom.
const std::vector<std::string_view>& KnownTraitNames();
bool IsKnownTraitName(std::string_view name);

struct Traits {
  std::map<std::string, std::string> fields;    // known trait name -> value
  std::map<std::string, Consent> consent;       // purpose -> consent
  boost::json::object custom;                   // custom.<name> -> any JSON value
  bool empty() const { return fields.empty() && consent.empty() && custom.empty(); }
};

struct Campaign {
  std::string source, medium, name, term, content;  // UTM fields; empty when absent
  bool empty() const {
    return source.empty() && medium.empty() && name.empty() && term.empty() && content.empty();
  }
};

struct Touchpoint {
  std::string type;      // snake_case, e.g. "order_placed"
  std::string channel;   // e.g. "web", "pos"; may be empty
  TimePoint occurred_at;
  std::string value;     // exact decimal text ("199.65"); empty when none
  std::string currency;  // ISO 4217, upper case; empty when none
  std::string reference; // the vendor object it is about, for de-duplication
  Campaign campaign;
  boost::json::object attributes;
};

struct CanonicalRecord {
  std::string source;
  std::string event_type;
  std::string external_id;
  TimePoint occurred_at;
  std::vector<Identity> identities;
  Traits traits;
  std::vector<Touchpoint> touchpoints;
};

boost::json::value ToJson(const CanonicalRecord& record);
// A campaign as records store it: only the UTM fields that are set.
boost::json::object ToJson(const Campaign& campaign);
Result<Campaign> CampaignFromJson(const boost::json::value& json);
boost::json::array ToJson(const std::vector<CanonicalRecord>& records);
// The inverse of ToJson, for records read back from storage. kInvalidArgument names the field.
Result<CanonicalRecord> CanonicalRecordFromJson(const boost::json::value& json);

}  // namespace journeyd
