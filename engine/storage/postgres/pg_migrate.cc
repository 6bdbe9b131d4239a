#include "engine/storage/postgres/pg_migrate.h"

#include <chrono>
#include <string>

#include "engine/storage/postgres/pg_transaction.h"

namespace journeyd::storage {

namespace {

struct Step {
  int version = 0;       // in force after this step
  bool applied = false;  // a migration ran
};

// One transaction: takes the lock, reads the version, applies the next pending migration.
Result<Step> ApplyNext(PgConnection& conn, std::span<const Migration> migrations) {
  auto tx = PgTransaction::Begin(conn);
  if (!tx.ok()) return tx.error();
  // Held until this transaction ends; a second instance waits here, then reads the version
  // the first one committed.
  if (auto lock = conn.Query("SELECT pg_advisory_xact_lock($1)",
                             PgParams().Add(kPgMigrationLockKey));
      !lock.ok()) {
    return lock.error();
  }
  // Under the lock too: two concurrent CREATE TABLE IF NOT EXISTS can both try to create it.
  if (Status s = conn.Exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
      !s.ok()) {
    return s.error();
  }
  auto current = conn.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!current.ok()) return current.error();
  const int version = static_cast<int>(current->Int64(0, 0));
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  if (version > newest) {
    return Error{ErrorCode::kCorruption,
                 "the database schema is version " + std::to_string(version) +
                     ", newer than this journeyd understands (" + std::to_string(newest) +
                     "); run a newer journeyd or restore a backup taken before the upgrade"};
  }
  for (const Migration& m : migrations) {
    if (m.version <= version) continue;
    Status applied = conn.Exec(m.sql);
    if (applied.ok()) {
      const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      auto record = conn.Query(
          "INSERT INTO schema_migrations(version, name, applied_at) VALUES ($1, $2, $3)",
          PgParams().Add(int64_t{m.version}).Add(m.name).Add(now));
      if (!record.ok()) applied = record.error();
    }
    if (!applied.ok()) {
      return Error{applied.error().code, "migration " + std::to_string(m.version) + " (" +
                                             std::string(m.name) +
                                             ") failed: " + applied.error().message};
    }
    if (Status s = tx->Commit(); !s.ok()) return s.error();
    return Step{m.version, true};
  }
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return Step{version, false};
}

}  // namespace

Result<int> ApplyPgMigrations(PgConnection& conn, std::span<const Migration> migrations) {
  while (true) {
    auto step = ApplyNext(conn, migrations);
    if (!step.ok()) return step.error();
    if (!step->applied) return step->version;
  }
}

}  // namespace journeyd::storage
