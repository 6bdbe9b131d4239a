// SqliteStore's journey tables (migration 0008): the journey stage's batches, the lookups that
// keep touchpoints single (idempotency and cross-source match keys), and the scans behind the
// profile API and the KPIs.
#include <boost/algorithm/string/split.hpp>

#include "engine/storage/sqlite/sqlite_store.h"


namespace journeyd::storage {

namespace {

constexpr std::string_view kJourneyStage = "journey";
constexpr int64_t kNoBound = std::numeric_limits<int64_t>::max();

constexpr std::string_view kTouchpointColumns =
    "t.id, t.record_id, COALESCE(pr.profile_id, 0), t.source, t.type, t.channel, t.occurred_at,"
    " t.value, t.currency, t.reference, t.campaign, t.attributes";

TouchpointRow ReadTouchpoint(const SqliteStatement& row) {
  TouchpointRow t;
  t.id = row.ColumnInt(0);
  t.record_id = row.ColumnInt(1);
  t.profile_id = row.ColumnInt(2);
  t.source = row.ColumnText(3);
  t.type = row.ColumnText(4);
  t.channel = row.ColumnText(5);
  t.occurred_at = FromMillis(row.ColumnInt(6));
  t.value = row.ColumnText(7);
  t.currency = row.ColumnText(8);
  t.reference = row.ColumnText(9);
  t.campaign_json = row.ColumnText(10);
  t.attributes_json = row.ColumnText(11);
  return t;
}

constexpr std::string_view kActionColumns =
    "id, key, profile_id, action, target, kind, payload, at, created_at, status";

JourneyActionRow ReadAction(const SqliteStatement& row) {
  JourneyActionRow a;
  a.id = row.ColumnInt(0);
  a.key = row.ColumnText(1);
  a.profile_id = row.ColumnInt(2);
  a.action = row.ColumnText(3);
  a.target = row.ColumnText(4);
  a.kind = row.ColumnText(5);
  a.payload = row.ColumnText(6);
  a.at = FromMillis(row.ColumnInt(7));
  a.created_at = FromMillis(row.ColumnInt(8));
  a.status = row.ColumnText(9);
  return a;
}

constexpr std::string_view kStateColumns =
    "profile_id, stage, side, first_source, last_activity, next_check_at, engagement, health,"
    " state, updated_at";

JourneyStateRow ReadState(const SqliteStatement& row) {
  JourneyStateRow s;
  s.profile_id = row.ColumnInt(0);
  s.stage = row.ColumnText(1);
  s.side = row.ColumnText(2);
  s.first_source = row.ColumnText(3);
  s.last_activity = OptionalTime(row, 4);
  s.next_check_at = OptionalTime(row, 5);
  s.engagement = row.ColumnDouble(6);
  if (!row.ColumnIsNull(7)) s.health = row.ColumnDouble(7);
  s.state_json = row.ColumnText(8);
  s.updated_at = FromMillis(row.ColumnInt(9));
  return s;
}

constexpr std::string_view kTransitionColumns =
    "id, profile_id, kind, from_state, to_state, at, COALESCE(touchpoint_id, 0), enter_ordinal,"
    " exit_ordinal";

JourneyTransitionRow ReadTransition(const SqliteStatement& row) {
  JourneyTransitionRow t;
  t.id = row.ColumnInt(0);
  t.profile_id = row.ColumnInt(1);
  t.kind = row.ColumnText(2);
  t.from = row.ColumnText(3);
  t.to = row.ColumnText(4);
  t.at = FromMillis(row.ColumnInt(5));
  t.touchpoint_id = row.ColumnInt(6);
  t.enter_ordinal = static_cast<int>(row.ColumnInt(7));
  t.exit_ordinal = static_cast<int>(row.ColumnInt(8));
  return t;
}

template <class T>
Result<std::vector<T>> Collect(Result<SqliteStatement>& stmt, T (*read)(const SqliteStatement&)) {
  std::vector<T> out;
  Status s = stmt->ForEachRow([&] { out.push_back(read(*stmt)); });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace

Result<SqliteStatement*> SqliteStore::Cached(std::string_view sql) {
  return Connection().Cached(sql);
}

Result<std::vector<JourneyRecord>> SqliteStore::ReadJourneyRecords(int64_t after_id, int limit) {
  const ReadScope scope(*this);
  // Only what the identity stage has taken: its cursor bounds the range, so a record is never
  // read before it has a profile. A record placed nowhere (unreadable) is skipped.
  auto rows = Db().Prepare(
      "SELECT r.id, pr.profile_id, r.source, r.external_id, r.record FROM records r"
      " JOIN profile_records pr ON pr.record_id = r.id"
      " WHERE r.id > ?1 AND r.id <= (SELECT COALESCE(MAX(last_id), 0) FROM stage_cursors"
      " WHERE stage = 'identity') ORDER BY r.id LIMIT ?2");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, after_id).Bind(2, int64_t{limit});
  std::vector<JourneyRecord> out;
  Status s = rows->ForEachRow([&] {
    out.push_back({rows->ColumnInt(0), rows->ColumnInt(1), rows->ColumnText(2),
                   rows->ColumnText(3), rows->ColumnText(4)});
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::optional<int64_t>> SqliteStore::FindTouchpointKey(std::string_view key) {
  const ReadScope scope(*this);
  auto row = Cached("SELECT touchpoint_id FROM touchpoint_keys WHERE key = ?1");
  if (!row.ok()) return row.error();
  (*row)->Bind(1, key);
  auto found = (*row)->Step();
  std::optional<int64_t> id;
  if (found.ok() && *found) id = (*row)->ColumnInt(0);
  (*row)->Reset();
  if (!found.ok()) return found.error();
  return id;
}

Result<std::vector<MatchCandidate>> SqliteStore::FindMatchCandidates(std::string_view rule,
                                                                     std::string_view key) {
  const ReadScope scope(*this);
  // Members in the form of journey::MemberOf ("source|type").
  auto rows = Cached(
      "SELECT m.touchpoint_id, m.occurred_at, k.source || '|' || k.type"
      " FROM touchpoint_match_keys m JOIN touchpoint_keys k ON k.touchpoint_id = m.touchpoint_id"
      " WHERE m.rule = ?1 AND m.key = ?2 ORDER BY m.touchpoint_id");
  if (!rows.ok()) return rows.error();
  SqliteStatement& stmt = **rows;
  stmt.Bind(1, rule).Bind(2, key);
  std::vector<MatchCandidate> out;
  Status s = stmt.ForEachRow([&] {
    const int64_t id = stmt.ColumnInt(0);
    if (out.empty() || out.back().touchpoint_id != id) {
      out.push_back({id, FromMillis(stmt.ColumnInt(1)), {}});
    }
    out.back().members.push_back(stmt.ColumnText(2));
  });
  stmt.Reset();
  if (!s.ok()) return s.error();
  return out;
}

Result<int64_t> SqliteStore::MaxTouchpointId() {
  const ReadScope scope(*this);
  auto row = Db().Prepare("SELECT COALESCE(MAX(id), 0) FROM touchpoints");
  if (!row.ok()) return row.error();
  auto stepped = row->Step();
  if (!stepped.ok()) return stepped.error();
  return row->ColumnInt(0);
}

Result<std::optional<JourneyStateRow>> SqliteStore::ReadJourneyState(int64_t profile_id) {
  const ReadScope scope(*this);
  static const std::string sql =
      "SELECT " + std::string(kStateColumns) + " FROM journey_state WHERE profile_id = ?1";
  auto row = Cached(sql);
  if (!row.ok()) return row.error();
  (*row)->Bind(1, profile_id);
  auto found = (*row)->Step();
  std::optional<JourneyStateRow> state;
  if (found.ok() && *found) state = ReadState(**row);
  (*row)->Reset();
  if (!found.ok()) return found.error();
  return state;
}

Result<std::vector<TouchpointRow>> SqliteStore::ReadProfileTouchpoints(int64_t profile_id) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare("SELECT " + std::string(kTouchpointColumns) +
                           " FROM profile_records pr JOIN touchpoints t ON t.record_id ="
                           " pr.record_id WHERE pr.profile_id = ?1 ORDER BY t.occurred_at, t.id");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, profile_id);
  return Collect(rows, &ReadTouchpoint);
}

Result<std::vector<TouchpointKeyRow>> SqliteStore::ReadProfileTouchpointKeys(int64_t profile_id) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT k.key, k.touchpoint_id, k.source, k.type, k.reference, COALESCE(k.record_id, 0),"
      " k.rule FROM profile_records pr JOIN touchpoints t ON t.record_id = pr.record_id"
      " JOIN touchpoint_keys k ON k.touchpoint_id = t.id WHERE pr.profile_id = ?1"
      " ORDER BY k.touchpoint_id, k.rule, k.created_at, k.key");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, profile_id);
  std::vector<TouchpointKeyRow> out;
  Status s = rows->ForEachRow([&] {
    out.push_back({rows->ColumnText(0), rows->ColumnInt(1), rows->ColumnText(2),
                   rows->ColumnText(3), rows->ColumnText(4), rows->ColumnInt(5),
                   rows->ColumnText(6)});
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<JourneyTransitionRow>> SqliteStore::ReadJourneyTransitions(int64_t profile_id) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare("SELECT " + std::string(kTransitionColumns) +
                           " FROM journey_transitions WHERE profile_id = ?1 ORDER BY at, id");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, profile_id);
  return Collect(rows, &ReadTransition);
}

Result<std::vector<int64_t>> SqliteStore::ReadJourneyDirty(int limit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare("SELECT profile_id FROM journey_dirty ORDER BY profile_id LIMIT ?1");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, int64_t{limit});
  std::vector<int64_t> out;
  Status s = rows->ForEachRow([&] { out.push_back(rows->ColumnInt(0)); });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<int64_t>> SqliteStore::ListJourneyDue(TimePoint now, int limit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT profile_id FROM journey_state WHERE next_check_at IS NOT NULL AND"
      " next_check_at <= ?1 ORDER BY next_check_at LIMIT ?2");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, ToMillis(now)).Bind(2, int64_t{limit});
  std::vector<int64_t> out;
  Status s = rows->ForEachRow([&] { out.push_back(rows->ColumnInt(0)); });
  if (!s.ok()) return s.error();
  return out;
}

Status SqliteStore::WriteJourney(const JourneyBatch& batch) {
  const int64_t now = ToMillis(batch.at);
  struct Prepared {
    std::string_view sql;
    SqliteStatement stmt;
  };
  Prepared insert_touchpoint{
      "INSERT INTO touchpoints(id, record_id, source, type, channel, occurred_at, value, currency,"
      " reference, campaign, attributes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
      {}};
  Prepared insert_key{
      "INSERT OR IGNORE INTO touchpoint_keys(key, touchpoint_id, source, type, reference,"
      " record_id, rule, created_at) VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(?6, 0), ?7, ?8)",
      {}};
  Prepared insert_match{
      "INSERT OR IGNORE INTO touchpoint_match_keys(rule, key, touchpoint_id, occurred_at)"
      " VALUES (?1, ?2, ?3, ?4)",
      {}};
  Prepared upsert_state{
      "INSERT INTO journey_state(profile_id, stage, side, first_source, last_activity,"
      " next_check_at, engagement, health, state, updated_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(profile_id) DO UPDATE SET"
      " stage = excluded.stage, side = excluded.side, first_source = excluded.first_source,"
      " last_activity = excluded.last_activity, next_check_at = excluded.next_check_at,"
      " engagement = excluded.engagement, health = excluded.health, state = excluded.state,"
      " updated_at = excluded.updated_at",
      {}};
  Prepared clear_history{"DELETE FROM journey_transitions WHERE profile_id = ?1", {}};
  Prepared insert_transition{
      "INSERT INTO journey_transitions(profile_id, kind, from_state, to_state, at,"
      " touchpoint_id, enter_ordinal, exit_ordinal)"
      " VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(?6, 0), ?7, ?8)",
      {}};
  Prepared retire_state{"DELETE FROM journey_state WHERE profile_id = ?1", {}};
  Prepared insert_action{
      "INSERT OR IGNORE INTO journey_actions(key, profile_id, action, target, kind, payload, at,"
      " created_at, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
      {}};
  Prepared clean{"DELETE FROM journey_dirty WHERE profile_id = ?1", {}};
  // The outbox, in the same transaction: every target hears of each touchpoint, each profile
  // whose journey moved and each action (its own target only).
  Prepared outbox{
      "INSERT INTO outbox(kind, profile_id, item_id, target, created_at)"
      " VALUES (?1, ?2, NULLIF(?3, 0), NULLIF(?4, ''), ?5)",
      {}};
  Prepared cursor{
      "INSERT INTO stage_cursors(stage, last_id) VALUES (?1, ?2)"
      " ON CONFLICT(stage) DO UPDATE SET last_id = excluded.last_id",
      {}};
  for (Prepared* p : {&insert_touchpoint, &insert_key, &insert_match, &upsert_state,
                      &clear_history, &insert_transition, &retire_state, &insert_action, &clean,
                      &cursor, &outbox}) {
    auto prepared = Db().Prepare(p->sql);
    if (!prepared.ok()) return prepared.error();
    p->stmt = std::move(*prepared);
  }

  const auto announce = [&](std::string_view kind, int64_t profile, int64_t item,
                            std::string_view target) {
    outbox.stmt.Bind(1, kind).Bind(2, profile).Bind(3, item).Bind(4, target).Bind(5, now);
    return RunReset(outbox.stmt);
  };
  for (const TouchpointRow& t : batch.touchpoints) {
    insert_touchpoint.stmt.Bind(1, t.id).Bind(2, t.record_id).Bind(3, t.source).Bind(4, t.type)
        .Bind(5, t.channel).Bind(6, ToMillis(t.occurred_at)).Bind(7, t.value).Bind(8, t.currency)
        .Bind(9, t.reference).Bind(10, t.campaign_json).Bind(11, t.attributes_json);
    if (Status s = RunReset(insert_touchpoint.stmt); !s.ok()) return s;
    if (t.profile_id != 0) {
      if (Status s = announce("touchpoint", t.profile_id, t.id, ""); !s.ok()) return s;
    }
  }
  for (const TouchpointKeyRow& k : batch.keys) {
    insert_key.stmt.Bind(1, k.key).Bind(2, k.touchpoint_id).Bind(3, k.source).Bind(4, k.type)
        .Bind(5, k.reference).Bind(6, k.record_id).Bind(7, k.rule).Bind(8, now);
    if (Status s = RunReset(insert_key.stmt); !s.ok()) return s;
  }
  for (const MatchKeyRow& m : batch.match_keys) {
    insert_match.stmt.Bind(1, m.rule).Bind(2, m.key).Bind(3, m.touchpoint_id)
        .Bind(4, ToMillis(m.occurred_at));
    if (Status s = RunReset(insert_match.stmt); !s.ok()) return s;
  }
  for (int64_t profile : batch.retired) {
    for (SqliteStatement* stmt : {&retire_state.stmt, &clear_history.stmt}) {
      stmt->Bind(1, profile);
      if (Status s = RunReset(*stmt); !s.ok()) return s;
    }
  }
  for (const JourneyBatch::Profile& p : batch.profiles) {
    const JourneyStateRow& s = p.state;
    upsert_state.stmt.Bind(1, s.profile_id).Bind(2, s.stage).Bind(3, s.side)
        .Bind(4, s.first_source);
    BindOptionalTime(upsert_state.stmt, 5, s.last_activity);
    BindOptionalTime(upsert_state.stmt, 6, s.next_check_at);
    upsert_state.stmt.BindDouble(7, s.engagement);
    if (s.health) upsert_state.stmt.BindDouble(8, *s.health); else upsert_state.stmt.BindNull(8);
    upsert_state.stmt.Bind(9, s.state_json).Bind(10, now);
    if (Status st = RunReset(upsert_state.stmt); !st.ok()) return st;
    if (p.replace_history) {
      clear_history.stmt.Bind(1, s.profile_id);
      if (Status st = RunReset(clear_history.stmt); !st.ok()) return st;
    }
    if (Status st = announce("profile", s.profile_id, 0, ""); !st.ok()) return st;
    for (const JourneyTransitionRow& t : p.transitions) {
      insert_transition.stmt.Bind(1, s.profile_id).Bind(2, t.kind).Bind(3, t.from).Bind(4, t.to)
          .Bind(5, ToMillis(t.at)).Bind(6, t.touchpoint_id).Bind(7, int64_t{t.enter_ordinal})
          .Bind(8, int64_t{t.exit_ordinal});
      if (Status st = RunReset(insert_transition.stmt); !st.ok()) return st;
    }
  }
  for (const JourneyActionRow& a : batch.actions) {
    insert_action.stmt.Bind(1, a.key).Bind(2, a.profile_id).Bind(3, a.action).Bind(4, a.target)
        .Bind(5, a.kind).Bind(6, a.payload).Bind(7, ToMillis(a.at)).Bind(8, now).Bind(9, a.status);
    if (Status s = RunReset(insert_action.stmt); !s.ok()) return s;
    if (Db().Changes() > 0 && a.status == "pending") {
      if (Status s = announce("action", a.profile_id, Db().LastInsertRowId(), a.target); !s.ok()) {
        return s;
      }
    }
  }
  for (int64_t profile : batch.clean) {
    clean.stmt.Bind(1, profile);
    if (Status s = RunReset(clean.stmt); !s.ok()) return s;
  }
  if (batch.cursor) {
    cursor.stmt.Bind(1, kJourneyStage).Bind(2, *batch.cursor);
    if (Status s = RunReset(cursor.stmt); !s.ok()) return s;
  }
  return OkStatus();
}

Status SqliteStore::CommitJourney(const JourneyBatch& batch) {
  const WriteScope scope(*this);
  return InTransaction(Db(), [&] { return WriteJourney(batch); });
}

Result<std::string> SqliteStore::ReadJourneyFingerprint() {
  const ReadScope scope(*this);
  auto row = Db().Prepare("SELECT value FROM settings WHERE name = 'journey_definition'");
  if (!row.ok()) return row.error();
  auto found = row->Step();
  if (!found.ok()) return found.error();
  return *found ? row->ColumnText(0) : std::string();
}

Status SqliteStore::ChangeJourneyFingerprint(std::string_view fingerprint) {
  const WriteScope scope(*this);
  return InTransaction(Db(), [&]() -> Status {
    if (Status s = Db().Exec("INSERT OR IGNORE INTO journey_dirty(profile_id)"
                             " SELECT profile_id FROM journey_state");
        !s.ok()) {
      return s;
    }
    auto upsert = Db().Prepare(
        "INSERT INTO settings(name, value) VALUES ('journey_definition', ?1)"
        " ON CONFLICT(name) DO UPDATE SET value = excluded.value");
    if (!upsert.ok()) return upsert.error();
    upsert->Bind(1, fingerprint);
    return upsert->Run();
  });
}

Result<bool> SqliteStore::HasJourneyAction(std::string_view key) {
  const ReadScope scope(*this);
  auto row = Cached("SELECT 1 FROM journey_actions WHERE key = ?1");
  if (!row.ok()) return row.error();
  (*row)->Bind(1, key);
  auto found = (*row)->Step();
  const bool exists = found.ok() && *found;
  (*row)->Reset();
  if (!found.ok()) return found.error();
  return exists;
}

Result<std::vector<JourneyActionRow>> SqliteStore::ListJourneyActions(std::string_view status,
                                                                      int64_t before_id,
                                                                      int limit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT " + std::string(kActionColumns) + " FROM journey_actions WHERE (?1 = '' OR status = ?1) AND (?2 = 0 OR id < ?2)"
      " ORDER BY id DESC LIMIT ?3");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, status).Bind(2, before_id).Bind(3, int64_t{limit});
  std::vector<JourneyActionRow> out;
  Status s = rows->ForEachRow([&] { out.push_back(ReadAction(*rows)); });
  if (!s.ok()) return s.error();
  return out;
}

Status SqliteStore::ScanJourneyStates(const std::function<void(const JourneyStateRow&)>& visit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare("SELECT " + std::string(kStateColumns) +
                           " FROM journey_state ORDER BY profile_id");
  if (!rows.ok()) return rows.error();
  return rows->ForEachRow([&] { visit(ReadState(*rows)); });
}

Status SqliteStore::ScanJourneyTransitions(
    const JourneyScanFilter& filter, const std::function<void(const JourneyTransitionRow&)>& visit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare("SELECT " + std::string(kTransitionColumns) +
                           " FROM journey_transitions WHERE at >= ?1 AND at < ?2"
                           " ORDER BY profile_id, at, id");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, filter.since ? ToMillis(*filter.since) : std::numeric_limits<int64_t>::min())
      .Bind(2, filter.until ? ToMillis(*filter.until) : kNoBound);
  return rows->ForEachRow([&] { visit(ReadTransition(*rows)); });
}

Status SqliteStore::ScanTouchpoints(const JourneyScanFilter& filter,
                                    const std::function<void(const TouchpointRow&)>& visit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare("SELECT " + std::string(kTouchpointColumns) +
                           " FROM touchpoints t LEFT JOIN profile_records pr ON pr.record_id ="
                           " t.record_id WHERE t.occurred_at >= ?1 AND t.occurred_at < ?2"
                           " ORDER BY t.occurred_at, t.id");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, filter.since ? ToMillis(*filter.since) : std::numeric_limits<int64_t>::min())
      .Bind(2, filter.until ? ToMillis(*filter.until) : kNoBound);
  return rows->ForEachRow([&] { visit(ReadTouchpoint(*rows)); });
}

}  // namespace journeyd::storage

namespace journeyd::storage::rows {

std::string_view TouchpointColumns() { return kTouchpointColumns; }
TouchpointRow Touchpoint(const SqliteStatement& row) { return ReadTouchpoint(row); }
std::string_view StateColumns() { return kStateColumns; }
JourneyStateRow State(const SqliteStatement& row) { return ReadState(row); }
std::string_view ActionColumns() { return kActionColumns; }
JourneyActionRow Action(const SqliteStatement& row) { return ReadAction(row); }

}  // namespace journeyd::storage::rows
