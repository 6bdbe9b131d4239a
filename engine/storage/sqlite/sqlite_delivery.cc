// SqliteStore's delivery tables (migration 0009): the outbox each target reads behind its
// cursor, what each target acknowledged, the dead-letter queue and the request log.
#include <boost/json.hpp>

#include "engine/storage/sqlite/sqlite_rows.h"
#include "engine/storage/sqlite/sqlite_store.h"

namespace journeyd::storage {

namespace json = boost::json;

std::string TouchpointDeliveryKey(int64_t touchpoint_id) {
  return "touchpoint:" + std::to_string(touchpoint_id);
}

std::string_view DeadLetterStatusName(DeadLetterStatus status) {
  switch (status) {
    case DeadLetterStatus::kDead: return "dead";
    case DeadLetterStatus::kReplayed: return "replayed";
    case DeadLetterStatus::kDiscarded: return "discarded";
  }
  return "dead";
}

std::optional<DeadLetterStatus> ParseDeadLetterStatus(std::string_view name) {
  for (DeadLetterStatus s :
       {DeadLetterStatus::kDead, DeadLetterStatus::kReplayed, DeadLetterStatus::kDiscarded}) {
    if (DeadLetterStatusName(s) == name) return s;
  }
  return std::nullopt;
}

namespace {

constexpr std::string_view kDeadLetterColumns =
    "id, target, kind, profile_id, COALESCE(item_id, 0), item_key, message, request, attempts,"
    " status, created_at, decided_at, COALESCE(decided_by, '')";

DeadLetterRow ReadDeadLetterRow(const SqliteStatement& row) {
  DeadLetterRow d;
  d.id = row.ColumnInt(0);
  d.target = row.ColumnText(1);
  d.kind = row.ColumnText(2);
  d.profile_id = row.ColumnInt(3);
  d.item_id = row.ColumnInt(4);
  d.item_key = row.ColumnText(5);
  d.message = row.ColumnText(6);
  d.request_json = row.ColumnText(7);
  d.attempts = static_cast<int>(row.ColumnInt(8));
  d.status = ParseDeadLetterStatus(row.ColumnText(9)).value_or(DeadLetterStatus::kDead);
  d.created_at = FromMillis(row.ColumnInt(10));
  d.decided_at = OptionalTime(row, 11);
  d.decided_by = row.ColumnText(12);
  return d;
}

}  // namespace

Result<std::vector<OutboxRow>> SqliteStore::ReadOutbox(std::string_view target, int64_t after_id,
                                                       int limit) {
  const ReadScope scope(*this);
  auto rows = Cached(
      "SELECT id, kind, profile_id, COALESCE(item_id, 0), COALESCE(target, ''), created_at"
      " FROM outbox WHERE id > ?1 AND (target IS NULL OR target = ?2) ORDER BY id LIMIT ?3");
  if (!rows.ok()) return rows.error();
  (*rows)->Bind(1, after_id).Bind(2, target).Bind(3, int64_t{limit});
  std::vector<OutboxRow> out;
  Status s = (*rows)->ForEachRow([&] {
    SqliteStatement& r = **rows;
    out.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnInt(2), r.ColumnInt(3),
                   r.ColumnText(4), FromMillis(r.ColumnInt(5))});
  });
  (*rows)->Reset();
  if (!s.ok()) return s.error();
  return out;
}

Result<DeliveryInputs> SqliteStore::ReadDeliveryInputs(
    std::string_view target, const std::vector<OutboxRow>& rows, bool touchpoints,
    const std::map<int64_t, RecordWatermark>& known) {
  const ReadScope scope(*this);
  // One read transaction: one snapshot and one file lock for the whole round, instead of one
  // per lookup (the lookups are many: a few per changed profile).
  if (Status s = Db().Exec("BEGIN"); !s.ok()) return s.error();
  Result<DeliveryInputs> read = ReadDeliveryInputsInTransaction(target, rows, touchpoints, known);
  if (Status s = Db().Exec(read.ok() ? "COMMIT" : "ROLLBACK"); !s.ok() && read.ok()) {
    return s.error();
  }
  return read;
}

Result<DeliveryInputs> SqliteStore::ReadDeliveryInputsInTransaction(
    std::string_view target, const std::vector<OutboxRow>& rows, bool touchpoints,
    const std::map<int64_t, RecordWatermark>& known) {
  DeliveryInputs in;
  auto resolve_stmt = Cached("SELECT merged_into, erased_at FROM profiles WHERE id = ?1");
  if (!resolve_stmt.ok()) return resolve_stmt.error();
  // The live profile an id resolves to, or 0 when it is gone (erased, never existed).
  const auto resolve = [&](int64_t profile) -> Result<int64_t> {
    SqliteStatement& q = **resolve_stmt;
    int64_t id = profile;
    for (int hops = 0; hops < 10000; ++hops) {
      q.Bind(1, id);
      auto found = q.Step();
      if (!found.ok()) {
        q.Reset();
        return found.error();
      }
      const bool gone = !*found || !q.ColumnIsNull(1);
      const bool merged = !gone && !q.ColumnIsNull(0);
      const int64_t next = merged ? q.ColumnInt(0) : id;
      q.Reset();
      if (gone) return int64_t{0};
      if (!merged) return id;
      id = next;
    }
    return Corruption("profile " + std::to_string(profile) + ": merged_into forms a cycle");
  };
  std::set<int64_t> profiles;
  std::vector<int64_t> touchpoint_ids, action_ids;
  for (const OutboxRow& row : rows) {
    if (row.kind == "profile") {
      if (in.live.count(row.profile_id) > 0) continue;
      auto live = resolve(row.profile_id);
      if (!live.ok()) return live.error();
      if (*live == 0) continue;
      in.live[row.profile_id] = *live;
      profiles.insert(*live);
    } else if (row.kind == "touchpoint" && touchpoints) {
      touchpoint_ids.push_back(row.item_id);
    } else if (row.kind == "action") {
      action_ids.push_back(row.item_id);
    }
  }

  auto delivered_stmt = Cached("SELECT 1 FROM delivered_keys WHERE target = ?1 AND key = ?2");
  if (!delivered_stmt.ok()) return delivered_stmt.error();
  const auto delivered = [&](const std::string& key) -> Result<bool> {
    SqliteStatement& q = **delivered_stmt;
    q.Bind(1, target).Bind(2, key);
    auto found = q.Step();
    const bool yes = found.ok() && *found;
    q.Reset();
    if (!found.ok()) return found.error();
    return yes;
  };

  auto touchpoint_stmt = Cached("SELECT " + std::string(rows::TouchpointColumns()) +
                                " FROM touchpoints t LEFT JOIN profile_records pr ON"
                                " pr.record_id = t.record_id WHERE t.id = ?1");
  if (!touchpoint_stmt.ok()) return touchpoint_stmt.error();
  for (int64_t id : touchpoint_ids) {
    SqliteStatement& q = **touchpoint_stmt;
    q.Bind(1, id);
    auto found = q.Step();
    std::optional<TouchpointRow> t;
    if (found.ok() && *found) t = rows::Touchpoint(q);
    q.Reset();
    if (!found.ok()) return found.error();
    if (!t || t->profile_id == 0) continue;  // erased with its record
    auto done = delivered(TouchpointDeliveryKey(t->id));
    if (!done.ok()) return done.error();
    if (*done) continue;
    profiles.insert(t->profile_id);
    in.touchpoints.push_back(std::move(*t));
  }

  auto action_stmt = Cached("SELECT " + std::string(rows::ActionColumns()) +
                            " FROM journey_actions WHERE id = ?1");
  if (!action_stmt.ok()) return action_stmt.error();
  for (int64_t id : action_ids) {
    SqliteStatement& q = **action_stmt;
    q.Bind(1, id);
    auto found = q.Step();
    std::optional<JourneyActionRow> a;
    if (found.ok() && *found) a = rows::Action(q);
    q.Reset();
    if (!found.ok()) return found.error();
    if (!a || a->target != target || a->status != "pending") continue;
    auto done = delivered(a->key);
    if (!done.ok()) return done.error();
    if (*done) continue;
    auto live = resolve(a->profile_id);
    if (!live.ok()) return live.error();
    if (*live == 0) continue;
    a->profile_id = *live;
    profiles.insert(*live);
    in.actions.push_back(std::move(*a));
  }

  // A profile's record ids come from the index alone; the records themselves (JSON, the bulk)
  // only past what the caller already holds, when the ids show nothing older changed.
  auto ids_stmt = Cached(
      "SELECT record_id FROM profile_records WHERE profile_id = ?1 ORDER BY record_id");
  auto records_stmt = Cached(
      "SELECT r.id, r.inbox_id, r.source, r.event_type, r.record FROM profile_records p"
      " JOIN records r ON r.id = p.record_id WHERE p.profile_id = ?1 AND r.id > ?2"
      " ORDER BY r.id");
  auto journey_stmt = Cached("SELECT " + std::string(rows::StateColumns()) +
                             " FROM journey_state WHERE profile_id = ?1");
  auto acked_stmt = Cached(
      "SELECT crm_id, acked FROM delivery_profiles WHERE target = ?1 AND profile_id = ?2");
  if (!ids_stmt.ok()) return ids_stmt.error();
  if (!records_stmt.ok()) return records_stmt.error();
  if (!journey_stmt.ok()) return journey_stmt.error();
  if (!acked_stmt.ok()) return acked_stmt.error();
  for (int64_t id : profiles) {
    DeliveryInputs::Profile& p = in.profiles[id];
    const auto held = known.find(id);
    RecordWatermark older;  // the ids up to what the caller holds
    SqliteStatement& ids = **ids_stmt;
    ids.Bind(1, id);
    Status s = ids.ForEachRow([&] {
      const int64_t record_id = ids.ColumnInt(0);
      p.watermark.Add(record_id);
      if (held != known.end() && record_id <= held->second.through_id) older.Add(record_id);
    });
    ids.Reset();
    if (!s.ok()) return s.error();
    p.incremental = held != known.end() && held->second.count > 0 && older == held->second;
    SqliteStatement& records = **records_stmt;
    records.Bind(1, id).Bind(2, p.incremental ? held->second.through_id : int64_t{0});
    s = records.ForEachRow([&] {
      p.records.push_back({records.ColumnInt(0), records.ColumnInt(1), records.ColumnText(2),
                           records.ColumnText(3), records.ColumnText(4)});
    });
    records.Reset();
    if (!s.ok()) return s.error();
    SqliteStatement& journey = **journey_stmt;
    journey.Bind(1, id);
    auto found = journey.Step();
    if (found.ok() && *found) p.journey = rows::State(journey);
    journey.Reset();
    if (!found.ok()) return found.error();
    SqliteStatement& acked = **acked_stmt;
    acked.Bind(1, target).Bind(2, id);
    found = acked.Step();
    if (found.ok() && *found) p.delivered = DeliveredProfile{acked.ColumnText(0), acked.ColumnText(1)};
    acked.Reset();
    if (!found.ok()) return found.error();
  }
  return in;
}

Result<int64_t> SqliteStore::ReadDeliveryCursor(std::string_view target) {
  const ReadScope scope(*this);
  auto row = Cached("SELECT last_id FROM delivery_cursors WHERE target = ?1");
  if (!row.ok()) return row.error();
  (*row)->Bind(1, target);
  auto found = (*row)->Step();
  const int64_t id = found.ok() && *found ? (*row)->ColumnInt(0) : 0;
  (*row)->Reset();
  if (!found.ok()) return found.error();
  return id;
}

Status SqliteStore::MarkInFlight(std::string_view target, const std::vector<std::string>& keys,
                                 TimePoint at) {
  if (keys.empty()) return OkStatus();
  const WriteScope scope(*this);
  return InTransaction(Db(), [&] { return WriteInFlight(target, keys, at); });
}

Status SqliteStore::WriteInFlight(std::string_view target, const std::vector<std::string>& keys,
                                  TimePoint at) {
  for (const std::string& key : keys) {
    auto insert = Cached(
        "INSERT INTO delivery_in_flight(target, key, sent_at) VALUES (?1, ?2, ?3)"
        " ON CONFLICT(target, key) DO UPDATE SET sent_at = excluded.sent_at");
    if (!insert.ok()) return insert.error();
    (*insert)->Bind(1, target).Bind(2, key).Bind(3, ToMillis(at));
    if (Status s = RunReset(**insert); !s.ok()) return s;
  }
  return OkStatus();
}

Result<std::map<std::string, TimePoint>> SqliteStore::ReadInFlight(std::string_view target) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare("SELECT key, sent_at FROM delivery_in_flight WHERE target = ?1");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, target);
  std::map<std::string, TimePoint> out;
  Status s = rows->ForEachRow(
      [&] { out.emplace(rows->ColumnText(0), FromMillis(rows->ColumnInt(1))); });
  if (!s.ok()) return s.error();
  return out;
}

Status SqliteStore::WriteDelivery(const DeliveryCommit& c) {
  const int64_t now = ToMillis(c.at);
  for (const DeliveryCommit::Profile& p : c.profiles) {
    auto upsert = Cached(
        "INSERT INTO delivery_profiles(target, profile_id, crm_id, acked, acked_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(target, profile_id) DO UPDATE SET"
        " crm_id = CASE WHEN excluded.crm_id = '' THEN crm_id ELSE excluded.crm_id END,"
        " acked = excluded.acked, acked_at = excluded.acked_at");
    if (!upsert.ok()) return upsert.error();
    (*upsert)->Bind(1, c.target).Bind(2, p.profile_id).Bind(3, p.crm_id).Bind(4, p.acked_json)
        .Bind(5, now);
    if (Status s = RunReset(**upsert); !s.ok()) return s;
  }
  const auto settled = [&](const std::string& key) -> Status {
    auto clear = Cached("DELETE FROM delivery_in_flight WHERE target = ?1 AND key = ?2");
    if (!clear.ok()) return clear.error();
    (*clear)->Bind(1, c.target).Bind(2, key);
    return RunReset(**clear);
  };
  for (const std::string& key : c.delivered_keys) {
    auto insert = Cached("INSERT OR IGNORE INTO delivered_keys(target, key, at) VALUES (?1, ?2, ?3)");
    if (!insert.ok()) return insert.error();
    (*insert)->Bind(1, c.target).Bind(2, key).Bind(3, now);
    if (Status s = RunReset(**insert); !s.ok()) return s;
    if (Status s = settled(key); !s.ok()) return s;
  }
  for (const DeadLetterRow& d : c.dead) {
    auto insert = Cached(
        "INSERT INTO dead_letters(target, kind, profile_id, item_id, item_key, message, request,"
        " attempts, status, created_at) VALUES (?1, ?2, ?3, NULLIF(?4, 0), ?5, ?6, ?7, ?8, 'dead',"
        " ?9)");
    if (!insert.ok()) return insert.error();
    (*insert)->Bind(1, c.target).Bind(2, d.kind).Bind(3, d.profile_id).Bind(4, d.item_id)
        .Bind(5, d.item_key).Bind(6, d.message).Bind(7, d.request_json)
        .Bind(8, int64_t{d.attempts}).Bind(9, now);
    if (Status s = RunReset(**insert); !s.ok()) return s;
    if (Status s = settled(d.item_key); !s.ok()) return s;
  }
  if (Status s = WriteInFlight(c.target, c.in_flight, c.at); !s.ok()) return s;
  for (const auto& [action_id, status] : c.actions) {
    auto update = Cached("UPDATE journey_actions SET status = ?2 WHERE id = ?1");
    if (!update.ok()) return update.error();
    (*update)->Bind(1, action_id).Bind(2, status);
    if (Status s = RunReset(**update); !s.ok()) return s;
  }
  for (const DeliveryRequestRow& r : c.requests) {
    auto insert = Cached(
        "INSERT INTO delivery_requests(target, method, url, body, what, items, status, message,"
        " at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!insert.ok()) return insert.error();
    (*insert)->Bind(1, c.target).Bind(2, r.method).Bind(3, r.url).Bind(4, r.body).Bind(5, r.what)
        .Bind(6, int64_t{r.items}).Bind(7, int64_t{r.status}).Bind(8, r.message)
        .Bind(9, ToMillis(r.at));
    if (Status s = RunReset(**insert); !s.ok()) return s;
  }
  if (!c.requests.empty()) {
    auto prune = Cached(
        // Ids are shared by every target's requests, so "the newest keep" is counted among
        // this target's own rows, not as an id distance.
        "DELETE FROM delivery_requests WHERE target = ?1 AND id <= (SELECT id FROM"
        " delivery_requests WHERE target = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
    if (!prune.ok()) return prune.error();
    (*prune)->Bind(1, c.target).Bind(2, int64_t{c.keep_requests});
    if (Status s = RunReset(**prune); !s.ok()) return s;
  }
  auto stats = Cached(
      "INSERT INTO delivery_stats(target, delivered, dead, requests, failures, last_success,"
      " last_failure, last_error) VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?6 = '' THEN ?7 END,"
      " CASE WHEN ?6 <> '' THEN ?7 END, ?6) ON CONFLICT(target) DO UPDATE SET"
      " delivered = delivered + excluded.delivered, dead = dead + excluded.dead,"
      " requests = requests + excluded.requests, failures = failures + excluded.failures,"
      " last_success = COALESCE(excluded.last_success, last_success),"
      " last_failure = COALESCE(excluded.last_failure, last_failure),"
      // The last error stays until another replaces it: the status page shows it beside
      // last_failure, and a later success (last_success) says whether it still matters.
      " last_error = CASE WHEN excluded.last_error <> '' THEN excluded.last_error"
      " ELSE last_error END");
  if (!stats.ok()) return stats.error();
  (*stats)->Bind(1, c.target).Bind(2, c.delivered).Bind(3, static_cast<int64_t>(c.dead.size()))
      .Bind(4, static_cast<int64_t>(c.requests.size())).Bind(5, int64_t{c.failures})
      .Bind(6, c.last_error).Bind(7, now);
  if (Status s = RunReset(**stats); !s.ok()) return s;
  if (c.cursor) {
    auto cursor = Cached(
        "INSERT INTO delivery_cursors(target, last_id) VALUES (?1, ?2)"
        " ON CONFLICT(target) DO UPDATE SET last_id = max(last_id, excluded.last_id)");
    if (!cursor.ok()) return cursor.error();
    (*cursor)->Bind(1, c.target).Bind(2, *c.cursor);
    if (Status s = RunReset(**cursor); !s.ok()) return s;
  }
  return OkStatus();
}

Status SqliteStore::CommitDelivery(const DeliveryCommit& commit) {
  const WriteScope scope(*this);
  return InTransaction(Db(), [&] { return WriteDelivery(commit); });
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteStore::ReadCrmIds(
    int64_t profile_id) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT target, crm_id FROM delivery_profiles WHERE profile_id = ?1 AND crm_id <> ''"
      " ORDER BY target");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, profile_id);
  std::vector<std::pair<std::string, std::string>> out;
  Status s = rows->ForEachRow([&] { out.emplace_back(rows->ColumnText(0), rows->ColumnText(1)); });
  if (!s.ok()) return s.error();
  return out;
}

Result<int64_t> SqliteStore::PruneOutbox(const std::vector<std::string>& targets) {
  const WriteScope scope(*this);
  // The lowest cursor of the configured targets; a target that never ran holds everything.
  int64_t lowest = std::numeric_limits<int64_t>::max();
  auto read = Cached("SELECT last_id FROM delivery_cursors WHERE target = ?1");
  if (!read.ok()) return read.error();
  for (const std::string& t : targets) {
    (*read)->Bind(1, t);
    auto found = (*read)->Step();
    const int64_t id = found.ok() && *found ? (*read)->ColumnInt(0) : 0;
    (*read)->Reset();
    if (!found.ok()) return found.error();
    lowest = std::min(lowest, id);
  }
  if (targets.empty()) {
    auto max = Db().Prepare("SELECT COALESCE(MAX(id), 0) FROM outbox");
    if (!max.ok()) return max.error();
    auto found = max->Step();
    if (!found.ok()) return found.error();
    lowest = max->ColumnInt(0);
  }
  auto prune = Db().Prepare("DELETE FROM outbox WHERE id <= ?1");
  if (!prune.ok()) return prune.error();
  prune->Bind(1, lowest);
  if (Status s = prune->Run(); !s.ok()) return s.error();
  return int64_t{Db().Changes()};
}

Result<std::vector<TargetDeliveryStats>> SqliteStore::ListDeliveryStats(
    const std::vector<std::string>& targets) {
  const WriteScope scope(*this);
  auto row = Db().Prepare(
      "SELECT COALESCE((SELECT last_id FROM delivery_cursors WHERE target = ?1), 0),"
      " s.delivered, s.dead, s.requests, s.failures, s.last_success, s.last_failure,"
      " s.last_error FROM (SELECT 1) LEFT JOIN delivery_stats s ON s.target = ?1");
  auto pending = Db().Prepare(
      "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE id > ?2 AND"
      " (target IS NULL OR target = ?1)");
  auto dead = Db().Prepare(
      "SELECT COUNT(*) FROM dead_letters WHERE target = ?1 AND status = 'dead'");
  if (!row.ok()) return row.error();
  if (!pending.ok()) return pending.error();
  if (!dead.ok()) return dead.error();
  std::vector<TargetDeliveryStats> out;
  for (const std::string& t : targets) {
    TargetDeliveryStats st;
    st.target = t;
    row->Bind(1, t);
    auto found = row->Step();
    if (!found.ok()) return found.error();
    st.cursor = row->ColumnInt(0);
    st.delivered = row->ColumnInt(1);
    st.dead = row->ColumnInt(2);
    st.requests = row->ColumnInt(3);
    st.failures = row->ColumnInt(4);
    st.last_success = OptionalTime(*row, 5);
    st.last_failure = OptionalTime(*row, 6);
    st.last_error = row->ColumnText(7);
    row->Reset();
    pending->Bind(1, t).Bind(2, st.cursor);
    found = pending->Step();
    if (!found.ok()) return found.error();
    st.pending = pending->ColumnInt(0);
    st.oldest_pending = OptionalTime(*pending, 1);
    pending->Reset();
    dead->Bind(1, t);
    found = dead->Step();
    if (!found.ok()) return found.error();
    st.dead_now = dead->ColumnInt(0);
    dead->Reset();
    out.push_back(std::move(st));
  }
  return out;
}

Result<std::vector<DeliveryRequestRow>> SqliteStore::ListDeliveryRequests(std::string_view target,
                                                                          int64_t before_id,
                                                                          int limit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT id, target, method, url, body, what, items, status, message, at"
      " FROM delivery_requests WHERE target = ?1 AND (?2 = 0 OR id < ?2) ORDER BY id DESC"
      " LIMIT ?3");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, target).Bind(2, before_id).Bind(3, int64_t{limit});
  std::vector<DeliveryRequestRow> out;
  Status s = rows->ForEachRow([&] {
    DeliveryRequestRow r;
    r.id = rows->ColumnInt(0);
    r.target = rows->ColumnText(1);
    r.method = rows->ColumnText(2);
    r.url = rows->ColumnText(3);
    r.body = rows->ColumnText(4);
    r.what = rows->ColumnText(5);
    r.items = static_cast<int>(rows->ColumnInt(6));
    r.status = static_cast<int>(rows->ColumnInt(7));
    r.message = rows->ColumnText(8);
    r.at = FromMillis(rows->ColumnInt(9));
    out.push_back(std::move(r));
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<DeadLetterRow>> SqliteStore::ListDeadLetters(const DeadLetterFilter& filter) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare("SELECT " + std::string(kDeadLetterColumns) +
                           " FROM dead_letters WHERE (?1 = '' OR status = ?1) AND"
                           " (?2 = '' OR target = ?2) AND (?3 = 0 OR id < ?3)"
                           " ORDER BY id DESC LIMIT ?4");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, filter.status ? DeadLetterStatusName(*filter.status) : std::string_view(""))
      .Bind(2, filter.target).Bind(3, filter.before_id).Bind(4, int64_t{filter.limit});
  std::vector<DeadLetterRow> out;
  Status s = rows->ForEachRow([&] { out.push_back(ReadDeadLetterRow(*rows)); });
  if (!s.ok()) return s.error();
  return out;
}

Result<DeadLetterRow> SqliteStore::ReadDeadLetter(int64_t id) {
  const ReadScope scope(*this);
  auto row = Db().Prepare("SELECT " + std::string(kDeadLetterColumns) +
                          " FROM dead_letters WHERE id = ?1");
  if (!row.ok()) return row.error();
  row->Bind(1, id);
  auto found = row->Step();
  if (!found.ok()) return found.error();
  if (!*found) return NotFound("dead letter " + std::to_string(id) + " does not exist");
  return ReadDeadLetterRow(*row);
}

Status SqliteStore::DecideDeadLetter(int64_t id, DeadLetterStatus decision, std::string_view by,
                                     TimePoint now) {
  const WriteScope scope(*this);
  return InTransaction(Db(), [&]() -> Status {
    auto read = Db().Prepare(
        "SELECT status, kind, profile_id, COALESCE(item_id, 0), target FROM dead_letters"
        " WHERE id = ?1");
    if (!read.ok()) return read.error();
    read->Bind(1, id);
    auto row = read->Step();
    if (!row.ok()) return row.error();
    if (!*row) return NotFound("dead letter " + std::to_string(id) + " does not exist");
    const std::string status = read->ColumnText(0);
    const std::string kind = read->ColumnText(1);
    const int64_t profile = read->ColumnInt(2);
    const int64_t item = read->ColumnInt(3);
    const std::string target = read->ColumnText(4);
    read->Reset();
    if (status != "dead") {
      return Error{ErrorCode::kConflict,
                   "dead letter " + std::to_string(id) + " is already " + status};
    }
    auto update = Db().Prepare(
        "UPDATE dead_letters SET status = ?2, decided_at = ?3, decided_by = ?4 WHERE id = ?1");
    if (!update.ok()) return update.error();
    update->Bind(1, id).Bind(2, DeadLetterStatusName(decision)).Bind(3, ToMillis(now))
        .Bind(4, by);
    if (Status s = update->Run(); !s.ok()) return s;
    if (decision != DeadLetterStatus::kReplayed) return OkStatus();
    // Back in the outbox for its target alone; it goes out as the item stands now.
    if (kind == "action") {
      auto pending = Db().Prepare("UPDATE journey_actions SET status = 'pending' WHERE id = ?1");
      if (!pending.ok()) return pending.error();
      pending->Bind(1, item);
      if (Status s = pending->Run(); !s.ok()) return s;
    }
    auto again = Db().Prepare(
        "INSERT INTO outbox(kind, profile_id, item_id, target, created_at)"
        " VALUES (?1, ?2, NULLIF(?3, 0), ?4, ?5)");
    if (!again.ok()) return again.error();
    again->Bind(1, kind).Bind(2, profile).Bind(3, item).Bind(4, target).Bind(5, ToMillis(now));
    return again->Run();
  });
}

}  // namespace journeyd::storage
