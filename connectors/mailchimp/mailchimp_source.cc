#include "connectors/mailchimp/mailchimp_source.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <iterator>

#include "engine/mapping/payload.h"

#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/common/form.h"
#include "connectors/common/request.h"

namespace journeyd::connectors::mailchimp {

namespace {

// Every event type of Mailchimp's audience webhooks ("About webhooks"); a campaign event is
// about a send to the whole audience, the others about one member.
constexpr std::string_view kEventTypes[] = {"subscribe", "unsubscribe", "profile",
                                            "upemail",   "cleaned",     "campaign"};

// The `type` of the decoded form; "" when absent or not text. Accept and EventTypeOf both read
// it from the nested shape, so a form that repeats `type` has the type its stored body shows.
std::string TypeOf(const boost::json::object& form) {
  const boost::json::value* type = form.if_contains("type");
  if (type == nullptr || !type->is_string()) return {};
  return std::string(type->as_string().c_str(), type->as_string().size());
}

}  // namespace

const config::StructSpec<MailchimpSettings>& MailchimpSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<MailchimpSettings>();
    s->Required("secret", &MailchimpSettings::secret,
                "The secret in the callback URL's query: register "
                "https://<host>/webhooks/<name>?key=<secret> at Mailchimp.");
    return s;
  }();
  return *spec;
}

MailchimpSource::MailchimpSource(MailchimpSettings settings, const ConnectorContext& context)
    : settings_(std::move(settings)), source_name_(context.instance_name) {}

bool MailchimpSource::AcceptsMediaType(std::string_view media_type) const {
  return media_type == common::kFormMediaType;
}

Result<std::vector<RawEvent>> MailchimpSource::Accept(const InboundRequest& request) const {
  auto query = common::ParseFormUrlEncoded(request.query);
  if (!query.ok()) return common::Unauthenticated("malformed query string");
  const auto key = common::FindField(*query, "key");
  if (!key) return common::Unauthenticated("missing key query parameter");
  if (!settings_.secret.Equals(*key)) return common::Unauthenticated("key mismatch");

  auto fields = common::ParseFormUrlEncoded(request.body);
  if (!fields.ok()) return fields.error();
  // Mailchimp sends UTF-8; anything else would be stored as a body that is not JSON.
  for (const auto& [name, value] : *fields) {
    if (!common::IsValidUtf8(name) || !common::IsValidUtf8(value)) {
      return InvalidArgument("Mailchimp form has a field that is not UTF-8");
    }
  }

  // Stored as JSON with bracketed keys nested (data[merges][FNAME] is data.merges.FNAME), the
  // same shape a mapping sees for a form body it decodes itself (docs/mapping.md).
  auto object = mapping::NestFormFields(*fields);
  if (!object.ok()) return object.error();
  std::string type = TypeOf(*object);
  if (type.empty()) return InvalidArgument("Mailchimp form has no 'type' field");

  RawEvent event = common::NewEvent(source_name_, request, common::kJsonMediaType);
  event.event_type = std::move(type);
  // Mailchimp sends no event id; a redelivery repeats the same body, so its hash dedupes it.
  event.external_id = "sha256:" + common::HexEncode(common::Sha256(request.body));
  event.body = boost::json::serialize(*object);
  std::vector<RawEvent> events;
  events.push_back(std::move(event));
  return events;
}

std::vector<std::string> MailchimpSource::EventTypes() const {
  return std::vector<std::string>(std::begin(kEventTypes), std::end(kEventTypes));
}

std::optional<std::string> MailchimpSource::EventTypeOf(const boost::json::value& payload) const {
  const boost::json::object* form = payload.if_object();
  if (form == nullptr) return std::nullopt;
  std::string type = TypeOf(*form);
  if (type.empty()) return std::nullopt;
  return type;
}

std::unique_ptr<Factory<WebhookSource>> MakeMailchimpFactory() {
  return std::make_unique<SpecFactory<WebhookSource, MailchimpSource, MailchimpSettings>>(
      "mailchimp", "Mailchimp audience webhooks, authenticated by a key in the callback URL.",
      MailchimpSettings::Spec());
}

}  // namespace journeyd::connectors::mailchimp
