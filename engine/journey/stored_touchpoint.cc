#include "engine/journey/stored_touchpoint.h"

#include <boost/json.hpp>

namespace journeyd::journey {

namespace json = boost::json;

storage::TouchpointRow ToStored(const JourneyTouchpoint& jt) {
  const Touchpoint& t = jt.touchpoint;
  storage::TouchpointRow row;
  row.id = jt.id;
  row.record_id = jt.record_id;
  row.source = jt.source;
  row.type = t.type;
  row.channel = t.channel;
  row.occurred_at = t.occurred_at;
  row.value = t.value;
  row.currency = t.currency;
  row.reference = t.reference;
  row.campaign_json = json::serialize(ToJson(t.campaign));
  row.attributes_json = json::serialize(t.attributes);
  return row;
}

JourneyTouchpoint FromStored(const storage::TouchpointRow& row) {
  JourneyTouchpoint jt;
  jt.id = row.id;
  jt.record_id = row.record_id;
  jt.source = row.source;
  Touchpoint& t = jt.touchpoint;
  t.type = row.type;
  t.channel = row.channel;
  t.occurred_at = row.occurred_at;
  t.value = row.value;
  t.currency = row.currency;
  t.reference = row.reference;
  boost::system::error_code ec;
  const json::value campaign = json::parse(row.campaign_json, ec);
  if (!ec) {
    if (auto parsed = CampaignFromJson(campaign); parsed.ok()) t.campaign = std::move(*parsed);
  }
  const json::value attributes = json::parse(row.attributes_json, ec);
  if (!ec && attributes.is_object()) t.attributes = attributes.get_object();
  return jt;
}

}  // namespace journeyd::journey
