// A DisclosurePolicy says what one delivery target may receive of a customer's personal data:
// each field is sent as it is, hashed, or dropped. An ad platform that matches audiences on
// hashed emails gets "sha256:<hex>" instead of the address; an analytics warehouse may get no
// names at all. Policies are written per PII class ("pii.name: drop"), with per-field entries
// for the exceptions, so a new field of a known class is covered without touching every target.
//
// Policies are plain values; applying one is a pure function, safe from any thread.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "engine/governance/pii_classifier.h"
#include "engine/record/canonical_record.h"

namespace journeyd::governance {

enum class Disclosure {
  kAllow,  // sent as it is
  kHash,   // sent as "sha256:" + lower-case hex SHA-256 of the normalised value
  kDrop,   // not sent
};

// "allow", "hash", "drop"; nullopt otherwise.
std::optional<Disclosure> ParseDisclosure(std::string_view name);
std::string_view DisclosureName(Disclosure disclosure);

struct DisclosurePolicy {
  std::map<std::string, Disclosure> classes;  // PII class -> disclosure
  std::map<std::string, Disclosure> fields;   // field name -> disclosure; wins over its class
  Disclosure personal_default = Disclosure::kAllow;  // personal fields of classes not listed

  // The disclosure of `field`: its entry in `fields`, else its class's entry in `classes`, else
  // personal_default for a personal field and kAllow for one that is not personal.
  Disclosure For(const PiiClassifier& classifier, std::string_view field) const;
};

// "sha256:" + Sha256Hex(value): the form hashed values are sent in. Values are hashed as they
// are, already normalised by mapping (lower-case email, E.164 phone), so that the target's own
// hash of the same normalised value matches.
std::string HashForDisclosure(std::string_view value);

// Applies `policy` to `record` in place. Dropped identities are removed; hashed ones keep their
// type. Trait fields and custom traits ("custom.<name>") are removed or hashed likewise; a custom
// value that is not a string is hashed in its compact JSON text (as survivorship sees it).
// Empty strings and nulls are left alone when hashing: they hold nothing to protect, and their
// hashes would make every customer without a value look alike. Consent, touchpoints (their
// attributes are not classified) and the record's own ids are not touched.
void ApplyDisclosure(const DisclosurePolicy& policy, const PiiClassifier& classifier,
                     CanonicalRecord& record);

// The same for a flat object keyed by field name, such as a golden record (see MaskFields):
// a dropped field's entry is removed, a hashed one has its value (or "value" member) hashed and
// keeps its provenance. The remaining fields keep their order.
void ApplyDisclosure(const DisclosurePolicy& policy, const PiiClassifier& classifier,
                     boost::json::object& fields);

}  // namespace journeyd::governance
