#include "connectors/stripe/stripe_source.h"

#include <iterator>

#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/common/header_params.h"
#include "connectors/common/json.h"
#include "connectors/common/request.h"
#include "connectors/common/timestamp.h"

namespace journeyd::connectors::stripe {

namespace {

// The resource families of Stripe's "Types of events" reference (snapshot events, the kind a
// webhook endpoint receives), each as "<family>.*". A glob per resource, not per event: new
// events appear with each API version, new resources far more rarely.
constexpr std::string_view kEventFamilies[] = {
    "account.*", "application_fee.*", "balance.*", "billing.*", "billing_portal.*",
    "capability.*", "cash_balance.*", "charge.*", "checkout.session.*", "climate.*",
    "coupon.*", "credit_note.*", "customer.*", "customer_cash_balance_transaction.*",
    "entitlements.*", "file.*", "financial_connections.*", "identity.*", "invoice.*",
    "invoice_payment.*", "invoiceitem.*", "issuing_authorization.*", "issuing_card.*",
    "issuing_cardholder.*", "issuing_dispute.*", "issuing_personalization_design.*",
    "issuing_token.*", "issuing_transaction.*", "mandate.*", "payment_intent.*",
    "payment_link.*", "payment_method.*", "payout.*", "person.*", "plan.*", "price.*",
    "product.*", "promotion_code.*", "quote.*", "radar.*", "refund.*", "reporting.*",
    "review.*", "setup_intent.*", "sigma.*", "source.*", "subscription_schedule.*", "tax.*",
    "tax_rate.*", "terminal.*", "test_helpers.*", "topup.*", "transfer.*", "treasury.*",
};

// The event's `type`, read the same way for a delivery and for a saved body.
std::string TypeOf(const boost::json::value& event) {
  return common::ScalarText(common::FindMember(event, "type"));
}

}  // namespace

const config::StructSpec<StripeSettings>& StripeSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<StripeSettings>();
    s->Required("secret", &StripeSettings::secret,
                "The endpoint's signing secret (whsec_...), used as is.")
        .Optional("tolerance", &StripeSettings::tolerance,
                  "How far the signature timestamp may be from now; older events are refused "
                  "as replays.",
                  common::CheckPositiveDuration);
    return s;
  }();
  return *spec;
}

StripeSource::StripeSource(StripeSettings settings, const ConnectorContext& context)
    : settings_(std::move(settings)),
      source_name_(context.instance_name),
      clock_(&common::ClockOrSystem(context.clock)) {}

Result<std::vector<RawEvent>> StripeSource::Accept(const InboundRequest& request) const {
  const auto header = common::GetHeader(request, "Stripe-Signature");
  if (!header) return common::Unauthenticated("missing Stripe-Signature header");
  std::string_view timestamp;
  std::vector<std::string_view> candidates;
  for (const auto& [key, value] : common::ParseHeaderParams(*header)) {
    // v0 is Stripe's legacy test-mode scheme; anything else is for future schemes.
    if (key == "t") {
      timestamp = value;
    } else if (key == "v1") {
      candidates.push_back(value);
    }
  }
  const auto seconds = common::ParseDecimal(timestamp);
  if (!seconds) return common::Unauthenticated("Stripe-Signature has no valid t=");
  if (candidates.empty()) return common::Unauthenticated("Stripe-Signature has no v1 signature");

  const std::string expected =
      common::HmacSha256(settings_.secret.Reveal(), {timestamp, ".", request.body});
  bool matched = false;
  // While a secret is being rolled Stripe sends one v1 per active secret; any may match.
  for (std::string_view candidate : candidates) {
    matched = common::DigestMatches(expected, candidate, common::DigestEncoding::kHex) || matched;
  }
  if (!matched) return common::Unauthenticated("signature mismatch");
  // A time the clock cannot hold is centuries away from now: outside any tolerance.
  const auto signed_at = common::FromUnixSeconds(*seconds);
  if (!signed_at) return common::Unauthenticated("timestamp outside tolerance");
  if (Status fresh = common::CheckFreshness(*clock_, *signed_at, settings_.tolerance);
      !fresh.ok()) {
    return fresh.error();
  }
  auto parsed = common::ParseJson(request.body);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->is_object()) return InvalidArgument("Stripe event is not a JSON object");

  RawEvent event = common::NewEvent(source_name_, request, common::kJsonMediaType);
  event.event_type = TypeOf(*parsed);
  event.external_id = common::ScalarText(common::FindMember(*parsed, "id"));
  event.body = std::string(request.body);
  std::vector<RawEvent> events;
  events.push_back(std::move(event));
  return events;
}

std::vector<std::string> StripeSource::EventTypes() const {
  return std::vector<std::string>(std::begin(kEventFamilies), std::end(kEventFamilies));
}

std::optional<std::string> StripeSource::EventTypeOf(const boost::json::value& payload) const {
  std::string type = TypeOf(payload);
  if (type.empty()) return std::nullopt;
  return type;
}

std::unique_ptr<Factory<WebhookSource>> MakeStripeFactory() {
  return std::make_unique<SpecFactory<WebhookSource, StripeSource, StripeSettings>>(
      "stripe", "Stripe webhooks, verified with Stripe-Signature.", StripeSettings::Spec());
}

}  // namespace journeyd::connectors::stripe
