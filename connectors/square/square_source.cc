#include "connectors/square/square_source.h"

#include <iterator>

#include "connectors/common/checks.h"
#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/common/json.h"
#include "connectors/common/request.h"

namespace journeyd::connectors::square {

namespace {

constexpr std::string_view kSignatureHeader = "x-square-hmacsha256-signature";

// From Square's webhook events reference. The events a customer-data mapping is built on are
// exact, so "customer.create" or "order.fulfilled" fails at load time; the rest are families.
constexpr std::string_view kEventTypes[] = {
    "customer.created", "customer.updated", "customer.deleted",
    "customer.custom_attribute.*", "customer.custom_attribute_definition.*",
    "order.created", "order.updated", "order.fulfillment.updated",
    "order.custom_attribute.*", "order.custom_attribute_definition.*",
    "payment.created", "payment.updated",
    "refund.created", "refund.updated",
    "bank_account.*", "booking.*", "card.*", "catalog.*", "device.*", "dispute.*",
    "gift_card.*", "inventory.*", "invoice.*", "job.*", "labor.*", "location.*", "loyalty.*",
    "merchant.*", "oauth.*", "online_checkout.*", "payout.*", "subscription.*",
    "team_member.*", "terminal.*", "vendor.*",
};

// The notification's `type`, read as Accept reads it.
std::string TypeOf(const boost::json::value& notification) {
  return common::ScalarText(common::FindMember(notification, "type"));
}

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
  event.event_type = TypeOf(*parsed);
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

std::vector<std::string> SquareSource::EventTypes() const {
  return std::vector<std::string>(std::begin(kEventTypes), std::end(kEventTypes));
}

std::optional<std::string> SquareSource::EventTypeOf(const boost::json::value& payload) const {
  std::string type = TypeOf(payload);
  if (type.empty()) return std::nullopt;
  return type;
}

std::unique_ptr<Factory<WebhookSource>> MakeSquareFactory() {
  return std::make_unique<SpecFactory<WebhookSource, SquareSource, SquareSettings>>(
      "square", "Square webhooks, verified with x-square-hmacsha256-signature.",
      SquareSettings::Spec());
}

}  // namespace journeyd::connectors::square
