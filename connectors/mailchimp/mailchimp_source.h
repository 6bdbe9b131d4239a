// The Mailchimp audience-webhook source. Mailchimp does not sign: the callback URL carries a
// secret as ?key=..., compared in constant time. Each form-encoded POST becomes one RawEvent
// whose body is the form turned into a flat JSON object, so later stages read JSON only.
// Immutable after construction: Accept is safe to call concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/secret.h"
#include "engine/connector/factory.h"
#include "engine/connector/webhook_source.h"

namespace journeyd::connectors::mailchimp {

struct MailchimpSettings {
  Secret secret;  // the value of `key` in the callback URL registered at Mailchimp
  static const config::StructSpec<MailchimpSettings>& Spec();
};

class MailchimpSource final : public WebhookSource {
 public:
  MailchimpSource(MailchimpSettings settings, const ConnectorContext& context);
  Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const override;
  bool AcceptsMediaType(std::string_view media_type) const override;
  // Mailchimp checks the URL with a GET when the webhook is saved.
  bool AnswersGetProbe() const override { return true; }
  // The audience webhook events Mailchimp sends (the form's `type`): subscribe, unsubscribe,
  // profile, upemail, cleaned and campaign.
  std::vector<std::string> EventTypes() const override;
  // The `type` of the decoded form ({"type": "subscribe", "data": {...}}), which is also what
  // Accept stores; nullopt when there is none.
  std::optional<std::string> EventTypeOf(const boost::json::value& payload) const override;

 private:
  MailchimpSettings settings_;
  std::string source_name_;
};

std::unique_ptr<Factory<WebhookSource>> MakeMailchimpFactory();

}  // namespace journeyd::connectors::mailchimp
