// The invariants both mapping targets check on what a compiled mapping makes of one event.
// Header-only; aborts through JOURNEYD_FUZZ_CHECK.
#pragma once

#include <boost/json/serialize.hpp>
#include <string>

#include "engine/mapping/mapping.h"
#include "engine/mapping/normalize.h"
#include "engine/record/canonical_record.h"
#include "engine/record/raw_event.h"
#include "tests/fuzz/fuzz_input.h"

namespace journeyd::fuzz {

inline std::string OutcomeText(const mapping::MapOutcome& outcome) {
  std::string text = outcome.ignored ? "ignored" : "";
  if (outcome.issue) text += outcome.issue->kind + ": " + outcome.issue->message;
  if (outcome.record) text += boost::json::serialize(ToJson(*outcome.record));
  for (const std::string& note : outcome.notes) text += "\n" + note;
  return text;
}

// Maps `event` twice and checks the outcome:
//   - a record, an issue, or ignored: exactly one;
//   - the record carries the event's source, type and id; identities are non-empty and
//     normalised (an email or phone normalises to itself); touchpoints have a type;
//   - the record survives storage: its JSON form reads back (CanonicalRecordFromJson) and
//     writes out the same;
//   - mapping is deterministic.
inline void MapAndCheck(const mapping::Mapping& compiled, const RawEvent& event) {
  const mapping::MapOutcome outcome = compiled.Map(event);
  const int kinds = (outcome.record ? 1 : 0) + (outcome.issue ? 1 : 0) + (outcome.ignored ? 1 : 0);
  JOURNEYD_FUZZ_CHECK(kinds == 1, "an outcome is not exactly one of record, issue, ignored");
  if (outcome.record) {
    const CanonicalRecord& record = *outcome.record;
    JOURNEYD_FUZZ_CHECK(record.source == event.source && record.event_type == event.event_type &&
                            record.external_id == event.external_id,
                        "a record does not carry its event's source, type and id");
    for (const Identity& identity : record.identities) {
      JOURNEYD_FUZZ_CHECK(!identity.type.empty() && !identity.value.empty(), "an empty identity");
      if (identity.type == "email") {
        JOURNEYD_FUZZ_CHECK(mapping::NormalizeEmail(identity.value) == identity.value,
                            "an email identity does not normalise to itself");
      } else if (identity.type == "phone") {
        JOURNEYD_FUZZ_CHECK(mapping::NormalizePhone(identity.value, "") == identity.value,
                            "a phone identity does not normalise to itself");
      }
    }
    for (const Touchpoint& touchpoint : record.touchpoints) {
      JOURNEYD_FUZZ_CHECK(!touchpoint.type.empty(), "a touchpoint without a type");
    }
    const boost::json::value json = ToJson(record);
    auto read_back = CanonicalRecordFromJson(json);
    JOURNEYD_FUZZ_CHECK(read_back.ok(), "a record's JSON does not read back");
    JOURNEYD_FUZZ_CHECK(boost::json::serialize(ToJson(*read_back)) == boost::json::serialize(json),
                        "a record changes through its JSON form");
  }
  JOURNEYD_FUZZ_CHECK(OutcomeText(compiled.Map(event)) == OutcomeText(outcome),
                      "mapping the same event twice gave different outcomes");
}

}  // namespace journeyd::fuzz
