#include "connectors/common/event_locator.h"

#include "connectors/common/json.h"
#include "connectors/common/request.h"

namespace journeyd::connectors::common {

namespace {

std::string Find(const InboundRequest& request, const boost::json::value& body,
                 const std::string& header, const std::string& field) {
  if (!header.empty()) {
    if (auto value = GetHeader(request, header); value && !value->empty()) {
      return std::string(*value);
    }
  }
  if (!field.empty()) return ScalarText(FindMember(body, field));
  return {};
}

}  // namespace

void EventLocator::Locate(const InboundRequest& request, const boost::json::value& body,
                          std::string_view credential_header, RawEvent& event) const {
  event.event_type = Find(request, body, type_header, type_field);
  event.external_id = Find(request, body, id_header, id_field);
  for (const std::string* name : {&type_header, &id_header}) {
    if (name->empty() || EqualsIgnoreCase(*name, credential_header)) continue;
    if (name == &id_header && EqualsIgnoreCase(id_header, type_header)) continue;
    if (auto value = GetHeader(request, *name)) event.headers.emplace_back(*name, *value);
  }
}

Result<std::vector<RawEvent>> EventLocator::SingleJsonEvent(
    const std::string& source_name, const InboundRequest& request,
    std::string_view credential_header) const {
  auto parsed = ParseJson(request.body);
  if (!parsed.ok()) return parsed.error();
  RawEvent event = NewEvent(source_name, request, kJsonMediaType);
  Locate(request, *parsed, credential_header, event);
  event.body = std::string(request.body);
  std::vector<RawEvent> events;
  events.push_back(std::move(event));
  return events;
}

}  // namespace journeyd::connectors::common
