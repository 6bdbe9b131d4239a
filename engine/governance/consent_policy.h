// Consent: what a profile has agreed to, per purpose (email_marketing, sms_marketing, tracking),
// and what that allows. Every source that reports consent (a Mailchimp unsubscribe, Shopify's
// marketing consent, Segment's consent object) states it with a time; across a profile's records
// the latest statement wins, whichever source made it. Delivery asks MayDeliver before it sends
// a marketing touchpoint; without a granted consent for its purpose, it is held back.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/config.h"
#include "engine/record/canonical_record.h"

namespace journeyd::governance {

// One purpose's consent on a profile, with where it came from.
struct ProfileConsent {
  bool granted = false;
  TimePoint at;        // when the source says it was given or withdrawn
  std::string source;  // the source of the deciding record
};

// The latest statement per purpose across `records`: by the consent's own time, else the
// record's; a tie goes to the later record in the list (the later one stored).
std::map<std::string, ProfileConsent> ConsentOf(const std::vector<CanonicalRecord>& records);
// ConsentOf one record at a time: `record` comes after every record already applied to
// `consent`, so that a caller can keep a profile's consent and add only its new records.
void ApplyConsent(std::map<std::string, ProfileConsent>& consent, const CanonicalRecord& record);

class ConsentPolicy {
 public:
  explicit ConsentPolicy(const config::ConsentSettings& settings);

  // The purpose a touchpoint type needs, or "" when it needs none.
  std::string_view PurposeOf(std::string_view touchpoint_type) const;
  // True when the touchpoint needs no consent, enforcement is off, or the profile granted
  // the purpose it needs; false when that consent is missing or withdrawn.
  bool MayDeliver(std::string_view touchpoint_type,
                  const std::map<std::string, ProfileConsent>& consent) const;

 private:
  bool enforce_;
  std::map<std::string, std::string, std::less<>> purposes_;
};

}  // namespace journeyd::governance
