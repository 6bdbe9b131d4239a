// A DeliveryItem is one change on its way to one target: a profile whose CRM record should now
// hold other values, a touchpoint to log on it, or a journey action to carry out. The delivery
// worker builds items from the outbox (changed fields only, already filtered by the target's
// disclosure policy and consent); targets turn batches of them into requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace journeyd::delivery {

using TimePoint = std::chrono::system_clock::time_point;
// CRM property (or field) name -> value, as the target will send it.
using PropertyMap = std::map<std::string, std::string>;

enum class ItemKind { kProfile, kTouchpoint, kAction };
std::string_view ItemKindName(ItemKind kind);

struct DeliveryItem {
  ItemKind kind = ItemKind::kProfile;
  int64_t profile_id = 0;
  int64_t item_id = 0;     // the touchpoint's or the action's id; 0 for profiles
  // Unique per change and stable across retries and restarts: "profile:<id>:<hash of what is
  // sent>", the touchpoint's idempotency key, the action's key. Targets pass it to the CRM where
  // the API can de-duplicate on it (webhook-id, external ids, objectWriteTraceId).
  std::string key;
  // The CRM's id of the profile's record, once a response told it; "" before.
  std::string crm_id;
  // The profile document's value that addresses the CRM record (the email for HubSpot's
  // default idProperty, the external id for Salesforce); "" when the profile has none.
  std::string address;

  // kProfile: what changed since the target last acknowledged the profile (every property
  // when it never did), and the whole projection for targets that send full records.
  PropertyMap changed;
  PropertyMap all;

  // kTouchpoint
  std::string touchpoint_type, touchpoint_source, channel, value, currency, reference;
  std::string campaign_json = "{}", attributes_json = "{}";
  TimePoint occurred_at{};

  // kAction: the journey action's name, kind (set_properties | create_task | post_event) and
  // its payload (JSON, docs/journey.md).
  std::string action, action_kind, payload_json = "{}";
};

}  // namespace journeyd::delivery
