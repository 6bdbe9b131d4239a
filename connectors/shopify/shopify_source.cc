#include "connectors/shopify/shopify_source.h"

#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/common/json.h"
#include "connectors/common/request.h"

namespace journeyd::connectors::shopify {

namespace {

constexpr std::string_view kSignatureHeader = "X-Shopify-Hmac-Sha256";
constexpr std::string_view kTopicHeader = "X-Shopify-Topic";
constexpr std::string_view kWebhookIdHeader = "X-Shopify-Webhook-Id";

}  // namespace

const config::StructSpec<ShopifySettings>& ShopifySettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<ShopifySettings>();
    s->Required("secret", &ShopifySettings::secret,
                "The app's client secret, which signs every delivery (X-Shopify-Hmac-Sha256).");
    return s;
  }();
  return *spec;
}

ShopifySource::ShopifySource(ShopifySettings settings, const ConnectorContext& context)
    : settings_(std::move(settings)), source_name_(context.instance_name) {}

Result<std::vector<RawEvent>> ShopifySource::Accept(const InboundRequest& request) const {
  const auto signature = common::GetHeader(request, kSignatureHeader);
  if (!signature) return common::Unauthenticated("missing X-Shopify-Hmac-Sha256 header");
  const std::string expected = common::HmacSha256(settings_.secret.Reveal(), {request.body});
  if (!common::DigestMatches(expected, *signature, common::DigestEncoding::kBase64)) {
    return common::Unauthenticated("signature mismatch");
  }

  // Shopify documents X-Shopify-Webhook-Id as the one key to deduplicate deliveries on.
  const auto webhook_id = common::GetHeader(request, kWebhookIdHeader);
  if (!webhook_id || webhook_id->empty()) {
    return InvalidArgument("missing X-Shopify-Webhook-Id header");
  }
  if (Status valid = common::ValidateJson(request.body); !valid.ok()) return valid.error();

  RawEvent event = common::NewEvent(source_name_, request, common::kJsonMediaType);
  event.event_type = std::string(common::GetHeader(request, kTopicHeader).value_or(""));
  event.external_id = std::string(*webhook_id);
  event.body = std::string(request.body);
  common::KeepHeaders(request,
                      {kTopicHeader, "X-Shopify-Shop-Domain", "X-Shopify-API-Version",
                       kWebhookIdHeader, "X-Shopify-Triggered-At", "X-Shopify-Event-Id"},
                      event);
  std::vector<RawEvent> events;
  events.push_back(std::move(event));
  return events;
}

std::unique_ptr<Factory<WebhookSource>> MakeShopifyFactory() {
  return std::make_unique<SpecFactory<WebhookSource, ShopifySource, ShopifySettings>>(
      "shopify", "Shopify webhooks, verified with X-Shopify-Hmac-Sha256.", ShopifySettings::Spec());
}

}  // namespace journeyd::connectors::shopify
