#include "connectors/common/request.h"

namespace journeyd::connectors::common {

std::optional<std::string_view> GetHeader(const InboundRequest& request, std::string_view name) {
  if (request.headers == nullptr) return std::nullopt;
  return request.headers->Get(name);
}

RawEvent NewEvent(std::string_view source, const InboundRequest& request,
                  std::string_view content_type) {
  RawEvent event;
  event.source = std::string(source);
  event.content_type = std::string(content_type);
  event.received_at = request.received_at;
  return event;
}

void KeepHeaders(const InboundRequest& request, std::initializer_list<std::string_view> names,
                 RawEvent& event) {
  for (std::string_view name : names) {
    if (auto value = GetHeader(request, name)) {
      event.headers.emplace_back(std::string(name), std::string(*value));
    }
  }
}

std::string_view LastPathSegment(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace journeyd::connectors::common
