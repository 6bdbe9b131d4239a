#include "connectors/woocommerce/woocommerce_source.h"

#include <array>
#include <iterator>
#include <utility>

#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/common/json.h"
#include "connectors/common/request.h"

namespace journeyd::connectors::woocommerce {

namespace {

constexpr std::string_view kSignatureHeader = "X-WC-Webhook-Signature";
constexpr std::string_view kTopicHeader = "X-WC-Webhook-Topic";
constexpr std::string_view kDeliveryIdHeader = "X-WC-Webhook-Delivery-ID";

// WC_Webhook::deliver_ping() posts exactly "webhook_id=<id>", with no signature and none of the
// X-WC-Webhook-* headers, and refuses to activate the webhook unless it gets a 200.
bool IsPing(std::string_view body) {
  constexpr std::string_view kPrefix = "webhook_id=";
  if (!body.starts_with(kPrefix) || body.size() == kPrefix.size()) return false;
  for (char c : body.substr(kPrefix.size())) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// wc_get_webhook_topics() of WooCommerce core; WooCommerce Subscriptions' topics, which it
// registers through the woocommerce_webhook_topics filter; and action webhooks, whose topic is
// "action." followed by the name of whichever WordPress hook the admin picked.
constexpr std::string_view kTopics[] = {
    "coupon.created", "coupon.updated", "coupon.deleted", "coupon.restored",
    "customer.created", "customer.updated", "customer.deleted",
    "order.created", "order.updated", "order.deleted", "order.restored",
    "product.created", "product.updated", "product.deleted", "product.restored",
    "subscription.created", "subscription.updated", "subscription.deleted",
    "subscription.switched",
    "action.*",
};

}  // namespace

std::string DecodeWordPressEntities(std::string_view text) {
  // The table of wp_specialchars_decode() with ENT_QUOTES; like PHP's strtr, one left-to-right
  // pass, so "&amp;amp;" becomes "&amp;".
  static constexpr std::array<std::pair<std::string_view, char>, 17> kEntities{{
      {"&amp;", '&'},
      {"&#038;", '&'},
      {"&#38;", '&'},
      {"&#x26;", '&'},
      {"&lt;", '<'},
      {"&#060;", '<'},
      {"&#60;", '<'},
      {"&gt;", '>'},
      {"&#062;", '>'},
      {"&#62;", '>'},
      {"&quot;", '"'},
      {"&#034;", '"'},
      {"&#34;", '"'},
      {"&#x22;", '"'},
      {"&#039;", '\''},
      {"&#39;", '\''},
      {"&#x27;", '\''},
  }};
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (text.substr(i).starts_with(entity)) {
          out += c;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

const config::StructSpec<WooCommerceSettings>& WooCommerceSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<WooCommerceSettings>();
    s->Required("secret", &WooCommerceSettings::secret,
                "The webhook's secret (WooCommerce > Settings > Advanced > Webhooks).");
    return s;
  }();
  return *spec;
}

WooCommerceSource::WooCommerceSource(WooCommerceSettings settings, const ConnectorContext& context)
    : key_(DecodeWordPressEntities(settings.secret.Reveal())),
      source_name_(context.instance_name) {}

bool WooCommerceSource::AcceptsMediaType(std::string_view media_type) const {
  return media_type == common::kJsonMediaType || media_type == common::kFormMediaType;
}

Result<std::vector<RawEvent>> WooCommerceSource::Accept(const InboundRequest& request) const {
  const auto signature = common::GetHeader(request, kSignatureHeader);
  if (!signature) {
    // Answering an unsigned ping stores nothing, so it gives a forger nothing either.
    if (IsPing(request.body)) return std::vector<RawEvent>{};
    return common::Unauthenticated("missing X-WC-Webhook-Signature header");
  }
  const std::string expected = common::HmacSha256(key_.Reveal(), {request.body});
  if (!common::DigestMatches(expected, *signature, common::DigestEncoding::kBase64)) {
    return common::Unauthenticated("signature mismatch");
  }
  if (IsPing(request.body)) return std::vector<RawEvent>{};
  if (Status valid = common::ValidateJson(request.body); !valid.ok()) return valid.error();

  RawEvent event = common::NewEvent(source_name_, request, common::kJsonMediaType);
  event.event_type = std::string(common::GetHeader(request, kTopicHeader).value_or(""));
  event.external_id = std::string(common::GetHeader(request, kDeliveryIdHeader).value_or(""));
  event.body = std::string(request.body);
  common::KeepHeaders(request,
                      {"X-WC-Webhook-Source", kTopicHeader, "X-WC-Webhook-Resource",
                       "X-WC-Webhook-Event", "X-WC-Webhook-ID", kDeliveryIdHeader},
                      event);
  std::vector<RawEvent> events;
  events.push_back(std::move(event));
  return events;
}

std::vector<std::string> WooCommerceSource::EventTypes() const {
  return std::vector<std::string>(std::begin(kTopics), std::end(kTopics));
}

std::optional<std::string> WooCommerceSource::EventTypeOf(const boost::json::value&) const {
  return std::nullopt;
}

std::unique_ptr<Factory<WebhookSource>> MakeWooCommerceFactory() {
  return std::make_unique<SpecFactory<WebhookSource, WooCommerceSource, WooCommerceSettings>>(
      "woocommerce", "WooCommerce webhooks, verified with X-WC-Webhook-Signature.",
      WooCommerceSettings::Spec());
}

}  // namespace journeyd::connectors::woocommerce
