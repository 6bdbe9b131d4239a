#include "engine/governance/consent_policy.h"

#include <catch2/catch.hpp>

namespace journeyd::governance {
namespace {

TimePoint At(int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }

CanonicalRecord Stating(std::string source, std::string purpose, bool granted,
                        std::optional<TimePoint> at, TimePoint occurred) {
  CanonicalRecord r;
  r.source = std::move(source);
  r.occurred_at = occurred;
  r.traits.consent[std::move(purpose)] = Consent{granted, at};
  return r;
}

TEST_CASE("the latest consent statement wins, whichever source made it", "[governance]") {
  // Shopify granted in 2024; Mailchimp's unsubscribe (2025) arrives first in the list.
  const auto consent = ConsentOf({
      Stating("mailchimp", "email_marketing", false, At(1'740'000'000), At(1'740'000'100)),
      Stating("shopify", "email_marketing", true, At(1'710'000'000), At(1'750'000'000)),
      Stating("shopify", "sms_marketing", true, std::nullopt, At(1'700'000'000)),
  });
  REQUIRE(consent.size() == 2);
  CHECK_FALSE(consent.at("email_marketing").granted);
  CHECK(consent.at("email_marketing").source == "mailchimp");
  CHECK(consent.at("email_marketing").at == At(1'740'000'000));
  // Without a time of its own, the statement dates from its record.
  CHECK(consent.at("sms_marketing").granted);
  CHECK(consent.at("sms_marketing").at == At(1'700'000'000));
}

TEST_CASE("marketing touchpoints need a granted consent for their purpose", "[governance]") {
  config::ConsentSettings settings;  // email_sent -> email_marketing, sms_sent -> sms_marketing
  ConsentPolicy policy(settings);
  std::map<std::string, ProfileConsent> consent{{"email_marketing", {true, At(1), "shopify"}},
                                                {"sms_marketing", {false, At(2), "shopify"}}};
  CHECK(policy.PurposeOf("email_sent") == "email_marketing");
  CHECK(policy.MayDeliver("email_sent", consent));
  CHECK_FALSE(policy.MayDeliver("sms_sent", consent));   // withdrawn
  CHECK_FALSE(policy.MayDeliver("email_sent", {}));      // never given
  CHECK(policy.MayDeliver("order_placed", {}));          // needs none
  settings.enforce = false;
  CHECK(ConsentPolicy(settings).MayDeliver("sms_sent", consent));
}

}  // namespace
}  // namespace journeyd::governance
