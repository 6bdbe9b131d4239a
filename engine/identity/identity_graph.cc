#include "engine/identity/identity_graph.h"

#include <algorithm>
#include <functional>
#include <map>

namespace journeyd::identity {

namespace {

std::string IdentifierKey(const Identity& identity) {
  std::string key;
  key.reserve(identity.type.size() + 1 + identity.value.size());
  key += identity.type;
  key.push_back('\x1f');
  key += identity.value;
  return key;
}

std::string Id(ProfileId id) { return std::to_string(id); }

}  // namespace

IdentityGraph::IdentityGraph(const IdentityRules& rules, MatchModel* model)
    : rules_(rules), model_(model) {}

IdentityGraph::Profile& IdentityGraph::Get(ProfileId id) { return profiles_[id]; }

ProfileId IdentityGraph::NewProfile() {
  const ProfileId id = next_profile_++;
  profiles_.emplace(id, Profile{});
  ++live_profiles_;
  return id;
}

uint32_t IdentityGraph::InternIdentifier(const Identity& identity) {
  const auto [it, inserted] =
      identifier_index_.emplace(IdentifierKey(identity), static_cast<uint32_t>(identifiers_.size()));
  if (inserted) {
    auto [type, fresh] = constrained_index_.emplace(identity.type, -1);
    if (fresh) {
      const IdentifierPolicy& policy = rules_.PolicyFor(identity.type);
      if (policy.unique || policy.max_per_profile > 0) {
        type->second = static_cast<int32_t>(constrained_types_.size());
        constrained_types_.push_back(&policy);
      }
    }
    identifiers_.push_back({identity, 0, type->second});
  }
  return it->second;
}

void IdentityGraph::Count(Profile& profile, uint32_t identifier, int delta) {
  const int32_t type = identifiers_[identifier].constrained_type;
  if (type < 0) return;
  for (auto& [t, n] : profile.constrained) {
    if (t == type) {
      n = static_cast<uint32_t>(static_cast<int64_t>(n) + delta);
      return;
    }
  }
  if (delta > 0) profile.constrained.emplace_back(static_cast<uint16_t>(type), delta);
}

uint32_t IdentityGraph::CountOf(const Profile& profile, int32_t constrained_type) {
  for (const auto& [t, n] : profile.constrained) {
    if (t == constrained_type) return n;
  }
  return 0;
}

uint32_t IdentityGraph::AddRecordState(RecordId id, const std::vector<Identity>& identities,
                                       MatchValues match, ProfileId profile) {
  const auto index = static_cast<uint32_t>(records_.size());
  RecordState state;
  state.id = id;
  state.profile = profile;
  state.match = std::move(match);
  for (const Identity& identity : identities) {
    state.identifiers.push_back(InternIdentifier(identity));
  }
  records_.push_back(std::move(state));
  record_index_.emplace(id, index);
  Get(profile).records.push_back(index);
  return index;
}

std::optional<std::string> IdentityGraph::MergeConflict(ProfileId a, ProfileId b) const {
  const auto pa = profiles_.find(a);
  const auto pb = profiles_.find(b);
  if (pa == profiles_.end() || pb == profiles_.end()) return "profile no longer exists";
  if (pa->second.kept_apart.count(b) > 0) {
    return "an admin keeps profiles " + Id(a) + " and " + Id(b) + " apart";
  }
  // An identifier has one owner, so the two profiles' values are all distinct: counts add up.
  for (const auto& [type, count_a] : pa->second.constrained) {
    const uint32_t count_b = CountOf(pb->second, type);
    if (count_a == 0 || count_b == 0) continue;
    const IdentifierPolicy& policy = *constrained_types_[type];
    const uint32_t count = count_a + count_b;
    if (policy.unique) {
      return "profiles " + Id(a) + " and " + Id(b) + " hold different " + policy.type +
             " values, and " + policy.type + " is unique";
    }
    if (policy.max_per_profile > 0 && count > static_cast<uint32_t>(policy.max_per_profile)) {
      return "together profiles " + Id(a) + " and " + Id(b) + " would hold " +
             std::to_string(count) + " " + policy.type + " values, above max_per_profile " +
             std::to_string(policy.max_per_profile);
    }
  }
  return std::nullopt;
}

std::optional<std::string> IdentityGraph::AttachConflict(ProfileId profile,
                                                         uint32_t identifier) const {
  const int32_t type = identifiers_[identifier].constrained_type;
  if (type < 0) return std::nullopt;
  const IdentifierPolicy& policy = *constrained_types_[type];
  const uint32_t count = CountOf(profiles_.at(profile), type);
  if (policy.unique && count >= 1) {
    return "profile " + Id(profile) + " already holds another " + policy.type +
           ", which is unique";
  }
  if (policy.max_per_profile > 0 && count >= static_cast<uint32_t>(policy.max_per_profile)) {
    return "profile " + Id(profile) + " already holds " + std::to_string(count) + " " +
           policy.type + " values (max_per_profile " + std::to_string(policy.max_per_profile) +
           ")";
  }
  return std::nullopt;
}

bool IdentityGraph::Verified(ProfileId profile, const Identity& identity,
                             const MatchValues& values) const {
  if (model_ == nullptr || values.empty() || !rules_.PolicyFor(identity.type).verify) return true;
  const auto it = profiles_.find(profile);
  if (it == profiles_.end()) return true;
  // Any record of the profile that does not veto is enough; a bounded look keeps a big profile
  // cheap (its records agree with each other, or they would not be one profile).
  constexpr size_t kLook = 32;
  const auto& records = it->second.records;
  const MatchModel::Probe probe = model_->ProbeOf(values);
  MatchScore score;
  for (size_t i = 0; i < records.size() && i < kLook; ++i) {
    const MatchValues& other = records_[records[records.size() - 1 - i]].match;
    if (other.empty()) return true;
    model_->Score(probe, other, score);
    if (model_->Vetoed(score) == nullptr) return true;
  }
  return false;
}

void IdentityGraph::Absorb(ProfileId into, ProfileId from) {
  Profile source = std::move(profiles_.at(from));
  profiles_.erase(from);
  --live_profiles_;
  Profile& target = Get(into);
  for (uint32_t r : source.records) records_[r].profile = into;
  for (uint32_t i : source.identifiers) identifiers_[i].owner = into;
  for (const auto& [type, n] : source.constrained) {
    bool found = false;
    for (auto& [t, m] : target.constrained) {
      if (t == type) {
        m += n;
        found = true;
      }
    }
    if (!found) target.constrained.emplace_back(type, n);
  }
  target.records.insert(target.records.end(), source.records.begin(), source.records.end());
  target.identifiers.insert(target.identifiers.end(), source.identifiers.begin(),
                            source.identifiers.end());
  for (ProfileId other : source.kept_apart) {
    if (other == into) continue;
    Profile& o = Get(other);
    o.kept_apart.erase(from);
    o.kept_apart.insert(into);
    target.kept_apart.insert(other);
  }
}

Resolution IdentityGraph::Add(const RecordInput& input) {
  Resolution resolution;
  // Usable identifiers in priority order (stable: the mapping's order breaks ties).
  std::vector<Identity> identities;
  for (const Identity& identity : input.identities) {
    if (identity.value.empty()) continue;
    if (rules_.IsBlocked(identity.value)) {
      resolution.issues.push_back(
          {"identity_blocked_value",
           "record " + std::to_string(input.id) + ": a blocked " + identity.type +
               " value was ignored for identity resolution",
           input.id});
      continue;
    }
    if (std::find(identities.begin(), identities.end(), identity) == identities.end()) {
      identities.push_back(identity);
    }
  }
  std::stable_sort(identities.begin(), identities.end(), [this](const Identity& a, const Identity& b) {
    return rules_.PolicyFor(a.type).priority < rules_.PolicyFor(b.type).priority;
  });

  // The anchor is the owner of the most trusted known identifier that passes verification;
  // identifiers that fail it stay out of this record's resolution.
  ProfileId anchor = 0;
  for (auto it = identities.begin(); it != identities.end();) {
    const ProfileId owner = OwnerOf(*it);
    if (owner != 0 && !Verified(owner, *it, input.match)) {
      resolution.issues.push_back(
          {"identity_verify_failed",
           "record " + std::to_string(input.id) + " shares a " + it->type + " with profile " +
               Id(owner) + " but is not linked through it: a veto field disagrees",
           input.id});
      it = identities.erase(it);
      continue;
    }
    if (anchor == 0 && owner != 0) anchor = owner;
    ++it;
  }
  if (anchor == 0) {
    anchor = NewProfile();
    resolution.created = true;
    resolution.created_profile = anchor;
  }
  const uint32_t record = AddRecordState(input.id, identities, input.match, anchor);

  for (uint32_t identifier : records_[record].identifiers) {
    const IdentifierState& state = identifiers_[identifier];
    if (state.owner == anchor) continue;
    if (state.owner != 0) {
      if (auto conflict = MergeConflict(anchor, state.owner)) {
        resolution.issues.push_back({"identity_merge_blocked",
                                     "record " + std::to_string(input.id) + " shares a " +
                                         state.identity.type + " with profile " + Id(state.owner) +
                                         " but did not merge it: " + *conflict,
                                     input.id});
        continue;
      }
      // The older profile survives, so ids that users have seen stay valid longest.
      const ProfileId into = std::min(anchor, state.owner);
      const ProfileId from = std::max(anchor, state.owner);
      Merge merge{into, from, "identifier", state.identity, input.id, 1.0, {}};
      Absorb(into, from);
      resolution.merges.push_back(std::move(merge));
      anchor = into;
      continue;
    }
    if (auto conflict = AttachConflict(anchor, identifier)) {
      resolution.issues.push_back({"identity_limit",
                                   "record " + std::to_string(input.id) + ": its " +
                                       state.identity.type + " was not linked: " + *conflict,
                                   input.id});
      continue;
    }
    identifiers_[identifier].owner = anchor;
    Get(anchor).identifiers.push_back(identifier);
    Count(Get(anchor), identifier, +1);
    resolution.attached.push_back(state.identity);
  }

  if (model_ != nullptr && !records_[record].match.empty()) {
    const std::vector<uint64_t> blocks = BlocksOf(records_[record].match);
    MatchFuzzy(record, blocks, resolution);
    Index(record, blocks);
    model_->Observe(records_[record].match);
  }
  resolution.profile = records_[record].profile;
  return resolution;
}

std::vector<uint64_t> IdentityGraph::BlocksOf(const MatchValues& values) const {
  std::vector<uint64_t> blocks;
  for (const std::string& key : model_->BlockingKeys(values)) {
    blocks.push_back(std::hash<std::string>{}(key));
  }
  return blocks;
}

void IdentityGraph::MatchFuzzy(uint32_t record, const std::vector<uint64_t>& blocks,
                               Resolution& resolution) {
  const MatchValues& values = records_[record].match;
  std::vector<uint32_t> candidates;
  for (uint64_t key : blocks) {
    const auto it = blocks_.find(key);
    if (it == blocks_.end() || it->second.full) continue;
    candidates.insert(candidates.end(), it->second.records.begin(), it->second.records.end());
  }
  if (candidates.empty()) return;
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

  // The best-scoring record of each other profile speaks for it.
  struct Best {
    MatchScore score;
    uint32_t record = 0;
  };
  std::map<ProfileId, Best> best;
  const ProfileId own = records_[record].profile;
  const MatchModel::Probe probe = model_->ProbeOf(values);
  MatchScore score;
  for (uint32_t candidate : candidates) {
    const ProfileId profile = records_[candidate].profile;
    if (profile == own || profile == 0) continue;  // 0: erased
    model_->Score(probe, records_[candidate].match, score);
    if (score.probability < model_->review()) continue;
    auto& slot = best[profile];
    if (slot.score.levels.empty() || score.weight > slot.score.weight) {
      slot = Best{score, candidate};
    }
  }
  std::vector<std::pair<ProfileId, Best>> ranked(best.begin(), best.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second.score.weight > b.second.score.weight;
  });
  for (auto& [profile, candidate] : ranked) {
    const ProfileId current = records_[record].profile;
    const ProfileId other = records_[candidate.record].profile;  // may have merged meanwhile
    if (other == current) continue;
    std::string details = model_->Explain(candidate.score) + "; compared with record " +
                          std::to_string(records_[candidate.record].id);
    const std::string* vetoed = model_->Vetoed(candidate.score);
    if (vetoed != nullptr) details += "; not merged automatically: " + *vetoed + " disagrees";
    if (candidate.score.probability >= model_->auto_merge() && vetoed == nullptr) {
      if (MergeConflict(current, other)) continue;  // the rules say these are different people
      const ProfileId into = std::min(current, other);
      const ProfileId from = std::max(current, other);
      Merge merge{into, from, "fuzzy", {}, records_[record].id, candidate.score.probability, details};
      Absorb(into, from);
      resolution.merges.push_back(std::move(merge));
      continue;
    }
    const auto pair = std::minmax(current, other);
    if (Get(current).kept_apart.count(other) > 0 || !reviewed_.insert(pair).second) continue;
    resolution.reviews.push_back(
        {current, other, records_[record].id, candidate.score.probability, details});
  }
}

void IdentityGraph::Index(uint32_t record, const std::vector<uint64_t>& blocks) {
  const size_t limit = static_cast<size_t>(model_->max_block());
  for (uint64_t key : blocks) {
    Block& block = blocks_[key];
    if (block.full) continue;
    if (block.records.size() >= limit) {
      block.full = true;
      std::vector<uint32_t>().swap(block.records);
      continue;
    }
    block.records.push_back(record);
  }
}

void IdentityGraph::Restore(const RecordInput& record, ProfileId profile) {
  if (profiles_.find(profile) == profiles_.end()) {
    profiles_.emplace(profile, Profile{});
    ++live_profiles_;
  }
  next_profile_ = std::max(next_profile_, profile + 1);
  const uint32_t index = AddRecordState(record.id, record.identities, record.match, profile);
  if (model_ != nullptr && !records_[index].match.empty()) {
    Index(index, BlocksOf(records_[index].match));
    model_->Observe(records_[index].match);
  }
}

void IdentityGraph::RestoreIdentifier(const Identity& identifier, ProfileId profile) {
  if (profiles_.find(profile) == profiles_.end()) {
    profiles_.emplace(profile, Profile{});
    ++live_profiles_;
  }
  next_profile_ = std::max(next_profile_, profile + 1);
  const uint32_t index = InternIdentifier(identifier);
  if (identifiers_[index].owner == profile) return;
  identifiers_[index].owner = profile;
  Get(profile).identifiers.push_back(index);
  Count(Get(profile), index, +1);
}

void IdentityGraph::RestoreSeparation(ProfileId a, ProfileId b) { Separate(a, b); }

void IdentityGraph::Separate(ProfileId a, ProfileId b) {
  if (a == b || profiles_.find(a) == profiles_.end() || profiles_.find(b) == profiles_.end()) {
    return;
  }
  Get(a).kept_apart.insert(b);
  Get(b).kept_apart.insert(a);
}

std::optional<std::string> IdentityGraph::MergeProfiles(ProfileId into, ProfileId from,
                                                        Merge* merge) {
  if (into == from) return "a profile cannot merge with itself";
  if (profiles_.find(into) == profiles_.end()) return "profile " + Id(into) + " does not exist";
  if (profiles_.find(from) == profiles_.end()) return "profile " + Id(from) + " does not exist";
  if (auto conflict = MergeConflict(into, from)) return conflict;
  const ProfileId survivor = std::min(into, from);
  const ProfileId retired = std::max(into, from);
  Absorb(survivor, retired);
  if (merge != nullptr) {
    merge->into = survivor;
    merge->from = retired;
    merge->rule = "review";
  }
  return std::nullopt;
}

std::optional<IdentityGraph::Split> IdentityGraph::SplitProfile(
    ProfileId profile, const std::vector<RecordId>& records, std::string* why_not) {
  const auto fail = [why_not](std::string why) -> std::optional<Split> {
    if (why_not != nullptr) *why_not = std::move(why);
    return std::nullopt;
  };
  const auto it = profiles_.find(profile);
  if (it == profiles_.end()) return fail("profile " + Id(profile) + " does not exist");
  std::vector<uint32_t> leaving;
  for (RecordId id : records) {
    const auto r = record_index_.find(id);
    if (r == record_index_.end() || records_[r->second].profile != profile) {
      return fail("record " + std::to_string(id) + " is not in profile " + Id(profile));
    }
    leaving.push_back(r->second);
  }
  std::sort(leaving.begin(), leaving.end());
  leaving.erase(std::unique(leaving.begin(), leaving.end()), leaving.end());
  if (leaving.empty()) return fail("no records to split off");
  if (leaving.size() == it->second.records.size()) {
    return fail("every record of the profile would leave it");
  }

  const ProfileId fresh = NewProfile();
  Profile& old_profile = Get(profile);
  Profile& new_profile = Get(fresh);
  std::vector<uint32_t> staying;
  for (uint32_t r : old_profile.records) {
    if (std::binary_search(leaving.begin(), leaving.end(), r)) {
      records_[r].profile = fresh;
      new_profile.records.push_back(r);
    } else {
      staying.push_back(r);
    }
  }
  old_profile.records = std::move(staying);
  // An identifier follows the records: it leaves only when no staying record carries it.
  std::vector<bool> stays(identifiers_.size(), false);
  for (uint32_t r : old_profile.records) {
    for (uint32_t i : records_[r].identifiers) stays[i] = true;
  }
  Split split;
  split.new_profile = fresh;
  std::vector<uint32_t> kept;
  for (uint32_t i : old_profile.identifiers) {
    if (stays[i]) {
      kept.push_back(i);
    } else {
      identifiers_[i].owner = fresh;
      new_profile.identifiers.push_back(i);
      Count(old_profile, i, -1);
      Count(new_profile, i, +1);
      split.moved_identifiers.push_back(identifiers_[i].identity);
    }
  }
  old_profile.identifiers = std::move(kept);
  Separate(profile, fresh);
  return split;
}

std::optional<IdentityGraph::Erased> IdentityGraph::Erase(ProfileId profile) {
  const auto it = profiles_.find(profile);
  if (it == profiles_.end()) return std::nullopt;
  Erased erased;
  for (uint32_t r : it->second.records) {
    RecordState& state = records_[r];
    erased.records.push_back(state.id);
    record_index_.erase(state.id);
    if (model_ != nullptr && !state.match.empty()) model_->Forget(state.match);
    // The slot stays (blocks refer to it by index) but holds nothing of the person; a
    // candidate with profile 0 is skipped.
    state.profile = 0;
    MatchValues().swap(state.match);
    std::vector<uint32_t>().swap(state.identifiers);
  }
  for (uint32_t i : it->second.identifiers) {
    IdentifierState& state = identifiers_[i];
    erased.identifiers.push_back(state.identity);
    identifier_index_.erase(IdentifierKey(state.identity));
    state.owner = 0;
    std::string().swap(state.identity.value);
  }
  profiles_.erase(it);
  --live_profiles_;
  return erased;
}

ProfileId IdentityGraph::ProfileOf(RecordId record) const {
  const auto it = record_index_.find(record);
  return it == record_index_.end() ? 0 : records_[it->second].profile;
}

ProfileId IdentityGraph::OwnerOf(const Identity& identifier) const {
  const auto it = identifier_index_.find(IdentifierKey(identifier));
  return it == identifier_index_.end() ? 0 : identifiers_[it->second].owner;
}

std::vector<RecordId> IdentityGraph::RecordsOf(ProfileId profile) const {
  std::vector<RecordId> out;
  const auto it = profiles_.find(profile);
  if (it == profiles_.end()) return out;
  for (uint32_t r : it->second.records) out.push_back(records_[r].id);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Identity> IdentityGraph::IdentifiersOf(ProfileId profile) const {
  std::vector<Identity> out;
  const auto it = profiles_.find(profile);
  if (it == profiles_.end()) return out;
  for (uint32_t i : it->second.identifiers) out.push_back(identifiers_[i].identity);
  return out;
}

}  // namespace journeyd::identity
