// RecordRules is what an admin says good data is: the `governance.rules` of the config, compiled
// once and applied to every canonical record the mapping stage makes, before anything downstream
// sees it. A rule checks one field (an identity type, a trait, a touchpoint field or the record's
// time), for every source or some, and says what a failure means:
//   reject      the whole record goes to quarantine, with every reason, until an admin acts;
//   drop_field  the failing value is removed and the record goes on;
//   warn        the record goes on unchanged.
// Every failure is reported as a Violation whose message names the rule and the field, never the
// value: violations become data-quality issues, which read-only users see.
#pragma once

#include <boost/regex.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/config/config.h"
#include "engine/governance/rule_kinds.h"
#include "engine/record/canonical_record.h"

namespace journeyd::governance {

// Fields a rule can name: "email", "phone", "<namespace>.<name>" identity types, known traits,
// "custom.<name>", "occurred_at", and "touchpoint.<type|channel|value|currency|reference|
// occurred_at>" (checked on every touchpoint of the record).
std::optional<std::string> CheckRuleField(const std::string& field);
// Why a rule cannot work as written (e.g. drop_field on `required`), or nullopt.
std::optional<std::string> CheckRuleSpec(const config::ValidationRule& rule);

struct Violation {
  std::string rule;
  std::string field;
  RuleCheck check = RuleCheck::kRequired;
  RuleAction action = RuleAction::kReject;
  std::string message;  // "rule 'email_valid': email is not a valid email address"
};

class RecordRules {
 public:
  RecordRules() = default;
  // REQUIRES: every rule passed CheckRuleSpec (the config loader checks them).
  explicit RecordRules(const std::vector<config::ValidationRule>& rules);

  // Checks `record` as it came from `record.source`; drop_field failures are removed from it.
  // Returns every failure, in rule order.
  std::vector<Violation> Apply(CanonicalRecord& record, TimePoint now) const;

  bool empty() const { return rules_.empty(); }

 private:
  struct Compiled {
    config::ValidationRule spec;
    std::optional<boost::regex> regex;
  };
  std::vector<Compiled> rules_;
};

// Data-quality issue kinds of rule outcomes.
inline constexpr std::string_view kIssueQuarantined = "quarantined";
inline constexpr std::string_view kIssueDroppedField = "rule_dropped_field";
inline constexpr std::string_view kIssueRuleWarning = "rule_warning";

// True when any violation rejects the record.
bool Rejects(const std::vector<Violation>& violations);

}  // namespace journeyd::governance
