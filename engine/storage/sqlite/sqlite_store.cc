#include "engine/storage/sqlite/sqlite_store.h"

#include <map>
#include <stdexcept>

#include <boost/json.hpp>

#include "engine/base/compression.h"
#include "engine/storage/mapped_event_order.h"
#include "engine/storage/migration.h"

namespace journeyd::storage {

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::filesystem::path& path,
                                                       std::chrono::milliseconds busy_timeout) {
  auto db = SqliteDb::Open(path, busy_timeout);
  if (!db.ok()) return db.error();
  std::unique_ptr<SqliteStore> store(new SqliteStore());
  SqliteStore* self = store.get();
  // The stages, the HTTP workers and the housekeeping threads: a few more than run at once.
  constexpr size_t kConnections = 12;
  store->pool_ = std::make_unique<SqliteConnectionPool>(
      std::move(*db),
      [path, busy_timeout, self]() -> Result<std::unique_ptr<SqliteDb>> {
        auto more = SqliteDb::Open(path, busy_timeout);
        if (!more.ok()) return more.error();
        // The first connection's 64 MiB page cache serves the big scans (rebuilding the
        // identity graph); the others mostly re-read what the OS has cached anyway.
        if (Status s = (*more)->Exec("PRAGMA cache_size=-16384"); !s.ok()) return s.error();
        self->ReportCommits(**more);
        return more;
      },
      kConnections);
  if (Status s = store->Migrate(); !s.ok()) return s.error();
  auto checkpointer = WalCheckpointer::Start(path);
  if (!checkpointer.ok()) return checkpointer.error();
  store->checkpointer_ = std::move(*checkpointer);
  {
    SqliteConnectionPool::Scope first(*store->pool_);
    store->ReportCommits(first.connection().db());
  }
  auto intake = SqliteDb::Open(path, busy_timeout);
  if (!intake.ok()) return intake.error();
  store->intake_db_ = std::move(*intake);
  store->intake_db_->PollWhenBusy(std::chrono::microseconds(200), busy_timeout);
  store->ReportCommits(*store->intake_db_);
  return store;
}

void SqliteStore::ReportCommits(SqliteDb& db) {
  db.OnWalCommit([checkpointer = checkpointer_.get()](int pages) { checkpointer->OnCommit(pages); });
}

SqliteConnection& SqliteStore::Connection() {
  SqliteConnection* connection = pool_->Current();
  if (connection == nullptr) {
    throw std::logic_error("SqliteStore: the database was used outside a WriteScope/ReadScope");
  }
  return *connection;
}

SqliteDb& SqliteStore::Db() { return Connection().db(); }

Status SqliteStore::Migrate() {
  const WriteScope scope(*this);
  if (Status s = Db().Exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
      !s.ok()) {
    return s;
  }
  auto current = Db().Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!current.ok()) return current.error();
  if (auto row = current->Step(); !row.ok()) return row.error();
  int version = static_cast<int>(current->ColumnInt(0));
  // A statement left mid-read would make a migration's DROP TABLE fail ("table is locked").
  current->Reset();

  const auto migrations = SqliteMigrations();
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  if (version > newest) {
    return Error{ErrorCode::kCorruption,
                 "the database schema is version " + std::to_string(version) +
                     ", newer than this journeyd understands (" + std::to_string(newest) +
                     "); run a newer journeyd or restore a backup taken before the upgrade"};
  }
  for (const Migration& m : migrations) {
    if (m.version <= version) continue;
    // BEGIN IMMEDIATE takes the write lock up front, so two processes starting on one file
    // serialize here instead of both applying the same step.
    if (Status s = Db().Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
    Status applied = Db().Exec(m.sql);
    if (applied.ok()) {
      auto record = Db().Prepare(
          "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?1, ?2, ?3)");
      if (!record.ok()) {
        applied = record.error();
      } else {
        record->Bind(1, int64_t{m.version})
            .Bind(2, m.name)
            .Bind(3, ToMillis(std::chrono::system_clock::now()));
        applied = record->Run();
      }
    }
    if (!applied.ok()) {
      (void)Db().Exec("ROLLBACK");
      return Error{applied.error().code, "migration " + std::to_string(m.version) + " (" +
                                             std::string(m.name) +
                                             ") failed: " + applied.error().message};
    }
    if (Status s = Db().Exec("COMMIT"); !s.ok()) return s;
    version = m.version;
  }
  schema_version_ = version;
  return OkStatus();
}

Status SqliteStore::Ping() {
  const ReadScope scope(*this);
  auto stmt = Db().Prepare("SELECT 1");
  if (!stmt.ok()) return Unavailable(stmt.error().message);
  auto row = stmt->Step();
  if (!row.ok()) return Unavailable(row.error().message);
  return OkStatus();
}

Result<RunRecord> SqliteStore::RecordStart(std::string_view version, TimePoint now) {
  const WriteScope scope(*this);
  RunRecord record;
  auto last = Db().Prepare("SELECT stopped_at IS NULL FROM daemon_runs ORDER BY id DESC LIMIT 1");
  if (!last.ok()) return last.error();
  auto row = last->Step();
  if (!row.ok()) return row.error();
  record.previous_run_unclean = *row && last->ColumnInt(0) != 0;
  // The daemon holds the data dir's lock, so a run still marked running was cut short by a crash
  // or a kill: its committed pages are kept, and it is shown as failed.
  auto interrupted = Db().Prepare(
      "UPDATE sync_runs SET status = 'failed', ended_at = ?1,"
      " detail = CASE WHEN detail = '' THEN '' ELSE detail || ': ' END ||"
      " 'interrupted (journeyd stopped during the run)' WHERE status = 'running'");
  if (!interrupted.ok()) return interrupted.error();
  interrupted->Bind(1, ToMillis(now));
  if (Status s = interrupted->Run(); !s.ok()) return s.error();

  auto insert = Db().Prepare("INSERT INTO daemon_runs(version, started_at) VALUES (?1, ?2)");
  if (!insert.ok()) return insert.error();
  insert->Bind(1, version).Bind(2, ToMillis(now));
  if (Status s = insert->Run(); !s.ok()) return s.error();
  record.run_id = Db().LastInsertRowId();
  return record;
}

Status SqliteStore::RecordStop(int64_t run_id, TimePoint now) {
  const WriteScope scope(*this);
  auto update = Db().Prepare("UPDATE daemon_runs SET stopped_at = ?1 WHERE id = ?2");
  if (!update.ok()) return update.error();
  update->Bind(1, ToMillis(now)).Bind(2, run_id);
  return update->Run();
}

Result<bool> SqliteStore::AcquireLease(std::string_view name, std::string_view holder,
                                       std::chrono::milliseconds ttl) {
  const WriteScope scope(*this);
  const int64_t now = ToMillis(std::chrono::system_clock::now());
  // One statement decides: a free name is inserted; a held one is updated only for its own
  // holder (renewal) or once expired (takeover), and only then does a row come back.
  auto upsert = Db().Prepare(
      "INSERT INTO leases(name, holder, acquired_at, expires_at) VALUES (?1, ?2, ?3, ?4)"
      " ON CONFLICT(name) DO UPDATE SET holder = excluded.holder,"
      " acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at"
      " ELSE excluded.acquired_at END, expires_at = excluded.expires_at"
      " WHERE leases.holder = excluded.holder OR leases.expires_at <= ?3"
      " RETURNING holder");
  if (!upsert.ok()) return upsert.error();
  upsert->Bind(1, name).Bind(2, holder).Bind(3, now).Bind(4, now + ttl.count());
  auto row = upsert->Step();
  if (!row.ok()) return row.error();
  const bool held = *row;
  upsert->Reset();
  return held;
}

Status SqliteStore::ReleaseLease(std::string_view name, std::string_view holder) {
  const WriteScope scope(*this);
  auto remove = Db().Prepare("DELETE FROM leases WHERE name = ?1 AND holder = ?2");
  if (!remove.ok()) return remove.error();
  remove->Bind(1, name).Bind(2, holder);
  return remove->Run();
}

Result<std::vector<LeaseRow>> SqliteStore::ListLeases() {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT name, holder, acquired_at, expires_at FROM leases ORDER BY name");
  if (!rows.ok()) return rows.error();
  std::vector<LeaseRow> out;
  while (true) {
    auto row = rows->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back({rows->ColumnText(0), rows->ColumnText(1),
                   TimePoint(std::chrono::milliseconds(rows->ColumnInt(2))),
                   TimePoint(std::chrono::milliseconds(rows->ColumnInt(3)))});
  }
  return out;
}

Status SqliteStore::PrepareIntakeStatements() {
  auto insert_event = intake_db_->Prepare(
      "INSERT INTO inbox(source, event_type, external_id, received_at, content_type, headers,"
      " body_encoding, body, body_size) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
      " ON CONFLICT(source, external_id) DO NOTHING");
  if (!insert_event.ok()) return insert_event.error();
  // One writer per file: shard 0 only (the shards are for PostgreSQL, migration 0015).
  auto bump_stats = intake_db_->Prepare(
      "INSERT INTO source_stats(source, received, accepted, duplicates, rejected,"
      " signature_failures, last_event_at, shard) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)"
      " ON CONFLICT(source, shard) DO UPDATE SET received = received + excluded.received,"
      " accepted = accepted + excluded.accepted, duplicates = duplicates + excluded.duplicates,"
      " rejected = rejected + excluded.rejected,"
      " signature_failures = signature_failures + excluded.signature_failures,"
      " last_event_at = COALESCE(MAX(last_event_at, excluded.last_event_at),"
      " last_event_at, excluded.last_event_at)");
  if (!bump_stats.ok()) return bump_stats.error();
  auto insert_issue = intake_db_->Prepare(
      "INSERT INTO data_quality_issues(kind, source, message, created_at) VALUES (?1, ?2, ?3, ?4)");
  if (!insert_issue.ok()) return insert_issue.error();
  auto bump_activity = intake_db_->Prepare(
      "INSERT INTO source_activity(source, minute, received, accepted, duplicates, rejected,"
      " signature_failures, shard) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)"
      " ON CONFLICT(source, minute, shard) DO UPDATE SET received = received + excluded.received,"
      " accepted = accepted + excluded.accepted, duplicates = duplicates + excluded.duplicates,"
      " rejected = rejected + excluded.rejected,"
      " signature_failures = signature_failures + excluded.signature_failures");
  if (!bump_activity.ok()) return bump_activity.error();
  auto prune_activity = intake_db_->Prepare("DELETE FROM source_activity WHERE minute < ?1");
  if (!prune_activity.ok()) return prune_activity.error();
  auto upsert_poll_state = intake_db_->Prepare(
      "INSERT INTO poll_state(source, stream, state, updated_at) VALUES (?1, ?2, ?3, ?4)"
      " ON CONFLICT(source, stream) DO UPDATE SET state = excluded.state,"
      " updated_at = excluded.updated_at");
  if (!upsert_poll_state.ok()) return upsert_poll_state.error();
  auto insert_imported_file = intake_db_->Prepare(
      "INSERT INTO imported_files(source, sha256, name, size, rows, imported_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(source, sha256) DO NOTHING");
  if (!insert_imported_file.ok()) return insert_imported_file.error();
  intake_ = std::make_unique<IntakeStatements>(IntakeStatements{
      std::move(*insert_event), std::move(*bump_stats), std::move(*insert_issue),
      std::move(*bump_activity), std::move(*prune_activity), std::move(*upsert_poll_state),
      std::move(*insert_imported_file)});
  return OkStatus();
}

Result<std::vector<AppendResult>> SqliteStore::CommitIntake(const IntakeBatch& batch) {
  std::lock_guard lock(intake_mu_);
  if (!intake_) {
    if (Status s = PrepareIntakeStatements(); !s.ok()) return s.error();
  }
  {
    IntakePriority::Waiting waiting(intake_priority_);
    if (Status s = intake_db_->Exec("BEGIN IMMEDIATE"); !s.ok()) return s.error();
  }
  auto written = WriteIntake(batch);
  if (!written.ok()) {
    (void)intake_db_->Exec("ROLLBACK");
    return written;
  }
  // With synchronous=FULL this COMMIT returns only after the WAL is on disk.
  if (Status s = intake_db_->Exec("COMMIT"); !s.ok()) {
    (void)intake_db_->Exec("ROLLBACK");
    return s.error();
  }
  return written;
}

Result<std::vector<AppendResult>> SqliteStore::WriteIntake(const IntakeBatch& batch) {
  struct Counts {
    int64_t received = 0, accepted = 0, duplicates = 0, rejected = 0, signature_failures = 0;
    int64_t last_event_at = -1;
  };
  std::map<std::string, Counts, std::less<>> counts;
  // The batch's minute for the activity rows: its newest event or refusal (a group commit spans
  // milliseconds, so one minute per batch is exact enough).
  int64_t newest_ms = -1;
  for (const InboxRecord& record : batch.records) {
    newest_ms = std::max(newest_ms, ToMillis(record.event->received_at));
  }
  for (const IntakeRejection& r : batch.rejections) newest_ms = std::max(newest_ms, ToMillis(r.at));
  std::vector<AppendResult> results;
  results.reserve(batch.records.size());

  auto& insert = intake_->insert_event;
  for (const InboxRecord& record : batch.records) {
    const RawEvent& e = *record.event;
    insert.Reset();
    insert.Bind(1, e.source).Bind(2, e.event_type);
    if (e.external_id.empty()) {
      insert.BindNull(3);
    } else {
      insert.Bind(3, e.external_id);
    }
    insert.Bind(4, ToMillis(e.received_at))
        .Bind(5, e.content_type)
        .Bind(6, record.headers)
        .Bind(7, record.zstd ? std::string_view("zstd") : std::string_view("identity"))
        .BindBlob(8, record.stored_body)
        .Bind(9, static_cast<int64_t>(e.body.size()));
    if (Status s = insert.Run(); !s.ok()) return s.error();
    const bool stored = intake_db_->Changes() > 0;
    results.push_back(stored ? AppendResult::kStored : AppendResult::kDuplicate);
    Counts& c = counts[e.source];
    (stored ? c.accepted : c.duplicates) += 1;
    c.last_event_at = std::max(c.last_event_at, ToMillis(e.received_at));
  }
  for (const auto& [source, n] : batch.received) counts[source].received += n;
  for (const PollState& p : batch.poll_states) {
    auto& upsert = intake_->upsert_poll_state;
    upsert.Reset();
    upsert.Bind(1, p.source).Bind(2, p.stream).Bind(3, p.state).Bind(4, ToMillis(p.updated_at));
    if (Status s = upsert.Run(); !s.ok()) return s.error();
  }
  for (const ImportedFile& f : batch.imported_files) {
    auto& insert_file = intake_->insert_imported_file;
    insert_file.Reset();
    insert_file.Bind(1, f.source).Bind(2, f.sha256).Bind(3, f.name).Bind(4, f.size)
        .Bind(5, f.rows).Bind(6, ToMillis(f.imported_at));
    if (Status s = insert_file.Run(); !s.ok()) return s.error();
  }
  auto& issue = intake_->insert_issue;
  for (const IntakeRejection& r : batch.rejections) {
    Counts& c = counts[r.source];
    (r.kind == IntakeRejectionKind::kSignatureFailure ? c.signature_failures : c.rejected) += 1;
    issue.Reset();
    issue.Bind(1, r.issue_kind).Bind(2, r.source).Bind(3, r.message).Bind(4, ToMillis(r.at));
    if (Status s = issue.Run(); !s.ok()) return s.error();
  }
  auto& bump = intake_->bump_stats;
  for (const auto& [source, c] : counts) {
    bump.Reset();
    bump.Bind(1, source)
        .Bind(2, c.received)
        .Bind(3, c.accepted)
        .Bind(4, c.duplicates)
        .Bind(5, c.rejected)
        .Bind(6, c.signature_failures);
    if (c.last_event_at < 0) {
      bump.BindNull(7);
    } else {
      bump.Bind(7, c.last_event_at);
    }
    if (Status s = bump.Run(); !s.ok()) return s.error();
    if (newest_ms < 0) continue;
    auto& activity = intake_->bump_activity;
    activity.Reset();
    activity.Bind(1, source)
        .Bind(2, newest_ms / 60000)
        .Bind(3, c.received)
        .Bind(4, c.accepted)
        .Bind(5, c.duplicates)
        .Bind(6, c.rejected)
        .Bind(7, c.signature_failures);
    if (Status s = activity.Run(); !s.ok()) return s.error();
  }
  // Activity is kept for eight days (the status page shows one); pruned once an hour.
  constexpr int64_t kKeepMinutes = 8 * 24 * 60;
  if (newest_ms >= 0 && newest_ms / 60000 - activity_pruned_minute_ >= 60) {
    activity_pruned_minute_ = newest_ms / 60000;
    auto& prune = intake_->prune_activity;
    prune.Reset();
    prune.Bind(1, activity_pruned_minute_ - kKeepMinutes);
    if (Status s = prune.Run(); !s.ok()) return s.error();
  }
  return results;
}

Result<int64_t> SqliteStore::CountPendingInbox() {
  const ReadScope scope(*this);
  auto count = Db().Prepare("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL");
  if (!count.ok()) return count.error();
  auto row = count->Step();
  if (!row.ok()) return row.error();
  return count->ColumnInt(0);
}

Result<std::vector<SourceStats>> SqliteStore::ListSourceStats() {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      // Over the shards, as PgStore reads them, although a file only ever has shard 0.
      "SELECT source, SUM(received), SUM(accepted), SUM(duplicates), SUM(rejected),"
      " SUM(signature_failures), MAX(last_event_at), SUM(suppressed) FROM source_stats"
      " GROUP BY source ORDER BY source");
  if (!rows.ok()) return rows.error();
  std::vector<SourceStats> out;
  while (true) {
    auto row = rows->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    SourceStats s;
    s.source = rows->ColumnText(0);
    s.received = rows->ColumnInt(1);
    s.accepted = rows->ColumnInt(2);
    s.duplicates = rows->ColumnInt(3);
    s.rejected = rows->ColumnInt(4);
    s.signature_failures = rows->ColumnInt(5);
    if (!rows->ColumnIsNull(6)) {
      s.last_event_at = TimePoint(std::chrono::milliseconds(rows->ColumnInt(6)));
    }
    s.suppressed = rows->ColumnInt(7);
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

constexpr std::string_view kInboxColumns =
    "SELECT id, source, event_type, COALESCE(external_id, ''), received_at, content_type,"
    " headers, body_encoding, body FROM inbox ";

// Rows selected with kInboxColumns, bodies decompressed.
Result<std::vector<StoredInboxEvent>> ReadInboxRows(SqliteStatement& rows) {
  std::vector<StoredInboxEvent> out;
  while (true) {
    auto row = rows.Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    StoredInboxEvent stored;
    stored.id = rows.ColumnInt(0);
    RawEvent& e = stored.event;
    e.source = rows.ColumnText(1);
    e.event_type = rows.ColumnText(2);
    e.external_id = rows.ColumnText(3);
    e.received_at = TimePoint(std::chrono::milliseconds(rows.ColumnInt(4)));
    e.content_type = rows.ColumnText(5);
    boost::system::error_code ec;
    auto headers = boost::json::parse(rows.ColumnText(6), ec);
    if (ec || !headers.is_array()) return Corruption("inbox row has malformed headers");
    for (const auto& pair : headers.as_array()) {
      const auto* p = pair.if_array();
      if (!p || p->size() != 2 || !(*p)[0].is_string() || !(*p)[1].is_string()) {
        return Corruption("inbox row has malformed headers");
      }
      e.headers.emplace_back(std::string((*p)[0].get_string()), std::string((*p)[1].get_string()));
    }
    if (rows.ColumnText(7) == "zstd") {
      auto body = ZstdDecompress(rows.ColumnBlob(8));
      if (!body.ok()) return body.error();
      e.body = std::move(*body);
    } else {
      e.body = rows.ColumnBlob(8);
    }
    out.push_back(std::move(stored));
  }
  return out;
}

}  // namespace

Result<std::vector<StoredInboxEvent>> SqliteStore::ReadInbox(int64_t after_id, int limit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(std::string(kInboxColumns) + "WHERE id > ?1 ORDER BY id LIMIT ?2");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, after_id).Bind(2, int64_t{limit});
  return ReadInboxRows(*rows);
}

Result<std::vector<StoredInboxEvent>> SqliteStore::ReadPendingInbox(int limit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(std::string(kInboxColumns) +
                           "WHERE processed_at IS NULL ORDER BY id LIMIT ?1");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, int64_t{limit});
  return ReadInboxRows(*rows);
}

Result<int> SqliteStore::MapPendingInbox(int limit, const InboxMapper& map) {
  // The data dir lock leaves this process the only writer: turns exclude each other here, and
  // mu_ stays free while `map` runs for the intake and readers.
  std::lock_guard turn(map_mu_);
  auto pending = ReadPendingInbox(limit);
  if (!pending.ok()) return pending.error();
  if (pending->empty()) return 0;
  MappedBatch batch;
  if (Status s = map(*pending, batch); !s.ok()) return s.error();
  if (Status s = CommitMapped(batch); !s.ok()) return s.error();
  return static_cast<int>(pending->size());
}

Status SqliteStore::CommitMapped(const MappedBatch& batch) {
  const WriteScope scope(*this);
  auto insert_record = Db().Prepare(
      "INSERT INTO records(inbox_id, source, event_type, occurred_at, record, external_id)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(inbox_id) DO NOTHING");
  if (!insert_record.ok()) return insert_record.error();
  auto insert_issue = Db().Prepare(
      "INSERT INTO data_quality_issues(kind, source, message, inbox_id, created_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert_issue.ok()) return insert_issue.error();
  auto mark = Db().Prepare("UPDATE inbox SET processed_at = ?2 WHERE id = ?1");
  if (!mark.ok()) return mark.error();
  auto quarantine = Db().Prepare(
      "INSERT INTO quarantine(inbox_id, source, event_type, external_id, reasons, record,"
      " created_at) VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(?6, ''), ?7)");
  if (!quarantine.ok()) return quarantine.error();
  auto quarantine_rule = Db().Prepare(
      "INSERT OR IGNORE INTO quarantine_rules(quarantine_id, rule) VALUES (?1, ?2)");
  if (!quarantine_rule.ok()) return quarantine_rule.error();
  // An erased person's event keeps nothing of them: the payload and headers are blanked.
  auto blank = Db().Prepare(
      "UPDATE inbox SET body = x'', body_size = 0, body_encoding = 'identity', headers = '[]'"
      " WHERE id = ?1");
  if (!blank.ok()) return blank.error();
  auto count_suppressed = Db().Prepare(
      "INSERT INTO source_stats(source, suppressed, shard) VALUES (?1, 1, 0)"
      " ON CONFLICT(source, shard) DO UPDATE SET suppressed = suppressed + 1");
  if (!count_suppressed.ok()) return count_suppressed.error();
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          batch.at.time_since_epoch()).count();

  // The batch is written event by event (its records, issues, quarantine and suppression, then
  // its inbox mark), so that it can be committed in parts between events when the intake waits
  // for the write lock (IntakePriority): each event's rows still commit together, so a crash
  // leaves every event either mapped in full or pending.
  const MappedEventOrder order(batch);
  const auto write_event = [&](size_t event) -> Status {
    for (size_t i : order.records(event)) {
      const auto& r = batch.records[i];
      insert_record->Bind(1, r.inbox_id).Bind(2, r.source).Bind(3, r.event_type)
          .Bind(4, static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            r.occurred_at.time_since_epoch()).count()))
          .Bind(5, r.json).Bind(6, r.external_id);
      if (Status s = RunReset(*insert_record); !s.ok()) return s;
    }
    for (size_t i : order.issues(event)) {
      const auto& issue = batch.issues[i];
      insert_issue->Bind(1, issue.kind).Bind(2, issue.source).Bind(3, issue.message)
          .Bind(4, issue.inbox_id).Bind(5, now);
      if (Status s = RunReset(*insert_issue); !s.ok()) return s;
    }
    for (size_t i : order.quarantined(event)) {
      const auto& q = batch.quarantined[i];
      quarantine->Bind(1, q.inbox_id).Bind(2, q.source).Bind(3, q.event_type)
          .Bind(4, q.external_id).Bind(5, q.reasons_json).Bind(6, q.record_json).Bind(7, now);
      if (Status s = RunReset(*quarantine); !s.ok()) return s;
      const int64_t id = Db().LastInsertRowId();
      for (const std::string& rule : q.rules) {
        quarantine_rule->Bind(1, id).Bind(2, rule);
        if (Status s = RunReset(*quarantine_rule); !s.ok()) return s;
      }
    }
    for (size_t i : order.suppressed(event)) {
      const auto& suppressed = batch.suppressed[i];
      blank->Bind(1, suppressed.inbox_id);
      if (Status s = RunReset(*blank); !s.ok()) return s;
      count_suppressed->Bind(1, suppressed.source);
      if (Status s = RunReset(*count_suppressed); !s.ok()) return s;
    }
    if (event < batch.processed.size()) {
      mark->Bind(1, batch.processed[event]).Bind(2, now);
      if (Status s = RunReset(*mark); !s.ok()) return s;
    }
    return OkStatus();
  };
  const auto commit = [&]() -> Status {
    if (Status s = Db().Exec("COMMIT"); !s.ok()) {
      (void)Db().Exec("ROLLBACK");
      return s;
    }
    return OkStatus();
  };
  if (Status s = Db().Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto began = std::chrono::steady_clock::now();
  for (size_t event = 0; event < order.events(); ++event) {
    if (Status s = write_event(event); !s.ok()) {
      (void)Db().Exec("ROLLBACK");
      return s;
    }
    if (event + 1 < order.events() && intake_priority_.ShouldYield(began)) {
      const uint64_t ticket = intake_priority_.Ticket();
      if (Status s = commit(); !s.ok()) return s;
      intake_priority_.AwaitIntakeTurn(ticket);
      if (Status s = Db().Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
      began = std::chrono::steady_clock::now();
    }
  }
  return commit();
}

Result<std::vector<StoredRecord>> SqliteStore::ReadRecords(int64_t after_id, int limit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT id, inbox_id, source, event_type, record FROM records WHERE id > ?1"
      " ORDER BY id LIMIT ?2");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, after_id).Bind(2, int64_t{limit});
  std::vector<StoredRecord> out;
  while (true) {
    auto row = rows->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back({rows->ColumnInt(0), rows->ColumnInt(1), rows->ColumnText(2),
                   rows->ColumnText(3), rows->ColumnText(4)});
  }
  return out;
}

Result<std::vector<DataQualityIssue>> SqliteStore::ListIssues(const IssueFilter& filter) {
  const ReadScope scope(*this);
  // Empty filter values match everything, so one prepared statement serves every combination.
  auto rows = Db().Prepare(
      "SELECT id, kind, source, message, created_at, COALESCE(inbox_id, 0) FROM data_quality_issues"
      " WHERE (?1 = '' OR kind = ?1) AND (?2 = '' OR source = ?2) AND (?3 = 0 OR id < ?3)"
      " ORDER BY id DESC LIMIT ?4");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, filter.kind).Bind(2, filter.source).Bind(3, filter.before_id)
      .Bind(4, int64_t{filter.limit});
  std::vector<DataQualityIssue> out;
  while (true) {
    auto row = rows->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back({rows->ColumnInt(0), rows->ColumnText(1), rows->ColumnText(2),
                   rows->ColumnText(3), TimePoint(std::chrono::milliseconds(rows->ColumnInt(4))),
                   rows->ColumnInt(5)});
  }
  return out;
}

Result<std::vector<IssueCount>> SqliteStore::CountIssues(const IssueFilter& filter) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT kind, source, COUNT(*), MAX(created_at) FROM data_quality_issues"
      " WHERE (?1 = '' OR kind = ?1) AND (?2 = '' OR source = ?2)"
      " GROUP BY kind, source ORDER BY kind, source");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, filter.kind).Bind(2, filter.source);
  std::vector<IssueCount> out;
  while (true) {
    auto row = rows->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back({rows->ColumnText(0), rows->ColumnText(1), rows->ColumnInt(2),
                   TimePoint(std::chrono::milliseconds(rows->ColumnInt(3)))});
  }
  return out;
}

Result<std::vector<SourceActivity>> SqliteStore::ReadSourceActivity(TimePoint since) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT source, minute, SUM(received), SUM(accepted), SUM(duplicates), SUM(rejected),"
      " SUM(signature_failures) FROM source_activity WHERE minute >= ?1 GROUP BY source, minute"
      " ORDER BY source, minute");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, ToMillis(since) / 60000);
  std::vector<SourceActivity> out;
  while (true) {
    auto row = rows->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    SourceActivity a;
    a.source = rows->ColumnText(0);
    a.minute = TimePoint(std::chrono::minutes(rows->ColumnInt(1)));
    a.received = rows->ColumnInt(2);
    a.accepted = rows->ColumnInt(3);
    a.duplicates = rows->ColumnInt(4);
    a.rejected = rows->ColumnInt(5);
    a.signature_failures = rows->ColumnInt(6);
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::vector<IssueTrendRow>> SqliteStore::ReadIssueTrend(TimePoint since) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT kind, source, created_at / 3600000 AS hour, COUNT(*) FROM data_quality_issues"
      " WHERE created_at >= ?1 GROUP BY kind, source, hour ORDER BY hour, kind, source");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, ToMillis(since));
  std::vector<IssueTrendRow> out;
  while (true) {
    auto row = rows->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back({rows->ColumnText(0), rows->ColumnText(1),
                   TimePoint(std::chrono::hours(rows->ColumnInt(2))), rows->ColumnInt(3)});
  }
  return out;
}

Result<OpenWorkCounts> SqliteStore::CountOpenWork() {
  const WriteScope scope(*this);
  OpenWorkCounts out;
  auto totals = Db().Prepare(
      "SELECT (SELECT COUNT(*) FROM quarantine WHERE status = 'quarantined'),"
      " (SELECT COUNT(*) FROM reviews WHERE status = 'open'),"
      " (SELECT COUNT(*) FROM dead_letters WHERE status = 'dead')");
  if (!totals.ok()) return totals.error();
  if (auto row = totals->Step(); !row.ok()) return row.error();
  out.quarantined = totals->ColumnInt(0);
  out.reviews_open = totals->ColumnInt(1);
  out.dead_letters = totals->ColumnInt(2);
  auto rules = Db().Prepare(
      "SELECT r.rule, COUNT(*) FROM quarantine_rules r JOIN quarantine q ON q.id = r.quarantine_id"
      " WHERE q.status = 'quarantined' GROUP BY r.rule ORDER BY r.rule");
  if (!rules.ok()) return rules.error();
  while (true) {
    auto row = rules->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.quarantined_by_rule.emplace_back(rules->ColumnText(0), rules->ColumnInt(1));
  }
  return out;
}

Result<std::optional<PollState>> SqliteStore::ReadPollState(std::string_view source,
                                                             std::string_view stream) {
  const ReadScope scope(*this);
  auto select = Db().Prepare(
      "SELECT state, updated_at FROM poll_state WHERE source = ?1 AND stream = ?2");
  if (!select.ok()) return select.error();
  select->Bind(1, source).Bind(2, stream);
  auto row = select->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<PollState>();
  return std::optional<PollState>(PollState{std::string(source), std::string(stream),
                                            select->ColumnText(0),
                                            FromMillis(select->ColumnInt(1))});
}

Result<std::vector<PollState>> SqliteStore::ListPollStates() {
  const ReadScope scope(*this);
  auto select = Db().Prepare(
      "SELECT source, stream, state, updated_at FROM poll_state ORDER BY source, stream");
  if (!select.ok()) return select.error();
  std::vector<PollState> out;
  while (true) {
    auto row = select->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back({select->ColumnText(0), select->ColumnText(1), select->ColumnText(2),
                   FromMillis(select->ColumnInt(3))});
  }
  return out;
}

Status SqliteStore::ResetPollState(std::string_view source, std::string_view stream) {
  // Through the intake connection and its lock, so a reset never interleaves with a page's
  // commit of the same stream.
  std::lock_guard lock(intake_mu_);
  auto erase = intake_db_->Prepare(
      "DELETE FROM poll_state WHERE source = ?1 AND (?2 = '' OR stream = ?2)");
  if (!erase.ok()) return erase.error();
  erase->Bind(1, source).Bind(2, stream);
  return erase->Run();
}

Result<std::optional<ImportedFile>> SqliteStore::FindImportedFile(std::string_view source,
                                                                  std::string_view sha256) {
  const ReadScope scope(*this);
  auto select = Db().Prepare(
      "SELECT name, size, rows, imported_at FROM imported_files"
      " WHERE source = ?1 AND sha256 = ?2");
  if (!select.ok()) return select.error();
  select->Bind(1, source).Bind(2, sha256);
  auto row = select->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<ImportedFile>();
  return std::optional<ImportedFile>(ImportedFile{
      std::string(source), std::string(sha256), select->ColumnText(0), select->ColumnInt(1),
      select->ColumnInt(2), FromMillis(select->ColumnInt(3))});
}

Result<int64_t> SqliteStore::StartSyncRun(const SyncRun& run) {
  const WriteScope scope(*this);
  auto insert = Db().Prepare(
      "INSERT INTO sync_runs(source, trigger, status, started_at, cursor_before, detail)"
      " VALUES (?1, ?2, 'running', ?3, ?4, ?5)");
  if (!insert.ok()) return insert.error();
  insert->Bind(1, run.source).Bind(2, run.trigger).Bind(3, ToMillis(run.started_at))
      .Bind(4, run.cursor_before).Bind(5, run.detail);
  if (Status s = insert->Run(); !s.ok()) return s.error();
  return Db().LastInsertRowId();
}

Result<int64_t> SqliteStore::InterruptSyncRuns(std::string_view source, TimePoint now) {
  const WriteScope scope(*this);
  auto update = Db().Prepare(
      "UPDATE sync_runs SET status = 'failed', ended_at = ?2,"
      " detail = CASE WHEN detail = '' THEN '' ELSE detail || ': ' END ||"
      " 'interrupted (the instance running it stopped)'"
      " WHERE source = ?1 AND status = 'running' AND trigger <> 'import'");
  if (!update.ok()) return update.error();
  update->Bind(1, source).Bind(2, ToMillis(now));
  if (Status s = update->Run(); !s.ok()) return s.error();
  return static_cast<int64_t>(Db().Changes());
}

Status SqliteStore::FinishSyncRun(const SyncRun& run) {
  const WriteScope scope(*this);
  auto update = Db().Prepare(
      "UPDATE sync_runs SET status = ?2, ended_at = ?3, pages = ?4, records = ?5,"
      " duplicates = ?6, errors = ?7, cursor_after = ?8, detail = ?9 WHERE id = ?1");
  if (!update.ok()) return update.error();
  update->Bind(1, run.id).Bind(2, run.status);
  BindOptionalTime(*update, 3, run.ended_at);
  update->Bind(4, run.pages).Bind(5, run.records).Bind(6, run.duplicates).Bind(7, run.errors)
      .Bind(8, run.cursor_after).Bind(9, run.detail);
  if (Status s = update->Run(); !s.ok()) return s;
  if (Db().Changes() == 0) return NotFound("no sync run " + std::to_string(run.id));
  return OkStatus();
}

namespace {

constexpr std::string_view kSyncRunColumns =
    "SELECT id, source, trigger, status, started_at, ended_at, pages, records, duplicates,"
    " errors, cursor_before, cursor_after, detail FROM sync_runs ";

Result<std::vector<SyncRun>> ReadSyncRuns(SqliteStatement& rows) {
  std::vector<SyncRun> out;
  while (true) {
    auto row = rows.Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    SyncRun r;
    r.id = rows.ColumnInt(0);
    r.source = rows.ColumnText(1);
    r.trigger = rows.ColumnText(2);
    r.status = rows.ColumnText(3);
    r.started_at = TimePoint(std::chrono::milliseconds(rows.ColumnInt(4)));
    r.ended_at = OptionalTime(rows, 5);
    r.pages = rows.ColumnInt(6);
    r.records = rows.ColumnInt(7);
    r.duplicates = rows.ColumnInt(8);
    r.errors = rows.ColumnInt(9);
    r.cursor_before = rows.ColumnText(10);
    r.cursor_after = rows.ColumnText(11);
    r.detail = rows.ColumnText(12);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Result<std::vector<SyncRun>> SqliteStore::ListSyncRuns(const SyncRunFilter& filter) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(std::string(kSyncRunColumns) +
                           "WHERE (?1 = '' OR source = ?1) AND (?2 = 0 OR id < ?2)"
                           " ORDER BY id DESC LIMIT ?3");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, filter.source).Bind(2, filter.before_id).Bind(3, int64_t{filter.limit});
  return ReadSyncRuns(*rows);
}

Result<std::vector<SyncRun>> SqliteStore::ListLatestSyncRuns() {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(std::string(kSyncRunColumns) +
                           "WHERE id IN (SELECT MAX(id) FROM sync_runs GROUP BY source)"
                           " ORDER BY source");
  if (!rows.ok()) return rows.error();
  return ReadSyncRuns(*rows);
}

Result<std::optional<SyncRun>> SqliteStore::LastSuccessfulSyncRun(std::string_view source) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(std::string(kSyncRunColumns) +
                           "WHERE source = ?1 AND status = 'succeeded' ORDER BY id DESC LIMIT 1");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, source);
  auto runs = ReadSyncRuns(*rows);
  if (!runs.ok()) return runs.error();
  if (runs->empty()) return std::optional<SyncRun>();
  return std::optional<SyncRun>(std::move(runs->front()));
}

Result<std::vector<SyncRunCount>> SqliteStore::CountSyncRuns() {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT source, trigger, status, COUNT(*) FROM sync_runs"
      " GROUP BY source, trigger, status ORDER BY source, trigger, status");
  if (!rows.ok()) return rows.error();
  std::vector<SyncRunCount> out;
  while (true) {
    auto row = rows->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back({rows->ColumnText(0), rows->ColumnText(1), rows->ColumnText(2),
                   rows->ColumnInt(3)});
  }
  return out;
}

}  // namespace journeyd::storage
