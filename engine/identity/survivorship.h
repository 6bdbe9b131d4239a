// Survivorship decides a customer profile's golden record: for every field, which of the values
// the profile's source records contributed survives, and who supplied it (provenance), so that
// the CRM gets one value per field and `journeyd explain` can say why. Each field has a rule
// (SurvivorshipPolicy); the computation is a pure function of the contributions and the policy,
// independent of their order, and safe to call from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/record/canonical_record.h"

namespace journeyd::identity {

enum class SurvivorshipRule {
  kSourcePriority,  // the value of the most trusted source that has one
  kMostRecent,      // the latest observed value
  kMostFrequent,    // the value most contributions carry (exact, case-sensitive text)
  kFirstSeen,       // the earliest observed value
  kLongest,         // the longest value, in UTF-8 code points
};

// "source_priority", "most_recent", "most_frequent", "first_seen", "longest"; nullopt otherwise.
std::optional<SurvivorshipRule> ParseSurvivorshipRule(std::string_view name);
std::string_view SurvivorshipRuleName(SurvivorshipRule rule);

struct FieldPolicy {
  SurvivorshipRule rule = SurvivorshipRule::kMostRecent;
  // Source names, most trusted first. Decides kSourcePriority and breaks the ties of every rule.
  // Sources not listed rank below all listed ones, equal among themselves.
  std::vector<std::string> source_priority;
  // When set and that source contributed a non-empty value, its latest value wins whatever the
  // rule says: e.g. the billing system owns the postal address.
  std::string owner;
};

// Consent fields ("consent.<purpose>") go through the same rules as any other field. Keep them
// on kMostRecent (the default): a customer's latest decision must win, and any other rule could
// resurrect a withdrawn consent.
struct SurvivorshipPolicy {
  FieldPolicy default_policy;                 // for fields without their own entry
  std::map<std::string, FieldPolicy> fields;  // by field name: "email", "consent.email_marketing"

  // The entry for `field`, or default_policy. The reference lives as long as this policy.
  const FieldPolicy& For(std::string_view field) const;
};

// One value a source record contributed to a field.
struct Contribution {
  std::string field;       // "first_name", "email", "phone", "consent.<purpose>", "custom.<name>",
                           // or an identity type such as "shopify.customer_id"
  std::string value;       // as text; see ContributionsOf for consent and custom values
  std::string source;      // source name
  std::string record_id;   // the record's id in the store, as text
  TimePoint observed_at;   // when the value was true: the record's occurred_at (see ContributionsOf)
};

// The surviving value of one field and where it came from.
struct GoldenField {
  std::string value;
  std::string source;     // provenance: the contribution that supplied the value
  std::string record_id;
  TimePoint observed_at;
  SurvivorshipRule rule = SurvivorshipRule::kMostRecent;  // the field's configured rule
  bool owned = false;     // true when the field's owner supplied the value, overriding `rule`
  int supporting = 0;     // how many contributions carried exactly this value (>= 1)

  friend bool operator==(const GoldenField&, const GoldenField&) = default;
};

// Field -> golden value, for every field with at least one non-empty contribution (empty values
// never survive). Deterministic: the contributions in any order give the same result. Ties are
// broken by source priority, then the later observed_at, then the larger record_id (compared as
// numbers when both are digits, so the later stored record), then source name and value. The
// provenance of a kMostFrequent value is its best contribution under that same order.
// O(n log n) in the number of contributions.
std::map<std::string, GoldenField> ComputeGoldenRecord(
    const std::vector<Contribution>& contributions, const SurvivorshipPolicy& policy);

// The contributions of one canonical record, stored under `record_id`, all from record.source:
//   - traits.fields: field = the trait name;
//   - traits.consent: field = "consent.<purpose>", value "granted" or "denied", observed_at the
//     consent's own `at` when known (a record may repeat an older decision; the decision time is
//     what most_recent must compare), else the record's occurred_at;
//   - traits.custom: field = "custom.<name>", value = the compact JSON text of the value (so a
//     string is quoted: "\"vip\"", and boost::json::parse gives the value back);
//   - identities: field = the identity type ("email", "phone", "shopify.customer_id"), one
//     contribution per identity.
// Empty values (and custom nulls and "") contribute nothing. observed_at is the record's
// occurred_at unless said otherwise.
std::vector<Contribution> ContributionsOf(const CanonicalRecord& record, std::string_view record_id);

// One line for `journeyd explain`, e.g.
//   "most_recent: from shopify record 42 at 2026-01-02T03:04:05.000Z, 3 records agree"
//   "owned by pos: from pos record 7 at 2026-01-02T03:04:05.000Z, no other record agrees"
// The value itself is left to the caller.
std::string Explain(const GoldenField& field);

}  // namespace journeyd::identity
