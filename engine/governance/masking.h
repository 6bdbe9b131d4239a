// Masking turns a personal value into what a read-only admin-API user sees instead: enough to
// recognise a record ("j***@e***.com", "+*********71", "J***") while revealing little, so support
// staff can match a profile to a customer on the phone without reading out their data. Masks
// always end in a fixed "***" rather than one star per character, so they do not leak lengths.
//
// Masking is one-way and not a pseudonym: two different values may mask alike. For values a
// target must be able to join on, use a disclosure policy's hashing instead.
//
// All functions are pure and safe from any thread. They never emit a partial UTF-8 sequence.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "engine/governance/pii_classifier.h"
#include "engine/record/canonical_record.h"

namespace journeyd::governance {

// The first UTF-8 code point, then "***": "Jane" -> "J***", "Émile" -> "É***", "" -> "".
// When the value does not start with a well-formed code point, just "***".
std::string MaskText(std::string_view value);

// "jane.doe@example.com" -> "j***@e***.com": the first code point of the local part and of the
// domain, and the domain's last label only, so "jane@mail.example.co.uk" -> "j***@m***.uk" (a
// second-level label like "co" would name a country's registry, and keeping it helps nobody
// recognise a customer). A domain without a dot is masked whole: "j***@l***". Text without
// '@', or with nothing before or after the last '@', is not an address: MaskText.
std::string MaskEmail(std::string_view value);

// "+14155552671" -> "+*********71": '+' and the last two digits are kept, every other digit
// becomes '*', and the separators people write (space, '-', '(', ')', '.') stay, so
// "(415) 555-2671" -> "(***) ***-**71". A value of four digits or fewer is all stars, since two
// digits would be half of it. Anything else (letters, no digit at all) is not a phone: MaskText.
std::string MaskPhone(std::string_view value);

// The mask for a value of `pii_class`: MaskEmail for pii.email, MaskPhone for pii.phone, MaskText
// for any other personal class; a value of class "" (not personal) is returned unchanged.
std::string Mask(std::string_view pii_class, std::string_view value);

// Masks the personal parts of `record` in place: identity values (classed by identity type),
// personal trait fields, and personal custom traits ("custom.<name>"), whose string values are
// masked and other values replaced by the string "***" (null stays null: it reveals nothing).
// Touchpoint attributes, which nothing classifies, are left out. Consent, the other touchpoint
// fields and the record's own ids are not personal values and are left as they are.
void MaskRecord(const PiiClassifier& classifier, CanonicalRecord& record);

// Masks a flat object keyed by field name, such as a golden record, in place. A field's entry is
// either the value itself or an object with a "value" member beside provenance ("source",
// "record_id", "observed_at", ...); only the value is masked, as in MaskRecord.
void MaskFields(const PiiClassifier& classifier, boost::json::object& fields);

}  // namespace journeyd::governance
