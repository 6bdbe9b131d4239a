#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/storage/postgres/pg_store.h"

#include "engine/storage/postgres/pg_array.h"
#include "engine/storage/postgres/pg_locks.h"
#include "engine/storage/postgres/pg_rows.h"
#include "engine/storage/postgres/pg_transaction.h"

// Delivery: the outbox, cursors, dead letters and requests on PostgreSQL (see
// sqlite_delivery.cc, whose results these match row for row).
//
// Lists of values travel as one array parameter (text in PostgreSQL's array syntax, cast in the
// SQL: `$1::bigint[]`), so that a round's many ids cost one statement, not one each, and the
// statement's text, and so its prepared form, is the same whatever the count.

namespace journeyd::storage {

namespace {

constexpr std::string_view kDeadLetterColumns =
    "SELECT id, target, kind, profile_id, COALESCE(item_id, 0), item_key, message, request,"
    " attempts, status, created_at, decided_at, COALESCE(decided_by, '') FROM dead_letters ";

std::vector<DeadLetterRow> ReadDeadLetterRows(const PgResult& rows) {
  std::vector<DeadLetterRow> out;
  out.reserve(rows.rows());
  for (int i = 0; i < rows.rows(); ++i) {
    DeadLetterRow d;
    d.id = rows.Int64(i, 0);
    d.target = rows.Text(i, 1);
    d.kind = rows.Text(i, 2);
    d.profile_id = rows.Int64(i, 3);
    d.item_id = rows.Int64(i, 4);
    d.item_key = rows.Text(i, 5);
    d.message = rows.Text(i, 6);
    d.request_json = rows.Text(i, 7);
    d.attempts = static_cast<int>(rows.Int64(i, 8));
    d.status = ParseDeadLetterStatus(rows.Text(i, 9)).value_or(DeadLetterStatus::kDead);
    d.created_at = rows.Time(i, 10);
    d.decided_at = rows.OptionalTime(i, 11);
    d.decided_by = rows.Text(i, 12);
    out.push_back(std::move(d));
  }
  return out;
}

// The live profile each of `ids` resolves to (merged_into followed), 0 when it is gone (erased,
// never existed), in one statement: a recursive walk of every chain at once. As SqliteStore,
// a chain longer than 10000 hops is a cycle, reported as kCorruption.
Result<std::map<int64_t, int64_t>> ResolveProfiles(PgConnection& db,
                                                   const std::vector<int64_t>& ids) {
  std::map<int64_t, int64_t> out;
  if (ids.empty()) return out;
  // Per start: the chain's last hop, whether it is a live profile, and whether it still points
  // on (only when the walk stopped at the hop limit).
  auto rows = db.Query(
      "WITH RECURSIVE chain(start, id, hops) AS ("
      " SELECT s, s, 0 FROM unnest($1::bigint[]) AS s"
      " UNION ALL"
      " SELECT c.start, p.merged_into, c.hops + 1 FROM chain c JOIN profiles p ON p.id = c.id"
      " WHERE p.merged_into IS NOT NULL AND p.erased_at IS NULL AND c.hops < 10000)"
      " SELECT DISTINCT ON (c.start) c.start, c.id,"
      " p.id IS NOT NULL AND p.erased_at IS NULL, p.merged_into IS NOT NULL"
      " FROM chain c LEFT JOIN profiles p ON p.id = c.id ORDER BY c.start, c.hops DESC",
      PgParams().Add(PgArrayOf(ids)));
  if (!rows.ok()) return rows.error();
  for (int i = 0; i < rows->rows(); ++i) {
    const int64_t start = rows->Int64(i, 0);
    const bool live = rows->Bool(i, 2);
    if (live && rows->Bool(i, 3)) {
      return Corruption("profile " + std::to_string(start) + ": merged_into forms a cycle");
    }
    out[start] = live ? rows->Int64(i, 1) : 0;
  }
  return out;
}

// DeliveryInputs::Profile's records, watermark and `incremental` for `profiles`, given what
// the caller holds (`known`). One statement reads every profile's record ids from
// profile_records and, joined, the records past each profile's watermark (all of them for a
// profile the caller holds nothing of). A profile whose older ids no longer match the watermark
// (a merge or split since) is read again in full by a second statement; that is rare.
Status ReadProfileRecordSets(PgConnection& db, const std::set<int64_t>& profiles,
                             const std::map<int64_t, RecordWatermark>& known,
                             DeliveryInputs& in) {
  if (profiles.empty()) return OkStatus();
  std::vector<int64_t> ids(profiles.begin(), profiles.end()), after;
  for (int64_t id : ids) {
    const auto held = known.find(id);
    after.push_back(held != known.end() && held->second.count > 0 ? held->second.through_id : 0);
  }
  constexpr std::string_view kRecordsSql =
      "SELECT p.profile_id, p.record_id, r.id, r.inbox_id, r.source, r.event_type, r.record"
      " FROM unnest($1::bigint[], $2::bigint[]) AS w(profile_id, after_id)"
      " JOIN profile_records p ON p.profile_id = w.profile_id"
      " LEFT JOIN records r ON r.id = p.record_id AND r.id > w.after_id"
      " ORDER BY p.profile_id, p.record_id";
  const auto add_record = [&](const PgResult& rows, int i, DeliveryInputs::Profile& p) {
    // r.id is NULL for the records at or below the watermark: only their ids were wanted.
    if (rows.IsNull(i, 2)) return;
    p.records.push_back({rows.Int64(i, 2), rows.Int64(i, 3), rows.Text(i, 4), rows.Text(i, 5),
                         rows.Text(i, 6)});
  };
  auto rows = db.Query(kRecordsSql, PgParams().Add(PgArrayOf(ids)).Add(PgArrayOf(after)));
  if (!rows.ok()) return rows.error();
  std::map<int64_t, RecordWatermark> older;  // per profile: its ids up to what the caller holds
  for (int i = 0; i < rows->rows(); ++i) {
    const int64_t profile = rows->Int64(i, 0), record_id = rows->Int64(i, 1);
    DeliveryInputs::Profile& p = in.profiles[profile];
    p.watermark.Add(record_id);
    const auto held = known.find(profile);
    if (held != known.end() && record_id <= held->second.through_id) older[profile].Add(record_id);
    add_record(*rows, i, p);
  }
  std::vector<int64_t> again;
  for (int64_t id : ids) {
    DeliveryInputs::Profile& p = in.profiles[id];  // a profile without records is listed too
    const auto held = known.find(id);
    const bool holds = held != known.end() && held->second.count > 0;
    p.incremental = holds && older[id] == held->second;
    if (holds && !p.incremental) {
      p.records.clear();
      again.push_back(id);
    }
  }
  if (again.empty()) return OkStatus();
  auto full = db.Query(kRecordsSql, PgParams().Add(PgArrayOf(again))
                                        .Add(PgArrayOf(std::vector<int64_t>(again.size(), 0))));
  if (!full.ok()) return full.error();
  for (int i = 0; i < full->rows(); ++i) add_record(*full, i, in.profiles[full->Int64(i, 0)]);
  return OkStatus();
}

}  // namespace

Result<std::vector<OutboxRow>> PgStore::ReadOutbox(std::string_view target, int64_t after_id,
                                                   int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT id, kind, profile_id, COALESCE(item_id, 0), COALESCE(target, ''), created_at"
      " FROM outbox WHERE id > $1 AND (target IS NULL OR target = $2) ORDER BY id LIMIT $3",
      PgParams().Add(after_id).Add(target).Add(limit));
  if (!rows.ok()) return rows.error();
  std::vector<OutboxRow> out;
  out.reserve(rows->rows());
  for (int i = 0; i < rows->rows(); ++i) {
    out.push_back({rows->Int64(i, 0), rows->Text(i, 1), rows->Int64(i, 2), rows->Int64(i, 3),
                   rows->Text(i, 4), rows->Time(i, 5)});
  }
  return out;
}

Result<DeliveryInputs> PgStore::ReadDeliveryInputs(
    std::string_view target, const std::vector<OutboxRow>& rows, bool touchpoints,
    const std::map<int64_t, RecordWatermark>& known) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  // One snapshot for the whole round, as SqliteStore's read transaction gives: a merge or an
  // erasure committed halfway through cannot show the round half of it. Read-only, so it never
  // fails to serialize.
  auto tx = PgTransaction::Begin(db, PgIsolation::kRepeatableReadOnly);
  if (!tx.ok()) return tx.error();

  DeliveryInputs in;
  std::vector<int64_t> profile_ids, touchpoint_ids, action_ids;
  for (const OutboxRow& row : rows) {
    if (row.kind == "profile") {
      profile_ids.push_back(row.profile_id);
    } else if (row.kind == "touchpoint" && touchpoints) {
      touchpoint_ids.push_back(row.item_id);
    } else if (row.kind == "action") {
      action_ids.push_back(row.item_id);
    }
  }

  // The touchpoints and actions named, each read once however often the rows name it.
  std::map<int64_t, TouchpointRow> touchpoint_rows;
  if (!touchpoint_ids.empty()) {
    auto found = db.Query("SELECT " + std::string(kTouchpointColumns) +
                              " FROM touchpoints t LEFT JOIN profile_records pr"
                              " ON pr.record_id = t.record_id WHERE t.id = ANY($1::bigint[])",
                          PgParams().Add(PgArrayOf(touchpoint_ids)));
    if (!found.ok()) return found.error();
    for (int i = 0; i < found->rows(); ++i) {
      TouchpointRow t = ReadTouchpoint(*found, i);
      touchpoint_rows.emplace(t.id, std::move(t));
    }
  }
  std::map<int64_t, JourneyActionRow> action_rows;
  if (!action_ids.empty()) {
    auto found = db.Query("SELECT " + std::string(kActionColumns) +
                              " FROM journey_actions WHERE id = ANY($1::bigint[])",
                          PgParams().Add(PgArrayOf(action_ids)));
    if (!found.ok()) return found.error();
    for (int i = 0; i < found->rows(); ++i) {
      JourneyActionRow a = ReadAction(*found, i);
      action_rows.emplace(a.id, std::move(a));
    }
  }
  // Which of their keys this target acknowledged already.
  std::vector<std::string> keys;
  for (const auto& [id, t] : touchpoint_rows) {
    if (t.profile_id != 0) keys.push_back(TouchpointDeliveryKey(id));
  }
  for (const auto& [id, a] : action_rows) {
    if (a.target == target && a.status == "pending") keys.push_back(a.key);
  }
  std::set<std::string> delivered;
  if (!keys.empty()) {
    // A join on the keys rather than `key = ANY($2)`: the generic plan of a prepared ANY scans
    // every key of the target and grows with the table (7 ms to 1 s over a benchmark run); the
    // join looks each key up in the primary key.
    auto found = db.Query(
        "SELECT d.key FROM unnest($2::text[]) AS k(key)"
        " JOIN delivered_keys d ON d.target = $1 AND d.key = k.key",
        PgParams().Add(target).Add(PgArrayOf(keys)));
    if (!found.ok()) return found.error();
    for (int i = 0; i < found->rows(); ++i) delivered.insert(found->Text(i, 0));
  }

  // Every profile id to resolve: the profile rows' and the undelivered actions'.
  std::vector<int64_t> to_resolve = profile_ids;
  for (int64_t id : action_ids) {
    const auto a = action_rows.find(id);
    if (a != action_rows.end() && a->second.target == target && a->second.status == "pending" &&
        delivered.count(a->second.key) == 0) {
      to_resolve.push_back(a->second.profile_id);
    }
  }
  std::sort(to_resolve.begin(), to_resolve.end());
  to_resolve.erase(std::unique(to_resolve.begin(), to_resolve.end()), to_resolve.end());
  auto resolved = ResolveProfiles(db, to_resolve);
  if (!resolved.ok()) return resolved.error();
  const auto live_of = [&](int64_t id) {
    const auto it = resolved->find(id);
    return it == resolved->end() ? int64_t{0} : it->second;
  };

  // Assembled in the rows' order, as SqliteStore walks them.
  std::set<int64_t> profiles;
  for (int64_t id : profile_ids) {
    const int64_t live = live_of(id);
    if (live == 0) continue;
    in.live[id] = live;
    profiles.insert(live);
  }
  for (int64_t id : touchpoint_ids) {
    const auto t = touchpoint_rows.find(id);
    if (t == touchpoint_rows.end() || t->second.profile_id == 0) continue;  // erased
    if (delivered.count(TouchpointDeliveryKey(id)) > 0) continue;
    profiles.insert(t->second.profile_id);
    in.touchpoints.push_back(t->second);
  }
  for (int64_t id : action_ids) {
    const auto a = action_rows.find(id);
    if (a == action_rows.end() || a->second.target != target || a->second.status != "pending") {
      continue;
    }
    if (delivered.count(a->second.key) > 0) continue;
    const int64_t live = live_of(a->second.profile_id);
    if (live == 0) continue;
    JourneyActionRow action = a->second;
    action.profile_id = live;
    profiles.insert(live);
    in.actions.push_back(std::move(action));
  }

  if (Status s = ReadProfileRecordSets(db, profiles, known, in); !s.ok()) return s.error();
  if (!profiles.empty()) {
    // Each profile's journey and what this target holds of it, both at most one row (keys).
    auto found = db.Query(
        "SELECT w.id, s.profile_id IS NOT NULL, d.profile_id IS NOT NULL, d.crm_id, d.acked, " +
            std::string(kStateColumns) +
            " FROM unnest($1::bigint[]) AS w(id)"
            " LEFT JOIN journey_state s ON s.profile_id = w.id"
            " LEFT JOIN delivery_profiles d ON d.target = $2 AND d.profile_id = w.id",
        PgParams().Add(PgArrayOf(std::vector<int64_t>(profiles.begin(), profiles.end())))
            .Add(target));
    if (!found.ok()) return found.error();
    for (int i = 0; i < found->rows(); ++i) {
      DeliveryInputs::Profile& p = in.profiles[found->Int64(i, 0)];
      if (found->Bool(i, 1)) p.journey = ReadState(*found, i, 5);
      if (found->Bool(i, 2)) p.delivered = DeliveredProfile{found->Text(i, 3), found->Text(i, 4)};
    }
  }
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return in;
}

Result<int64_t> PgStore::ReadDeliveryCursor(std::string_view target) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto row = (*conn)->Query("SELECT last_id FROM delivery_cursors WHERE target = $1",
                            PgParams().Add(target));
  if (!row.ok()) return row.error();
  return row->rows() > 0 ? row->Int64(0, 0) : int64_t{0};
}

namespace {

// One statement, so atomic by itself. DISTINCT: ON CONFLICT DO UPDATE may not touch a row twice
// in one statement, and a key named twice is one item.
Status WriteInFlight(PgConnection& db, std::string_view target,
                     const std::vector<std::string>& keys, TimePoint at) {
  if (keys.empty()) return OkStatus();
  auto marked = db.Query(
      "INSERT INTO delivery_in_flight(target, key, sent_at)"
      " SELECT DISTINCT $1::text, k, $3::bigint FROM unnest($2::text[]) AS k"
      " ON CONFLICT (target, key) DO UPDATE SET sent_at = EXCLUDED.sent_at",
      PgParams().Add(target).Add(PgArrayOf(keys)).AddMillis(at));
  if (!marked.ok()) return marked.error();
  return OkStatus();
}

}  // namespace

Status PgStore::MarkInFlight(std::string_view target, const std::vector<std::string>& keys,
                             TimePoint at) {
  if (keys.empty()) return OkStatus();
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  return WriteInFlight(**conn, target, keys, at);
}

Result<std::map<std::string, TimePoint>> PgStore::ReadInFlight(std::string_view target) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query("SELECT key, sent_at FROM delivery_in_flight WHERE target = $1",
                             PgParams().Add(target));
  if (!rows.ok()) return rows.error();
  std::map<std::string, TimePoint> out;
  for (int i = 0; i < rows->rows(); ++i) out.emplace(rows->Text(i, 0), rows->Time(i, 1));
  return out;
}

Status PgStore::CommitDelivery(const DeliveryCommit& c) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  const int64_t now = UnixMillis(c.at);
  return InPgTransaction(db, [&]() -> Status {
    if (!c.profiles.empty()) {
      // One upsert for all; a profile named twice is folded first as SqliteStore's row-by-row
      // upserts would leave it (the last acked set, the last non-empty CRM id), since one
      // statement may not update a row twice. In profile order, so that two commits for the same
      // target lock the rows in one order.
      std::map<int64_t, std::pair<std::string, std::string>> folded;  // id -> crm id, acked
      for (const DeliveryCommit::Profile& p : c.profiles) {
        auto& [crm_id, acked] = folded[p.profile_id];
        if (!p.crm_id.empty()) crm_id = p.crm_id;
        acked = p.acked_json;
      }
      std::vector<int64_t> ids;
      std::vector<std::string> crm_ids, acked;
      for (const auto& [id, values] : folded) {
        ids.push_back(id);
        crm_ids.push_back(values.first);
        acked.push_back(values.second);
      }
      auto upserted = db.Query(
          "INSERT INTO delivery_profiles(target, profile_id, crm_id, acked, acked_at)"
          " SELECT $1::text, u.profile_id, u.crm_id, u.acked, $5::bigint"
          " FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u(profile_id, crm_id, acked)"
          " ORDER BY u.profile_id"
          " ON CONFLICT (target, profile_id) DO UPDATE SET"
          " crm_id = CASE WHEN EXCLUDED.crm_id = '' THEN delivery_profiles.crm_id"
          " ELSE EXCLUDED.crm_id END,"
          " acked = EXCLUDED.acked, acked_at = EXCLUDED.acked_at",
          PgParams().Add(c.target).Add(PgArrayOf(ids)).Add(PgArrayOf(crm_ids))
              .Add(PgArrayOf(acked)).Add(now));
      if (!upserted.ok()) return upserted.error();
    }
    if (!c.delivered_keys.empty()) {
      // Sorted: two commits acknowledging the same keys take their index entries in one order.
      std::vector<std::string> keys = c.delivered_keys;
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      auto inserted = db.Query(
          "INSERT INTO delivered_keys(target, key, at)"
          " SELECT $1::text, k, $3::bigint FROM unnest($2::text[]) AS k"
          " ON CONFLICT (target, key) DO NOTHING",
          PgParams().Add(c.target).Add(PgArrayOf(keys)).Add(now));
      if (!inserted.ok()) return inserted.error();
    }
    if (!c.dead.empty()) {
      std::vector<std::string> kinds, keys, messages, requests;
      std::vector<int64_t> profiles, items, attempts;
      for (const DeadLetterRow& d : c.dead) {
        kinds.push_back(d.kind);
        profiles.push_back(d.profile_id);
        items.push_back(d.item_id);
        keys.push_back(d.item_key);
        messages.push_back(d.message);
        requests.push_back(d.request_json);
        attempts.push_back(d.attempts);
      }
      // WITH ORDINALITY ... ORDER BY: ids follow the commit's order, as SQLite's inserts do.
      auto inserted = db.Query(
          "INSERT INTO dead_letters(target, kind, profile_id, item_id, item_key, message,"
          " request, attempts, status, created_at)"
          " SELECT $1::text, u.kind, u.profile_id, NULLIF(u.item_id, 0), u.item_key, u.message,"
          " u.request, u.attempts, 'dead', $9::bigint"
          " FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[],"
          " $7::text[], $8::bigint[]) WITH ORDINALITY"
          " AS u(kind, profile_id, item_id, item_key, message, request, attempts, n)"
          " ORDER BY u.n",
          PgParams().Add(c.target).Add(PgArrayOf(kinds)).Add(PgArrayOf(profiles))
              .Add(PgArrayOf(items)).Add(PgArrayOf(keys)).Add(PgArrayOf(messages))
              .Add(PgArrayOf(requests)).Add(PgArrayOf(attempts)).Add(now));
      if (!inserted.ok()) return inserted.error();
    }
    // Delivered and dead-lettered items are settled: no longer in flight.
    std::vector<std::string> settled = c.delivered_keys;
    for (const DeadLetterRow& d : c.dead) settled.push_back(d.item_key);
    if (!settled.empty()) {
      auto cleared = db.Query(
          "DELETE FROM delivery_in_flight WHERE target = $1 AND key = ANY($2::text[])",
          PgParams().Add(c.target).Add(PgArrayOf(settled)));
      if (!cleared.ok()) return cleared.error();
    }
    if (Status s = WriteInFlight(db, c.target, c.in_flight, c.at); !s.ok()) return s;
    if (!c.actions.empty()) {
      // The last status given for an action wins, as with SqliteStore's updates in turn.
      std::map<int64_t, std::string> statuses;
      for (const auto& [id, status] : c.actions) statuses[id] = status;
      std::vector<int64_t> ids;
      std::vector<std::string> values;
      for (const auto& [id, status] : statuses) {
        ids.push_back(id);
        values.push_back(status);
      }
      auto updated = db.Query(
          "UPDATE journey_actions a SET status = u.status"
          " FROM unnest($1::bigint[], $2::text[]) AS u(id, status) WHERE a.id = u.id",
          PgParams().Add(PgArrayOf(ids)).Add(PgArrayOf(values)));
      if (!updated.ok()) return updated.error();
    }
    if (!c.requests.empty()) {
      std::vector<std::string> methods, urls, bodies, whats, messages;
      std::vector<int64_t> items, statuses, ats;
      for (const DeliveryRequestRow& r : c.requests) {
        methods.push_back(r.method);
        urls.push_back(r.url);
        bodies.push_back(r.body);
        whats.push_back(r.what);
        items.push_back(r.items);
        statuses.push_back(r.status);
        messages.push_back(r.message);
        ats.push_back(UnixMillis(r.at));
      }
      auto inserted = db.Query(
          "INSERT INTO delivery_requests(target, method, url, body, what, items, status,"
          " message, at)"
          " SELECT $1::text, u.method, u.url, u.body, u.what, u.items, u.status, u.message, u.at"
          " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],"
          " $7::bigint[], $8::text[], $9::bigint[]) WITH ORDINALITY"
          " AS u(method, url, body, what, items, status, message, at, n) ORDER BY u.n",
          PgParams().Add(c.target).Add(PgArrayOf(methods)).Add(PgArrayOf(urls))
              .Add(PgArrayOf(bodies)).Add(PgArrayOf(whats)).Add(PgArrayOf(items))
              .Add(PgArrayOf(statuses)).Add(PgArrayOf(messages)).Add(PgArrayOf(ats)));
      if (!inserted.ok()) return inserted.error();
      auto pruned = db.Query(
          // Ids are shared by every target's requests, so "the newest keep" is counted among
          // this target's own rows, not as an id distance.
          "DELETE FROM delivery_requests WHERE target = $1 AND id <= (SELECT id FROM"
          " delivery_requests WHERE target = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
          PgParams().Add(c.target).Add(c.keep_requests));
      if (!pruned.ok()) return pruned.error();
    }
    auto stats = db.Query(
        "INSERT INTO delivery_stats(target, delivered, dead, requests, failures, last_success,"
        " last_failure, last_error) VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 = '' THEN $7 END,"
        " CASE WHEN $6 <> '' THEN $7 END, $6) ON CONFLICT (target) DO UPDATE SET"
        " delivered = delivery_stats.delivered + EXCLUDED.delivered,"
        " dead = delivery_stats.dead + EXCLUDED.dead,"
        " requests = delivery_stats.requests + EXCLUDED.requests,"
        " failures = delivery_stats.failures + EXCLUDED.failures,"
        " last_success = COALESCE(EXCLUDED.last_success, delivery_stats.last_success),"
        " last_failure = COALESCE(EXCLUDED.last_failure, delivery_stats.last_failure),"
        // The last error stays until another replaces it: the status page shows it beside
        // last_failure, and a later success (last_success) says whether it still matters.
        " last_error = CASE WHEN EXCLUDED.last_error <> '' THEN EXCLUDED.last_error"
        " ELSE delivery_stats.last_error END",
        PgParams().Add(c.target).Add(c.delivered).Add(static_cast<int64_t>(c.dead.size()))
            .Add(static_cast<int64_t>(c.requests.size())).Add(c.failures).Add(c.last_error)
            .Add(now));
    if (!stats.ok()) return stats.error();
    if (c.cursor) {
      // GREATEST: a cursor never goes back, whichever of two commits lands last.
      auto cursor = db.Query(
          "INSERT INTO delivery_cursors(target, last_id) VALUES ($1, $2)"
          " ON CONFLICT (target) DO UPDATE SET"
          " last_id = GREATEST(delivery_cursors.last_id, EXCLUDED.last_id)",
          PgParams().Add(c.target).Add(*c.cursor));
      if (!cursor.ok()) return cursor.error();
    }
    return OkStatus();
  });
}

Result<std::vector<std::pair<std::string, std::string>>> PgStore::ReadCrmIds(int64_t profile_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT target, crm_id FROM delivery_profiles WHERE profile_id = $1 AND crm_id <> ''"
      " ORDER BY target COLLATE \"C\"",
      PgParams().Add(profile_id));
  if (!rows.ok()) return rows.error();
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(rows->rows());
  for (int i = 0; i < rows->rows(); ++i) out.emplace_back(rows->Text(i, 0), rows->Text(i, 1));
  return out;
}

Result<int64_t> PgStore::PruneOutbox(const std::vector<std::string>& targets) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  // The lowest cursor of the configured targets (a target that never ran holds everything);
  // with no targets, nobody waits for anything. Cursors only move forward, so a cursor moved
  // between this read and the delete only makes the delete keep more than it could.
  auto lowest =
      targets.empty()
          ? db.Query("SELECT COALESCE(MAX(id), 0) FROM outbox")
          : db.Query("SELECT MIN(COALESCE(c.last_id, 0)) FROM unnest($1::text[]) AS t(target)"
                     " LEFT JOIN delivery_cursors c ON c.target = t.target",
                     PgParams().Add(PgArrayOf(targets)));
  if (!lowest.ok()) return lowest.error();
  auto pruned = db.Query("DELETE FROM outbox WHERE id <= $1", PgParams().Add(lowest->Int64(0, 0)));
  if (!pruned.ok()) return pruned.error();
  return pruned->affected_rows();
}

Result<std::vector<TargetDeliveryStats>> PgStore::ListDeliveryStats(
    const std::vector<std::string>& targets) {
  std::vector<TargetDeliveryStats> out;
  if (targets.empty()) return out;
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  // Every target in one statement (one snapshot), in the order asked.
  auto rows = (*conn)->Query(
      "SELECT t.target, COALESCE(c.last_id, 0), s.delivered, s.dead, s.requests, s.failures,"
      " s.last_success, s.last_failure, s.last_error, o.pending, o.oldest,"
      " (SELECT COUNT(*) FROM dead_letters d WHERE d.target = t.target AND d.status = 'dead')"
      " FROM unnest($1::text[]) WITH ORDINALITY AS t(target, n)"
      " LEFT JOIN delivery_cursors c ON c.target = t.target"
      " LEFT JOIN delivery_stats s ON s.target = t.target"
      " CROSS JOIN LATERAL (SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM outbox"
      " WHERE id > COALESCE(c.last_id, 0) AND (target IS NULL OR target = t.target)) o"
      " ORDER BY t.n",
      PgParams().Add(PgArrayOf(targets)));
  if (!rows.ok()) return rows.error();
  out.reserve(rows->rows());
  for (int i = 0; i < rows->rows(); ++i) {
    TargetDeliveryStats st;
    st.target = rows->Text(i, 0);
    st.cursor = rows->Int64(i, 1);
    st.delivered = rows->Int64(i, 2);
    st.dead = rows->Int64(i, 3);
    st.requests = rows->Int64(i, 4);
    st.failures = rows->Int64(i, 5);
    st.last_success = rows->OptionalTime(i, 6);
    st.last_failure = rows->OptionalTime(i, 7);
    st.last_error = rows->Text(i, 8);
    st.pending = rows->Int64(i, 9);
    st.oldest_pending = rows->OptionalTime(i, 10);
    st.dead_now = rows->Int64(i, 11);
    out.push_back(std::move(st));
  }
  return out;
}

Result<std::vector<DeliveryRequestRow>> PgStore::ListDeliveryRequests(std::string_view target,
                                                                      int64_t before_id,
                                                                      int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT id, target, method, url, body, what, items, status, message, at"
      " FROM delivery_requests WHERE target = $1 AND ($2 = 0 OR id < $2) ORDER BY id DESC"
      " LIMIT $3",
      PgParams().Add(target).Add(before_id).Add(limit));
  if (!rows.ok()) return rows.error();
  std::vector<DeliveryRequestRow> out;
  out.reserve(rows->rows());
  for (int i = 0; i < rows->rows(); ++i) {
    DeliveryRequestRow r;
    r.id = rows->Int64(i, 0);
    r.target = rows->Text(i, 1);
    r.method = rows->Text(i, 2);
    r.url = rows->Text(i, 3);
    r.body = rows->Text(i, 4);
    r.what = rows->Text(i, 5);
    r.items = static_cast<int>(rows->Int64(i, 6));
    r.status = static_cast<int>(rows->Int64(i, 7));
    r.message = rows->Text(i, 8);
    r.at = rows->Time(i, 9);
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<DeadLetterRow>> PgStore::ListDeadLetters(const DeadLetterFilter& filter) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      std::string(kDeadLetterColumns) +
          "WHERE ($1 = '' OR status = $1) AND ($2 = '' OR target = $2) AND ($3 = 0 OR id < $3)"
          " ORDER BY id DESC LIMIT $4",
      PgParams()
          .Add(filter.status ? DeadLetterStatusName(*filter.status) : std::string_view())
          .Add(filter.target)
          .Add(filter.before_id)
          .Add(filter.limit));
  if (!rows.ok()) return rows.error();
  return ReadDeadLetterRows(*rows);
}

Result<DeadLetterRow> PgStore::ReadDeadLetter(int64_t id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(std::string(kDeadLetterColumns) + "WHERE id = $1",
                             PgParams().Add(id));
  if (!rows.ok()) return rows.error();
  if (rows->rows() == 0) return NotFound("dead letter " + std::to_string(id) + " does not exist");
  return std::move(ReadDeadLetterRows(*rows).front());
}

Status PgStore::DecideDeadLetter(int64_t id, DeadLetterStatus decision, std::string_view by,
                                 TimePoint now) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  return InPgTransaction(db, [&]() -> Status {
    // FOR UPDATE: of two decisions on one letter at once, the second waits for the first and
    // then reads its status (READ COMMITTED re-reads the row), so a letter is never replayed
    // twice.
    auto read = db.Query(
        "SELECT status, kind, profile_id, COALESCE(item_id, 0), target FROM dead_letters"
        " WHERE id = $1 FOR UPDATE",
        PgParams().Add(id));
    if (!read.ok()) return read.error();
    if (read->rows() == 0) return NotFound("dead letter " + std::to_string(id) + " does not exist");
    const std::string status = read->Text(0, 0);
    const std::string kind = read->Text(0, 1);
    const int64_t profile = read->Int64(0, 2);
    const int64_t item = read->Int64(0, 3);
    const std::string target = read->Text(0, 4);
    if (status != "dead") {
      return Error{ErrorCode::kConflict,
                   "dead letter " + std::to_string(id) + " is already " + status};
    }
    auto update = db.Query(
        "UPDATE dead_letters SET status = $2, decided_at = $3, decided_by = $4 WHERE id = $1",
        PgParams().Add(id).Add(DeadLetterStatusName(decision)).AddMillis(now).Add(by));
    if (!update.ok()) return update.error();
    if (decision != DeadLetterStatus::kReplayed) return OkStatus();
    // Back in the outbox for its target alone; it goes out as the item stands now.
    if (kind == "action") {
      auto pending = db.Query("UPDATE journey_actions SET status = 'pending' WHERE id = $1",
                              PgParams().Add(item));
      if (!pending.ok()) return pending.error();
    }
    if (Status s = TakeAdvisoryLock(db, kOutboxWriteLock); !s.ok()) return s.error();
    auto again = db.Query(
        "INSERT INTO outbox(kind, profile_id, item_id, target, created_at)"
        " VALUES ($1, $2, NULLIF($3, 0), $4, $5)",
        PgParams().Add(kind).Add(profile).Add(item).Add(target).AddMillis(now));
    if (!again.ok()) return again.error();
    return OkStatus();
  });
}

}  // namespace journeyd::storage
