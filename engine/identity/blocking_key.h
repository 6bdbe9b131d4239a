// A blocking key is what two records must share before the fuzzy matcher compares them at all:
// comparing every pair of a million records is impossible, comparing the few that share a
// surname sound and a birth year is cheap. A rule is a list of parts, each a field or a function
// of one; a record yields the rule's key only when every part has a value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"

namespace journeyd::identity {

enum class KeyFunction {
  kValue,    // the folded value itself
  kSoundex,  // soundex(last_name): "R163"
  kFirst,    // first(first_name, 3): the first n characters
  kYear,     // year(birth_date): "1987"
  kDigits,   // digits(phone): the digits only
};

struct BlockingPart {
  KeyFunction function = KeyFunction::kValue;
  std::string field;  // a trait name: "last_name", "custom.national_id"
  int length = 0;     // for kFirst
};

// Parses "last_name", "soundex(last_name)", "first(first_name, 3)", "year(birth_date)",
// "digits(phone)". kInvalidArgument says what is wrong.
Result<BlockingPart> ParseBlockingPart(std::string_view text);

// The part's key text for a value already folded for matching; empty when there is none.
std::string BlockingPartKey(const BlockingPart& part, std::string_view folded_value);

}  // namespace journeyd::identity
