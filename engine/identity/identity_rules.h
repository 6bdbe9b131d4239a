// IdentityRules is the compiled `identity:` section that deterministic resolution obeys: which
// identifier types are trusted first, how many values of a type one profile may hold, which
// types are unique (merge protection), and which values are junk that must never link two
// customers ("test@test.com", "n/a"). Built once per config; read-only and thread-safe after.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/regex.hpp>

namespace journeyd::config {
struct IdentitySettings;
}

namespace journeyd::identity {

struct IdentifierPolicy {
  std::string type;
  int priority = 0;         // 0 is the most trusted; unlisted types rank after every listed one
  int max_per_profile = 0;  // 0: unlimited
  bool unique = false;      // profiles with different values never merge
  bool verify = false;      // links only when the fuzzy veto fields agree
};

class IdentityRules {
 public:
  // `settings` has passed the config checks (valid regexes, no repeated type).
  explicit IdentityRules(const config::IdentitySettings& settings);

  const IdentifierPolicy& PolicyFor(std::string_view type) const;
  // True when `value` is in blocked_values (ignoring ASCII case and surrounding whitespace)
  // or matches a blocked pattern as a whole.
  bool IsBlocked(std::string_view value) const;

 private:
  std::unordered_map<std::string, IdentifierPolicy> policies_;
  IdentifierPolicy unlisted_;
  std::unordered_set<std::string> blocked_values_;  // lower-cased, trimmed
  std::vector<boost::regex> blocked_patterns_;
};

}  // namespace journeyd::identity
