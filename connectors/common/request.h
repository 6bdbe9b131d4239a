// Small helpers every webhook source uses to read an InboundRequest and build RawEvents, so
// that each source's Accept reads as its vendor's scheme and nothing else. Stateless: safe from
// any thread.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/error.h"
#include "engine/connector/inbound_request.h"
#include "engine/record/raw_event.h"

namespace journeyd::connectors::common {

inline constexpr std::string_view kJsonMediaType = "application/json";
inline constexpr std::string_view kFormMediaType = "application/x-www-form-urlencoded";

// The message goes to the log only; the HTTP layer answers a bare 401.
inline Error Unauthenticated(std::string message) {
  return {ErrorCode::kUnauthenticated, std::move(message)};
}

// Case-insensitive; nullopt when absent or when the request has no headers at all.
std::optional<std::string_view> GetHeader(const InboundRequest& request, std::string_view name);

// An event from `source` with the request's receive time and an empty body.
RawEvent NewEvent(std::string_view source, const InboundRequest& request,
                  std::string_view content_type);

// Copies the headers named in `names` that the request has, under the spelling given in
// `names`. REQUIRES: none of them carries a credential or a signature.
void KeepHeaders(const InboundRequest& request, std::initializer_list<std::string_view> names,
                 RawEvent& event);

// "track" for "/webhooks/segment/v1/track" (a trailing '/' is ignored).
std::string_view LastPathSegment(std::string_view path);

}  // namespace journeyd::connectors::common
