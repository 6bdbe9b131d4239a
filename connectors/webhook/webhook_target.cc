#include "connectors/webhook/webhook_target.h"

#include "connectors/common/checks.h"
#include "connectors/common/change_json.h"
#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/standard_webhooks/standard_webhooks_source.h"
#include "engine/base/time_format.h"

namespace journeyd::connectors::webhook {

namespace {

class WebhookSession final : public TargetSession {
 public:
  WebhookSession(const WebhookSettings& settings, const std::string& key, const Clock& clock)
      : settings_(settings), key_(key), clock_(clock) {}

  std::vector<PlannedRequest> Plan(std::span<const delivery::DeliveryItem> items) override {
    std::vector<PlannedRequest> out;
    const size_t batch = static_cast<size_t>(settings_.max_batch);
    const std::string now = FormatIso8601(clock_.Now());
    for (size_t start = 0; start < items.size(); start += batch) {
      PlannedRequest request;
      for (size_t i = start; i < std::min(items.size(), start + batch); ++i) {
        request.items.push_back(i);
      }
      request.http.method = "POST";
      request.http.url = settings_.url;
      request.http.headers = {{"content-type", "application/json"},
                              {"webhook-id", common::MessageIdOf(items, request.items)}};
      for (const auto& [name, value] : settings_.headers) {
        request.http.headers.emplace_back(name, value);
      }
      request.http.body = common::ChangesBody(items, request.items, now);
      request.what = std::string(delivery::ItemKindName(items[start].kind)) + " changes";
      out.push_back(std::move(request));
    }
    return out;
  }

  // Signed per attempt: the timestamp must be fresh for the receiver's tolerance window.
  Status Authorize(delivery::HttpRequest& request, delivery::HttpTransport&) override {
    std::string id;
    for (const auto& [name, value] : request.headers) {
      if (name == "webhook-id") id = value;
    }
    const std::string timestamp = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count());
    const std::string signature =
        "v1," + common::Base64Encode(common::HmacSha256(key_, {id, ".", timestamp, ".",
                                                                request.body}));
    request.headers.emplace_back("webhook-timestamp", timestamp);
    request.headers.emplace_back("webhook-signature", signature);
    return OkStatus();
  }

  RequestOutcome Interpret(const PlannedRequest&, std::span<const delivery::DeliveryItem>,
                           const delivery::HttpResponse& response) override {
    RequestOutcome out;
    const int status = response.status;
    if (status >= 200 && status < 300) return out;
    out.message = status == 0 ? response.transport_error
                              : "HTTP " + std::to_string(status) + ": " +
                                    response.body.substr(0, 500);
    const bool retry = status == 0 || status == 408 || status == 409 || status == 425 ||
                       status == 429 || status >= 500;
    out.whole = retry ? Verdict::kRetry : Verdict::kRejected;
    return out;
  }

 private:
  const WebhookSettings& settings_;
  const std::string& key_;
  const Clock& clock_;
};

SystemClock g_system_clock;

}  // namespace

const config::StructSpec<WebhookSettings>& WebhookSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<WebhookSettings>();
    s->Required("url", &WebhookSettings::url, "Where to POST (http:// or https://).",
                common::CheckHttpUrl)
        .Required("secret", &WebhookSettings::secret,
                  "Standard Webhooks signing secret (whsec_<base64>).",
                  [](const Secret& value) -> std::optional<std::string> {
                    if (!standard_webhooks::DecodeSigningSecret(value.Reveal())) {
                      return "is not a whsec_<base64> secret";
                    }
                    return std::nullopt;
                  })
        .Optional("max_batch", &WebhookSettings::max_batch, "Changes per request.",
                  [](const int& n) -> std::optional<std::string> {
                    if (n < 1 || n > 1000) return "must be between 1 and 1000";
                    return std::nullopt;
                  })
        .Optional("requests_per_second", &WebhookSettings::requests_per_second,
                  "What the receiver can take.",
                  [](const double& r) -> std::optional<std::string> {
                    if (r <= 0) return "must be above 0";
                    return std::nullopt;
                  })
        .Optional("properties", &WebhookSettings::properties,
                  "Property -> profile field (default: the common fields under their own "
                  "names).")
        .Optional("headers", &WebhookSettings::headers, "Extra request headers.");
    return s;
  }();
  return *spec;
}

WebhookTarget::WebhookTarget(WebhookSettings settings, const ConnectorContext& context)
    : settings_(std::move(settings)),
      key_(standard_webhooks::DecodeSigningSecret(settings_.secret.Reveal()).value_or("")),
      clock_(context.clock != nullptr ? context.clock : &g_system_clock) {
  projection_.properties = settings_.properties.empty() ? common::DefaultDocumentProperties()
                                                        : settings_.properties;
}

TargetLimits WebhookTarget::limits() const {
  return {static_cast<size_t>(settings_.max_batch), settings_.requests_per_second,
          std::max(1.0, settings_.requests_per_second)};
}

delivery::PropertyMap WebhookTarget::Project(const delivery::PropertyMap& document) const {
  return projection_.Project(document);
}

std::unique_ptr<TargetSession> WebhookTarget::OpenSession() const {
  return std::make_unique<WebhookSession>(settings_, key_, *clock_);
}

std::unique_ptr<Factory<Target>> MakeWebhookFactory() {
  return std::make_unique<SpecFactory<Target, WebhookTarget, WebhookSettings>>(
      "webhook", "Signed (Standard Webhooks) JSON POSTs of profile, touchpoint and action changes.",
      WebhookSettings::Spec());
}

}  // namespace journeyd::connectors::webhook
