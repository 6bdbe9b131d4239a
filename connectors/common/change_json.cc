#include "connectors/common/change_json.h"

#include <boost/json.hpp>

#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/common/json.h"
#include "engine/base/time_format.h"

namespace journeyd::connectors::common {

namespace json = boost::json;
using delivery::DeliveryItem;
using delivery::ItemKind;

json::object ChangeJson(const DeliveryItem& item) {
  json::object o{{"kind", delivery::ItemKindName(item.kind)},
                 {"key", item.key},
                 {"profile_id", item.profile_id}};
  if (!item.crm_id.empty()) o["crm_id"] = item.crm_id;
  switch (item.kind) {
    case ItemKind::kProfile: {
      json::object changed, all;
      for (const auto& [k, v] : item.changed) changed[k] = v;
      for (const auto& [k, v] : item.all) all[k] = v;
      o["changed"] = std::move(changed);
      o["properties"] = std::move(all);
      break;
    }
    case ItemKind::kTouchpoint: {
      json::object t{{"id", item.item_id},
                     {"type", item.touchpoint_type},
                     {"source", item.touchpoint_source},
                     {"occurred_at", FormatIso8601(item.occurred_at)}};
      if (!item.channel.empty()) t["channel"] = item.channel;
      if (!item.value.empty()) t["value"] = item.value;
      if (!item.currency.empty()) t["currency"] = item.currency;
      if (!item.reference.empty()) t["reference"] = item.reference;
      t["campaign"] = ParseJson(item.campaign_json).value_or(json::object());
      t["attributes"] = ParseJson(item.attributes_json).value_or(json::object());
      o["touchpoint"] = std::move(t);
      break;
    }
    case ItemKind::kAction:
      o["action"] = {{"id", item.item_id},
                     {"name", item.action},
                     {"kind", item.action_kind},
                     {"at", FormatIso8601(item.occurred_at)},
                     {"payload", ParseJson(item.payload_json).value_or(json::object())}};
      break;
  }
  return o;
}

std::string ChangesBody(std::span<const DeliveryItem> items, const std::vector<size_t>& which,
                        std::string_view timestamp) {
  json::array changes;
  changes.reserve(which.size());
  for (size_t i : which) changes.push_back(ChangeJson(items[i]));
  return json::serialize(json::object{{"type", "journeyd.changes"},
                                      {"timestamp", timestamp},
                                      {"data", {{"changes", std::move(changes)}}}});
}

std::string MessageIdOf(std::span<const DeliveryItem> items, const std::vector<size_t>& which) {
  std::string keys;
  for (size_t i : which) {
    keys += items[i].key;
    keys += '\n';
  }
  return "msg_" + HexEncode(Sha256(keys)).substr(0, 32);
}

}  // namespace journeyd::connectors::common

namespace journeyd::connectors::common {

std::map<std::string, std::string> DefaultDocumentProperties() {
  std::map<std::string, std::string> out;
  for (const char* field :
       {"profile.id", "email", "phone", "first_name", "last_name", "full_name", "company",
        "job_title", "city", "region", "postal_code", "country", "locale", "timezone",
        "consent.email_marketing", "consent.sms_marketing", "journey.stage", "journey.side",
        "journey.engagement", "journey.health", "journey.first_source"}) {
    out[field] = field;
  }
  return out;
}

}  // namespace journeyd::connectors::common
