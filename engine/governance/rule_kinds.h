// The vocabulary of governance rules (record_rules.h): what a rule checks, what a failure does,
// and the value types a `type` rule knows. Apart so that the config can name them without
// depending on the rules themselves.
#pragma once

#include <string_view>

namespace journeyd::governance {

enum class RuleCheck {
  kRequired,   // present and not empty
  kType,       // of a value type (see ValueType)
  kRegex,      // matches `pattern`, whole value
  kEnum,       // one of `values`
  kRange,      // a number within [min, max]
  kMaxLength,  // at most `max_length` characters (code points)
  kEmail,      // a valid email address
  kPhone,      // E.164: "+" and 7 to 15 digits, no leading 0
  kNotFuture,  // a date or time not after now (plus a tolerance for clock skew)
};

enum class RuleAction { kReject, kDropField, kWarn };

enum class ValueType { kString, kNumber, kInteger, kBoolean, kDate };

std::string_view RuleCheckName(RuleCheck check);
std::string_view RuleActionName(RuleAction action);

}  // namespace journeyd::governance
