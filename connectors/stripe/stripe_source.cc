#include "connectors/stripe/stripe_source.h"

#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/common/header_params.h"
#include "connectors/common/json.h"
#include "connectors/common/request.h"
#include "connectors/common/timestamp.h"

namespace journeyd::connectors::stripe {

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
  const std::chrono::system_clock::time_point signed_at{std::chrono::seconds(*seconds)};
  if (Status fresh = common::CheckFreshness(*clock_, signed_at, settings_.tolerance); !fresh.ok()) {
    return fresh.error();
  }
  auto parsed = common::ParseJson(request.body);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->is_object()) return InvalidArgument("Stripe event is not a JSON object");

  RawEvent event = common::NewEvent(source_name_, request, common::kJsonMediaType);
  event.event_type = common::ScalarText(common::FindMember(*parsed, "type"));
  event.external_id = common::ScalarText(common::FindMember(*parsed, "id"));
  event.body = std::string(request.body);
  std::vector<RawEvent> events;
  events.push_back(std::move(event));
  return events;
}

std::unique_ptr<Factory<WebhookSource>> MakeStripeFactory() {
  return std::make_unique<SpecFactory<WebhookSource, StripeSource, StripeSettings>>(
      "stripe", "Stripe webhooks, verified with Stripe-Signature.", StripeSettings::Spec());
}

}  // namespace journeyd::connectors::stripe
