// The Segment-compatible tracking API (POST /v1/identify|track|page|screen|group|alias|batch):
// authenticates the write key (HTTP Basic or the body's writeKey), enforces Segment's size
// limits, and turns each call, or each batch element, into one RawEvent keyed by messageId.
// Immutable after construction: Accept is safe to call concurrently.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/secret.h"
#include "engine/connector/factory.h"
#include "engine/connector/webhook_source.h"

namespace journeyd::connectors::segment {

// Segment's documented limits (http-api.md, "Max request size").
inline constexpr size_t kMaxCallBytes = 32 * 1024;
inline constexpr size_t kMaxBatchBytes = 500 * 1024;
inline constexpr size_t kMaxBatchEvents = 2500;

struct SegmentSettings {
  Secret write_key;
  static const config::StructSpec<SegmentSettings>& Spec();
};

class SegmentSource final : public WebhookSource {
 public:
  SegmentSource(SegmentSettings settings, const ConnectorContext& context);
  // The call type is the last segment of the request path ("/v1/track" -> track).
  Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const override;
  // Served at /v1/{call} (Segment's HTTP Tracking API paths), not /webhooks/{name}.
  bool ServesTrackingApi() const override { return true; }
  // The six calls of the Segment spec: identify, track, page, screen, group, alias. A track
  // call's `event` name ("Order Completed") is data for the mapping, not an event type.
  std::vector<std::string> EventTypes() const override;
  // The `type` of one saved message (as in a batch, where Accept reads it too); nullopt for a
  // call body without one, whose type was only in the path it was posted to, or for a batch.
  std::optional<std::string> EventTypeOf(const boost::json::value& payload) const override;

 private:
  SegmentSettings settings_;
  std::string source_name_;
};

std::unique_ptr<Factory<WebhookSource>> MakeSegmentFactory();

}  // namespace journeyd::connectors::segment
