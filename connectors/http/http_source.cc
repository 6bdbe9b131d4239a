#include "connectors/http/http_source.h"

namespace journeyd::connectors::http {

const config::StructSpec<HttpSourceSettings>& HttpSourceSettings::Spec() {
  static const auto* spec = new config::StructSpec<HttpSourceSettings>();
  return *spec;
}

HttpSource::HttpSource(HttpSourceSettings, const ConnectorContext&) {}

Result<std::vector<RawEvent>> HttpSource::Accept(const InboundRequest&) const {
  return InvalidArgument("this source is polled; it takes no webhooks");
}

std::unique_ptr<Factory<WebhookSource>> MakeHttpSourceFactory() {
  return std::make_unique<SpecFactory<WebhookSource, HttpSource, HttpSourceSettings>>(
      "http",
      "A source that is only polled: its poll: section describes the API (requests, "
      "authentication, pagination, cursor). See docs/polling.md.",
      HttpSourceSettings::Spec());
}

}  // namespace journeyd::connectors::http
