#include "engine/identity/identity_rules.h"

#include <stdexcept>

#include "engine/config/config.h"

namespace journeyd::identity {

namespace {

std::string LowerTrimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

IdentityRules::IdentityRules(const config::IdentitySettings& settings) {
  int priority = 0;
  for (const config::IdentifierRule& rule : settings.identifiers) {
    IdentifierPolicy policy;
    policy.type = rule.type;
    policy.priority = priority++;
    policy.max_per_profile = rule.max_per_profile;
    policy.unique = rule.unique || rule.max_per_profile == 1;
    policy.verify = rule.verify;
    policies_.emplace(rule.type, std::move(policy));
  }
  unlisted_.priority = priority;
  for (const std::string& value : settings.blocked_values) {
    blocked_values_.insert(LowerTrimmed(value));
  }
  for (const std::string& pattern : settings.blocked_patterns) {
    // icase: "NoReply@" is as junk as "noreply@". Validity was checked by the config loader.
    blocked_patterns_.emplace_back(pattern, boost::regex::ECMAScript | boost::regex::icase);
  }
}

const IdentifierPolicy& IdentityRules::PolicyFor(std::string_view type) const {
  const auto it = policies_.find(std::string(type));
  return it == policies_.end() ? unlisted_ : it->second;
}

bool IdentityRules::IsBlocked(std::string_view value) const {
  if (!blocked_values_.empty() && blocked_values_.count(LowerTrimmed(value)) > 0) return true;
  for (const boost::regex& re : blocked_patterns_) {
    try {
      if (boost::regex_match(value.begin(), value.end(), re)) return true;
    } catch (const std::runtime_error&) {
      // Boost.Regex gives up on a pattern that backtracks too much for this value ("(a+)+b"
      // on a long run of a's). A value that cannot be cleared must not link profiles: blocked.
      return true;
    }
  }
  return false;
}

}  // namespace journeyd::identity
