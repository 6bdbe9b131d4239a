// The `http` source type: a source that is only polled. Everything about it lives in its
// `poll:` section (the declarative HTTP framework, engine/poll/poll_settings.h); it takes no
// webhooks, so /webhooks/<name> answers 404 for it.
#pragma once

#include <memory>

#include "engine/connector/factory.h"
#include "engine/connector/webhook_source.h"

namespace journeyd::connectors::http {

struct HttpSourceSettings {
  static const config::StructSpec<HttpSourceSettings>& Spec();
};

class HttpSource final : public WebhookSource {
 public:
  HttpSource(HttpSourceSettings settings, const ConnectorContext& context);
  Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const override;
  bool AcceptsWebhooks() const override { return false; }
};

std::unique_ptr<Factory<WebhookSource>> MakeHttpSourceFactory();

}  // namespace journeyd::connectors::http
