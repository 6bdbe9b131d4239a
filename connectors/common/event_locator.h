// Where the generic sources (hmac, bearer) find an event's type and id: a request header, a
// top-level JSON field of the body, or both (the header wins when present). Immutable after
// construction: safe to share across threads.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/common/checks.h"
#include "engine/base/result.h"
#include "engine/config/spec.h"
#include "engine/connector/inbound_request.h"
#include "engine/record/raw_event.h"

namespace journeyd::connectors::common {

// Empty strings mean "not configured".
struct EventLocator {
  std::string type_header;
  std::string id_header;
  std::string type_field;
  std::string id_field;

  // Sets event_type and external_id ("" when nowhere to be found) and keeps the headers it
  // read in event.headers, except `credential_header`, which is never copied even if a
  // misconfiguration names it.
  void Locate(const InboundRequest& request, const boost::json::value& body,
              std::string_view credential_header, RawEvent& event) const;

  // The whole of a generic source's work once the request is authenticated: the body must be
  // JSON (kInvalidArgument otherwise) and becomes one event, typed and keyed by Locate.
  Result<std::vector<RawEvent>> SingleJsonEvent(const std::string& source_name,
                                                const InboundRequest& request,
                                                std::string_view credential_header) const;
};

// Adds the event_type_header, event_id_header, event_type_field and event_id_field keys to a
// settings spec whose struct has std::string members of those names.
template <class S>
void AddEventLocatorKeys(config::StructSpec<S>& spec) {
  spec.Optional("event_type_header", &S::event_type_header,
                "Header naming the event type (e.g. X-GitHub-Event).", CheckHeaderName)
      .Optional("event_id_header", &S::event_id_header,
                "Header carrying the sender's unique delivery id (the idempotency key).",
                CheckHeaderName)
      .Optional("event_type_field", &S::event_type_field,
                "Top-level JSON field naming the event type, when no header does.", CheckNotEmpty)
      .Optional("event_id_field", &S::event_id_field,
                "Top-level JSON field with the event's unique id, when no header has it.",
                CheckNotEmpty);
}

template <class S>
EventLocator EventLocatorOf(const S& settings) {
  return {settings.event_type_header, settings.event_id_header, settings.event_type_field,
          settings.event_id_field};
}

}  // namespace journeyd::connectors::common
