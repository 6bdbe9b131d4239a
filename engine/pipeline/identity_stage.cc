#include "engine/pipeline/identity_stage.h"

#include <set>
#include <thread>

#include <boost/json/parse.hpp>
#include <spdlog/spdlog.h>

#include "engine/config/config.h"

namespace journeyd::pipeline {

IdentityStage::IdentityStage(storage::Store& store, const config::IdentitySettings& settings,
                             const Clock& clock, IdentityStageOptions options)
    : store_(store),
      clock_(clock),
      options_(options),
      rules_(settings),
      settings_(std::make_unique<config::IdentitySettings>(settings)),
      loop_("identity", [this] { return RunOnce(); }, options.batch, options.idle_poll,
            {options.input}) {}

IdentityStage::~IdentityStage() { Stop(); }

Status IdentityStage::Load() {
  std::lock_guard run(run_mu_);
  model_ = settings_->fuzzy.enabled ? std::make_unique<identity::MatchModel>(settings_->fuzzy)
                                    : nullptr;
  graph_ = std::make_unique<identity::IdentityGraph>(rules_, model_.get());
  auto cursor = store_.ReadStageCursor("identity");
  if (!cursor.ok()) return cursor.error();
  std::optional<Error> failure;
  Status scanned = store_.ScanPlacedRecords([&](storage::PlacedRecord&& placed) {
    if (failure) return;
    auto parsed = CanonicalRecordFromJson(boost::json::parse(placed.json));
    if (!parsed.ok()) {
      failure = Corruption("record " + std::to_string(placed.record_id) + ": " +
                           parsed.error().message);
      return;
    }
    identity::RecordInput input{placed.record_id, parsed->identities,
                                model_ ? model_->ValuesOf(*parsed) : identity::MatchValues{}};
    graph_->Restore(input, placed.profile_id);
  });
  if (!scanned.ok()) return scanned;
  if (failure) return *failure;
  if (Status s = store_.ScanIdentifiers([&](std::string type, std::string value, int64_t p) {
        graph_->RestoreIdentifier(Identity{std::move(type), std::move(value)}, p);
      });
      !s.ok()) {
    return s;
  }
  if (Status s = store_.ScanSeparations([&](int64_t a, int64_t b) { graph_->RestoreSeparation(a, b); });
      !s.ok()) {
    return s;
  }
  // Retired ids hold no records but stay taken: explain and the API still resolve them.
  auto max_id = store_.MaxProfileId();
  if (!max_id.ok()) return max_id.error();
  graph_->set_next_profile_id(*max_id + 1);
  cursor_ = *cursor;
  loaded_ = true;
  profiles_ = static_cast<int64_t>(graph_->profile_count());
  return OkStatus();
}

void IdentityStage::Start() { loop_.Start(); }
void IdentityStage::Stop() { loop_.Stop(); }

IdentityStage::Counters IdentityStage::counters() const {
  return {records_.load(), profiles_.load(), merges_.load(), reviews_.load(), issues_.load()};
}

Result<int> IdentityStage::ApplyActions() {
  if (!loaded_) {
    if (Status s = Load(); !s.ok()) return s.error();
  }
  std::lock_guard run(run_mu_);
  auto actions = store_.ReadPendingIdentityActions();
  if (!actions.ok()) return actions.error();
  for (const storage::IdentityAction& action : *actions) {
    storage::IdentityActionOutcome outcome = Apply(action);
    outcome.action_id = action.id;
    outcome.at = clock_.Now();
    if (Status s = store_.CommitIdentityAction(outcome); !s.ok()) {
      loaded_ = false;  // the graph changed and the store did not: rebuild it
      return s.error();
    }
    if (outcome.done) {
      merges_ += static_cast<int64_t>(outcome.merges.size());
      profiles_ = static_cast<int64_t>(graph_->profile_count());
    }
  }
  return static_cast<int>(actions->size());
}

storage::IdentityActionOutcome IdentityStage::Apply(const storage::IdentityAction& action) {
  storage::IdentityActionOutcome outcome;
  const auto fail = [&](std::string why) {
    outcome.done = false;
    outcome.result = std::move(why);
    return outcome;
  };
  if (action.kind == storage::IdentityActionKind::kErase) return Erase(action);
  if (action.kind == storage::IdentityActionKind::kSplit) {
    auto profile = store_.ResolveProfile(action.profile_id);
    if (!profile.ok()) return fail(profile.error().message);
    std::string why;
    auto split = graph_->SplitProfile(*profile, action.records, &why);
    if (!split) return fail(why);
    outcome.done = true;
    outcome.old_profile = *profile;
    outcome.new_profile = split->new_profile;
    outcome.moved_records = action.records;
    for (const Identity& identity : split->moved_identifiers) {
      outcome.moved_identifiers.emplace_back(identity.type, identity.value);
    }
    outcome.separation = {*profile, split->new_profile};
    outcome.result = "records moved to new profile " + std::to_string(split->new_profile) +
                     "; the two are kept apart";
    return outcome;
  }
  auto review = store_.ReadReview(action.review_id);
  if (!review.ok()) return fail(review.error().message);
  if (review->status != "open") {
    return fail("review " + std::to_string(review->id) + " is already " + review->status);
  }
  auto a = store_.ResolveProfile(review->profile_a);
  if (!a.ok()) return fail(a.error().message);
  auto b = store_.ResolveProfile(review->profile_b);
  if (!b.ok()) return fail(b.error().message);
  outcome.review_id = review->id;
  const bool accept = action.kind == storage::IdentityActionKind::kAcceptReview;
  outcome.review_status = accept ? "accepted" : "rejected";
  if (*a == *b) {
    if (!accept) return fail("the two profiles have merged since; split them instead");
    outcome.done = true;
    outcome.result = "already one profile (" + std::to_string(*a) + ")";
    return outcome;
  }
  if (!accept) {
    graph_->Separate(*a, *b);
    outcome.done = true;
    outcome.separation = {*a, *b};
    outcome.result = "profiles " + std::to_string(*a) + " and " + std::to_string(*b) +
                     " are kept apart";
    return outcome;
  }
  identity::Merge merge;
  if (auto conflict = graph_->MergeProfiles(*a, *b, &merge)) return fail(*conflict);
  outcome.done = true;
  outcome.merges.push_back({merge.into, merge.from, "review", "", "", review->probability,
                            "an admin accepted review " + std::to_string(review->id) + ": " +
                                review->details});
  outcome.result = "profile " + std::to_string(merge.from) + " merged into " +
                   std::to_string(merge.into);
  return outcome;
}

storage::IdentityActionOutcome IdentityStage::Erase(const storage::IdentityAction& action) {
  storage::IdentityActionOutcome outcome;
  int64_t profile = 0;
  if (action.profile_id != 0) {
    auto resolved = store_.ResolveProfile(action.profile_id);
    if (!resolved.ok()) {
      outcome.result = resolved.error().message;
      return outcome;
    }
    profile = *resolved;
  } else {
    for (const auto& [type, value] : action.identifiers) {
      profile = graph_->OwnerOf(Identity{type, value});
      if (profile != 0) break;
    }
  }
  storage::IdentityActionOutcome::Erasure erasure;
  erasure.requested_by = action.requested_by;
  erasure.targets = action.targets;
  std::set<std::pair<std::string, std::string>> identifiers(action.identifiers.begin(),
                                                           action.identifiers.end());
  if (profile != 0) {
    auto erased = graph_->Erase(profile);
    if (!erased) {
      outcome.result = "profile " + std::to_string(profile) + " is not in the identity graph";
      return outcome;
    }
    erasure.profiles.push_back(profile);
    erasure.records = std::move(erased->records);
    for (const Identity& identity : erased->identifiers) {
      identifiers.emplace(identity.type, identity.value);
    }
  }
  if (profile == 0 && identifiers.empty()) {
    outcome.result = "nothing to erase: no profile and no identifiers";
    return outcome;
  }
  erasure.identifiers.assign(identifiers.begin(), identifiers.end());
  outcome.done = true;
  outcome.result =
      (profile != 0 ? "erased profile " + std::to_string(profile) + " (" +
                          std::to_string(erasure.records.size()) + " records)"
                    : std::string("no profile held these identifiers")) +
      "; " + std::to_string(erasure.identifiers.size()) + " identifiers suppressed";
  outcome.erasure = std::move(erasure);
  return outcome;
}

Result<int> IdentityStage::RunOnce() {
  if (options_.gate) {
    const cluster::LeaseState state = options_.gate();
    if (state == cluster::LeaseState::kNotHeld) return 0;
    if (state == cluster::LeaseState::kAcquired) {
      // Another instance may have resolved records since this graph was built.
      std::lock_guard run(run_mu_);
      loaded_ = false;
    }
  }
  auto applied = ApplyActions();
  if (!applied.ok()) return applied.error();
  // Accepted reviews, splits and erasures change profiles that delivery sends on.
  if (*applied > 0 && options_.output != nullptr) options_.output->Notify();
  std::lock_guard run(run_mu_);
  auto records = store_.ReadRecords(cursor_, options_.batch);
  if (!records.ok()) return records.error();
  if (records->empty()) return 0;

  storage::IdentityBatch batch;
  batch.at = clock_.Now();
  int64_t merges = 0, reviews = 0, issues = 0;
  for (const storage::StoredRecord& stored : *records) {
    batch.cursor = stored.id;
    storage::IdentityBatch::Step step;
    step.record_id = stored.id;
    step.inbox_id = stored.inbox_id;
    step.source = stored.source;
    boost::system::error_code ec;
    const boost::json::value json = boost::json::parse(stored.json, ec);
    auto record = ec ? Result<CanonicalRecord>(Corruption(ec.message()))
                     : CanonicalRecordFromJson(json);
    if (!record.ok()) {
      // A record the mapping stage wrote but nobody can read: say so, and move on rather than
      // block every later record behind it.
      step.issues.push_back({"identity_unreadable_record",
                             "record " + std::to_string(stored.id) + " is not a canonical "
                             "record: " + record.error().message});
      ++issues;
      batch.steps.push_back(std::move(step));
      continue;
    }
    identity::RecordInput input{stored.id, record->identities,
                                model_ ? model_->ValuesOf(*record) : identity::MatchValues{}};
    identity::Resolution resolution = graph_->Add(input);
    step.profile_id = resolution.profile;
    step.created_profile = resolution.created_profile;
    for (const identity::Merge& m : resolution.merges) {
      step.merges.push_back({m.into, m.from, m.rule, m.identifier.type, m.identifier.value,
                             m.probability, m.details});
    }
    for (const Identity& identity : resolution.attached) {
      step.attached.emplace_back(identity.type, identity.value);
    }
    for (const identity::ReviewCandidate& r : resolution.reviews) {
      step.reviews.push_back({r.profile, r.other, r.probability, r.details});
    }
    for (identity::IdentityIssue& i : resolution.issues) {
      step.issues.push_back({std::move(i.kind), std::move(i.message)});
    }
    merges += static_cast<int64_t>(step.merges.size());
    reviews += static_cast<int64_t>(step.reviews.size());
    issues += static_cast<int64_t>(step.issues.size());
    batch.steps.push_back(std::move(step));
  }
  if (Status s = store_.CommitIdentity(batch); !s.ok()) {
    // The graph already applied what the store refused: rebuild it from the store next time.
    loaded_ = false;
    return s.error();
  }
  cursor_ = batch.cursor;
  records_ += static_cast<int64_t>(records->size());
  merges_ += merges;
  reviews_ += reviews;
  issues_ += issues;
  profiles_ = static_cast<int64_t>(graph_->profile_count());
  if (options_.output != nullptr) options_.output->Notify();
  return static_cast<int>(records->size());
}

Status RunUntilIdle(MappingStage& mapping, IdentityStage& identity) {
  while (true) {
    auto mapped = mapping.RunOnce();
    if (!mapped.ok()) return mapped.error();
    auto resolved = identity.RunOnce();
    if (!resolved.ok()) return resolved.error();
    if (*mapped == 0 && *resolved == 0) return OkStatus();
  }
}

Result<storage::IdentityAction> AwaitIdentityAction(storage::Store& store, int64_t action_id,
                                                    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto current = store.ReadIdentityAction(action_id);
    if (!current.ok() || current->status != "pending" ||
        std::chrono::steady_clock::now() >= deadline) {
      return current;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace journeyd::pipeline
