#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "engine/base/compression.h"
#include "engine/governance/suppression.h"
#include "engine/record/canonical_record.h"
#include "engine/storage/postgres/pg_rows.h"
#include "engine/storage/postgres/pg_store.h"

#include "engine/storage/identity_action_rows.h"
#include "engine/storage/postgres/pg_array.h"
#include "engine/storage/postgres/pg_locks.h"
#include "engine/storage/postgres/pg_transaction.h"

// The identity stage's tables on PostgreSQL (see sqlite_identity.cc for what each does): its
// batches, the start-up scans that rebuild its graph, the reads behind export and explain, and
// the admin's identity actions. Rows are the SQLite store's, value for value.
//
// Arrays travel as one text parameter holding an array literal, cast in the SQL
// (`unnest($1::bigint[])`, `= ANY($1::bigint[])`): PgParams has no array types, and one
// statement for a whole batch costs one round trip where a statement per row costs hundreds.
// The literal is a parameter value like any other, never part of the SQL text.

namespace journeyd::storage {

namespace {

constexpr std::string_view kIdentityStage = "identity";


// Rows per page of the start-up and export scans: bounded memory, few round trips.
constexpr int kScanPage = 10000;


// Runs `read` in one REPEATABLE READ, READ ONLY transaction: the pages of a scan, or the parts
// of a profile, come from one snapshot, as SQLite's single statement (under its lock) gives.
template <class F>
auto InPgSnapshot(PgConnection& conn, F&& read) -> decltype(read()) {
  auto tx = PgTransaction::Begin(conn, PgIsolation::kRepeatableReadOnly);
  if (!tx.ok()) return tx.error();
  auto result = read();
  if (!result.ok()) return result;
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return result;
}

// The identity tables' writes inside one transaction, shared by the stage's batches and the
// admin actions, so a merge is stored the same way whoever decided it. Row writes are queued
// and go in as one multi-row statement per table; a merge first writes what is queued, since it
// moves whatever the profile holds by then (and closes the reviews raised before it). Profile
// touches and outbox announcements wait for Finish: every write of one call carries the same
// time, so updated_at ends the same, and the outbox rows keep the order they were asked in.
class PgIdentityWriter {
 public:
  PgIdentityWriter(PgConnection& db, int64_t now) : db_(db), now_(now) {}

  // A new profile is announced to the targets (its golden record may now read differently).
  void NewProfile(int64_t id) {
    new_profiles_.push_back(id);
    announce_.push_back(id);
  }
  // A changed one is touched and announced.
  void Touch(int64_t id) {
    touched_.push_back(id);
    announce_.push_back(id);
  }
  // Later calls for the same identifier or record win, as the row-by-row upserts would.
  void Own(const std::string& type, const std::string& value, int64_t profile) {
    owners_[{type, value}] = profile;
  }
  void Place(int64_t record, int64_t profile) { places_[record] = profile; }
  void Review(const IdentityBatch::Review& r, int64_t record_id) {
    reviews_.push_back({r, record_id});
  }
  void Issue(const IdentityBatch::Issue& i, const std::string& source, int64_t inbox_id) {
    issues_.push_back({i, source, inbox_id});
  }
  // The journey stage recomputes the profile's journey from the touchpoints it now holds.
  void MarkJourneyDirty(int64_t profile) { dirty_.push_back(profile); }

  // Everything of `from` becomes `into`'s; `from` is retired, pointing at `into`; the open
  // review between the two is answered; both are marked for the journey; the merge is logged.
  // Two statements: the separations move in two steps, the second seeing the first.
  Status Merge(const IdentityBatch::Merge& m, int64_t record_id) {
    if (Status s = Flush(); !s.ok()) return s;
    // The statements in one WITH see the same snapshot; each writes a table of its own.
    // SQLite's UPDATE OR IGNORE leaves a separation in place when moving it would duplicate
    // one: NOT EXISTS does that here.
    auto merged = db_.Query(
        "WITH moved_records AS ("
        "UPDATE profile_records SET profile_id = $1 WHERE profile_id = $2),"
        " moved_identifiers AS (UPDATE identifiers SET profile_id = $1 WHERE profile_id = $2),"
        " moved_separations AS (UPDATE separations s SET profile_a = $1 WHERE s.profile_a = $2"
        " AND NOT EXISTS (SELECT 1 FROM separations t"
        " WHERE t.profile_a = $1 AND t.profile_b = s.profile_b)),"
        " retired AS (UPDATE profiles SET merged_into = $1, updated_at = $3 WHERE id = $2),"
        // An accepted review sets its own status afterwards.
        " closed AS (UPDATE reviews SET status = 'merged', decided_at = $3 WHERE status = 'open'"
        " AND ((profile_a = $1 AND profile_b = $2) OR (profile_a = $2 AND profile_b = $1))),"
        " dirty AS (INSERT INTO journey_dirty(profile_id) VALUES ($1), ($2)"
        " ON CONFLICT DO NOTHING)"
        " INSERT INTO merges(into_profile, from_profile, rule, identifier_type, identifier_value,"
        " record_id, probability, details, created_at)"
        " VALUES ($1, $2, $4, NULLIF($5, ''), NULLIF($6, ''), NULLIF($7, 0), $8, $9, $3)",
        PgParams().Add(m.into).Add(m.from).Add(now_).Add(m.rule).Add(m.identifier_type)
            .Add(m.identifier_value).Add(record_id).AddDouble(m.probability).Add(m.details));
    if (!merged.ok()) return merged.error();
    auto moved = db_.Query(
        "UPDATE separations s SET profile_b = $1 WHERE s.profile_b = $2"
        " AND NOT EXISTS (SELECT 1 FROM separations t"
        " WHERE t.profile_a = s.profile_a AND t.profile_b = $1)",
        PgParams().Add(m.into).Add(m.from));
    if (!moved.ok()) return moved.error();
    return OkStatus();
  }

  // A history row only (a split).
  Status Log(const IdentityBatch::Merge& m, int64_t record_id) {
    auto logged = db_.Query(
        "INSERT INTO merges(into_profile, from_profile, rule, identifier_type, identifier_value,"
        " record_id, probability, details, created_at)"
        " VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, ''), NULLIF($6, 0), $7, $8, $9)",
        PgParams().Add(m.into).Add(m.from).Add(m.rule).Add(m.identifier_type)
            .Add(m.identifier_value).Add(record_id).AddDouble(m.probability).Add(m.details)
            .Add(now_));
    if (!logged.ok()) return logged.error();
    return OkStatus();
  }

  // Stored once per pair, the smaller id first.
  Status Separate(int64_t a, int64_t b) {
    auto separated = db_.Query(
        "INSERT INTO separations(profile_a, profile_b, created_at)"
        " VALUES (LEAST($1, $2), GREATEST($1, $2), $3) ON CONFLICT DO NOTHING",
        PgParams().Add(a).Add(b).Add(now_));
    if (!separated.ok()) return separated.error();
    return OkStatus();
  }

  // Writes the queued rows, in the order a row-by-row writer would have left them.
  Status Flush() {
    if (!new_profiles_.empty()) {
      auto inserted = db_.Query(
          "INSERT INTO profiles(id, created_at, updated_at)"
          " SELECT id, $2, $2 FROM unnest($1::bigint[]) AS u(id) ON CONFLICT (id) DO NOTHING",
          PgParams().Add(PgArrayOf(new_profiles_)).Add(now_));
      if (!inserted.ok()) return inserted.error();
      new_profiles_.clear();
    }
    if (!owners_.empty()) {
      std::vector<std::string> types, values;
      std::vector<int64_t> profiles;
      for (const auto& [key, profile] : owners_) {
        types.push_back(key.first);
        values.push_back(key.second);
        profiles.push_back(profile);
      }
      auto owned = db_.Query(
          "INSERT INTO identifiers(type, value, profile_id)"
          " SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])"
          " ON CONFLICT (type, value) DO UPDATE SET profile_id = EXCLUDED.profile_id",
          PgParams().Add(PgArrayOf(types)).Add(PgArrayOf(values)).Add(PgArrayOf(profiles)));
      if (!owned.ok()) return owned.error();
      owners_.clear();
    }
    if (!places_.empty()) {
      std::vector<int64_t> records, profiles;
      for (const auto& [record, profile] : places_) {
        records.push_back(record);
        profiles.push_back(profile);
      }
      auto placed = db_.Query(
          "INSERT INTO profile_records(record_id, profile_id)"
          " SELECT * FROM unnest($1::bigint[], $2::bigint[])"
          " ON CONFLICT (record_id) DO UPDATE SET profile_id = EXCLUDED.profile_id",
          PgParams().Add(PgArrayOf(records)).Add(PgArrayOf(profiles)));
      if (!placed.ok()) return placed.error();
      places_.clear();
    }
    if (!reviews_.empty()) {
      std::vector<int64_t> a, b, records;
      std::vector<double> probabilities;
      std::vector<std::string> details;
      for (const auto& [review, record] : reviews_) {
        a.push_back(review.profile_a);
        b.push_back(review.profile_b);
        records.push_back(record);
        probabilities.push_back(review.probability);
        details.push_back(review.details);
      }
      // ORDER BY the position: the ids go up in the order the reviews were raised.
      auto raised = db_.Query(
          "INSERT INTO reviews(profile_a, profile_b, record_id, probability, details, created_at)"
          " SELECT a, b, r, p, d, $6 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[],"
          " $4::float8[], $5::text[]) WITH ORDINALITY AS u(a, b, r, p, d, n) ORDER BY n",
          PgParams().Add(PgArrayOf(a)).Add(PgArrayOf(b)).Add(PgArrayOf(records))
              .Add(PgArrayOf(probabilities)).Add(PgArrayOf(details)).Add(now_));
      if (!raised.ok()) return raised.error();
      reviews_.clear();
    }
    if (!issues_.empty()) {
      std::vector<std::string> kinds, sources, messages;
      std::vector<int64_t> inbox_ids;
      for (const QueuedIssue& i : issues_) {
        kinds.push_back(i.issue.kind);
        sources.push_back(i.source);
        messages.push_back(i.issue.message);
        inbox_ids.push_back(i.inbox_id);
      }
      auto raised = db_.Query(
          "INSERT INTO data_quality_issues(kind, source, message, inbox_id, created_at)"
          " SELECT k, s, m, NULLIF(i, 0), $5 FROM unnest($1::text[], $2::text[], $3::text[],"
          " $4::bigint[]) WITH ORDINALITY AS u(k, s, m, i, n) ORDER BY n",
          PgParams().Add(PgArrayOf(kinds)).Add(PgArrayOf(sources)).Add(PgArrayOf(messages))
              .Add(PgArrayOf(inbox_ids)).Add(now_));
      if (!raised.ok()) return raised.error();
      issues_.clear();
    }
    if (!dirty_.empty()) {
      auto marked = db_.Query(
          "INSERT INTO journey_dirty(profile_id) SELECT * FROM unnest($1::bigint[])"
          " ON CONFLICT DO NOTHING",
          PgParams().Add(PgArrayOf(dirty_)));
      if (!marked.ok()) return marked.error();
      dirty_.clear();
    }
    return OkStatus();
  }

  // Flush, then the touches and the outbox announcements.
  Status Finish() {
    if (Status s = Flush(); !s.ok()) return s;
    if (!touched_.empty()) {
      auto touched = db_.Query("UPDATE profiles SET updated_at = $2 WHERE id = ANY($1::bigint[])",
                               PgParams().Add(PgArrayOf(touched_)).Add(now_));
      if (!touched.ok()) return touched.error();
      touched_.clear();
    }
    if (!announce_.empty()) {
      if (Status s = TakeAdvisoryLock(db_, kOutboxWriteLock); !s.ok()) return s;
      auto announced = db_.Query(
          "INSERT INTO outbox(kind, profile_id, created_at)"
          " SELECT 'profile', id, $2 FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, n)"
          " ORDER BY n",
          PgParams().Add(PgArrayOf(announce_)).Add(now_));
      if (!announced.ok()) return announced.error();
      announce_.clear();
    }
    return OkStatus();
  }

 private:
  struct QueuedIssue {
    IdentityBatch::Issue issue;
    std::string source;
    int64_t inbox_id = 0;
  };

  PgConnection& db_;
  const int64_t now_;  // unix milliseconds: every row this writer writes carries it
  std::vector<int64_t> new_profiles_;
  std::map<std::pair<std::string, std::string>, int64_t> owners_;  // (type, value) -> profile
  std::map<int64_t, int64_t> places_;                               // record -> profile
  std::vector<std::pair<IdentityBatch::Review, int64_t>> reviews_;  // with their record
  std::vector<QueuedIssue> issues_;
  std::vector<int64_t> dirty_;
  std::vector<int64_t> touched_;
  std::vector<int64_t> announce_;  // outbox rows, in order
};

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// The suppression salt, made here when this is the first erasure (as SuppressionSalt makes
// it): two makers at once both insert with DO NOTHING, one wins, and the re-read (a statement
// of its own, so it sees the winner's commit) gives each the one stored.
Result<std::string> ReadOrCreateSalt(PgConnection& db) {
  constexpr std::string_view kRead = "SELECT value FROM settings WHERE name = 'suppression_salt'";
  auto found = db.Query(kRead);
  if (!found.ok()) return found.error();
  if (found->rows() > 0) return found->Bytes(0, 0);
  auto insert = db.Query(
      "INSERT INTO settings(name, value) VALUES ('suppression_salt', $1)"
      " ON CONFLICT (name) DO NOTHING",
      PgParams().AddBytes(governance::NewSuppressionSalt()));
  if (!insert.ok()) return insert.error();
  auto stored = db.Query(kRead);
  if (!stored.ok()) return stored.error();
  if (stored->rows() == 0) return Corruption("the suppression salt is missing");
  return stored->Bytes(0, 0);
}

// Whether a quarantined event is the erased person's: by the identities of its mapped record
// or, when mapping failed, by the identifier values in its raw payload (case-insensitively).
Result<bool> QuarantinedIsWanted(const PgResult& rows, int i,
                                 const std::set<std::pair<std::string, std::string>>& wanted) {
  const std::string record = rows.Text(i, 2);
  if (!record.empty()) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(record, ec);
    auto parsed = ec ? Result<CanonicalRecord>(Corruption(ec.message()))
                     : CanonicalRecordFromJson(v);
    if (parsed.ok()) {
      for (const Identity& identity : parsed->identities) {
        if (wanted.count({identity.type, identity.value}) > 0) return true;
      }
    }
  }
  if (rows.Int64(i, 1) == 0 || rows.IsNull(i, 4)) return false;
  std::string body = rows.Bytes(i, 4);
  if (rows.Text(i, 3) == "zstd") {
    auto plain = ZstdDecompress(body);
    if (!plain.ok()) return plain.error();
    body = std::move(*plain);
  }
  const std::string lowered = Lower(body);
  for (const auto& [type, value] : wanted) {
    if (!value.empty() && lowered.find(Lower(value)) != std::string::npos) return true;
  }
  return false;
}

// Everything of one person goes in the caller's transaction (see SqliteStore::WriteErasure,
// whose counts and audit entry this matches): their records and raw payloads, the identity
// rows of the live profile and every id merged into it, their journey, their quarantined
// events; salted hashes of their identifiers stay as suppressions, with an audit entry.
// A statement per kind of row rather than one per row.
Status WriteErasure(PgConnection& db, const IdentityActionOutcome::Erasure& erasure, int64_t now) {
  auto salt = ReadOrCreateSalt(db);
  if (!salt.ok()) return salt.error();
  // The records (their place in a profile, their touchpoints cascade) go with their inbox
  // rows. Each record found counts once, as SqliteStore counts them.
  const std::string records = PgArrayOf(erasure.records);
  auto found = db.Query("SELECT COUNT(*) FROM records WHERE id = ANY($1::bigint[])",
                        PgParams().Add(records));
  if (!found.ok()) return found.error();
  const int64_t records_removed = found->Int64(0, 0);
  auto raw = db.Query(
      "DELETE FROM inbox WHERE id IN (SELECT inbox_id FROM records"
      " WHERE id = ANY($1::bigint[]))",
      PgParams().Add(records));
  if (!raw.ok()) return raw.error();
  int64_t inbox = raw->affected_rows();
  auto left = db.Query("DELETE FROM records WHERE id = ANY($1::bigint[])",
                       PgParams().Add(records));
  if (!left.ok()) return left.error();

  // The live profile and every retired id that was merged into it (their merges name the
  // person's identifiers too). No table here cascades into another, so one statement's
  // sub-statements count what the row-by-row deletes would.
  auto removed_rows = db.Query(
      "WITH RECURSIVE absorbed(id) AS (SELECT unnest($1::bigint[]) UNION"
      " SELECT p.id FROM profiles p JOIN absorbed a ON p.merged_into = a.id),"
      " i AS (DELETE FROM identifiers WHERE profile_id IN (SELECT id FROM absorbed) RETURNING 1),"
      " m AS (DELETE FROM merges WHERE into_profile IN (SELECT id FROM absorbed)"
      " OR from_profile IN (SELECT id FROM absorbed) RETURNING 1),"
      " r AS (DELETE FROM reviews WHERE profile_a IN (SELECT id FROM absorbed)"
      " OR profile_b IN (SELECT id FROM absorbed) RETURNING 1),"
      " s AS (DELETE FROM separations WHERE profile_a IN (SELECT id FROM absorbed)"
      " OR profile_b IN (SELECT id FROM absorbed) RETURNING 1),"
      " p AS (UPDATE profiles SET erased_at = $2, updated_at = $2"
      " WHERE id IN (SELECT id FROM absorbed) RETURNING 1),"
      // The journey goes too (its touchpoints went with the records), and so do its actions,
      // delivered or not: nothing more is sent about this person but the erasure itself.
      " js AS (DELETE FROM journey_state WHERE profile_id IN (SELECT id FROM absorbed)"
      " RETURNING 1),"
      " jt AS (DELETE FROM journey_transitions WHERE profile_id IN (SELECT id FROM absorbed)"
      " RETURNING 1),"
      " ja AS (DELETE FROM journey_actions WHERE profile_id IN (SELECT id FROM absorbed)"
      " RETURNING 1),"
      " jd AS (DELETE FROM journey_dirty WHERE profile_id IN (SELECT id FROM absorbed)"
      " RETURNING 1)"
      // Every sub-statement runs, read or not; separations and profiles are not counted.
      " SELECT (SELECT COUNT(*) FROM i), (SELECT COUNT(*) FROM m), (SELECT COUNT(*) FROM r),"
      " (SELECT COUNT(*) FROM js)"
      " + (SELECT COUNT(*) FROM jt) + (SELECT COUNT(*) FROM ja) + (SELECT COUNT(*) FROM jd)",
      PgParams().Add(PgArrayOf(erasure.profiles)).Add(now));
  if (!removed_rows.ok()) return removed_rows.error();
  const int64_t identifiers = removed_rows->Int64(0, 0), merges = removed_rows->Int64(0, 1),
                reviews = removed_rows->Int64(0, 2), journey = removed_rows->Int64(0, 3);

  // Quarantined events never reached a profile: every entry is looked at (a page at a time,
  // bodies decompressed here), as SqliteStore does.
  const std::set<std::pair<std::string, std::string>> wanted(erasure.identifiers.begin(),
                                                             erasure.identifiers.end());
  std::vector<int64_t> doomed, doomed_inbox;
  constexpr int kQuarantinePage = 500;
  for (int64_t after = 0;;) {
    auto rows = db.Query(
        "SELECT q.id, COALESCE(q.inbox_id, 0), COALESCE(q.record, ''), i.body_encoding, i.body"
        " FROM quarantine q LEFT JOIN inbox i ON i.id = q.inbox_id WHERE q.id > $1"
        " ORDER BY q.id LIMIT $2",
        PgParams().Add(after).Add(kQuarantinePage));
    if (!rows.ok()) return rows.error();
    for (int i = 0; i < rows->rows(); ++i) {
      after = rows->Int64(i, 0);
      auto match = QuarantinedIsWanted(*rows, i, wanted);
      if (!match.ok()) return match.error();
      if (!*match) continue;
      doomed.push_back(after);
      if (rows->Int64(i, 1) != 0) doomed_inbox.push_back(rows->Int64(i, 1));
    }
    if (rows->rows() < kQuarantinePage) break;
  }
  int64_t quarantined = 0;
  if (!doomed.empty()) {
    auto gone = db.Query("DELETE FROM quarantine WHERE id = ANY($1::bigint[])",
                         PgParams().Add(PgArrayOf(doomed)));
    if (!gone.ok()) return gone.error();
    quarantined = gone->affected_rows();
    auto payloads = db.Query("DELETE FROM inbox WHERE id = ANY($1::bigint[])",
                             PgParams().Add(PgArrayOf(doomed_inbox)));
    if (!payloads.ok()) return payloads.error();
    inbox += payloads->affected_rows();
  }

  boost::json::object removed{{"records", records_removed}, {"raw_payloads", inbox},
                              {"identifiers", identifiers},  {"merges", merges},
                              {"reviews", reviews},          {"quarantined", quarantined},
                              {"journey_rows", journey}};
  boost::json::array hashes, targets;
  std::vector<std::string> hash_list;
  for (const auto& [type, value] : wanted) {
    hash_list.push_back(governance::SuppressionHash(*salt, type, value));
    hashes.push_back(boost::json::string(hash_list.back()));
  }
  for (const std::string& t : erasure.targets) targets.push_back(boost::json::string(t));
  auto audit = db.Query(
      "INSERT INTO erasures(requested_by, requested_at, profile_id, identifier_hashes, removed,"
      " pending_targets) VALUES ($1, $2, NULLIF($3, 0), $4, $5, $6) RETURNING id",
      PgParams().Add(erasure.requested_by).Add(now)
          .Add(erasure.profiles.empty() ? int64_t{0} : erasure.profiles.front())
          .Add(boost::json::serialize(hashes)).Add(boost::json::serialize(removed))
          .Add(boost::json::serialize(targets)));
  if (!audit.ok()) return audit.error();
  if (hash_list.empty()) return OkStatus();
  auto suppressed = db.Query(
      "INSERT INTO suppressions(hash, erasure_id, created_at)"
      " SELECT h, $2, $3 FROM unnest($1::text[]) AS u(h) ON CONFLICT (hash) DO NOTHING",
      PgParams().Add(PgArrayOf(hash_list)).Add(audit->Int64(0, 0)).Add(now));
  if (!suppressed.ok()) return suppressed.error();
  return OkStatus();
}

}  // namespace

Result<int64_t> PgStore::ReadStageCursor(std::string_view stage) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto row = (*conn)->Query("SELECT last_id FROM stage_cursors WHERE stage = $1",
                            PgParams().Add(stage));
  if (!row.ok()) return row.error();
  return row->rows() > 0 ? row->Int64(0, 0) : int64_t{0};
}

Status PgStore::CommitIdentity(const IdentityBatch& batch) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  return InPgTransaction(db, [&]() -> Status {
    if (Status s = TakeAdvisoryLock(db, kIdentityWriteLock); !s.ok()) return s;
    PgIdentityWriter writer(db, UnixMillis(batch.at));
    std::set<int64_t> created, touched;
    for (const IdentityBatch::Step& step : batch.steps) {
      if (step.created_profile != 0) {
        writer.NewProfile(step.created_profile);
        created.insert(step.created_profile);
      }
      for (const IdentityBatch::Merge& m : step.merges) {
        if (Status s = writer.Merge(m, step.record_id); !s.ok()) return s;
      }
      if (step.profile_id != 0) {  // 0: an unreadable record, placed nowhere
        for (const auto& [type, value] : step.attached) writer.Own(type, value, step.profile_id);
        writer.Place(step.record_id, step.profile_id);
        // Profiles created in this batch already carry its time; others are touched once.
        if (created.count(step.profile_id) == 0) touched.insert(step.profile_id);
      }
      for (const IdentityBatch::Review& r : step.reviews) writer.Review(r, step.record_id);
      for (const IdentityBatch::Issue& i : step.issues) writer.Issue(i, step.source, step.inbox_id);
    }
    // In id order (SqliteStore's order here is its hash set's).
    for (int64_t profile : touched) writer.Touch(profile);
    if (Status s = writer.Finish(); !s.ok()) return s;
    auto cursor = db.Query(
        "INSERT INTO stage_cursors(stage, last_id) VALUES ($1, $2)"
        " ON CONFLICT (stage) DO UPDATE SET last_id = EXCLUDED.last_id",
        PgParams().Add(kIdentityStage).Add(batch.cursor));
    if (!cursor.ok()) return cursor.error();
    return OkStatus();
  });
}

Status PgStore::CommitIdentityAction(const IdentityActionOutcome& o) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  const int64_t now = UnixMillis(o.at);
  return InPgTransaction(db, [&]() -> Status {
    if (Status s = TakeAdvisoryLock(db, kIdentityWriteLock); !s.ok()) return s;
    if (o.done) {
      PgIdentityWriter writer(db, now);
      for (const IdentityBatch::Merge& m : o.merges) {
        if (Status s = writer.Merge(m, 0); !s.ok()) return s;
        writer.Touch(m.into);
      }
      if (o.new_profile != 0) {
        writer.NewProfile(o.new_profile);
        for (int64_t record : o.moved_records) writer.Place(record, o.new_profile);
        for (const auto& [type, value] : o.moved_identifiers) {
          writer.Own(type, value, o.new_profile);
        }
        std::string records;
        for (int64_t r : o.moved_records) {
          records += (records.empty() ? "" : ", ") + std::to_string(r);
        }
        IdentityBatch::Merge history{o.new_profile, o.old_profile, "split", "", "", 0,
                                     "an admin split records " + records + " off profile " +
                                         std::to_string(o.old_profile)};
        // After the new profile's rows, as SqliteStore logs it.
        if (Status s = writer.Flush(); !s.ok()) return s;
        if (Status s = writer.Log(history, 0); !s.ok()) return s;
        writer.Touch(o.old_profile);
        writer.MarkJourneyDirty(o.new_profile);
        writer.MarkJourneyDirty(o.old_profile);
      }
      if (o.separation.first != 0) {
        if (Status s = writer.Separate(o.separation.first, o.separation.second); !s.ok()) {
          return s;
        }
      }
      // Before the erasure, which removes rows of the profiles it erases.
      if (Status s = writer.Finish(); !s.ok()) return s;
      if (o.erasure) {
        if (Status s = WriteErasure(db, *o.erasure, now); !s.ok()) return s;
      }
      if (o.review_id != 0) {
        auto review = db.Query("UPDATE reviews SET status = $2, decided_at = $3 WHERE id = $1",
                               PgParams().Add(o.review_id).Add(o.review_status).Add(now));
        if (!review.ok()) return review.error();
      }
    }
    // The payload (an erase request's identifiers) goes once applied: the queue keeps no
    // personal data.
    auto action = db.Query(
        "UPDATE identity_actions SET status = $2, result = $3, applied_at = $4, payload = NULL"
        " WHERE id = $1",
        PgParams().Add(o.action_id).Add(o.done ? "done" : "failed").Add(o.result).Add(now));
    if (!action.ok()) return action.error();
    return OkStatus();
  });
}

namespace {

Result<IdentityAction> ActionFromRow(const PgResult& rows, int i) {
  IdentityAction a;
  a.id = rows.Int64(i, 0);
  const auto kind = ParseActionKind(rows.Text(i, 1));
  if (!kind) return Corruption("identity action " + std::to_string(a.id) + " has an unknown kind");
  a.kind = *kind;
  a.review_id = rows.Int64(i, 2);
  a.profile_id = rows.Int64(i, 3);
  a.records = ParseRecordsJson(rows.Text(i, 4));
  a.status = rows.Text(i, 5);
  a.result = rows.Text(i, 6);
  ReadPayload(rows.Text(i, 7), a);
  return a;
}

}  // namespace

Result<int64_t> PgStore::QueueIdentityAction(const IdentityAction& action, TimePoint now) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto inserted = (*conn)->Query(
      "INSERT INTO identity_actions(kind, review_id, profile_id, records, created_at, payload)"
      " VALUES ($1, NULLIF($2, 0), NULLIF($3, 0), $4, $5, NULLIF($6, '')) RETURNING id",
      PgParams().Add(ActionKindName(action.kind)).Add(action.review_id).Add(action.profile_id)
          .Add(RecordsJson(action.records)).AddMillis(now).Add(PayloadJson(action)));
  if (!inserted.ok()) return inserted.error();
  return inserted->Int64(0, 0);
}

Result<std::vector<IdentityAction>> PgStore::ReadPendingIdentityActions() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows =
      (*conn)->Query(std::string(kIdentityActionColumns) +
                     " WHERE status = 'pending' ORDER BY id");
  if (!rows.ok()) return rows.error();
  std::vector<IdentityAction> out;
  for (int i = 0; i < rows->rows(); ++i) {
    auto action = ActionFromRow(*rows, i);
    if (!action.ok()) return action.error();
    out.push_back(std::move(*action));
  }
  return out;
}

Result<IdentityAction> PgStore::ReadIdentityAction(int64_t id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(std::string(kIdentityActionColumns) + " WHERE id = $1",
                             PgParams().Add(id));
  if (!rows.ok()) return rows.error();
  if (rows->rows() == 0) {
    return NotFound("identity action " + std::to_string(id) + " does not exist");
  }
  return ActionFromRow(*rows, 0);
}

namespace {

constexpr std::string_view kReviewColumns =
    "SELECT id, profile_a, profile_b, COALESCE(record_id, 0), probability, details, status,"
    " created_at FROM reviews";

ReviewRow ReviewFromRow(const PgResult& rows, int i) {
  return {rows.Int64(i, 0),  rows.Int64(i, 1), rows.Int64(i, 2), rows.Int64(i, 3),
          rows.Double(i, 4), rows.Text(i, 5),  rows.Text(i, 6),  rows.Time(i, 7)};
}

}  // namespace

Result<std::vector<ReviewRow>> PgStore::ListReviews(std::string_view status, int64_t before_id,
                                                    int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(std::string(kReviewColumns) +
                                 " WHERE ($1 = '' OR status = $1) AND ($2 = 0 OR id < $2)"
                                 " ORDER BY id DESC LIMIT $3",
                             PgParams().Add(status).Add(before_id).Add(limit));
  if (!rows.ok()) return rows.error();
  std::vector<ReviewRow> out;
  for (int i = 0; i < rows->rows(); ++i) out.push_back(ReviewFromRow(*rows, i));
  return out;
}

Result<ReviewRow> PgStore::ReadReview(int64_t review_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows =
      (*conn)->Query(std::string(kReviewColumns) + " WHERE id = $1", PgParams().Add(review_id));
  if (!rows.ok()) return rows.error();
  if (rows->rows() == 0) return NotFound("review " + std::to_string(review_id) + " does not exist");
  return ReviewFromRow(*rows, 0);
}

// The scans page by key (kScanPage rows a query, each page starting after the last key seen)
// inside one snapshot, so a table of millions is never held in memory at once. `visit` runs
// with the connection leased and the transaction open: like SqliteStore's (which holds its
// lock), it must not call the store.
Status PgStore::ScanPlacedRecords(const std::function<void(PlacedRecord&&)>& visit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  return InPgSnapshot(db, [&]() -> Status {
    int64_t after = 0;  // record ids start at 1
    while (true) {
      auto rows = db.Query(
          "SELECT p.record_id, p.profile_id, r.record FROM profile_records p"
          " JOIN records r ON r.id = p.record_id WHERE p.record_id > $1"
          " ORDER BY p.record_id LIMIT $2",
          PgParams().Add(after).Add(kScanPage));
      if (!rows.ok()) return rows.error();
      for (int i = 0; i < rows->rows(); ++i) {
        after = rows->Int64(i, 0);
        visit(PlacedRecord{after, rows->Int64(i, 1), rows->Text(i, 2)});
      }
      if (rows->rows() < kScanPage) return OkStatus();
    }
  });
}

Status PgStore::ScanIdentifiers(
    const std::function<void(std::string, std::string, int64_t)>& visit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  return InPgSnapshot(db, [&]() -> Status {
    // Pages in primary key order (the column's collation, whatever it is: the order is the
    // index's, and the contract promises none).
    auto first = db.Query(
        "SELECT type, value, profile_id FROM identifiers ORDER BY type, value LIMIT $1",
        PgParams().Add(kScanPage));
    if (!first.ok()) return first.error();
    PgResult rows = std::move(*first);
    while (true) {
      std::string type, value;
      for (int i = 0; i < rows.rows(); ++i) {
        type = rows.Text(i, 0);
        value = rows.Text(i, 1);
        visit(type, value, rows.Int64(i, 2));
      }
      if (rows.rows() < kScanPage) return OkStatus();
      auto next = db.Query(
          "SELECT type, value, profile_id FROM identifiers WHERE (type, value) > ($1, $2)"
          " ORDER BY type, value LIMIT $3",
          PgParams().Add(type).Add(value).Add(kScanPage));
      if (!next.ok()) return next.error();
      rows = std::move(*next);
    }
  });
}

Status PgStore::ScanSeparations(const std::function<void(int64_t, int64_t)>& visit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  return InPgSnapshot(db, [&]() -> Status {
    // Profile ids start at 1, so (0, 0) is before every pair.
    int64_t a = 0, b = 0;
    while (true) {
      auto rows = db.Query(
          "SELECT profile_a, profile_b FROM separations WHERE (profile_a, profile_b) > ($1, $2)"
          " ORDER BY profile_a, profile_b LIMIT $3",
          PgParams().Add(a).Add(b).Add(kScanPage));
      if (!rows.ok()) return rows.error();
      for (int i = 0; i < rows->rows(); ++i) {
        a = rows->Int64(i, 0);
        b = rows->Int64(i, 1);
        visit(a, b);
      }
      if (rows->rows() < kScanPage) return OkStatus();
    }
  });
}

Result<int64_t> PgStore::MaxProfileId() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto row = (*conn)->Query("SELECT COALESCE(MAX(id), 0) FROM profiles");
  if (!row.ok()) return row.error();
  return row->Int64(0, 0);
}

Status PgStore::ScanProfileRecords(const std::function<void(const ProfileRecordRow&)>& visit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  return InPgSnapshot(db, [&]() -> Status {
    int64_t profile = 0, record = 0;  // ids start at 1
    ProfileRecordRow out;
    while (true) {
      auto rows = db.Query(
          "SELECT p.profile_id, p.record_id, r.source, r.external_id, r.event_type,"
          " r.occurred_at FROM profile_records p JOIN records r ON r.id = p.record_id"
          " WHERE (p.profile_id, p.record_id) > ($1, $2)"
          " ORDER BY p.profile_id, p.record_id LIMIT $3",
          PgParams().Add(profile).Add(record).Add(kScanPage));
      if (!rows.ok()) return rows.error();
      for (int i = 0; i < rows->rows(); ++i) {
        out.profile_id = profile = rows->Int64(i, 0);
        out.record_id = record = rows->Int64(i, 1);
        out.source = rows->Text(i, 2);
        out.external_id = rows->Text(i, 3);
        out.event_type = rows->Text(i, 4);
        out.occurred_at = rows->Time(i, 5);
        visit(out);
      }
      if (rows->rows() < kScanPage) return OkStatus();
    }
  });
}

Result<int64_t> PgStore::ResolveProfile(int64_t profile_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  // The chain in one query rather than a round trip per hop. Merges only ever point to older
  // ids, so it ends; the bound (10000 look-ups, as SqliteStore's) guards a corrupt cycle. It
  // stops at an erased profile. The deepest row says how the walk ended.
  constexpr int64_t kMaxHops = 10000;
  auto row = (*conn)->Query(
      "WITH RECURSIVE chain(id, merged_into, erased, hops) AS ("
      " SELECT id, merged_into, erased_at IS NOT NULL, 0::bigint FROM profiles WHERE id = $1"
      " UNION ALL SELECT p.id, p.merged_into, p.erased_at IS NOT NULL, c.hops + 1"
      " FROM chain c JOIN profiles p ON p.id = c.merged_into"
      " WHERE NOT c.erased AND c.hops + 1 < $2)"
      " SELECT id, merged_into IS NOT NULL, erased, hops FROM chain ORDER BY hops DESC LIMIT 1",
      PgParams().Add(profile_id).Add(kMaxHops));
  if (!row.ok()) return row.error();
  const std::string name = "profile " + std::to_string(profile_id);
  if (row->rows() == 0) return NotFound(name + " does not exist");
  if (row->Bool(0, 2)) return NotFound(name + " was erased");
  if (!row->Bool(0, 1)) return row->Int64(0, 0);
  // Still merged: the bound was reached, or the next id in the chain is missing.
  if (row->Int64(0, 3) + 1 >= kMaxHops) {
    return Corruption(name + ": merged_into forms a cycle");
  }
  return NotFound(name + " does not exist");
}

Result<int64_t> PgStore::FindProfileByIdentifier(std::string_view type, std::string_view value) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto row = (*conn)->Query("SELECT profile_id FROM identifiers WHERE type = $1 AND value = $2",
                            PgParams().Add(type).Add(value));
  if (!row.ok()) return row.error();
  if (row->rows() == 0) return NotFound("no profile holds that " + std::string(type));
  return row->Int64(0, 0);
}

Result<ProfileDetail> PgStore::ReadProfile(int64_t profile_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  return InPgSnapshot(db, [&]() -> Result<ProfileDetail> {
    ProfileDetail detail;
    detail.id = profile_id;
    PgParams id = PgParams().Add(profile_id);
    auto profile = db.Query("SELECT created_at, updated_at FROM profiles WHERE id = $1", id);
    if (!profile.ok()) return profile.error();
    if (profile->rows() == 0) {
      return NotFound("profile " + std::to_string(profile_id) + " does not exist");
    }
    detail.created_at = profile->Time(0, 0);
    detail.updated_at = profile->Time(0, 1);
    // Every retired profile whose chain ends here: their merges belong to this profile's story.
    // UNION (not ALL) ends a corrupt cycle.
    auto absorbed = db.Query(
        "WITH RECURSIVE absorbed(id) AS (SELECT id FROM profiles WHERE merged_into = $1"
        " UNION SELECT p.id FROM profiles p JOIN absorbed a ON p.merged_into = a.id)"
        " SELECT id FROM absorbed ORDER BY id",
        id);
    if (!absorbed.ok()) return absorbed.error();
    for (int i = 0; i < absorbed->rows(); ++i) detail.absorbed.push_back(absorbed->Int64(i, 0));
    auto identifiers = db.Query(
        "SELECT type, value FROM identifiers WHERE profile_id = $1"
        " ORDER BY type COLLATE \"C\", value COLLATE \"C\"",
        id);
    if (!identifiers.ok()) return identifiers.error();
    for (int i = 0; i < identifiers->rows(); ++i) {
      detail.identifiers.emplace_back(identifiers->Text(i, 0), identifiers->Text(i, 1));
    }
    auto records = db.Query(
        "SELECT p.record_id, r.source, r.external_id, r.event_type, r.occurred_at"
        " FROM profile_records p JOIN records r ON r.id = p.record_id"
        " WHERE p.profile_id = $1 ORDER BY p.record_id",
        id);
    if (!records.ok()) return records.error();
    for (int i = 0; i < records->rows(); ++i) {
      detail.records.push_back({profile_id, records->Int64(i, 0), records->Text(i, 1),
                                records->Text(i, 2), records->Text(i, 3), records->Time(i, 4)});
    }
    std::vector<int64_t> ids = detail.absorbed;
    ids.push_back(profile_id);
    auto merges = db.Query(
        "SELECT id, into_profile, from_profile, rule, COALESCE(identifier_type, ''),"
        " COALESCE(identifier_value, ''), COALESCE(record_id, 0), COALESCE(probability, 0),"
        " COALESCE(details, ''), created_at FROM merges"
        " WHERE into_profile = ANY($1::bigint[]) ORDER BY id",
        PgParams().Add(PgArrayOf(ids)));
    if (!merges.ok()) return merges.error();
    for (int i = 0; i < merges->rows(); ++i) {
      detail.merges.push_back({merges->Int64(i, 0), merges->Int64(i, 1), merges->Int64(i, 2),
                               merges->Text(i, 3), merges->Text(i, 4), merges->Text(i, 5),
                               merges->Int64(i, 6), merges->Double(i, 7), merges->Text(i, 8),
                               merges->Time(i, 9)});
    }
    auto reviews = db.Query(std::string(kReviewColumns) +
                                " WHERE profile_a = $1 OR profile_b = $1 ORDER BY id",
                            id);
    if (!reviews.ok()) return reviews.error();
    for (int i = 0; i < reviews->rows(); ++i) detail.reviews.push_back(ReviewFromRow(*reviews, i));
    return detail;
  });
}

Result<std::vector<StoredRecord>> PgStore::ReadProfileRecords(int64_t profile_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT r.id, r.inbox_id, r.source, r.event_type, r.record FROM profile_records p"
      " JOIN records r ON r.id = p.record_id WHERE p.profile_id = $1 ORDER BY r.id",
      PgParams().Add(profile_id));
  if (!rows.ok()) return rows.error();
  return ReadStoredRecords(*rows);
}

}  // namespace journeyd::storage
