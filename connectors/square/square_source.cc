#include "connectors/square/square_source.h"

#include "connectors/common/checks.h"
#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/common/json.h"
#include "connectors/common/request.h"

namespace journeyd::connectors::square {

namespace {

constexpr std::string_view kSignatureHeader = "x-square-hmacsha256-signature";

}  // namespace

const config::StructSpec<SquareSettings>& SquareSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<SquareSettings>();
    s->Required("signature_key", &SquareSettings::signature_key,
                "The subscription's signature key (Developer Console > Webhooks).")
        .Required("notification_url", &SquareSettings::notification_url,
                  "The notification URL exactly as registered at Square; it is part of the "
                  "signed message.",
                  common::CheckHttpUrl);
    return s;
  }();
  return *spec;
}

SquareSource::SquareSource(SquareSettings settings, const ConnectorContext& context)
    : settings_(std::move(settings)), source_name_(context.instance_name) {}

Result<std::vector<RawEvent>> SquareSource::Accept(const InboundRequest& request) const {
  const auto signature = common::GetHeader(request, kSignatureHeader);
  if (!signature) return common::Unauthenticated("missing x-square-hmacsha256-signature header");
  const std::string expected = common::HmacSha256(settings_.signature_key.Reveal(),
                                                  {settings_.notification_url, request.body});
  if (!common::DigestMatches(expected, *signature, common::DigestEncoding::kBase64)) {
    return common::Unauthenticated("signature mismatch");
  }
  auto parsed = common::ParseJson(request.body);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->is_object()) return InvalidArgument("Square notification is not a JSON object");

  RawEvent event = common::NewEvent(source_name_, request, common::kJsonMediaType);
  event.event_type = common::ScalarText(common::FindMember(*parsed, "type"));
  event.external_id = common::ScalarText(common::FindMember(*parsed, "event_id"));
  event.body = std::string(request.body);
  common::KeepHeaders(request,
                      {"Square-Version", "Square-Environment", "Square-Initial-Delivery-Timestamp",
                       "Square-Retry-Number", "Square-Retry-Reason"},
                      event);
  std::vector<RawEvent> events;
  events.push_back(std::move(event));
  return events;
}

std::unique_ptr<Factory<WebhookSource>> MakeSquareFactory() {
  return std::make_unique<SpecFactory<WebhookSource, SquareSource, SquareSettings>>(
      "square", "Square webhooks, verified with x-square-hmacsha256-signature.",
      SquareSettings::Spec());
}

}  // namespace journeyd::connectors::square
