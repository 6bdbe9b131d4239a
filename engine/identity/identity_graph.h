// IdentityGraph decides which customer profile each record belongs to. It holds, in memory, who
// owns every identifier (type, normalised value), which records make up each profile, and the
// fuzzy matcher's blocking index; the identity stage persists every decision it returns, and
// rebuilds the graph from the store at start-up.
//
// A record joins the profile of its most trusted known identifier; profiles that own its other
// identifiers merge into that one unless the rules forbid it (a unique type with two values, a
// per-profile limit, an admin's split). Then, with fuzzy matching on, the record is scored
// against the records that share a blocking key: at or above auto_merge the profiles merge, from
// review up to it an admin is asked. Every merge says why.
//
// Not thread-safe: one identity stage drives it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/identity/identity_rules.h"
#include "engine/identity/match_model.h"
#include "engine/record/canonical_record.h"

namespace journeyd::identity {

using ProfileId = int64_t;
using RecordId = int64_t;

// Why two profiles became one.
struct Merge {
  ProfileId into = 0;
  ProfileId from = 0;
  std::string rule;     // "identifier", "fuzzy" or "review" (an admin accepted a review)
  Identity identifier;  // the shared identifier, for rule "identifier"
  RecordId record = 0;  // the record that caused it
  double probability = 0;  // for "fuzzy" and "review"
  std::string details;     // the fuzzy explanation, field by field
};

// A decision the rules refused; stored as a data-quality issue. No identifier values in the
// message: issues are shown to read-only users.
struct IdentityIssue {
  std::string kind;  // "identity_merge_blocked", "identity_limit", "identity_blocked_value"
  std::string message;
  RecordId record = 0;
};

// A possible duplicate an admin has to decide on.
struct ReviewCandidate {
  ProfileId profile = 0;  // the record's profile
  ProfileId other = 0;
  RecordId record = 0;
  double probability = 0;
  std::string details;
};

struct Resolution {
  ProfileId profile = 0;
  bool created = false;               // the record started a new profile
  ProfileId created_profile = 0;      // that profile (it may have merged away since)
  std::vector<Identity> attached;     // identifiers newly owned by `profile`
  std::vector<Merge> merges;          // in the order they happened
  std::vector<IdentityIssue> issues;
  std::vector<ReviewCandidate> reviews;
};

// What a record brings to resolution.
struct RecordInput {
  RecordId id = 0;
  std::vector<Identity> identities;
  MatchValues match;  // empty when fuzzy matching is off
};

class IdentityGraph {
 public:
  // `model` is null when fuzzy matching is off; both must outlive the graph.
  IdentityGraph(const IdentityRules& rules, MatchModel* model);

  // Decides the record's profile, applies the decision, and says what happened.
  Resolution Add(const RecordInput& record);

  // Restores persisted state at start-up, before any Add: a record already placed.
  void Restore(const RecordInput& record, ProfileId profile);
  // Restores an identifier's owner (after the records, so a stale owner is caught).
  void RestoreIdentifier(const Identity& identifier, ProfileId profile);
  // Restores an admin's "keep apart" decision.
  void RestoreSeparation(ProfileId a, ProfileId b);

  // An admin's merge of two profiles (an accepted review). Fails, saying why, when the rules
  // forbid it.
  std::optional<std::string> MergeProfiles(ProfileId into, ProfileId from, Merge* merge);
  // An admin's split: `records` leave `profile` for a new profile, with the identifiers only
  // they carry; the two are kept apart from then on. Returns the new profile.
  struct Split {
    ProfileId new_profile = 0;
    std::vector<Identity> moved_identifiers;
  };
  std::optional<Split> SplitProfile(ProfileId profile, const std::vector<RecordId>& records,
                                    std::string* why_not);
  // An admin rejected a review: the two profiles are kept apart.
  void Separate(ProfileId a, ProfileId b);

  // Erasure: the profile, its records and its identifiers leave the graph and the model's term
  // frequencies, and their values leave memory. nullopt when there is no such live profile.
  struct Erased {
    std::vector<RecordId> records;
    std::vector<Identity> identifiers;
  };
  std::optional<Erased> Erase(ProfileId profile);

  // The profile a record belongs to; 0 when unknown.
  ProfileId ProfileOf(RecordId record) const;
  // The profile owning an identifier; 0 when none.
  ProfileId OwnerOf(const Identity& identifier) const;
  std::vector<RecordId> RecordsOf(ProfileId profile) const;
  std::vector<Identity> IdentifiersOf(ProfileId profile) const;
  size_t profile_count() const { return live_profiles_; }
  size_t record_count() const { return records_.size(); }
  ProfileId next_profile_id() const { return next_profile_; }
  void set_next_profile_id(ProfileId id) { next_profile_ = std::max(next_profile_, id); }

 private:
  struct Profile {
    std::vector<uint32_t> records;     // dense record indexes
    std::vector<uint32_t> identifiers; // indexes into identifiers_
    // How many identifiers of each constrained type (unique or limited) it holds, so a merge
    // check costs the number of such types, not the size of the profiles.
    std::vector<std::pair<uint16_t, uint32_t>> constrained;
    std::set<ProfileId> kept_apart;
  };
  struct RecordState {
    RecordId id = 0;
    ProfileId profile = 0;
    std::vector<uint32_t> identifiers;  // what the record carried (owned or not)
    MatchValues match;
  };
  struct IdentifierState {
    Identity identity;
    ProfileId owner = 0;
    int32_t constrained_type = -1;  // index into constrained_types_, or -1
  };

  Profile& Get(ProfileId id);
  // Adds `delta` to the profile's count of the identifier's type, if that type is constrained.
  void Count(Profile& profile, uint32_t identifier, int delta);
  static uint32_t CountOf(const Profile& profile, int32_t constrained_type);
  ProfileId NewProfile();
  uint32_t InternIdentifier(const Identity& identity);
  uint32_t AddRecordState(RecordId id, const std::vector<Identity>& identities, MatchValues match,
                          ProfileId profile);
  // Why `a` and `b` may not become one profile, or nullopt when they may.
  std::optional<std::string> MergeConflict(ProfileId a, ProfileId b) const;
  // Why `profile` may not take `identifier`, or nullopt.
  std::optional<std::string> AttachConflict(ProfileId profile, uint32_t identifier) const;
  // For identifier types with `verify`: false when a veto field of `values` disagrees with
  // every record of `profile` that has it (a housemate, not the customer).
  bool Verified(ProfileId profile, const Identity& identity, const MatchValues& values) const;
  // Moves everything of `from` into `into` and retires `from`.
  void Absorb(ProfileId into, ProfileId from);
  // The hashes of the blocking keys of `values` (see blocks_).
  std::vector<uint64_t> BlocksOf(const MatchValues& values) const;
  void Index(uint32_t record_index, const std::vector<uint64_t>& blocks);
  void MatchFuzzy(uint32_t record_index, const std::vector<uint64_t>& blocks,
                  Resolution& resolution);

  const IdentityRules& rules_;
  MatchModel* model_;
  std::vector<RecordState> records_;
  std::unordered_map<RecordId, uint32_t> record_index_;
  std::vector<IdentifierState> identifiers_;
  std::vector<const IdentifierPolicy*> constrained_types_;
  std::unordered_map<std::string, int32_t> constrained_index_;  // type -> index, -1: none
  std::unordered_map<std::string, uint32_t> identifier_index_;  // type '\x1f' value
  std::unordered_map<ProfileId, Profile> profiles_;
  size_t live_profiles_ = 0;
  ProfileId next_profile_ = 1;
  // Blocking key -> dense record indexes; a block past max_block is marked full and no longer
  // grows or yields candidates.
  // Keyed by the key's hash: a collision only adds candidates, which scoring then rejects, and
  // a million records' keys cost a third of the memory as strings.
  struct Block {
    std::vector<uint32_t> records;
    bool full = false;
  };
  std::unordered_map<uint64_t, Block> blocks_;
  std::set<std::pair<ProfileId, ProfileId>> reviewed_;  // pairs already sent for review
};

}  // namespace journeyd::identity
