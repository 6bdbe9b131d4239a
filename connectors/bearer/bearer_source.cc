#include "connectors/bearer/bearer_source.h"

#include "connectors/common/header_params.h"
#include "connectors/common/json.h"
#include "connectors/common/request.h"

namespace journeyd::connectors::bearer {

namespace {

constexpr std::string_view kScheme = "Bearer ";

bool HasScheme(std::string_view value) {
  return value.size() >= kScheme.size() &&
         EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme);
}

}  // namespace

const config::StructSpec<BearerSettings>& BearerSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<BearerSettings>();
    s->Required("token", &BearerSettings::token, "The token the sender presents.")
        .Optional("header", &BearerSettings::header,
                  "Where the token is: Authorization (as \"Bearer <token>\") or a header that "
                  "carries the token alone.",
                  common::CheckHeaderName);
    common::AddEventLocatorKeys(*s);
    return s;
  }();
  return *spec;
}

BearerSource::BearerSource(BearerSettings settings, const ConnectorContext& context)
    : settings_(std::move(settings)),
      locator_(common::EventLocatorOf(settings_)),
      source_name_(context.instance_name) {}

Result<std::vector<RawEvent>> BearerSource::Accept(const InboundRequest& request) const {
  const auto header = common::GetHeader(request, settings_.header);
  if (!header) return common::Unauthenticated("missing " + settings_.header + " header");
  std::string_view presented = common::TrimSpaces(*header);
  if (HasScheme(presented)) {
    presented = common::TrimSpaces(presented.substr(kScheme.size()));
  } else if (EqualsIgnoreCase(settings_.header, "Authorization")) {
    // RFC 6750: in Authorization the token always follows the Bearer scheme.
    return common::Unauthenticated("Authorization is not a Bearer token");
  }
  if (!settings_.token.Equals(presented)) return common::Unauthenticated("token mismatch");

  return locator_.SingleJsonEvent(source_name_, request, settings_.header);
}

std::vector<std::string> BearerSource::EventTypes() const { return {}; }

std::optional<std::string> BearerSource::EventTypeOf(const boost::json::value& payload) const {
  // Where Accept would fall back to the field (no type header in the request), the same read.
  if (settings_.event_type_field.empty()) return std::nullopt;
  std::string type = common::ScalarText(common::FindMember(payload, settings_.event_type_field));
  if (type.empty()) return std::nullopt;
  return type;
}

std::unique_ptr<Factory<WebhookSource>> MakeBearerFactory() {
  return std::make_unique<SpecFactory<WebhookSource, BearerSource, BearerSettings>>(
      "bearer", "Any sender that authenticates with a static bearer token.",
      BearerSettings::Spec());
}

}  // namespace journeyd::connectors::bearer
