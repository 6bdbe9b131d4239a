#include "connectors/standard_webhooks/standard_webhooks_source.h"

#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/common/header_params.h"
#include "connectors/common/json.h"
#include "connectors/common/request.h"
#include "connectors/common/timestamp.h"

namespace journeyd::connectors::standard_webhooks {

namespace {

constexpr std::string_view kIdHeader = "webhook-id";
constexpr std::string_view kTimestampHeader = "webhook-timestamp";
constexpr std::string_view kSignatureHeader = "webhook-signature";

std::optional<std::string> CheckSecrets(const std::vector<Secret>& secrets) {
  if (secrets.empty()) return "needs at least one secret";
  for (size_t i = 0; i < secrets.size(); ++i) {
    // Never echo the value: the message ends up in logs and `journeyd check` output.
    if (!DecodeSigningSecret(secrets[i].Reveal())) {
      return "secret " + std::to_string(i + 1) + " is not whsec_ followed by base64";
    }
  }
  return std::nullopt;
}

// The payload's `type`, read the same way for a delivery and for a saved body.
std::string TypeOf(const boost::json::value& payload) {
  return common::ScalarText(common::FindMember(payload, "type"));
}

}  // namespace

std::optional<std::string> DecodeSigningSecret(std::string_view secret) {
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.starts_with(kPrefix)) secret.remove_prefix(kPrefix.size());
  auto key = common::Base64Decode(secret);
  if (!key || key->empty()) return std::nullopt;
  return key;
}

const config::StructSpec<StandardWebhooksSettings>& StandardWebhooksSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<StandardWebhooksSettings>();
    s->Required("secrets", &StandardWebhooksSettings::secrets,
                "Signing secrets (whsec_...); list the old and the new one while rotating.",
                CheckSecrets)
        .Optional("tolerance", &StandardWebhooksSettings::tolerance,
                  "How far webhook-timestamp may be from now; older messages are refused as "
                  "replays.",
                  common::CheckPositiveDuration);
    return s;
  }();
  return *spec;
}

StandardWebhooksSource::StandardWebhooksSource(StandardWebhooksSettings settings,
                                               const ConnectorContext& context)
    : tolerance_(settings.tolerance),
      source_name_(context.instance_name),
      clock_(&common::ClockOrSystem(context.clock)) {
  for (const Secret& secret : settings.secrets) {
    if (auto key = DecodeSigningSecret(secret.Reveal())) keys_.emplace_back(std::move(*key));
  }
}

Result<std::vector<RawEvent>> StandardWebhooksSource::Accept(const InboundRequest& request) const {
  const auto id = common::GetHeader(request, kIdHeader);
  const auto timestamp = common::GetHeader(request, kTimestampHeader);
  const auto header = common::GetHeader(request, kSignatureHeader);
  if (!id || id->empty()) return common::Unauthenticated("missing webhook-id header");
  if (!timestamp) return common::Unauthenticated("missing webhook-timestamp header");
  if (!header) return common::Unauthenticated("missing webhook-signature header");
  const auto seconds = common::ParseDecimal(*timestamp);
  if (!seconds) return common::Unauthenticated("malformed webhook-timestamp");

  std::vector<std::string_view> candidates;
  for (const auto& [version, signature] : common::ParseHeaderParams(*header, ' ', ',')) {
    // v1a (asymmetric ed25519) and later versions are not ours to check.
    if (version == "v1") candidates.push_back(signature);
  }
  if (candidates.empty()) return common::Unauthenticated("webhook-signature has no v1 signature");

  bool matched = false;
  for (const Secret& key : keys_) {
    const std::string expected =
        common::HmacSha256(key.Reveal(), {*id, ".", *timestamp, ".", request.body});
    for (std::string_view candidate : candidates) {
      matched =
          common::DigestMatches(expected, candidate, common::DigestEncoding::kBase64) || matched;
    }
  }
  if (!matched) return common::Unauthenticated("signature mismatch");
  // A time the clock cannot hold is centuries away from now: outside any tolerance.
  const auto signed_at = common::FromUnixSeconds(*seconds);
  if (!signed_at) return common::Unauthenticated("timestamp outside tolerance");
  if (Status fresh = common::CheckFreshness(*clock_, *signed_at, tolerance_); !fresh.ok()) {
    return fresh.error();
  }
  auto parsed = common::ParseJson(request.body);
  if (!parsed.ok()) return parsed.error();

  RawEvent event = common::NewEvent(source_name_, request, common::kJsonMediaType);
  event.event_type = TypeOf(*parsed);
  // The spec makes webhook-id the idempotency key: it is the same on every retry.
  event.external_id = std::string(*id);
  event.body = std::string(request.body);
  common::KeepHeaders(request, {kIdHeader, kTimestampHeader}, event);
  std::vector<RawEvent> events;
  events.push_back(std::move(event));
  return events;
}

std::vector<std::string> StandardWebhooksSource::EventTypes() const { return {}; }

std::optional<std::string> StandardWebhooksSource::EventTypeOf(
    const boost::json::value& payload) const {
  std::string type = TypeOf(payload);
  if (type.empty()) return std::nullopt;
  return type;
}

std::unique_ptr<Factory<WebhookSource>> MakeStandardWebhooksFactory() {
  return std::make_unique<
      SpecFactory<WebhookSource, StandardWebhooksSource, StandardWebhooksSettings>>(
      "standard_webhooks", "Standard Webhooks (Svix and others), verified with webhook-signature.",
      StandardWebhooksSettings::Spec());
}

}  // namespace journeyd::connectors::standard_webhooks
