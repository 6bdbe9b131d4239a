// Moves an installation from SQLite to PostgreSQL (`journeyd migrate`): every journeyd table of
// a stopped SQLite database, read in one snapshot, copied into an empty PostgreSQL database in
// one transaction, so the target ends up with all of it or nothing. Tables, columns and their
// order come from the two catalogs, never from a list kept here: a table a later migration adds
// is copied with no change to this file, and one the two schemas disagree on stops the copy.
// Not thread-safe; one copy at a time per target (the copy locks the target's tables).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"

namespace journeyd::storage {

class PgConnection;
class SqliteDb;

// One column as a catalog describes it.
struct ColumnShape {
  std::string name;
  std::string type;       // SQLite: the declared type ("INTEGER"); PostgreSQL: data_type ("bigint")
  bool not_null = false;  // SQLite: NOT NULL or part of the primary key
  bool identity = false;  // PostgreSQL: an identity column (its sequence moves past the copy)
};

struct TableShape {
  std::string name;
  std::vector<ColumnShape> columns;  // in declaration order
};

// journeyd's tables, by name: every table but SQLite's own (sqlite_*) and schema_migrations,
// which each backend keeps for itself.
Result<std::vector<TableShape>> ReadSqliteTables(SqliteDb& db);
// The same for the PostgreSQL connection's current schema.
Result<std::vector<TableShape>> ReadPgTables(PgConnection& conn);

// OK when both schemas hold the same tables with the same columns (by name, in any order), of
// corresponding types (INTEGER: bigint, integer, smallint or boolean; REAL: double precision or
// real; TEXT: text or varchar; BLOB: bytea) and the same nullability. Otherwise kCorruption
// naming the first table or column that differs: the schemas drifted apart.
Status CompareSchemas(const std::vector<TableShape>& sqlite, const std::vector<TableShape>& pg);

struct TableCopy {
  std::string table;
  int64_t rows = 0;     // copied, and counted again in the target
  std::string skipped;  // why the table was not copied (instance-local state); "" when it was
};

struct SqliteToPostgresReport {
  std::string target;  // the PostgreSQL database, described without its password
  int schema_version = 0;
  std::vector<TableCopy> tables;  // in copy order (foreign keys first), skipped ones included
  int64_t total_rows = 0;
  // Sync runs the SQLite instance left "running" (cut short when it stopped), now failed.
  int64_t interrupted_sync_runs = 0;
  std::chrono::milliseconds elapsed{0};
};

struct SqliteToPostgresOptions {
  int batch_rows = 1000;                // rows per INSERT...
  size_t batch_bytes = size_t{8} << 20;  // ...or fewer, once their values hold this many bytes
  // Called after each batch with the rows of `table` copied so far and the rows it holds. Optional.
  std::function<void(std::string_view table, int64_t copied, int64_t total)> progress;
};

// Copies the SQLite database at `sqlite_path` into the PostgreSQL database `pg_url`, after
// bringing the target's schema to this binary's (MigratePostgres). REQUIRES: nothing writes the
// SQLite file meanwhile (the caller holds its data dir's lock), or writes after the snapshot are
// left behind. Errors, none of which leaves rows in the target:
//   kInvalidArgument  the file is missing, not journeyd's, or of another schema version than
//                     this binary's (older: start this journeyd once on it first)
//   kConflict         a journeyd table of the target holds rows, or another session holds them
//   kCorruption       the schemas differ, or a value does not fit its PostgreSQL column (one
//                     PostgreSQL itself refuses keeps the code of its refusal)
//   kUnavailable      either database cannot be reached or read
Result<SqliteToPostgresReport> CopySqliteToPostgres(const std::filesystem::path& sqlite_path,
                                                   const std::string& pg_url,
                                                   const SqliteToPostgresOptions& options = {});

}  // namespace journeyd::storage
