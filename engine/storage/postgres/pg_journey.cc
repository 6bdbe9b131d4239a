#include "engine/storage/postgres/pg_store.h"

#include "engine/storage/postgres/pg_array.h"
#include "engine/storage/postgres/pg_locks.h"
#include "engine/storage/postgres/pg_rows.h"

#include <charconv>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "engine/storage/postgres/pg_transaction.h"

// The journey stage's tables on PostgreSQL (see sqlite_journey.cc for what each does): the
// journey stage's batches, the lookups that keep touchpoints single, and the scans behind the
// profile API and the KPIs.
//
// A journey batch writes each table with one statement whatever its size: a column of the batch
// travels as one array parameter and unnest() turns the arrays back into rows. One round trip per
// table rather than one per row, and one prepared statement per table rather than one per batch
// size. Text is sorted COLLATE "C" wherever the order shows, as SQLite sorts.

namespace journeyd::storage {

namespace {

constexpr std::string_view kJourneyStage = "journey";
constexpr int64_t kNoLowerBound = std::numeric_limits<int64_t>::min();
constexpr int64_t kNoUpperBound = std::numeric_limits<int64_t>::max();
// Rows per query of a scan: the KPI scans cover every journey ever, so they read in pages
// (keyset pagination) rather than holding one huge result in memory.
constexpr int64_t kScanPage = 10000;


// Binds each array as one text parameter, in order ($1, $2...).
PgParams ArrayParams(std::initializer_list<const PgArray*> arrays) {
  PgParams params;
  for (const PgArray* a : arrays) params.Add(a->Literal());
  return params;
}

constexpr std::string_view kTransitionColumns =
    "id, profile_id, kind, from_state, to_state, at, COALESCE(touchpoint_id, 0), enter_ordinal,"
    " exit_ordinal";

JourneyTransitionRow ReadTransition(const PgResult& rows, int i) {
  JourneyTransitionRow t;
  t.id = rows.Int64(i, 0);
  t.profile_id = rows.Int64(i, 1);
  t.kind = rows.Text(i, 2);
  t.from = rows.Text(i, 3);
  t.to = rows.Text(i, 4);
  t.at = rows.Time(i, 5);
  t.touchpoint_id = rows.Int64(i, 6);
  t.enter_ordinal = static_cast<int>(rows.Int64(i, 7));
  t.exit_ordinal = static_cast<int>(rows.Int64(i, 8));
  return t;
}

template <class T>
std::vector<T> Collect(const PgResult& rows, T (*read)(const PgResult&, int)) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) out.push_back(read(rows, i));
  return out;
}

std::vector<int64_t> Ids(const PgResult& rows) {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) out.push_back(rows.Int64(i, 0));
  return out;
}

// Runs `page()` until it reports a short page, all in one REPEATABLE READ transaction on `conn`:
// every page reads the same snapshot, as SQLite's one statement does. `page` returns the number
// of rows it read (and visited), or an error.
template <class F>
Status ScanInPages(PgConnection& conn, F&& page) {
  auto tx = PgTransaction::Begin(conn, PgIsolation::kRepeatableReadOnly);
  if (!tx.ok()) return tx.error();
  while (true) {
    Result<int64_t> read = page();
    if (!read.ok()) return read.error();
    if (*read < kScanPage) break;
  }
  return tx->Commit();
}

// A Status for a query's result, for the write steps of CommitJourney.
Status Done(const Result<PgResult>& result) {
  if (!result.ok()) return result.error();
  return OkStatus();
}

// CommitJourney's statements, in the order SqliteStore's WriteJourney runs them, but for the
// outbox rows, which go in last (under kOutboxWriteLock). REQUIRES: inside a transaction on
// `conn`.
class JourneyWriter {
 public:
  JourneyWriter(PgConnection& conn, const JourneyBatch& batch)
      : conn_(conn), batch_(batch), now_(UnixMillis(batch.at)) {}

  Status Write() {
    for (Status (JourneyWriter::*step)() :
         {&JourneyWriter::Touchpoints, &JourneyWriter::Keys, &JourneyWriter::MatchKeys,
          &JourneyWriter::Retired, &JourneyWriter::Profiles, &JourneyWriter::Actions,
          &JourneyWriter::Clean, &JourneyWriter::Cursor, &JourneyWriter::Outbox}) {
      if (Status s = (this->*step)(); !s.ok()) return s;
    }
    return OkStatus();
  }

 private:
  // The ids are the stage's own (MaxTouchpointId() + 1 onwards), kept as given: the identity
  // column's default is never used. Another instance that handed out the same ids meets the
  // primary key (kConflict) and its stage starts again from the store.
  Status Touchpoints() {
    if (batch_.touchpoints.empty()) return OkStatus();
    PgArray id, record, source, type, channel, occurred, value, currency, reference, campaign,
        attributes;
    for (const TouchpointRow& t : batch_.touchpoints) {
      id.Add(t.id);
      record.Add(t.record_id);
      source.Add(t.source);
      type.Add(t.type);
      channel.Add(t.channel);
      occurred.AddMillis(t.occurred_at);
      value.Add(t.value);
      currency.Add(t.currency);
      reference.Add(t.reference);
      campaign.Add(t.campaign_json);
      attributes.Add(t.attributes_json);
      // Every target hears of each touchpoint (first in the outbox, as with SQLite).
      if (t.profile_id != 0) Announce("touchpoint", t.profile_id, t.id, "");
    }
    return Done(conn_.Query(
        "INSERT INTO touchpoints(id, record_id, source, type, channel, occurred_at, value,"
        " currency, reference, campaign, attributes)"
        " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],"
        " $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])",
        ArrayParams({&id, &record, &source, &type, &channel, &occurred, &value, &currency,
                     &reference, &campaign, &attributes})));
  }

  // ON CONFLICT DO NOTHING is SQLite's INSERT OR IGNORE, safe under concurrent writers too: a
  // key another transaction is inserting is waited for, then skipped. A key twice in the batch
  // keeps its first row.
  Status Keys() {
    if (batch_.keys.empty()) return OkStatus();
    PgArray key, touchpoint, source, type, reference, record, rule;
    for (const TouchpointKeyRow& k : batch_.keys) {
      key.Add(k.key);
      touchpoint.Add(k.touchpoint_id);
      source.Add(k.source);
      type.Add(k.type);
      reference.Add(k.reference);
      record.Add(k.record_id);
      rule.Add(k.rule);
    }
    PgParams params =
        ArrayParams({&key, &touchpoint, &source, &type, &reference, &record, &rule});
    params.Add(now_);
    return Done(conn_.Query(
        "INSERT INTO touchpoint_keys(key, touchpoint_id, source, type, reference, record_id,"
        " rule, created_at)"
        " SELECT k, tp, s, ty, r, NULLIF(rec, 0), ru, $8 FROM unnest($1::text[], $2::bigint[],"
        " $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[])"
        " WITH ORDINALITY AS u(k, tp, s, ty, r, rec, ru, n) ORDER BY n"
        " ON CONFLICT (key) DO NOTHING",
        params));
  }

  Status MatchKeys() {
    if (batch_.match_keys.empty()) return OkStatus();
    PgArray rule, key, touchpoint, occurred;
    for (const MatchKeyRow& m : batch_.match_keys) {
      rule.Add(m.rule);
      key.Add(m.key);
      touchpoint.Add(m.touchpoint_id);
      occurred.AddMillis(m.occurred_at);
    }
    return Done(conn_.Query(
        "INSERT INTO touchpoint_match_keys(rule, key, touchpoint_id, occurred_at)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])"
        " ON CONFLICT DO NOTHING",
        ArrayParams({&rule, &key, &touchpoint, &occurred})));
  }

  Status Retired() {
    if (batch_.retired.empty()) return OkStatus();
    PgArray profiles;
    for (int64_t p : batch_.retired) profiles.Add(p);
    for (std::string_view sql : {"DELETE FROM journey_state WHERE profile_id = ANY($1::bigint[])",
                                 "DELETE FROM journey_transitions"
                                 " WHERE profile_id = ANY($1::bigint[])"}) {
      if (Status s = Done(conn_.Query(sql, ArrayParams({&profiles}))); !s.ok()) return s;
    }
    return OkStatus();
  }

  // SqliteStore writes the profiles one by one: upsert the state, clear the history when it was
  // recomputed, append the transitions. The same outcome in three statements: the last state
  // written for a profile wins; a replaced history keeps only the transitions given after the
  // last replace (earlier ones of this batch included), and the rest append in batch order.
  Status Profiles() {
    if (batch_.profiles.empty()) return OkStatus();
    std::map<int64_t, const JourneyStateRow*> states;  // by profile: the last one given
    std::set<int64_t> replaced;
    // Transitions to insert, in batch order; those a later replace clears are dropped.
    std::vector<std::pair<int64_t, const JourneyTransitionRow*>> transitions;
    for (const JourneyBatch::Profile& p : batch_.profiles) {
      const int64_t profile = p.state.profile_id;
      states[profile] = &p.state;
      if (p.replace_history) {
        replaced.insert(profile);
        std::erase_if(transitions, [&](const auto& t) { return t.first == profile; });
      }
      Announce("profile", profile, 0, "");
      for (const JourneyTransitionRow& t : p.transitions) transitions.emplace_back(profile, &t);
    }

    // By profile id: concurrent batches lock journey_state rows in one order, so they queue
    // rather than deadlock. The state row's lock (held to commit) also orders the history
    // writes of two batches for the same profile.
    PgArray profile, stage, side, first_source, last_activity, next_check, engagement, health,
        state;
    for (const auto& [id, s] : states) {
      profile.Add(id);
      stage.Add(s->stage);
      side.Add(s->side);
      first_source.Add(s->first_source);
      last_activity.AddMillis(s->last_activity);
      next_check.AddMillis(s->next_check_at);
      engagement.AddDouble(s->engagement);
      if (s->health) {
        health.AddDouble(*s->health);
      } else {
        health.AddNull();
      }
      state.Add(s->state_json);
    }
    PgParams upsert = ArrayParams({&profile, &stage, &side, &first_source, &last_activity,
                                   &next_check, &engagement, &health, &state});
    upsert.Add(now_);
    if (Status s = Done(conn_.Query(
            "INSERT INTO journey_state(profile_id, stage, side, first_source, last_activity,"
            " next_check_at, engagement, health, state, updated_at)"
            " SELECT p, st, si, fs, la, nc, e, h, js, $10 FROM unnest($1::bigint[], $2::text[],"
            " $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::float8[], $8::float8[],"
            " $9::text[]) WITH ORDINALITY AS u(p, st, si, fs, la, nc, e, h, js, n) ORDER BY n"
            " ON CONFLICT (profile_id) DO UPDATE SET stage = EXCLUDED.stage,"
            " side = EXCLUDED.side, first_source = EXCLUDED.first_source,"
            " last_activity = EXCLUDED.last_activity, next_check_at = EXCLUDED.next_check_at,"
            " engagement = EXCLUDED.engagement, health = EXCLUDED.health,"
            " state = EXCLUDED.state, updated_at = EXCLUDED.updated_at",
            upsert));
        !s.ok()) {
      return s;
    }

    if (!replaced.empty()) {
      PgArray cleared;
      for (int64_t p : replaced) cleared.Add(p);
      if (Status s = Done(conn_.Query(
              "DELETE FROM journey_transitions WHERE profile_id = ANY($1::bigint[])",
              ArrayParams({&cleared})));
          !s.ok()) {
        return s;
      }
    }

    if (transitions.empty()) return OkStatus();
    PgArray owner, kind, from, to, at, touchpoint, enter, exit;
    for (const auto& [p, t] : transitions) {
      owner.Add(p);
      kind.Add(t->kind);
      from.Add(t->from);
      to.Add(t->to);
      at.AddMillis(t->at);
      touchpoint.Add(t->touchpoint_id);
      enter.Add(int64_t{t->enter_ordinal});
      exit.Add(int64_t{t->exit_ordinal});
    }
    // In batch order (WITH ORDINALITY), so that ids follow it as SQLite's rowids do: transitions
    // at the same time read back in the order they were given.
    return Done(conn_.Query(
        "INSERT INTO journey_transitions(profile_id, kind, from_state, to_state, at,"
        " touchpoint_id, enter_ordinal, exit_ordinal)"
        " SELECT p, k, f, t, a, NULLIF(tp, 0), en, ex FROM unnest($1::bigint[], $2::text[],"
        " $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])"
        " WITH ORDINALITY AS u(p, k, f, t, a, tp, en, ex, n) ORDER BY n",
        ArrayParams({&owner, &kind, &from, &to, &at, &touchpoint, &enter, &exit})));
  }

  // Kept once per key (ON CONFLICT DO NOTHING, as INSERT OR IGNORE; a concurrent insert of the
  // same key is waited for, then skipped). Only an action inserted now, and pending, goes to the
  // outbox: RETURNING names the keys that went in, with their ids.
  Status Actions() {
    if (batch_.actions.empty()) return OkStatus();
    PgArray key, profile, action, target, kind, payload, at, status;
    for (const JourneyActionRow& a : batch_.actions) {
      key.Add(a.key);
      profile.Add(a.profile_id);
      action.Add(a.action);
      target.Add(a.target);
      kind.Add(a.kind);
      payload.Add(a.payload);
      at.AddMillis(a.at);
      status.Add(a.status);
    }
    PgParams params =
        ArrayParams({&key, &profile, &action, &target, &kind, &payload, &at, &status});
    params.Add(now_);
    auto inserted = conn_.Query(
        "INSERT INTO journey_actions(key, profile_id, action, target, kind, payload, at,"
        " created_at, status)"
        " SELECT k, p, a, t, ki, pl, at, $9, s FROM unnest($1::text[], $2::bigint[], $3::text[],"
        " $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[])"
        " WITH ORDINALITY AS u(k, p, a, t, ki, pl, at, s, n) ORDER BY n"
        " ON CONFLICT (key) DO NOTHING RETURNING key, id",
        params);
    if (!inserted.ok()) return inserted.error();
    std::map<std::string, int64_t, std::less<>> ids;
    for (int i = 0; i < inserted->rows(); ++i) {
      ids.emplace(inserted->Text(i, 0), inserted->Int64(i, 1));
    }
    for (const JourneyActionRow& a : batch_.actions) {
      auto it = ids.find(a.key);
      if (it == ids.end()) continue;  // kept before, or earlier in this batch
      if (a.status == "pending") Announce("action", a.profile_id, it->second, a.target);
      ids.erase(it);
    }
    return OkStatus();
  }

  // The outbox, in the same transaction: touchpoints, then profiles, then actions, in the order
  // SQLite writes them (ids follow it; each target reads in id order). Last, under the outbox
  // lock held to commit, so that outbox ids become visible in order across writers.
  Status Outbox() {
    if (outbox_kind_.empty()) return OkStatus();
    if (Status s = TakeAdvisoryLock(conn_, kOutboxWriteLock); !s.ok()) return s;
    PgParams params =
        ArrayParams({&outbox_kind_, &outbox_profile_, &outbox_item_, &outbox_target_});
    params.Add(now_);
    return Done(conn_.Query(
        "INSERT INTO outbox(kind, profile_id, item_id, target, created_at)"
        " SELECT k, p, NULLIF(i, 0), NULLIF(t, ''), $5 FROM unnest($1::text[], $2::bigint[],"
        " $3::bigint[], $4::text[]) WITH ORDINALITY AS u(k, p, i, t, n) ORDER BY n",
        params));
  }

  Status Clean() {
    if (batch_.clean.empty()) return OkStatus();
    PgArray profiles;
    for (int64_t p : batch_.clean) profiles.Add(p);
    return Done(conn_.Query("DELETE FROM journey_dirty WHERE profile_id = ANY($1::bigint[])",
                            ArrayParams({&profiles})));
  }

  Status Cursor() {
    if (!batch_.cursor) return OkStatus();
    return Done(conn_.Query(
        "INSERT INTO stage_cursors(stage, last_id) VALUES ($1, $2)"
        " ON CONFLICT (stage) DO UPDATE SET last_id = EXCLUDED.last_id",
        PgParams().Add(kJourneyStage).Add(*batch_.cursor)));
  }

  void Announce(std::string_view kind, int64_t profile, int64_t item, std::string_view target) {
    outbox_kind_.Add(kind);
    outbox_profile_.Add(profile);
    outbox_item_.Add(item);
    outbox_target_.Add(target);
  }

  PgConnection& conn_;
  const JourneyBatch& batch_;
  const int64_t now_;  // unix milliseconds
  PgArray outbox_kind_, outbox_profile_, outbox_item_, outbox_target_;
};

}  // namespace

Result<std::vector<JourneyRecord>> PgStore::ReadJourneyRecords(int64_t after_id, int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  // Only what the identity stage has taken: its cursor bounds the range, so a record is never
  // read before it has a profile. A record placed nowhere (unreadable) is skipped.
  auto rows = (*conn)->Query(
      "SELECT r.id, pr.profile_id, r.source, r.external_id, r.record FROM records r"
      " JOIN profile_records pr ON pr.record_id = r.id"
      " WHERE r.id > $1 AND r.id <= (SELECT COALESCE(MAX(last_id), 0) FROM stage_cursors"
      " WHERE stage = 'identity') ORDER BY r.id LIMIT $2",
      PgParams().Add(after_id).Add(limit));
  if (!rows.ok()) return rows.error();
  std::vector<JourneyRecord> out;
  out.reserve(static_cast<size_t>(rows->rows()));
  for (int i = 0; i < rows->rows(); ++i) {
    out.push_back({rows->Int64(i, 0), rows->Int64(i, 1), rows->Text(i, 2), rows->Text(i, 3),
                   rows->Text(i, 4)});
  }
  return out;
}

Result<std::optional<int64_t>> PgStore::FindTouchpointKey(std::string_view key) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto row = (*conn)->Query("SELECT touchpoint_id FROM touchpoint_keys WHERE key = $1",
                            PgParams().Add(key));
  if (!row.ok()) return row.error();
  if (row->rows() == 0) return std::optional<int64_t>();
  return std::optional<int64_t>(row->Int64(0, 0));
}

Result<std::vector<MatchCandidate>> PgStore::FindMatchCandidates(std::string_view rule,
                                                                 std::string_view key) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  // Members in the form of journey::MemberOf ("source|type"), by key within a touchpoint (the
  // order SQLite's index on touchpoint_keys gives).
  auto rows = (*conn)->Query(
      "SELECT m.touchpoint_id, m.occurred_at, k.source || '|' || k.type"
      " FROM touchpoint_match_keys m JOIN touchpoint_keys k ON k.touchpoint_id = m.touchpoint_id"
      " WHERE m.rule = $1 AND m.key = $2 ORDER BY m.touchpoint_id, k.key COLLATE \"C\"",
      PgParams().Add(rule).Add(key));
  if (!rows.ok()) return rows.error();
  std::vector<MatchCandidate> out;
  for (int i = 0; i < rows->rows(); ++i) {
    const int64_t id = rows->Int64(i, 0);
    if (out.empty() || out.back().touchpoint_id != id) {
      out.push_back({id, rows->Time(i, 1), {}});
    }
    out.back().members.push_back(rows->Text(i, 2));
  }
  return out;
}

Result<int64_t> PgStore::MaxTouchpointId() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto row = (*conn)->Query("SELECT COALESCE(MAX(id), 0) FROM touchpoints");
  if (!row.ok()) return row.error();
  return row->Int64(0, 0);
}

Result<std::optional<JourneyStateRow>> PgStore::ReadJourneyState(int64_t profile_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto row = (*conn)->Query(
      "SELECT " + std::string(kStateColumns) + " FROM journey_state s WHERE s.profile_id = $1",
      PgParams().Add(profile_id));
  if (!row.ok()) return row.error();
  if (row->rows() == 0) return std::optional<JourneyStateRow>();
  return std::optional<JourneyStateRow>(ReadState(*row, 0, 0));
}

Result<std::vector<TouchpointRow>> PgStore::ReadProfileTouchpoints(int64_t profile_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query("SELECT " + std::string(kTouchpointColumns) +
                                 " FROM profile_records pr JOIN touchpoints t ON t.record_id ="
                                 " pr.record_id WHERE pr.profile_id = $1"
                                 " ORDER BY t.occurred_at, t.id",
                             PgParams().Add(profile_id));
  if (!rows.ok()) return rows.error();
  return Collect(*rows, &ReadTouchpoint);
}

Result<std::vector<TouchpointKeyRow>> PgStore::ReadProfileTouchpointKeys(int64_t profile_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT k.key, k.touchpoint_id, k.source, k.type, k.reference, COALESCE(k.record_id, 0),"
      " k.rule FROM profile_records pr JOIN touchpoints t ON t.record_id = pr.record_id"
      " JOIN touchpoint_keys k ON k.touchpoint_id = t.id WHERE pr.profile_id = $1"
      " ORDER BY k.touchpoint_id, k.rule COLLATE \"C\", k.created_at, k.key COLLATE \"C\"",
      PgParams().Add(profile_id));
  if (!rows.ok()) return rows.error();
  std::vector<TouchpointKeyRow> out;
  out.reserve(static_cast<size_t>(rows->rows()));
  for (int i = 0; i < rows->rows(); ++i) {
    out.push_back({rows->Text(i, 0), rows->Int64(i, 1), rows->Text(i, 2), rows->Text(i, 3),
                   rows->Text(i, 4), rows->Int64(i, 5), rows->Text(i, 6)});
  }
  return out;
}

Result<std::vector<JourneyTransitionRow>> PgStore::ReadJourneyTransitions(int64_t profile_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query("SELECT " + std::string(kTransitionColumns) +
                                 " FROM journey_transitions WHERE profile_id = $1"
                                 " ORDER BY at, id",
                             PgParams().Add(profile_id));
  if (!rows.ok()) return rows.error();
  return Collect(*rows, &ReadTransition);
}

Result<std::vector<int64_t>> PgStore::ReadJourneyDirty(int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT profile_id FROM journey_dirty ORDER BY profile_id LIMIT $1",
      PgParams().Add(limit));
  if (!rows.ok()) return rows.error();
  return Ids(*rows);
}

Result<std::vector<int64_t>> PgStore::ListJourneyDue(TimePoint now, int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  // Ties by profile id: the order SQLite's index on next_check_at (with the rowid) gives.
  auto rows = (*conn)->Query(
      "SELECT profile_id FROM journey_state WHERE next_check_at IS NOT NULL AND"
      " next_check_at <= $1 ORDER BY next_check_at, profile_id LIMIT $2",
      PgParams().AddMillis(now).Add(limit));
  if (!rows.ok()) return rows.error();
  return Ids(*rows);
}

Status PgStore::CommitJourney(const JourneyBatch& batch) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  return InPgTransaction(**conn, [&] { return JourneyWriter(**conn, batch).Write(); });
}

Result<std::string> PgStore::ReadJourneyFingerprint() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  // settings.value is BYTEA (it holds the suppression salt too); the fingerprint is its text.
  auto row = (*conn)->Query("SELECT value FROM settings WHERE name = 'journey_definition'");
  if (!row.ok()) return row.error();
  if (row->rows() == 0) return std::string();
  return row->Bytes(0, 0);
}

Status PgStore::ChangeJourneyFingerprint(std::string_view fingerprint) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  return InPgTransaction(db, [&]() -> Status {
    // ON CONFLICT DO NOTHING: a profile already marked (by identity, or by another instance's
    // change) stays marked once.
    auto marked = db.Query(
        "INSERT INTO journey_dirty(profile_id) SELECT profile_id FROM journey_state"
        " ON CONFLICT DO NOTHING");
    if (!marked.ok()) return marked.error();
    return Done(db.Query(
        "INSERT INTO settings(name, value) VALUES ('journey_definition', $1)"
        " ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
        PgParams().AddBytes(fingerprint)));
  });
}

Result<bool> PgStore::HasJourneyAction(std::string_view key) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto row = (*conn)->Query("SELECT 1 FROM journey_actions WHERE key = $1", PgParams().Add(key));
  if (!row.ok()) return row.error();
  return row->rows() > 0;
}

Result<std::vector<JourneyActionRow>> PgStore::ListJourneyActions(std::string_view status,
                                                                  int64_t before_id, int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query("SELECT " + std::string(kActionColumns) +
                                 " FROM journey_actions WHERE ($1 = '' OR status = $1) AND"
                                 " ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3",
                             PgParams().Add(status).Add(before_id).Add(limit));
  if (!rows.ok()) return rows.error();
  return Collect(*rows, &ReadAction);
}

Status PgStore::ScanJourneyStates(const std::function<void(const JourneyStateRow&)>& visit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  const std::string sql = "SELECT " + std::string(kStateColumns) +
                          " FROM journey_state s WHERE s.profile_id > $1 ORDER BY s.profile_id"
                          " LIMIT $2";
  int64_t after = kNoLowerBound;
  return ScanInPages(**conn, [&]() -> Result<int64_t> {
    auto rows = (*conn)->Query(sql, PgParams().Add(after).Add(kScanPage));
    if (!rows.ok()) return rows.error();
    for (int i = 0; i < rows->rows(); ++i) {
      JourneyStateRow state = ReadState(*rows, i, 0);
      after = state.profile_id;
      visit(state);
    }
    return int64_t{rows->rows()};
  });
}

Status PgStore::ScanJourneyTransitions(
    const JourneyScanFilter& filter,
    const std::function<void(const JourneyTransitionRow&)>& visit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  // Keyset pagination on the sort key (profile_id, at, id); the first page starts below every
  // row (ids and profile ids are positive).
  const std::string sql = "SELECT " + std::string(kTransitionColumns) +
                          " FROM journey_transitions WHERE at >= $1 AND at < $2"
                          " AND (profile_id, at, id) > ($3, $4, $5)"
                          " ORDER BY profile_id, at, id LIMIT $6";
  const int64_t since = filter.since ? UnixMillis(*filter.since) : kNoLowerBound;
  const int64_t until = filter.until ? UnixMillis(*filter.until) : kNoUpperBound;
  int64_t after_profile = kNoLowerBound, after_at = kNoLowerBound, after_id = kNoLowerBound;
  return ScanInPages(**conn, [&]() -> Result<int64_t> {
    auto rows = (*conn)->Query(sql, PgParams().Add(since).Add(until).Add(after_profile)
                                        .Add(after_at).Add(after_id).Add(kScanPage));
    if (!rows.ok()) return rows.error();
    for (int i = 0; i < rows->rows(); ++i) {
      JourneyTransitionRow t = ReadTransition(*rows, i);
      after_profile = t.profile_id;
      after_at = rows->Int64(i, 5);
      after_id = t.id;
      visit(t);
    }
    return int64_t{rows->rows()};
  });
}

Status PgStore::ScanTouchpoints(const JourneyScanFilter& filter,
                                const std::function<void(const TouchpointRow&)>& visit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  // Keyset pagination on the sort key (occurred_at, id); touchpoint ids are positive.
  const std::string sql = "SELECT " + std::string(kTouchpointColumns) +
                          " FROM touchpoints t LEFT JOIN profile_records pr ON pr.record_id ="
                          " t.record_id WHERE t.occurred_at >= $1 AND t.occurred_at < $2"
                          " AND (t.occurred_at, t.id) > ($3, $4)"
                          " ORDER BY t.occurred_at, t.id LIMIT $5";
  const int64_t since = filter.since ? UnixMillis(*filter.since) : kNoLowerBound;
  const int64_t until = filter.until ? UnixMillis(*filter.until) : kNoUpperBound;
  int64_t after_at = kNoLowerBound, after_id = kNoLowerBound;
  return ScanInPages(**conn, [&]() -> Result<int64_t> {
    auto rows = (*conn)->Query(
        sql, PgParams().Add(since).Add(until).Add(after_at).Add(after_id).Add(kScanPage));
    if (!rows.ok()) return rows.error();
    for (int i = 0; i < rows->rows(); ++i) {
      TouchpointRow t = ReadTouchpoint(*rows, i);
      after_at = rows->Int64(i, 6);
      after_id = t.id;
      visit(t);
    }
    return int64_t{rows->rows()};
  });
}

}  // namespace journeyd::storage
