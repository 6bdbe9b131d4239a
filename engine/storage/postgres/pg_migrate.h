// Brings a PostgreSQL database to the newest schema this binary embeds (PostgresMigrations()),
// one transaction per migration, recorded in schema_migrations as the SQLite store does.
// Several journeyd instances may start against one database at once: each migration runs under
// a transaction-scoped advisory lock, and re-reads the version after taking it, so exactly one
// instance applies each step and the others find it done.
#pragma once

#include <span>

#include "engine/base/result.h"
#include "engine/storage/migration.h"
#include "engine/storage/postgres/pg_connection.h"

namespace journeyd::storage {

// The advisory lock key every journeyd migration takes ("journeyd" in ASCII).
inline constexpr int64_t kPgMigrationLockKey = 0x6a6f75726e657964;

// Applies the pending `migrations` and returns the version now in force. kCorruption when the
// database is newer than the newest of `migrations`. REQUIRES: no transaction open on `conn`.
Result<int> ApplyPgMigrations(PgConnection& conn, std::span<const Migration> migrations);
inline Result<int> MigratePostgres(PgConnection& conn) {
  return ApplyPgMigrations(conn, PostgresMigrations());
}

}  // namespace journeyd::storage
