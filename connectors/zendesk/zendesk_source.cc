#include "connectors/zendesk/zendesk_source.h"

#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/common/json.h"
#include "connectors/common/request.h"
#include "connectors/common/timestamp.h"

namespace journeyd::connectors::zendesk {

namespace {

constexpr std::string_view kSignatureHeader = "X-Zendesk-Webhook-Signature";
constexpr std::string_view kTimestampHeader = "X-Zendesk-Webhook-Signature-Timestamp";

// The body's `type`, read the same way for a delivery and for a saved body.
std::string TypeOf(const boost::json::value& body) {
  return common::ScalarText(common::FindMember(body, "type"));
}

}  // namespace

const config::StructSpec<ZendeskSettings>& ZendeskSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<ZendeskSettings>();
    s->Required("secret", &ZendeskSettings::secret,
                "The webhook's signing secret, exactly as Zendesk shows it.")
        .Optional("tolerance", &ZendeskSettings::tolerance,
                  "How far the signature timestamp may be from now; older deliveries are "
                  "refused as replays.",
                  common::CheckPositiveDuration);
    return s;
  }();
  return *spec;
}

ZendeskSource::ZendeskSource(ZendeskSettings settings, const ConnectorContext& context)
    : settings_(std::move(settings)),
      source_name_(context.instance_name),
      clock_(&common::ClockOrSystem(context.clock)) {}

Result<std::vector<RawEvent>> ZendeskSource::Accept(const InboundRequest& request) const {
  const auto signature = common::GetHeader(request, kSignatureHeader);
  if (!signature) return common::Unauthenticated("missing X-Zendesk-Webhook-Signature header");
  const auto timestamp = common::GetHeader(request, kTimestampHeader);
  if (!timestamp) {
    return common::Unauthenticated("missing X-Zendesk-Webhook-Signature-Timestamp header");
  }
  const auto signed_at = common::ParseIso8601(*timestamp);
  if (!signed_at) return common::Unauthenticated("malformed signature timestamp");
  const std::string expected =
      common::HmacSha256(settings_.secret.Reveal(), {*timestamp, request.body});
  if (!common::DigestMatches(expected, *signature, common::DigestEncoding::kBase64)) {
    return common::Unauthenticated("signature mismatch");
  }
  // Checked after the signature so that this message always means a genuine but late (or
  // replayed) delivery.
  if (Status fresh = common::CheckFreshness(*clock_, *signed_at, settings_.tolerance);
      !fresh.ok()) {
    return fresh.error();
  }
  auto parsed = common::ParseJson(request.body);
  if (!parsed.ok()) return parsed.error();

  RawEvent event = common::NewEvent(source_name_, request, common::kJsonMediaType);
  // Event-subscription webhooks carry "type" and "id"; trigger webhooks have an admin-defined
  // body, where both may be absent.
  event.event_type = TypeOf(*parsed);
  event.external_id = common::ScalarText(common::FindMember(*parsed, "id"));
  event.body = std::string(request.body);
  common::KeepHeaders(
      request, {"X-Zendesk-Account-Id", "X-Zendesk-Webhook-Id", "X-Zendesk-Webhook-Invocation-Id"},
      event);
  std::vector<RawEvent> events;
  events.push_back(std::move(event));
  return events;
}

std::vector<std::string> ZendeskSource::EventTypes() const { return {}; }

std::optional<std::string> ZendeskSource::EventTypeOf(const boost::json::value& payload) const {
  std::string type = TypeOf(payload);
  if (type.empty()) return std::nullopt;
  return type;
}

std::unique_ptr<Factory<WebhookSource>> MakeZendeskFactory() {
  return std::make_unique<SpecFactory<WebhookSource, ZendeskSource, ZendeskSettings>>(
      "zendesk", "Zendesk webhooks, verified with X-Zendesk-Webhook-Signature.",
      ZendeskSettings::Spec());
}

}  // namespace journeyd::connectors::zendesk
