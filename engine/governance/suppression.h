// The suppression list: what remains of an erased person, so that their later events are
// dropped instead of recreating them. Each identifier is kept only as HMAC-SHA256 under a salt
// made for this install, so the list does not reveal who was erased to someone holding a list
// of emails but not the database.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/record/canonical_record.h"

namespace journeyd::governance {

// Lower-case hex HMAC-SHA256(salt, type ":" value) of a normalised identifier.
std::string SuppressionHash(std::string_view salt, std::string_view type, std::string_view value);

// Random bytes for a new salt (32, from OpenSSL's generator), hex-encoded.
std::string NewSuppressionSalt();

class SuppressionList {
 public:
  SuppressionList() = default;
  SuppressionList(std::string salt, const std::vector<std::string>& hashes);

  // True when any identifier of `record` belongs to an erased person.
  bool Suppresses(const CanonicalRecord& record) const;
  size_t size() const { return hashes_.size(); }

 private:
  std::string salt_;
  std::unordered_set<std::string> hashes_;
};

}  // namespace journeyd::governance
