#include "engine/pipeline/journey_stage.h"

#include <algorithm>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>
#include <unordered_map>

#include "engine/journey/stored_touchpoint.h"
#include "engine/journey/touchpoint_keys.h"
#include "engine/record/canonical_record.h"

namespace journeyd::pipeline {

namespace json = boost::json;
using journey::JourneyTouchpoint;
using journey::ProfileJourney;
using journey::Transition;

namespace {

constexpr int kProfilesPerTurn = 512;  // dirty or due profiles taken per transaction
constexpr std::string_view kNoTouchpoints = "\"touchpoints\":[]}";

bool Earlier(const JourneyTouchpoint& a, const JourneyTouchpoint& b) {
  if (a.touchpoint.occurred_at != b.touchpoint.occurred_at) {
    return a.touchpoint.occurred_at < b.touchpoint.occurred_at;
  }
  return a.id < b.id;
}

}  // namespace

// The work of one transaction: what each profile touched in it has become, and the rows to write.
class JourneyStage::Batch {
 public:
  Batch(JourneyStage& stage, TimePoint now) : stage_(stage), now_(now) { out_.at = now; }

  Status AddRecord(const storage::JourneyRecord& record) {
    ++records_;
    // Most records of an import carry no touchpoint; ToJson writes the list last, so that is
    // known without parsing.
    if (record.json.ends_with(kNoTouchpoints)) return OkStatus();
    boost::system::error_code ec;
    const json::value parsed = json::parse(record.json, ec);
    auto canonical = ec ? Result<CanonicalRecord>(Corruption(ec.message()))
                        : CanonicalRecordFromJson(parsed);
    // The identity stage already raised an issue for a record nobody can read.
    if (!canonical.ok()) return OkStatus();
    for (size_t i = 0; i < canonical->touchpoints.size(); ++i) {
      JourneyTouchpoint jt{0, record.record_id, record.source,
                           std::move(canonical->touchpoints[i])};
      if (Status s = AddTouchpoint(record, std::move(jt), i); !s.ok()) return s;
    }
    return OkStatus();
  }

  // The identity stage moved this profile's records: its journey is rebuilt from them.
  Status Dirty(int64_t profile) {
    out_.clean.push_back(profile);
    auto live = stage_.store_.ResolveProfile(profile);
    if (!live.ok() && live.error().code != ErrorCode::kNotFound) return live.error();
    if (!live.ok() || *live != profile) out_.retired.push_back(profile);
    if (!live.ok()) return OkStatus();
    auto work = Work(*live);
    if (!work.ok()) return work.error();
    (*work)->recompute = true;
    if (*live != profile) (*work)->absorbed.push_back(profile);
    return OkStatus();
  }

  Status Due(int64_t profile) {
    auto work = Work(profile);
    if (!work.ok()) return work.error();
    ProfileWork& w = **work;
    if (w.recompute) return OkStatus();
    const size_t before = w.transitions.size();
    stage_.evaluator_.Advance(w.state, now_, w.transitions);
    w.touched = true;
    return Plan(profile, w, before, nullptr);
  }

  Result<storage::JourneyBatch> Finish() {
    for (auto& [profile, work] : work_) {
      if (work.recompute) {
        if (Status s = Recompute(profile, work); !s.ok()) return s.error();
      }
      if (!work.touched) continue;
      if (work.state.touchpoints == 0) {
        out_.retired.push_back(profile);  // nothing left on it (a split took everything)
        continue;
      }
      out_.profiles.push_back(ProfileRow(profile, work));
    }
    return std::move(out_);
  }

  storage::JourneyBatch& out() { return out_; }
  int64_t records_ = 0, touchpoints_ = 0, duplicates_ = 0, merged_ = 0, transitions_ = 0,
          recomputed_ = 0, too_old_ = 0;

 private:
  struct ProfileWork {
    ProfileJourney state;
    bool recompute = false;
    bool touched = false;  // something to write
    std::vector<Transition> transitions;      // new ones (all of them after a recompute)
    std::vector<JourneyTouchpoint> added;     // this batch's touchpoints on the profile
    // Profiles merged into this one in this batch: what their journeys already set off is not
    // set off again under the survivor's id.
    std::vector<int64_t> absorbed;
  };

  Result<ProfileWork*> Work(int64_t profile) {
    auto it = work_.find(profile);
    if (it != work_.end()) return &it->second;
    ProfileWork work;
    work.state = stage_.evaluator_.Empty();
    auto stored = stage_.store_.ReadJourneyState(profile);
    if (!stored.ok()) return stored.error();
    if (*stored) {
      boost::system::error_code ec;
      const json::value parsed = json::parse((*stored)->state_json, ec);
      auto state = ec ? Result<ProfileJourney>(Corruption(ec.message()))
                      : journey::ProfileJourneyFromJson(parsed);
      // A state that does not fit this definition (stages or rules changed) or cannot be read
      // is rebuilt from the touchpoints, which are the truth.
      if (state.ok() && state->entered_at.size() == stage_.def_->stages().size() &&
          state->rules.size() == stage_.def_->rules().size()) {
        work.state = std::move(*state);
      } else {
        work.recompute = true;
      }
    }
    return &work_.emplace(profile, std::move(work)).first->second;
  }

  Status AddTouchpoint(const storage::JourneyRecord& record, JourneyTouchpoint jt, size_t index) {
    const std::string key = journey::IdempotencyKey(jt, record.external_id, index);
    if (keys_.count(key) > 0) {
      ++duplicates_;
      return OkStatus();
    }
    auto known = stage_.store_.FindTouchpointKey(key);
    if (!known.ok()) return known.error();
    if (*known) {
      ++duplicates_;
      return OkStatus();
    }
    const Touchpoint& t = jt.touchpoint;
    storage::TouchpointKeyRow key_row{key, 0, jt.source, t.type, t.reference, record.record_id, ""};

    // One real-world event another system (or another event of this one) already reported?
    std::vector<std::pair<const journey::CompiledDedupeRule*, std::string>> match_keys;
    for (const journey::CompiledDedupeRule& rule : stage_.def_->dedupe()) {
      auto match = journey::MatchKey(rule, jt, record.profile_id);
      if (!match) continue;
      auto candidates = Candidates(rule.name, *match);
      if (!candidates.ok()) return candidates.error();
      for (const storage::MatchCandidate& c : *candidates) {
        if (!journey::SameEvent(rule, jt, c.occurred_at, c.members)) continue;
        key_row.touchpoint_id = c.touchpoint_id;
        key_row.rule = rule.name;
        out_.keys.push_back(key_row);
        keys_.emplace(key, c.touchpoint_id);
        extra_members_[c.touchpoint_id].push_back(journey::MemberOf(jt));
        ++merged_;
        return OkStatus();
      }
      match_keys.emplace_back(&rule, std::move(*match));
    }

    jt.id = stage_.next_touchpoint_++;
    ++touchpoints_;
    key_row.touchpoint_id = jt.id;
    out_.keys.push_back(key_row);
    keys_.emplace(key, jt.id);
    for (auto& [rule, match] : match_keys) {
      out_.match_keys.push_back({rule->name, match, jt.id, t.occurred_at});
      local_matches_[rule->name + '\x1e' + match].push_back(
          {jt.id, t.occurred_at, {journey::MemberOf(jt)}});
    }
    out_.touchpoints.push_back(journey::ToStored(jt));
    out_.touchpoints.back().profile_id = record.profile_id;  // for the outbox

    auto work = Work(record.profile_id);
    if (!work.ok()) return work.error();
    ProfileWork& w = **work;
    w.touched = true;
    if (!w.recompute && w.state.last_applied && t.occurred_at < *w.state.last_applied) {
      w.recompute = true;  // it belongs earlier in the journey than where the profile is
    }
    if (!w.recompute) {
      const size_t before = w.transitions.size();
      stage_.evaluator_.Apply(w.state, jt, w.transitions);
      const json::value view = journey::TouchpointView(jt);
      if (Status s = Plan(record.profile_id, w, before, &view); !s.ok()) return s;
    }
    w.added.push_back(std::move(jt));
    return OkStatus();
  }

  Result<std::vector<storage::MatchCandidate>> Candidates(const std::string& rule,
                                                          const std::string& key) {
    auto stored = stage_.store_.FindMatchCandidates(rule, key);
    if (!stored.ok()) return stored.error();
    std::vector<storage::MatchCandidate> all = std::move(*stored);
    if (auto local = local_matches_.find(rule + '\x1e' + key); local != local_matches_.end()) {
      all.insert(all.end(), local->second.begin(), local->second.end());
    }
    for (storage::MatchCandidate& c : all) {
      if (auto extra = extra_members_.find(c.touchpoint_id); extra != extra_members_.end()) {
        c.members.insert(c.members.end(), extra->second.begin(), extra->second.end());
      }
    }
    return all;
  }

  Status Recompute(int64_t profile, ProfileWork& work) {
    auto rows = stage_.store_.ReadProfileTouchpoints(profile);
    if (!rows.ok()) return rows.error();
    std::vector<JourneyTouchpoint> all;
    all.reserve(rows->size() + work.added.size());
    for (const storage::TouchpointRow& row : *rows) all.push_back(journey::FromStored(row));
    all.insert(all.end(), work.added.begin(), work.added.end());
    std::sort(all.begin(), all.end(), Earlier);
    work.state = stage_.evaluator_.Empty();
    work.transitions.clear();
    for (const JourneyTouchpoint& tp : all) {
      const size_t before = work.transitions.size();
      stage_.evaluator_.Apply(work.state, tp, work.transitions);
      const json::value view = journey::TouchpointView(tp);
      if (Status s = Plan(profile, work, before, &view); !s.ok()) return s;
    }
    const size_t before = work.transitions.size();
    stage_.evaluator_.Advance(work.state, now_, work.transitions);
    work.touched = true;
    ++recomputed_;
    return Plan(profile, work, before, nullptr);
  }

  Status Plan(int64_t profile, const ProfileWork& work, size_t from, const json::value* view) {
    std::vector<journey::PlannedAction> planned;
    for (size_t i = from; i < work.transitions.size(); ++i) {
      stage_.planner_.Plan(profile, work.transitions[i], work.state, view, now_, planned,
                           too_old_);
    }
    for (journey::PlannedAction& p : planned) {
      bool done_before = false;
      for (int64_t absorbed : work.absorbed) {
        // Keys are "<profile>:<rest>": the same action for the same transition, on the old id.
        const std::string key = std::to_string(absorbed) + p.key.substr(p.key.find(':'));
        auto exists = stage_.store_.HasJourneyAction(key);
        if (!exists.ok()) return exists.error();
        done_before = done_before || *exists;
      }
      if (done_before) continue;
      storage::JourneyActionRow row;
      row.key = std::move(p.key);
      row.profile_id = p.profile_id;
      row.action = std::move(p.action);
      row.target = std::move(p.target);
      row.kind = std::move(p.kind);
      row.payload = std::move(p.payload);
      row.at = p.at;
      out_.actions.push_back(std::move(row));
    }
    return OkStatus();
  }

  storage::JourneyBatch::Profile ProfileRow(int64_t profile, const ProfileWork& work) {
    const ProfileJourney& s = work.state;
    const journey::JourneyEvaluator& evaluator = stage_.evaluator_;
    storage::JourneyBatch::Profile p;
    p.replace_history = work.recompute;
    storage::JourneyStateRow& row = p.state;
    row.profile_id = profile;
    row.stage = s.stage >= 0 ? stage_.def_->stages()[static_cast<size_t>(s.stage)] : "";
    row.side = s.side;
    row.first_source = s.first_touch.source;
    row.last_activity = s.last_activity;
    row.next_check_at = evaluator.NextChange(s, now_);
    row.engagement = evaluator.Engagement(s, now_);
    row.health = evaluator.Health(s, now_);
    row.state_json = json::serialize(journey::ToJson(s));
    for (const Transition& t : work.transitions) {
      p.transitions.push_back({0, profile, std::string(journey::TransitionKindName(t.kind)),
                               t.from, t.to, t.at, t.touchpoint_id, t.enter_ordinal,
                               t.exit_ordinal});
    }
    transitions_ += static_cast<int64_t>(work.transitions.size());
    return p;
  }

  JourneyStage& stage_;
  const TimePoint now_;
  storage::JourneyBatch out_;
  std::map<int64_t, ProfileWork> work_;
  std::unordered_map<std::string, int64_t> keys_;  // idempotency keys written in this batch
  std::unordered_map<std::string, std::vector<storage::MatchCandidate>> local_matches_;
  std::unordered_map<int64_t, std::vector<std::string>> extra_members_;
};

JourneyStage::JourneyStage(storage::Store& store, journey::JourneyDefinitionPtr definition,
                           const Clock& clock, JourneyStageOptions options)
    : store_(store),
      def_(std::move(definition)),
      evaluator_(*def_),
      planner_(*def_, evaluator_),
      clock_(clock),
      options_(options),
      loop_("journey", [this] { return RunOnce(); }, options.batch, options.idle_poll,
            {options.input}) {}

JourneyStage::~JourneyStage() { Stop(); }

void JourneyStage::Start() { loop_.Start(); }
void JourneyStage::Stop() { loop_.Stop(); }

JourneyStage::Counters JourneyStage::counters() const {
  return {records_.load(),     touchpoints_.load(), duplicates_.load(), merged_.load(),
          transitions_.load(), actions_.load(),     recomputed_.load(), too_old_.load()};
}

Status JourneyStage::Load() {
  auto cursor = store_.ReadStageCursor("journey");
  if (!cursor.ok()) return cursor.error();
  auto max_id = store_.MaxTouchpointId();
  if (!max_id.ok()) return max_id.error();
  // Journeys stored under another definition (stages or rules changed since) are rebuilt from
  // their touchpoints, a batch of profiles a turn, so the KPIs never mix old and new meanings.
  auto fingerprint = store_.ReadJourneyFingerprint();
  if (!fingerprint.ok()) return fingerprint.error();
  if (*fingerprint != def_->fingerprint()) {
    if (!fingerprint->empty()) {
      spdlog::info("journey definition changed: rebuilding every stored journey");
    }
    if (Status s = store_.ChangeJourneyFingerprint(def_->fingerprint()); !s.ok()) return s;
  }
  cursor_ = *cursor;
  next_touchpoint_ = *max_id + 1;
  loaded_ = true;
  return OkStatus();
}

Result<int> JourneyStage::RunOnce() {
  std::lock_guard run(run_mu_);
  return RunLocked(false);
}

Result<int> JourneyStage::CheckDue() {
  std::lock_guard run(run_mu_);
  return RunLocked(true);
}

Result<int> JourneyStage::RunLocked(bool force_due) {
  if (options_.gate) {
    const cluster::LeaseState state = options_.gate();
    if (state == cluster::LeaseState::kNotHeld) return 0;
    // Its cursor and next touchpoint id may have moved on another instance.
    if (state == cluster::LeaseState::kAcquired) loaded_ = false;
  }
  if (!loaded_) {
    if (Status s = Load(); !s.ok()) return s.error();
  }
  Batch batch(*this, clock_.Now());
  int taken = 0;

  auto dirty = store_.ReadJourneyDirty(kProfilesPerTurn);
  if (!dirty.ok()) return dirty.error();
  for (int64_t profile : *dirty) {
    if (Status s = batch.Dirty(profile); !s.ok()) return s.error();
  }
  taken += static_cast<int>(dirty->size());

  auto records = store_.ReadJourneyRecords(cursor_, options_.batch);
  if (!records.ok()) return records.error();
  for (const storage::JourneyRecord& record : *records) {
    if (Status s = batch.AddRecord(record); !s.ok()) return s.error();
  }
  if (!records->empty()) batch.out().cursor = records->back().record_id;
  taken += static_cast<int>(records->size());

  const auto now = clock_.Monotonic();
  const auto every = def_->settings().inactivity.check_every;
  if (force_due || !last_due_check_ || now - *last_due_check_ >= every) {
    auto due = store_.ListJourneyDue(clock_.Now(), kProfilesPerTurn);
    if (!due.ok()) return due.error();
    for (int64_t profile : *due) {
      if (Status s = batch.Due(profile); !s.ok()) return s.error();
    }
    taken += static_cast<int>(due->size());
    // Come back at once while there may be more due than one turn takes.
    if (static_cast<int>(due->size()) < kProfilesPerTurn) last_due_check_ = now;
  }

  if (taken == 0) return 0;
  auto written = batch.Finish();
  if (!written.ok()) return written.error();
  if (Status s = store_.CommitJourney(*written); !s.ok()) {
    loaded_ = false;  // touchpoint ids handed out were not used: start again from the store
    return s.error();
  }
  if (written->cursor) cursor_ = *written->cursor;
  records_ += batch.records_;
  touchpoints_ += batch.touchpoints_;
  duplicates_ += batch.duplicates_;
  merged_ += batch.merged_;
  transitions_ += batch.transitions_;
  actions_ += static_cast<int64_t>(written->actions.size());
  recomputed_ += batch.recomputed_;
  too_old_ += batch.too_old_;
  if (options_.output != nullptr) options_.output->Notify();
  return taken;
}

Status RunUntilIdle(MappingStage& mapping, IdentityStage& identity, JourneyStage& journey) {
  while (true) {
    if (Status s = RunUntilIdle(mapping, identity); !s.ok()) return s;
    auto placed = journey.RunOnce();
    if (!placed.ok()) return placed.error();
    if (*placed == 0) return OkStatus();
  }
}

}  // namespace journeyd::pipeline
