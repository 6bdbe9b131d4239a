// The webhook target POSTs batches of changes (journeyd's change format, connectors/common/
// change_json.h) to a URL of the customer's, signed with the Standard Webhooks scheme:
// webhook-id (stable across retries, so the receiver can drop repeats), webhook-timestamp and
// webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>" under the whsec_ secret.
// Any 2xx is an acknowledgement; 408, 409, 425, 429 and 5xx are retried; other 4xx refuse the
// batch (the core then halves it to find the changes at fault).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/secret.h"
#include "engine/connector/factory.h"
#include "engine/connector/target.h"
#include "engine/delivery/field_projection.h"

namespace journeyd::connectors::webhook {

struct WebhookSettings {
  std::string url;
  Secret secret;  // whsec_<base64>
  int max_batch = 100;
  double requests_per_second = 20;
  std::map<std::string, std::string> properties;  // empty: the default document fields
  std::map<std::string, std::string> headers;     // extra request headers
  static const config::StructSpec<WebhookSettings>& Spec();
};

class WebhookTarget final : public Target {
 public:
  WebhookTarget(WebhookSettings settings, const ConnectorContext& context);
  TargetLimits limits() const override;
  delivery::PropertyMap Project(const delivery::PropertyMap& document) const override;
  std::unique_ptr<TargetSession> OpenSession() const override;

 private:
  WebhookSettings settings_;
  std::string key_;  // the decoded signing key
  delivery::FieldProjection projection_;
  const Clock* clock_;
};

std::unique_ptr<Factory<Target>> MakeWebhookFactory();

}  // namespace journeyd::connectors::webhook
