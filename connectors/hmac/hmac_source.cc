#include "connectors/hmac/hmac_source.h"

#include "connectors/common/json.h"
#include "connectors/common/request.h"

namespace journeyd::connectors::hmac {

const config::StructSpec<HmacSettings>& HmacSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<HmacSettings>();
    s->Required("secret", &HmacSettings::secret, "The shared secret that keys the HMAC.")
        .Required("header", &HmacSettings::header,
                  "The header carrying the signature, e.g. X-Hub-Signature-256.",
                  common::CheckHeaderName)
        .Optional("algorithm", &HmacSettings::algorithm, "sha1, sha256 or sha512.")
        .Optional("encoding", &HmacSettings::encoding, "How the digest is written: hex or base64.")
        .Optional("prefix", &HmacSettings::prefix,
                  "Text before the digest in the header, e.g. \"sha256=\".");
    common::AddEventLocatorKeys(*s);
    return s;
  }();
  return *spec;
}

HmacSource::HmacSource(HmacSettings settings, const ConnectorContext& context)
    : settings_(std::move(settings)),
      locator_(common::EventLocatorOf(settings_)),
      source_name_(context.instance_name) {}

Result<std::vector<RawEvent>> HmacSource::Accept(const InboundRequest& request) const {
  const auto header = common::GetHeader(request, settings_.header);
  if (!header) return common::Unauthenticated("missing " + settings_.header + " header");
  std::string_view digest = *header;
  const std::string_view prefix = settings_.prefix;
  if (digest.size() < prefix.size() || !EqualsIgnoreCase(digest.substr(0, prefix.size()), prefix)) {
    return common::Unauthenticated(settings_.header + " does not start with the prefix");
  }
  digest.remove_prefix(prefix.size());
  const std::string expected =
      common::Hmac(settings_.algorithm, settings_.secret.Reveal(), {request.body});
  if (!common::DigestMatches(expected, digest, settings_.encoding)) {
    return common::Unauthenticated("signature mismatch");
  }
  return locator_.SingleJsonEvent(source_name_, request, settings_.header);
}

std::vector<std::string> HmacSource::EventTypes() const { return {}; }

std::optional<std::string> HmacSource::EventTypeOf(const boost::json::value& payload) const {
  // Where Accept would fall back to the field (no type header in the request), the same read.
  if (settings_.event_type_field.empty()) return std::nullopt;
  std::string type = common::ScalarText(common::FindMember(payload, settings_.event_type_field));
  if (type.empty()) return std::nullopt;
  return type;
}

std::unique_ptr<Factory<WebhookSource>> MakeHmacFactory() {
  return std::make_unique<SpecFactory<WebhookSource, HmacSource, HmacSettings>>(
      "hmac", "Any sender that signs the raw body with a shared-secret HMAC in one header.",
      HmacSettings::Spec());
}

}  // namespace journeyd::connectors::hmac
