#include "connectors/hubspot/hubspot_source.h"

#include <boost/json/serialize.hpp>
#include <iterator>

#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/common/json.h"
#include "connectors/common/request.h"
#include "connectors/common/timestamp.h"

namespace journeyd::connectors::hubspot {

namespace {

constexpr std::string_view kSignatureHeader = "X-HubSpot-Signature-v3";
constexpr std::string_view kTimestampHeader = "X-HubSpot-Request-Timestamp";

std::optional<std::string> CheckPublicUrl(const std::string& value) {
  if (auto problem = common::CheckHttpUrl(value)) return problem;
  if (value.find_first_of("?#") != std::string::npos) {
    return "must be the base URL only: the request's path and query are appended to it";
  }
  return std::nullopt;
}

// The eventType enum of HubSpot's webhooks subscriptions API: the legacy per-object types
// (contact, company, deal, ticket, product, line_item), the hub events (privacy deletions,
// conversations), and the generic object.* types that carry objectTypeId instead.
constexpr std::string_view kSubscriptionTypes[] = {
    "contact.creation", "contact.deletion", "contact.propertyChange", "contact.merge",
    "contact.associationChange", "contact.restore", "contact.privacyDeletion",
    "company.creation", "company.deletion", "company.propertyChange", "company.merge",
    "company.associationChange", "company.restore",
    "deal.creation", "deal.deletion", "deal.propertyChange", "deal.merge",
    "deal.associationChange", "deal.restore",
    "ticket.creation", "ticket.deletion", "ticket.propertyChange", "ticket.merge",
    "ticket.associationChange", "ticket.restore",
    "product.creation", "product.deletion", "product.propertyChange", "product.merge",
    "product.restore",
    "line_item.creation", "line_item.deletion", "line_item.propertyChange", "line_item.merge",
    "line_item.associationChange", "line_item.restore",
    "conversation.creation", "conversation.deletion", "conversation.propertyChange",
    "conversation.newMessage", "conversation.privacyDeletion",
    "object.creation", "object.deletion", "object.propertyChange", "object.merge",
    "object.associationChange", "object.restore",
    "event.completed",
};

// One event's type, read the same way for a delivery and for a saved body.
std::string SubscriptionTypeOf(const boost::json::value& event) {
  return common::ScalarText(common::FindMember(event, "subscriptionType"));
}

}  // namespace

const config::StructSpec<HubSpotSettings>& HubSpotSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<HubSpotSettings>();
    s->Required("client_secret", &HubSpotSettings::client_secret,
                "The app's client secret (app settings > Auth).")
        .Required("public_url", &HubSpotSettings::public_url,
                  "The base URL HubSpot calls, e.g. https://crm-sync.example.com; v3 signatures "
                  "cover the full URL.",
                  CheckPublicUrl)
        .Optional("tolerance", &HubSpotSettings::tolerance,
                  "How old X-HubSpot-Request-Timestamp may be; older requests are refused as "
                  "replays.",
                  common::CheckPositiveDuration);
    return s;
  }();
  return *spec;
}

HubSpotSource::HubSpotSource(HubSpotSettings settings, const ConnectorContext& context)
    : settings_(std::move(settings)),
      source_name_(context.instance_name),
      clock_(&common::ClockOrSystem(context.clock)) {
  while (!settings_.public_url.empty() && settings_.public_url.back() == '/') {
    settings_.public_url.pop_back();
  }
}

Result<std::vector<RawEvent>> HubSpotSource::Accept(const InboundRequest& request) const {
  // Only v3: HubSpot sends it on every request, and the older X-HubSpot-Signature (v1/v2) has
  // no timestamp, so a captured request could be replayed forever.
  const auto signature = common::GetHeader(request, kSignatureHeader);
  if (!signature) return common::Unauthenticated("missing X-HubSpot-Signature-v3 header");
  const auto timestamp = common::GetHeader(request, kTimestampHeader);
  if (!timestamp) return common::Unauthenticated("missing X-HubSpot-Request-Timestamp header");
  const auto millis = common::ParseDecimal(*timestamp);
  if (!millis) return common::Unauthenticated("malformed X-HubSpot-Request-Timestamp");

  std::string uri = settings_.public_url;
  uri += request.path;
  if (!request.query.empty()) {
    uri += '?';
    uri += request.query;
  }
  // HubSpot signs the URI with its %-escapes decoded ('+' stays a '+').
  const auto decoded = common::PercentDecode(uri, /*plus_is_space=*/false);
  if (!decoded) return common::Unauthenticated("malformed %-escape in the request URI");
  const std::string expected = common::HmacSha256(
      settings_.client_secret.Reveal(), {request.method, *decoded, request.body, *timestamp});
  if (!common::DigestMatches(expected, *signature, common::DigestEncoding::kBase64)) {
    return common::Unauthenticated("signature mismatch");
  }
  // A time the clock cannot hold is centuries away from now: outside any tolerance.
  const auto signed_at = common::FromUnixMillis(*millis);
  if (!signed_at) return common::Unauthenticated("timestamp outside tolerance");
  if (Status fresh = common::CheckFreshness(*clock_, *signed_at, settings_.tolerance);
      !fresh.ok()) {
    return fresh.error();
  }

  auto parsed = common::ParseJson(request.body);
  if (!parsed.ok()) return parsed.error();
  const boost::json::array* batch = parsed->if_array();
  if (batch == nullptr) return InvalidArgument("HubSpot webhook body is not a JSON array");
  std::vector<RawEvent> events;
  events.reserve(batch->size());
  for (size_t i = 0; i < batch->size(); ++i) {
    const boost::json::value& item = (*batch)[i];
    if (!item.is_object()) {
      return InvalidArgument("HubSpot event " + std::to_string(i) + " is not a JSON object");
    }
    RawEvent event = common::NewEvent(source_name_, request, common::kJsonMediaType);
    event.event_type = SubscriptionTypeOf(item);
    event.external_id = common::ScalarText(common::FindMember(item, "eventId"));
    event.body = boost::json::serialize(item);
    events.push_back(std::move(event));
  }
  return events;
}

std::vector<std::string> HubSpotSource::EventTypes() const {
  return std::vector<std::string>(std::begin(kSubscriptionTypes), std::end(kSubscriptionTypes));
}

std::optional<std::string> HubSpotSource::EventTypeOf(const boost::json::value& payload) const {
  const boost::json::value* event = &payload;
  if (const boost::json::array* batch = payload.if_array()) {
    // A batch may mix types; the first is the one `journeyd map` can show.
    if (batch->empty()) return std::nullopt;
    event = &batch->front();
  }
  std::string type = SubscriptionTypeOf(*event);
  if (type.empty()) return std::nullopt;
  return type;
}

std::unique_ptr<Factory<WebhookSource>> MakeHubSpotFactory() {
  return std::make_unique<SpecFactory<WebhookSource, HubSpotSource, HubSpotSettings>>(
      "hubspot", "HubSpot webhooks, verified with X-HubSpot-Signature-v3.",
      HubSpotSettings::Spec());
}

}  // namespace journeyd::connectors::hubspot
