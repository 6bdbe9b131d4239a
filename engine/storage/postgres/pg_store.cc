#include "engine/storage/postgres/pg_store.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include <boost/json.hpp>

#include "engine/base/compression.h"
#include "engine/storage/postgres/pg_array.h"
#include "engine/storage/postgres/pg_locks.h"
#include "engine/storage/postgres/pg_migrate.h"
#include "engine/storage/postgres/pg_rows.h"
#include "engine/storage/postgres/pg_transaction.h"

// Text is sorted COLLATE "C" wherever the order shows: bytewise, as SQLite sorts, whatever
// collation the database was created with.

namespace journeyd::storage {

namespace {


// INSERT of `rows` inbox rows (placeholders only), returning the key of each row stored.
// With `ids`, each row's id is its first parameter; without, the column's default.
std::string InboxInsertSql(size_t rows, bool ids) {
  std::string sql = std::string("INSERT INTO inbox(") + (ids ? "id, " : "") +
                    "source, event_type, external_id, received_at, content_type, headers,"
                    " body_encoding, body, body_size) VALUES ";
  const size_t columns = ids ? 10 : 9;
  for (size_t row = 0; row < rows; ++row) {
    sql += row == 0 ? "(" : ", (";
    for (size_t column = 1; column <= columns; ++column) {
      sql += "$" + std::to_string(row * columns + column) + (column < columns ? ", " : ")");
    }
  }
  sql += " ON CONFLICT (source, external_id) DO NOTHING RETURNING source, external_id";
  return sql;
}

}  // namespace

Result<std::unique_ptr<PgStore>> PgStore::Open(const std::string& url, Options options) {
  auto pool = PgPool::Open(url, options.pool);
  if (!pool.ok()) return pool.error();
  std::unique_ptr<PgStore> store(new PgStore(std::move(*pool)));
  auto conn = store->pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto version = MigratePostgres(**conn);
  if (!version.ok()) return version.error();
  store->schema_version_ = *version;
  return store;
}

Status PgStore::Ping() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return Unavailable(conn.error().message);
  auto row = (*conn)->Query("SELECT 1");
  if (!row.ok()) return Unavailable(row.error().message);
  return OkStatus();
}

Result<RunRecord> PgStore::RecordStart(std::string_view version, TimePoint now) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  return InPgTransaction(**conn, [&]() -> Result<RunRecord> {
    RunRecord record;
    // The newest run not stopped is another instance's still running as often as a crashed
    // one's: it only counts as unclean when no instance holds a live lease any more.
    auto last = (*conn)->Query(
        "SELECT (SELECT stopped_at IS NULL FROM daemon_runs ORDER BY id DESC LIMIT 1)"
        " AND NOT EXISTS (SELECT 1 FROM leases"
        " WHERE expires_at > (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT)");
    if (!last.ok()) return last.error();
    record.previous_run_unclean = !last->IsNull(0, 0) && last->Bool(0, 0);
    // Unlike SqliteStore, runs still marked running are left alone: another instance may be
    // running them. Whoever takes a source's poll lease over ends its runs (InterruptSyncRuns).
    auto insert = (*conn)->Query(
        "INSERT INTO daemon_runs(version, started_at) VALUES ($1, $2) RETURNING id",
        PgParams().Add(version).AddMillis(now));
    if (!insert.ok()) return insert.error();
    record.run_id = insert->Int64(0, 0);
    return record;
  });
}

Status PgStore::RecordStop(int64_t run_id, TimePoint now) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto update = (*conn)->Query("UPDATE daemon_runs SET stopped_at = $1 WHERE id = $2",
                               PgParams().AddMillis(now).Add(run_id));
  if (!update.ok()) return update.error();
  return OkStatus();
}

Result<bool> PgStore::AcquireLease(std::string_view name, std::string_view holder,
                                   std::chrono::milliseconds ttl) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  // The server's clock judges expiry, so instances whose clocks disagree still agree on who
  // holds what. The row lock the upsert takes orders two instances racing for one name: the
  // second sees the first's row and its WHERE fails.
  auto upsert = (*conn)->Query(
      "INSERT INTO leases(name, holder, acquired_at, expires_at)"
      " SELECT $1, $2, t.now, t.now + $3"
      " FROM (SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT AS now) t"
      " ON CONFLICT(name) DO UPDATE SET holder = excluded.holder,"
      " acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at"
      " ELSE excluded.acquired_at END, expires_at = excluded.expires_at"
      " WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.acquired_at"
      " RETURNING holder",
      PgParams().Add(name).Add(holder).Add(static_cast<int64_t>(ttl.count())));
  if (!upsert.ok()) return upsert.error();
  return upsert->rows() == 1;
}

Status PgStore::ReleaseLease(std::string_view name, std::string_view holder) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto remove = (*conn)->Query("DELETE FROM leases WHERE name = $1 AND holder = $2",
                               PgParams().Add(name).Add(holder));
  if (!remove.ok()) return remove.error();
  return OkStatus();
}

Result<std::vector<LeaseRow>> PgStore::ListLeases() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT name, holder, acquired_at, expires_at FROM leases ORDER BY name COLLATE \"C\"");
  if (!rows.ok()) return rows.error();
  std::vector<LeaseRow> out;
  for (int i = 0; i < rows->rows(); ++i) {
    out.push_back({rows->Text(i, 0), rows->Text(i, 1),
                   TimePoint(std::chrono::milliseconds(rows->Int64(i, 2))),
                   TimePoint(std::chrono::milliseconds(rows->Int64(i, 3)))});
  }
  return out;
}

Result<std::vector<AppendResult>> PgStore::CommitIntake(const IntakeBatch& batch) {
  std::lock_guard lock(intake_mu_);
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  // COMMIT returns once the WAL is flushed (synchronous_commit is on by default): durable
  // before the sender's 2xx, as with SQLite's synchronous=FULL.
  return InPgTransaction(**conn, [&] { return WriteIntake(**conn, batch); });
}

Result<std::vector<AppendResult>> PgStore::WriteIntake(PgConnection& conn,
                                                       const IntakeBatch& batch) {
  struct Counts {
    int64_t received = 0, accepted = 0, duplicates = 0, rejected = 0, signature_failures = 0;
    int64_t last_event_at = -1;
  };
  std::map<std::string, Counts, std::less<>> counts;
  // The batch's minute for the activity rows: its newest event or refusal (as SqliteStore).
  int64_t newest_ms = -1;
  for (const InboxRecord& record : batch.records) {
    newest_ms = std::max(newest_ms, UnixMillis(record.event->received_at));
  }
  for (const IntakeRejection& r : batch.rejections) newest_ms = std::max(newest_ms, UnixMillis(r.at));
  std::vector<AppendResult> results(batch.records.size(), AppendResult::kDuplicate);

  // The events go in ordered by (source, external id), with ids in the order they arrived.
  // A new key's index entry stays locked until its transaction ends, and an insert that meets
  // one waits for that transaction: two instances committing the same two new events (a vendor
  // that delivers again to another instance before the first answer came, or sends duplicates)
  // in opposite orders would each wait for the other, and PostgreSQL would fail one commit as a
  // deadlock after a second, answering its whole group 503. In one order the second just waits
  // for the first. Stable: of two records with one key, the one that came first is stored.
  std::vector<size_t> order(batch.records.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const RawEvent& x = *batch.records[a].event;
    const RawEvent& y = *batch.records[b].event;
    return std::tie(x.source, x.external_id) < std::tie(y.source, y.external_id);
  });
  // Readers see the inbox in id order as the events came (a request's events in its order), so
  // a batch that the sort moved takes its ids from the sequence first, one per event in arrival
  // order; one already in order (most: a single event) leaves them to the column's default.
  std::vector<int64_t> ids;
  bool moved = false;
  for (size_t i = 0; i < order.size(); ++i) moved = moved || order[i] != i;
  if (moved) {
    auto drawn = conn.Query(
        "SELECT nextval(pg_get_serial_sequence('inbox', 'id')) FROM generate_series(1, $1)",
        PgParams().Add(static_cast<int64_t>(order.size())));
    if (!drawn.ok()) return drawn.error();
    for (int row = 0; row < drawn->rows(); ++row) ids.push_back(drawn->Int64(row, 0));
    if (ids.size() != order.size()) return Internal("inbox ids: too few drawn");
    std::sort(ids.begin(), ids.end());
  }

  // Multi-row INSERTs rather than one per record: with 64 records of 2 KB over a unix socket a
  // commit took about 4.5 ms instead of 9 (pg_store_test.cc, "intake insert strategies
  // measured"). Chunks of 64, 32, ..., 1 rows keep the statement shapes each connection
  // prepares to seven (fourteen with the ids of a moved batch).
  constexpr size_t kMaxChunk = 64;
  for (size_t next = 0; next < batch.records.size();) {
    size_t chunk = kMaxChunk;
    while (chunk > batch.records.size() - next) chunk /= 2;
    PgParams params;
    for (size_t i = next; i < next + chunk; ++i) {
      const InboxRecord& record = batch.records[order[i]];
      const RawEvent& e = *record.event;
      if (!ids.empty()) params.Add(ids[order[i]]);
      params.Add(e.source)
          .Add(e.event_type)
          .AddTextOrNull(e.external_id)
          .AddMillis(e.received_at)
          .Add(e.content_type)
          .Add(record.headers)
          .Add(record.zstd ? "zstd" : "identity")
          .AddBytes(record.stored_body)
          .Add(static_cast<int64_t>(e.body.size()));
    }
    auto inserted = conn.Query(InboxInsertSql(chunk, !ids.empty()), params);
    if (!inserted.ok()) return inserted.error();
    // The rows that went in, by key: a record whose key is not among them met an older row, or
    // an earlier record of this batch with the same key (DO NOTHING skips those too, so the
    // first of them is the one stored, as with SQLite). Records without an id always go in.
    std::map<std::pair<std::string, std::string>, int> stored_keys;
    for (int row = 0; row < inserted->rows(); ++row) {
      if (!inserted->IsNull(row, 1)) {
        ++stored_keys[{inserted->Text(row, 0), inserted->Text(row, 1)}];
      }
    }
    for (size_t i = next; i < next + chunk; ++i) {
      const RawEvent& e = *batch.records[order[i]].event;
      bool stored = e.external_id.empty();
      if (!stored) {
        auto it = stored_keys.find({e.source, e.external_id});
        stored = it != stored_keys.end() && it->second > 0;
        if (stored) --it->second;
      }
      results[order[i]] = stored ? AppendResult::kStored : AppendResult::kDuplicate;
      Counts& c = counts[e.source];
      (stored ? c.accepted : c.duplicates) += 1;
      c.last_event_at = std::max(c.last_event_at, UnixMillis(e.received_at));
    }
    next += chunk;
  }
  for (const auto& [source, n] : batch.received) counts[source].received += n;
  for (const PollState& p : batch.poll_states) {
    auto upserted = conn.Query(
        "INSERT INTO poll_state(source, stream, state, updated_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (source, stream) DO UPDATE SET state = EXCLUDED.state,"
        " updated_at = EXCLUDED.updated_at",
        PgParams().Add(p.source).Add(p.stream).Add(p.state).AddMillis(p.updated_at));
    if (!upserted.ok()) return upserted.error();
  }
  for (const ImportedFile& f : batch.imported_files) {
    auto inserted = conn.Query(
        "INSERT INTO imported_files(source, sha256, name, size, rows, imported_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (source, sha256) DO NOTHING",
        PgParams().Add(f.source).Add(f.sha256).Add(f.name).Add(f.size).Add(f.rows)
            .AddMillis(f.imported_at));
    if (!inserted.ok()) return inserted.error();
  }
  for (const IntakeRejection& r : batch.rejections) {
    Counts& c = counts[r.source];
    (r.kind == IntakeRejectionKind::kSignatureFailure ? c.signature_failures : c.rejected) += 1;
    auto issue = conn.Query(
        "INSERT INTO data_quality_issues(kind, source, message, created_at)"
        " VALUES ($1, $2, $3, $4)",
        PgParams().Add(r.issue_kind).Add(r.source).Add(r.message).AddMillis(r.at));
    if (!issue.ok()) return issue.error();
  }
  // Each connection bumps its own shard of the counters (migration 0015), so that commits on
  // other connections, here or on other instances, do not wait for its row locks until it is on
  // disk. By source, in order, on a shard fixed for the connection: every commit locks the
  // source_stats rows in the same order.
  for (const auto& [source, c] : counts) {
    PgParams stats;
    stats.Add(source).Add(c.received).Add(c.accepted).Add(c.duplicates).Add(c.rejected)
        .Add(c.signature_failures);
    if (c.last_event_at < 0) {
      stats.AddNull(kPgInt8Oid);
    } else {
      stats.Add(c.last_event_at);
    }
    auto bumped = conn.Query(
        "INSERT INTO source_stats(source, received, accepted, duplicates, rejected,"
        " signature_failures, last_event_at, shard)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, pg_backend_pid() % 16)"
        " ON CONFLICT (source, shard) DO UPDATE SET"
        " received = source_stats.received + EXCLUDED.received,"
        " accepted = source_stats.accepted + EXCLUDED.accepted,"
        " duplicates = source_stats.duplicates + EXCLUDED.duplicates,"
        " rejected = source_stats.rejected + EXCLUDED.rejected,"
        " signature_failures = source_stats.signature_failures + EXCLUDED.signature_failures,"
        // GREATEST ignores NULLs, as SQLite's COALESCE(MAX(a, b), a, b) does.
        " last_event_at = GREATEST(source_stats.last_event_at, EXCLUDED.last_event_at)",
        stats);
    if (!bumped.ok()) return bumped.error();
    if (newest_ms < 0) continue;
    auto activity = conn.Query(
        "INSERT INTO source_activity(source, minute, received, accepted, duplicates, rejected,"
        " signature_failures, shard) VALUES ($1, $2, $3, $4, $5, $6, $7, pg_backend_pid() % 16)"
        " ON CONFLICT (source, minute, shard) DO UPDATE SET"
        " received = source_activity.received + EXCLUDED.received,"
        " accepted = source_activity.accepted + EXCLUDED.accepted,"
        " duplicates = source_activity.duplicates + EXCLUDED.duplicates,"
        " rejected = source_activity.rejected + EXCLUDED.rejected,"
        " signature_failures = source_activity.signature_failures + EXCLUDED.signature_failures",
        PgParams().Add(source).Add(newest_ms / 60000).Add(c.received).Add(c.accepted)
            .Add(c.duplicates).Add(c.rejected).Add(c.signature_failures));
    if (!activity.ok()) return activity.error();
  }
  // Activity is kept for eight days (the status page shows one); pruned once an hour by each
  // instance (a prune another instance already did deletes nothing).
  constexpr int64_t kKeepMinutes = 8 * 24 * 60;
  if (newest_ms >= 0 && newest_ms / 60000 - activity_pruned_minute_ >= 60) {
    activity_pruned_minute_ = newest_ms / 60000;
    auto pruned = conn.Query("DELETE FROM source_activity WHERE minute < $1",
                             PgParams().Add(activity_pruned_minute_ - kKeepMinutes));
    if (!pruned.ok()) return pruned.error();
  }
  return results;
}

Result<int64_t> PgStore::CountPendingInbox() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto count = (*conn)->Query("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL");
  if (!count.ok()) return count.error();
  return count->Int64(0, 0);
}

Result<std::vector<SourceStats>> PgStore::ListSourceStats() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT source, SUM(received), SUM(accepted), SUM(duplicates), SUM(rejected),"
      " SUM(signature_failures), MAX(last_event_at), SUM(suppressed) FROM source_stats"
      " GROUP BY source ORDER BY source COLLATE \"C\"");
  if (!rows.ok()) return rows.error();
  std::vector<SourceStats> out;
  for (int i = 0; i < rows->rows(); ++i) {
    SourceStats s;
    s.source = rows->Text(i, 0);
    s.received = rows->Int64(i, 1);
    s.accepted = rows->Int64(i, 2);
    s.duplicates = rows->Int64(i, 3);
    s.rejected = rows->Int64(i, 4);
    s.signature_failures = rows->Int64(i, 5);
    s.last_event_at = rows->OptionalTime(i, 6);
    s.suppressed = rows->Int64(i, 7);
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

constexpr std::string_view kInboxColumns =
    "SELECT id, source, event_type, COALESCE(external_id, ''), received_at, content_type,"
    " headers, body_encoding, body FROM inbox ";

// Rows selected with kInboxColumns, bodies decompressed.
Result<std::vector<StoredInboxEvent>> ReadInboxRows(const PgResult& rows) {
  std::vector<StoredInboxEvent> out;
  out.reserve(rows.rows());
  for (int i = 0; i < rows.rows(); ++i) {
    StoredInboxEvent stored;
    stored.id = rows.Int64(i, 0);
    RawEvent& e = stored.event;
    e.source = rows.Text(i, 1);
    e.event_type = rows.Text(i, 2);
    e.external_id = rows.Text(i, 3);
    e.received_at = rows.Time(i, 4);
    e.content_type = rows.Text(i, 5);
    boost::system::error_code ec;
    auto headers = boost::json::parse(rows.Text(i, 6), ec);
    if (ec || !headers.is_array()) return Corruption("inbox row has malformed headers");
    for (const auto& pair : headers.as_array()) {
      const auto* p = pair.if_array();
      if (!p || p->size() != 2 || !(*p)[0].is_string() || !(*p)[1].is_string()) {
        return Corruption("inbox row has malformed headers");
      }
      e.headers.emplace_back(std::string((*p)[0].get_string()), std::string((*p)[1].get_string()));
    }
    if (rows.Text(i, 7) == "zstd") {
      auto body = ZstdDecompress(rows.Bytes(i, 8));
      if (!body.ok()) return body.error();
      e.body = std::move(*body);
    } else {
      e.body = rows.Bytes(i, 8);
    }
    out.push_back(std::move(stored));
  }
  return out;
}

}  // namespace

Result<std::vector<StoredInboxEvent>> PgStore::ReadInbox(int64_t after_id, int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(std::string(kInboxColumns) + "WHERE id > $1 ORDER BY id LIMIT $2",
                             PgParams().Add(after_id).Add(limit));
  if (!rows.ok()) return rows.error();
  return ReadInboxRows(*rows);
}

Result<std::vector<StoredInboxEvent>> PgStore::ReadPendingInbox(int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      std::string(kInboxColumns) + "WHERE processed_at IS NULL ORDER BY id LIMIT $1",
      PgParams().Add(limit));
  if (!rows.ok()) return rows.error();
  return ReadInboxRows(*rows);
}

namespace {

// How long the server waits on a mapping transaction that has gone quiet before it ends the
// session: the locks of an instance that froze or lost its network go back to the others after
// this (a killed process's go back at once). A batch maps in milliseconds.
constexpr std::string_view kMappingIdleTimeout =
    "SET LOCAL idle_in_transaction_session_timeout = '60s'";

// Writes `batch` inside the caller's transaction, the rows marked processed first. A row
// processed already counts as a conflict when the caller holds the rows locked (it took them
// pending, so someone broke the locking), and is marked again otherwise (CommitMapped's
// contract: a batch committed twice keeps one record per event).
Status WriteMapped(PgConnection& db, const MappedBatch& batch, bool rows_locked) {
  const int64_t now = UnixMillis(batch.at);
  auto marked = db.Query(
      "UPDATE inbox SET processed_at = $2 WHERE id = ANY($1::bigint[])"
      " AND (processed_at IS NULL OR NOT $3)",
      PgParams().Add(PgArrayOf(batch.processed)).Add(now).Add(rows_locked));
  if (!marked.ok()) return marked.error();
  if (rows_locked && marked->affected_rows() != static_cast<int64_t>(batch.processed.size())) {
    return Error{ErrorCode::kConflict, "inbox events already mapped by another writer"};
  }
  if (!batch.issues.empty()) {
    PgArray kinds, sources, messages, inbox_ids;
    for (const auto& i : batch.issues) {
      kinds.Add(i.kind);
      sources.Add(i.source);
      messages.Add(i.message);
      inbox_ids.Add(i.inbox_id);
    }
    auto inserted = db.Query(
        "INSERT INTO data_quality_issues(kind, source, message, inbox_id, created_at)"
        " SELECT k, s, m, i, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])"
        " AS u(k, s, m, i)",
        PgParams().Add(kinds.Literal()).Add(sources.Literal()).Add(messages.Literal())
            .Add(inbox_ids.Literal()).Add(now));
    if (!inserted.ok()) return inserted.error();
  }
  for (const auto& q : batch.quarantined) {
    auto inserted = db.Query(
        "INSERT INTO quarantine(inbox_id, source, event_type, external_id, reasons, record,"
        " created_at) VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), $7) RETURNING id",
        PgParams().Add(q.inbox_id).Add(q.source).Add(q.event_type).Add(q.external_id)
            .Add(q.reasons_json).Add(q.record_json).Add(now));
    if (!inserted.ok()) return inserted.error();
    const int64_t id = inserted->Int64(0, 0);
    for (const std::string& rule : q.rules) {
      auto ruled = db.Query(
          "INSERT INTO quarantine_rules(quarantine_id, rule) VALUES ($1, $2)"
          " ON CONFLICT DO NOTHING",
          PgParams().Add(id).Add(rule));
      if (!ruled.ok()) return ruled.error();
    }
  }
  std::map<std::string_view, int64_t> suppressed_by_source;
  for (const auto& suppressed : batch.suppressed) {
    // An erased person's event keeps nothing of them: the payload and headers are blanked.
    auto blanked = db.Query(
        "UPDATE inbox SET body = ''::bytea, body_size = 0, body_encoding = 'identity',"
        " headers = '[]' WHERE id = $1",
        PgParams().Add(suppressed.inbox_id));
    if (!blanked.ok()) return blanked.error();
    ++suppressed_by_source[suppressed.source];
  }
  // Once per source, in order, on the connection's shard: these rows are locked in the order
  // intake commits lock them (see WriteIntake), so neither waits on the other in a cycle.
  for (const auto& [source, n] : suppressed_by_source) {
    auto counted = db.Query(
        "INSERT INTO source_stats(source, suppressed, shard)"
        " VALUES ($1, $2, pg_backend_pid() % 16)"
        " ON CONFLICT (source, shard) DO UPDATE SET"
        " suppressed = source_stats.suppressed + EXCLUDED.suppressed",
        PgParams().Add(source).Add(n));
    if (!counted.ok()) return counted.error();
  }
  if (batch.records.empty()) return OkStatus();
  // Last, under the records lock: the identity stage reads records by id, so ids must become
  // visible in order although several instances map at once (see pg_locks.h).
  if (Status s = TakeAdvisoryLock(db, kRecordsWriteLock); !s.ok()) return s;
  PgArray inbox_ids, sources, types, times, records, external_ids;
  for (const auto& r : batch.records) {
    inbox_ids.Add(r.inbox_id);
    sources.Add(r.source);
    types.Add(r.event_type);
    times.AddMillis(r.occurred_at);
    records.Add(r.json);
    external_ids.Add(r.external_id);
  }
  auto inserted = db.Query(
      "INSERT INTO records(inbox_id, source, event_type, occurred_at, record, external_id)"
      " SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[],"
      " $6::text[]) ON CONFLICT (inbox_id) DO NOTHING",
      PgParams().Add(inbox_ids.Literal()).Add(sources.Literal()).Add(types.Literal())
          .Add(times.Literal()).Add(records.Literal()).Add(external_ids.Literal()));
  if (!inserted.ok()) return inserted.error();
  return OkStatus();
}

}  // namespace

Status PgStore::CommitMapped(const MappedBatch& batch) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  return InPgTransaction(**conn, [&]() -> Status { return WriteMapped(**conn, batch, false); });
}

Result<int> PgStore::MapPendingInbox(int limit, const InboxMapper& map) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  return InPgTransaction(db, [&]() -> Result<int> {
    if (Status s = db.Exec(kMappingIdleTimeout); !s.ok()) return s.error();
    // SKIP LOCKED: each instance takes rows no other is mapping, and the locks are the claim,
    // held until this transaction ends and gone with it if the instance dies.
    auto rows = db.Query(std::string(kInboxColumns) +
                             "WHERE processed_at IS NULL ORDER BY id LIMIT $1"
                             " FOR UPDATE SKIP LOCKED",
                         PgParams().Add(limit));
    if (!rows.ok()) return rows.error();
    auto pending = ReadInboxRows(*rows);
    if (!pending.ok()) return pending.error();
    if (pending->empty()) return 0;
    MappedBatch batch;
    if (Status s = map(*pending, batch); !s.ok()) return s.error();
    if (Status s = WriteMapped(db, batch, true); !s.ok()) return s.error();
    return static_cast<int>(pending->size());
  });
}

Result<std::vector<StoredRecord>> PgStore::ReadRecords(int64_t after_id, int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT id, inbox_id, source, event_type, record FROM records WHERE id > $1"
      " ORDER BY id LIMIT $2",
      PgParams().Add(after_id).Add(limit));
  if (!rows.ok()) return rows.error();
  return ReadStoredRecords(*rows);
}

Result<std::vector<DataQualityIssue>> PgStore::ListIssues(const IssueFilter& filter) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  // Empty filter values match everything, so one prepared statement serves every combination.
  auto rows = (*conn)->Query(
      "SELECT id, kind, source, message, created_at, COALESCE(inbox_id, 0)"
      " FROM data_quality_issues"
      " WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR source = $2) AND ($3 = 0 OR id < $3)"
      " ORDER BY id DESC LIMIT $4",
      PgParams().Add(filter.kind).Add(filter.source).Add(filter.before_id).Add(filter.limit));
  if (!rows.ok()) return rows.error();
  std::vector<DataQualityIssue> out;
  for (int i = 0; i < rows->rows(); ++i) {
    out.push_back({rows->Int64(i, 0), rows->Text(i, 1), rows->Text(i, 2), rows->Text(i, 3),
                   rows->Time(i, 4), rows->Int64(i, 5)});
  }
  return out;
}

Result<std::vector<IssueCount>> PgStore::CountIssues(const IssueFilter& filter) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT kind, source, COUNT(*), MAX(created_at) FROM data_quality_issues"
      " WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR source = $2)"
      " GROUP BY kind, source ORDER BY kind COLLATE \"C\", source COLLATE \"C\"",
      PgParams().Add(filter.kind).Add(filter.source));
  if (!rows.ok()) return rows.error();
  std::vector<IssueCount> out;
  for (int i = 0; i < rows->rows(); ++i) {
    out.push_back({rows->Text(i, 0), rows->Text(i, 1), rows->Int64(i, 2), rows->Time(i, 3)});
  }
  return out;
}

Result<std::vector<SourceActivity>> PgStore::ReadSourceActivity(TimePoint since) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT source, minute, SUM(received), SUM(accepted), SUM(duplicates), SUM(rejected),"
      " SUM(signature_failures) FROM source_activity WHERE minute >= $1 GROUP BY source, minute"
      " ORDER BY source COLLATE \"C\", minute",
      PgParams().Add(UnixMillis(since) / 60000));
  if (!rows.ok()) return rows.error();
  std::vector<SourceActivity> out;
  for (int i = 0; i < rows->rows(); ++i) {
    SourceActivity a;
    a.source = rows->Text(i, 0);
    a.minute = TimePoint(std::chrono::minutes(rows->Int64(i, 1)));
    a.received = rows->Int64(i, 2);
    a.accepted = rows->Int64(i, 3);
    a.duplicates = rows->Int64(i, 4);
    a.rejected = rows->Int64(i, 5);
    a.signature_failures = rows->Int64(i, 6);
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::vector<IssueTrendRow>> PgStore::ReadIssueTrend(TimePoint since) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  // Integer division on BIGINT truncates, as SQLite's does on INTEGER.
  auto rows = (*conn)->Query(
      "SELECT kind, source, created_at / 3600000 AS hour, COUNT(*) FROM data_quality_issues"
      " WHERE created_at >= $1 GROUP BY kind, source, hour"
      " ORDER BY hour, kind COLLATE \"C\", source COLLATE \"C\"",
      PgParams().AddMillis(since));
  if (!rows.ok()) return rows.error();
  std::vector<IssueTrendRow> out;
  for (int i = 0; i < rows->rows(); ++i) {
    out.push_back({rows->Text(i, 0), rows->Text(i, 1),
                   TimePoint(std::chrono::hours(rows->Int64(i, 2))), rows->Int64(i, 3)});
  }
  return out;
}

Result<OpenWorkCounts> PgStore::CountOpenWork() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  OpenWorkCounts out;
  auto totals = (*conn)->Query(
      "SELECT (SELECT COUNT(*) FROM quarantine WHERE status = 'quarantined'),"
      " (SELECT COUNT(*) FROM reviews WHERE status = 'open'),"
      " (SELECT COUNT(*) FROM dead_letters WHERE status = 'dead')");
  if (!totals.ok()) return totals.error();
  out.quarantined = totals->Int64(0, 0);
  out.reviews_open = totals->Int64(0, 1);
  out.dead_letters = totals->Int64(0, 2);
  auto rules = (*conn)->Query(
      "SELECT r.rule, COUNT(*) FROM quarantine_rules r JOIN quarantine q ON q.id = r.quarantine_id"
      " WHERE q.status = 'quarantined' GROUP BY r.rule ORDER BY r.rule COLLATE \"C\"");
  if (!rules.ok()) return rules.error();
  for (int i = 0; i < rules->rows(); ++i) {
    out.quarantined_by_rule.emplace_back(rules->Text(i, 0), rules->Int64(i, 1));
  }
  return out;
}

Result<std::optional<PollState>> PgStore::ReadPollState(std::string_view source,
                                                         std::string_view stream) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto row = (*conn)->Query(
      "SELECT state, updated_at FROM poll_state WHERE source = $1 AND stream = $2",
      PgParams().Add(source).Add(stream));
  if (!row.ok()) return row.error();
  if (row->rows() == 0) return std::optional<PollState>();
  return std::optional<PollState>(PollState{std::string(source), std::string(stream),
                                            row->Text(0, 0), row->Time(0, 1)});
}

Result<std::vector<PollState>> PgStore::ListPollStates() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT source, stream, state, updated_at FROM poll_state"
      " ORDER BY source COLLATE \"C\", stream COLLATE \"C\"");
  if (!rows.ok()) return rows.error();
  std::vector<PollState> out;
  for (int i = 0; i < rows->rows(); ++i) {
    out.push_back({rows->Text(i, 0), rows->Text(i, 1), rows->Text(i, 2), rows->Time(i, 3)});
  }
  return out;
}

Status PgStore::ResetPollState(std::string_view source, std::string_view stream) {
  // Under the intake lock, as SqliteStore does, so a reset never interleaves with this
  // process's commit of a page of the same stream.
  std::lock_guard lock(intake_mu_);
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto erased = (*conn)->Query(
      "DELETE FROM poll_state WHERE source = $1 AND ($2 = '' OR stream = $2)",
      PgParams().Add(source).Add(stream));
  if (!erased.ok()) return erased.error();
  return OkStatus();
}

Result<std::optional<ImportedFile>> PgStore::FindImportedFile(std::string_view source,
                                                              std::string_view sha256) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto row = (*conn)->Query(
      "SELECT name, size, rows, imported_at FROM imported_files"
      " WHERE source = $1 AND sha256 = $2",
      PgParams().Add(source).Add(sha256));
  if (!row.ok()) return row.error();
  if (row->rows() == 0) return std::optional<ImportedFile>();
  return std::optional<ImportedFile>(ImportedFile{std::string(source), std::string(sha256),
                                                  row->Text(0, 0), row->Int64(0, 1),
                                                  row->Int64(0, 2), row->Time(0, 3)});
}

Result<int64_t> PgStore::StartSyncRun(const SyncRun& run) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto inserted = (*conn)->Query(
      "INSERT INTO sync_runs(source, trigger, status, started_at, cursor_before, detail)"
      " VALUES ($1, $2, 'running', $3, $4, $5) RETURNING id",
      PgParams().Add(run.source).Add(run.trigger).AddMillis(run.started_at)
          .Add(run.cursor_before).Add(run.detail));
  if (!inserted.ok()) return inserted.error();
  return inserted->Int64(0, 0);
}

Result<int64_t> PgStore::InterruptSyncRuns(std::string_view source, TimePoint now) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto updated = (*conn)->Query(
      "UPDATE sync_runs SET status = 'failed', ended_at = $2,"
      " detail = CASE WHEN detail = '' THEN '' ELSE detail || ': ' END ||"
      " 'interrupted (the instance running it stopped)'"
      " WHERE source = $1 AND status = 'running' AND trigger <> 'import'",
      PgParams().Add(source).AddMillis(now));
  if (!updated.ok()) return updated.error();
  return updated->affected_rows();
}

Status PgStore::FinishSyncRun(const SyncRun& run) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto updated = (*conn)->Query(
      "UPDATE sync_runs SET status = $2, ended_at = $3, pages = $4, records = $5,"
      " duplicates = $6, errors = $7, cursor_after = $8, detail = $9 WHERE id = $1",
      PgParams().Add(run.id).Add(run.status).AddMillis(run.ended_at).Add(run.pages)
          .Add(run.records).Add(run.duplicates).Add(run.errors).Add(run.cursor_after)
          .Add(run.detail));
  if (!updated.ok()) return updated.error();
  if (updated->affected_rows() == 0) return NotFound("no sync run " + std::to_string(run.id));
  return OkStatus();
}

namespace {

constexpr std::string_view kSyncRunColumns =
    "SELECT id, source, trigger, status, started_at, ended_at, pages, records, duplicates,"
    " errors, cursor_before, cursor_after, detail FROM sync_runs ";

std::vector<SyncRun> ReadSyncRuns(const PgResult& rows) {
  std::vector<SyncRun> out;
  for (int i = 0; i < rows.rows(); ++i) {
    SyncRun r;
    r.id = rows.Int64(i, 0);
    r.source = rows.Text(i, 1);
    r.trigger = rows.Text(i, 2);
    r.status = rows.Text(i, 3);
    r.started_at = rows.Time(i, 4);
    r.ended_at = rows.OptionalTime(i, 5);
    r.pages = rows.Int64(i, 6);
    r.records = rows.Int64(i, 7);
    r.duplicates = rows.Int64(i, 8);
    r.errors = rows.Int64(i, 9);
    r.cursor_before = rows.Text(i, 10);
    r.cursor_after = rows.Text(i, 11);
    r.detail = rows.Text(i, 12);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Result<std::vector<SyncRun>> PgStore::ListSyncRuns(const SyncRunFilter& filter) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(std::string(kSyncRunColumns) +
                                 "WHERE ($1 = '' OR source = $1) AND ($2 = 0 OR id < $2)"
                                 " ORDER BY id DESC LIMIT $3",
                             PgParams().Add(filter.source).Add(filter.before_id)
                                 .Add(filter.limit));
  if (!rows.ok()) return rows.error();
  return ReadSyncRuns(*rows);
}

Result<std::vector<SyncRun>> PgStore::ListLatestSyncRuns() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(std::string(kSyncRunColumns) +
                             "WHERE id IN (SELECT MAX(id) FROM sync_runs GROUP BY source)"
                             " ORDER BY source COLLATE \"C\"");
  if (!rows.ok()) return rows.error();
  return ReadSyncRuns(*rows);
}

Result<std::optional<SyncRun>> PgStore::LastSuccessfulSyncRun(std::string_view source) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      std::string(kSyncRunColumns) +
          "WHERE source = $1 AND status = 'succeeded' ORDER BY id DESC LIMIT 1",
      PgParams().Add(source));
  if (!rows.ok()) return rows.error();
  auto runs = ReadSyncRuns(*rows);
  if (runs.empty()) return std::optional<SyncRun>();
  return std::optional<SyncRun>(std::move(runs.front()));
}

Result<std::vector<SyncRunCount>> PgStore::CountSyncRuns() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT source, trigger, status, COUNT(*) FROM sync_runs GROUP BY source, trigger, status"
      " ORDER BY source COLLATE \"C\", trigger COLLATE \"C\", status COLLATE \"C\"");
  if (!rows.ok()) return rows.error();
  std::vector<SyncRunCount> out;
  for (int i = 0; i < rows->rows(); ++i) {
    out.push_back({rows->Text(i, 0), rows->Text(i, 1), rows->Text(i, 2), rows->Int64(i, 3)});
  }
  return out;
}

}  // namespace journeyd::storage
