#include "connectors/segment/segment_source.h"

#include <array>
#include <boost/json/serialize.hpp>
#include <optional>

#include "connectors/common/encoding.h"
#include "connectors/common/header_params.h"
#include "connectors/common/json.h"
#include "connectors/common/request.h"

namespace journeyd::connectors::segment {

namespace {

constexpr std::array<std::string_view, 6> kEventTypes = {"identify", "track", "page",
                                                         "screen",   "group", "alias"};

// The call type named by the last path segment: the full name, or the one-letter alias that
// analytics.js posts to (/v1/t, /v1/i, ...; /v1/b for batches). Empty when neither.
std::string_view CallType(std::string_view segment) {
  for (std::string_view type : kEventTypes) {
    if (segment == type || (segment.size() == 1 && segment[0] == type[0])) return type;
  }
  if (segment == "batch" || segment == "b") return "batch";
  return {};
}

bool IsEventType(std::string_view type) {
  for (std::string_view known : kEventTypes) {
    if (type == known) return true;
  }
  return false;
}

std::string_view View(const boost::json::string& s) { return {s.data(), s.size()}; }

// A message's `type` if it names one of the six calls, else empty: batch elements and saved
// messages are judged alike.
std::string_view MessageType(const boost::json::value* type) {
  if (type == nullptr || !type->is_string()) return {};
  const std::string_view name = View(type->as_string());
  return IsEventType(name) ? name : std::string_view();
}

std::string KiB(size_t bytes) { return std::to_string(bytes / 1024) + "KB"; }

// Adds the batch-level `context` or `integrations` to an item, keeping whatever the item set
// itself, as Segment merges them.
void MergeDefaults(const boost::json::object& batch, std::string_view key,
                   boost::json::object& item) {
  const boost::json::value* defaults = batch.if_contains(key);
  if (defaults == nullptr || !defaults->is_object()) return;
  boost::json::value* own = item.if_contains(key);
  if (own == nullptr) {
    item[key] = *defaults;
    return;
  }
  if (!own->is_object()) return;
  boost::json::object& target = own->as_object();
  for (const auto& [name, value] : defaults->as_object()) {
    if (!target.contains(name)) target[name] = value;
  }
}

}  // namespace

const config::StructSpec<SegmentSettings>& SegmentSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<SegmentSettings>();
    s->Required("write_key", &SegmentSettings::write_key,
                "The write key clients send (HTTP Basic user, or writeKey in the body).");
    return s;
  }();
  return *spec;
}

SegmentSource::SegmentSource(SegmentSettings settings, const ConnectorContext& context)
    : settings_(std::move(settings)), source_name_(context.instance_name) {}

Result<std::vector<RawEvent>> SegmentSource::Accept(const InboundRequest& request) const {
  const std::string_view segment = common::LastPathSegment(request.path);
  const std::string_view call = CallType(segment);
  if (call.empty()) {
    return InvalidArgument("unknown Segment call '" + std::string(segment) +
                           "': POST to .../v1/identify, track, page, screen, group, alias or "
                           "batch");
  }
  // Limits first: they are what Segment answers 400 for, and they bound the parse below.
  const bool is_batch = call == "batch";
  const size_t limit = is_batch ? kMaxBatchBytes : kMaxCallBytes;
  if (request.body.size() > limit) {
    return InvalidArgument("Segment " + std::string(is_batch ? "batch" : "call") + " of " +
                           std::to_string(request.body.size()) + " bytes exceeds the " +
                           KiB(limit) + " limit");
  }

  bool authenticated = false;
  if (const auto authorization = common::GetHeader(request, "Authorization")) {
    const std::string_view value = common::TrimSpaces(*authorization);
    if (value.size() > 6 && EqualsIgnoreCase(value.substr(0, 6), "Basic ")) {
      const auto decoded = common::Base64Decode(common::TrimSpaces(value.substr(6)));
      if (!decoded) return common::Unauthenticated("malformed Basic credentials");
      // "key:" as documented; a bare "key" still works at Segment for old clients.
      const size_t colon = decoded->find(':');
      const std::string_view user = std::string_view(*decoded).substr(0, colon);
      const bool empty_password = colon == std::string::npos || colon + 1 == decoded->size();
      if (!settings_.write_key.Equals(user) || !empty_password) {
        return common::Unauthenticated("write key mismatch");
      }
      authenticated = true;
    }
    // Other schemes (Segment's OAuth bearer tokens) are not checked here: the body's writeKey
    // has to authenticate such requests.
  }

  auto parsed = common::ParseJson(request.body);
  if (!parsed.ok()) {
    if (!authenticated) return common::Unauthenticated("missing write key");
    return parsed.error();
  }
  boost::json::object* object = parsed->if_object();
  if (!authenticated) {
    const boost::json::value* key = object ? object->if_contains("writeKey") : nullptr;
    if (key == nullptr || !key->is_string()) return common::Unauthenticated("missing write key");
    if (!settings_.write_key.Equals(View(key->as_string()))) {
      return common::Unauthenticated("write key mismatch");
    }
  }
  if (object == nullptr) return InvalidArgument("Segment call is not a JSON object");

  std::vector<RawEvent> events;
  if (!is_batch) {
    RawEvent event = common::NewEvent(source_name_, request, common::kJsonMediaType);
    event.event_type = std::string(call);
    event.external_id = common::ScalarText(object->if_contains("messageId"));
    // The body is stored as received unless it carries the write key, which is a credential.
    if (object->erase("writeKey") > 0) {
      event.body = boost::json::serialize(*object);
    } else {
      event.body = std::string(request.body);
    }
    events.push_back(std::move(event));
    return events;
  }

  boost::json::value* batch = object->if_contains("batch");
  if (batch == nullptr || !batch->is_array()) {
    return InvalidArgument("Segment batch has no 'batch' array");
  }
  boost::json::array& items = batch->as_array();
  if (items.size() > kMaxBatchEvents) {
    return InvalidArgument("Segment batch of " + std::to_string(items.size()) +
                           " events exceeds the limit of " + std::to_string(kMaxBatchEvents));
  }
  events.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    boost::json::object* item = items[i].if_object();
    const std::string where = "Segment batch[" + std::to_string(i) + "]";
    if (item == nullptr) return InvalidArgument(where + " is not a JSON object");
    const std::string_view type = MessageType(item->if_contains("type"));
    if (type.empty()) {
      return InvalidArgument(where +
                             " needs a type: identify, track, page, screen, group or "
                             "alias");
    }
    // Copied now: erasing and merging below may move the item's members.
    std::string event_type(type);
    item->erase("writeKey");
    if (boost::json::serialize(*item).size() > kMaxCallBytes) {
      return InvalidArgument(where + " exceeds the " + KiB(kMaxCallBytes) + " per-event limit");
    }
    MergeDefaults(*object, "context", *item);
    MergeDefaults(*object, "integrations", *item);

    RawEvent event = common::NewEvent(source_name_, request, common::kJsonMediaType);
    event.event_type = std::move(event_type);
    event.external_id = common::ScalarText(item->if_contains("messageId"));
    event.body = boost::json::serialize(*item);
    events.push_back(std::move(event));
  }
  return events;
}

std::vector<std::string> SegmentSource::EventTypes() const {
  return std::vector<std::string>(kEventTypes.begin(), kEventTypes.end());
}

std::optional<std::string> SegmentSource::EventTypeOf(const boost::json::value& payload) const {
  const std::string_view type = MessageType(common::FindMember(payload, "type"));
  if (type.empty()) return std::nullopt;
  return std::string(type);
}

std::unique_ptr<Factory<WebhookSource>> MakeSegmentFactory() {
  return std::make_unique<SpecFactory<WebhookSource, SegmentSource, SegmentSettings>>(
      "segment", "Segment-compatible tracking API (/v1/track, /v1/batch, ...), by write key.",
      SegmentSettings::Spec());
}

}  // namespace journeyd::connectors::segment
