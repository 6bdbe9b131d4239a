#include "engine/storage/sqlite/sqlite_store.h"

#include "engine/storage/migration.h"

namespace journeyd::storage {

namespace {

int64_t ToMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::filesystem::path& path,
                                                       std::chrono::milliseconds busy_timeout) {
  auto db = SqliteDb::Open(path, busy_timeout);
  if (!db.ok()) return db.error();
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(*db)));
  if (Status s = store->Migrate(); !s.ok()) return s.error();
  return store;
}

Status SqliteStore::Migrate() {
  std::lock_guard lock(mu_);
  if (Status s = db_->Exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
      !s.ok()) {
    return s;
  }
  auto current = db_->Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!current.ok()) return current.error();
  if (auto row = current->Step(); !row.ok()) return row.error();
  int version = static_cast<int>(current->ColumnInt(0));

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
    if (Status s = db_->Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
    Status applied = db_->Exec(m.sql);
    if (applied.ok()) {
      auto record = db_->Prepare(
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
      (void)db_->Exec("ROLLBACK");
      return Error{applied.error().code, "migration " + std::to_string(m.version) + " (" +
                                             std::string(m.name) +
                                             ") failed: " + applied.error().message};
    }
    if (Status s = db_->Exec("COMMIT"); !s.ok()) return s;
    version = m.version;
  }
  schema_version_ = version;
  return OkStatus();
}

Status SqliteStore::Ping() {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare("SELECT 1");
  if (!stmt.ok()) return Unavailable(stmt.error().message);
  auto row = stmt->Step();
  if (!row.ok()) return Unavailable(row.error().message);
  return OkStatus();
}

Result<RunRecord> SqliteStore::RecordStart(std::string_view version, TimePoint now) {
  std::lock_guard lock(mu_);
  RunRecord record;
  auto last = db_->Prepare("SELECT stopped_at IS NULL FROM daemon_runs ORDER BY id DESC LIMIT 1");
  if (!last.ok()) return last.error();
  auto row = last->Step();
  if (!row.ok()) return row.error();
  record.previous_run_unclean = *row && last->ColumnInt(0) != 0;

  auto insert = db_->Prepare("INSERT INTO daemon_runs(version, started_at) VALUES (?1, ?2)");
  if (!insert.ok()) return insert.error();
  insert->Bind(1, version).Bind(2, ToMillis(now));
  if (Status s = insert->Run(); !s.ok()) return s.error();
  record.run_id = db_->LastInsertRowId();
  return record;
}

Status SqliteStore::RecordStop(int64_t run_id, TimePoint now) {
  std::lock_guard lock(mu_);
  auto update = db_->Prepare("UPDATE daemon_runs SET stopped_at = ?1 WHERE id = ?2");
  if (!update.ok()) return update.error();
  update->Bind(1, ToMillis(now)).Bind(2, run_id);
  return update->Run();
}

}  // namespace journeyd::storage
