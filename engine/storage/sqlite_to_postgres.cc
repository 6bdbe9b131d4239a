#include "engine/storage/sqlite_to_postgres.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "engine/storage/migration.h"
#include "engine/storage/postgres/pg_array.h"
#include "engine/storage/postgres/pg_connection.h"
#include "engine/storage/postgres/pg_migrate.h"
#include "engine/storage/postgres/pg_transaction.h"
#include "engine/storage/sqlite/sqlite_db.h"

namespace journeyd::storage {

namespace {

// What is not copied, and why. A table holds instance-local state when its rows describe the
// processes running now rather than the data:
//   leases            who runs which stage now. The SQLite instance is stopped and holds nothing;
//                     rows a crash left behind would only make the first PostgreSQL instance wait
//                     for them to expire.
// Other state that looks instance-local but is copied on purpose:
//   daemon_runs       history. An unclean last run is reported by the first PostgreSQL start,
//                     which is true: the SQLite instance did not stop cleanly.
//   delivery_in_flight  requests whose answer was never committed: the CRM may hold them, and
//                     the next instance must look them up before sending them again.
//   sync_runs         copied, but runs still "running" are ended as failed (see
//                     EndInterruptedSyncRuns): nothing runs them any more.
//   stage and delivery cursors, journey_dirty, identity_actions: where each stage stands, so
//                     that PostgreSQL resumes exactly where SQLite stopped.
// WAL checkpointing state lives in the SQLite file and process, not in tables; schema_migrations
// is each backend's own record (PostgreSQL's is written by MigratePostgres).
struct SkippedTable {
  std::string_view table;
  std::string_view why;
};
constexpr SkippedTable kInstanceLocal[] = {
    {"leases", "instance-local: which instance runs what (the SQLite instance is stopped)"}};

std::string_view SkipReason(std::string_view table) {
  for (const SkippedTable& s : kInstanceLocal) {
    if (s.table == table) return s.why;
  }
  return {};
}

// Table and column names come from the catalogs; quoted, any name is a name and never SQL.
std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// How a value travels: what a SQLite storage class must be to fit the PostgreSQL column.
enum class Kind { kInteger, kBoolean, kReal, kText, kBytes };

struct PgType {
  std::string_view data_type;   // information_schema.columns.data_type
  std::string_view array_cast;  // the parameter's cast in the INSERT
  Kind kind;
};
constexpr PgType kPgTypes[] = {
    {"bigint", "bigint[]", Kind::kInteger},
    {"integer", "integer[]", Kind::kInteger},
    {"smallint", "smallint[]", Kind::kInteger},
    {"boolean", "boolean[]", Kind::kBoolean},
    {"double precision", "double precision[]", Kind::kReal},
    {"real", "real[]", Kind::kReal},
    {"text", "text[]", Kind::kText},
    {"character varying", "varchar[]", Kind::kText},
    {"bytea", "bytea[]", Kind::kBytes},
};

const PgType* FindPgType(std::string_view data_type) {
  for (const PgType& t : kPgTypes) {
    if (t.data_type == data_type) return &t;
  }
  return nullptr;
}

enum class Affinity { kInteger, kText, kBlob, kReal, kNumeric };

// SQLite's rules for a declared type (https://sqlite.org/datatype3.html, 3.1), in their order.
Affinity SqliteAffinity(std::string declared) {
  for (char& c : declared) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto has = [&](std::string_view part) { return declared.find(part) != std::string::npos; };
  if (has("INT")) return Affinity::kInteger;
  if (has("CHAR") || has("CLOB") || has("TEXT")) return Affinity::kText;
  if (has("BLOB") || declared.empty()) return Affinity::kBlob;
  if (has("REAL") || has("FLOA") || has("DOUB")) return Affinity::kReal;
  return Affinity::kNumeric;
}

bool Corresponds(Affinity affinity, Kind kind) {
  switch (affinity) {
    case Affinity::kInteger:
      return kind == Kind::kInteger || kind == Kind::kBoolean;
    case Affinity::kReal:
      return kind == Kind::kReal;
    case Affinity::kText:
      return kind == Kind::kText;
    case Affinity::kBlob:
      return kind == Kind::kBytes;
    case Affinity::kNumeric:
      return false;
  }
  return false;
}

std::string_view StorageClassName(int type) {
  switch (type) {
    case SQLITE_INTEGER:
      return "an integer";
    case SQLITE_FLOAT:
      return "a real";
    case SQLITE_TEXT:
      return "text";
    case SQLITE_BLOB:
      return "a blob";
    default:
      return "NULL";
  }
}

struct ColumnPlan {
  std::string name;
  const PgType* type = nullptr;
};

// Appends the value of column `index` of the row at hand to `array` as `kind` wants it, adding
// its size to `bytes`. The problem when the value does not fit, without the value itself (it
// may be personal data).
std::optional<std::string> AppendValue(const SqliteStatement& row, int index, Kind kind,
                                       PgArray& array, size_t& bytes) {
  const int type = row.ColumnType(index);
  if (type == SQLITE_NULL) {
    array.AddNull();
    return std::nullopt;
  }
  auto wrong = [&](std::string_view wanted) {
    return "holds " + std::string(StorageClassName(type)) + ", not " + std::string(wanted);
  };
  switch (kind) {
    case Kind::kInteger:
      if (type != SQLITE_INTEGER) return wrong("an integer");
      array.Add(row.ColumnInt(index));
      bytes += 8;
      return std::nullopt;
    case Kind::kBoolean: {
      if (type != SQLITE_INTEGER) return wrong("a boolean (0 or 1)");
      const int64_t v = row.ColumnInt(index);
      if (v != 0 && v != 1) return std::string("holds an integer other than 0 or 1 (a boolean)");
      array.Add(std::string_view(v != 0 ? "t" : "f"));
      bytes += 1;
      return std::nullopt;
    }
    case Kind::kReal:
      // An integer in a REAL column is how SQLite stores a whole number there.
      if (type == SQLITE_FLOAT) {
        array.AddDouble(row.ColumnDouble(index));
      } else if (type == SQLITE_INTEGER) {
        array.AddDouble(static_cast<double>(row.ColumnInt(index)));
      } else {
        return wrong("a number");
      }
      bytes += 8;
      return std::nullopt;
    case Kind::kText: {
      if (type != SQLITE_TEXT && type != SQLITE_BLOB) return wrong("text");
      // The bytes as stored: PostgreSQL checks that they are UTF-8.
      const std::string text = row.ColumnBlob(index);
      if (std::memchr(text.data(), '\0', text.size()) != nullptr) {
        return std::string("holds a NUL character, which PostgreSQL text cannot store");
      }
      array.Add(std::string_view(text));
      bytes += text.size();
      return std::nullopt;
    }
    case Kind::kBytes: {
      if (type != SQLITE_BLOB && type != SQLITE_TEXT) return wrong("bytes");
      // bytea's hex input form, inside the array literal.
      static constexpr char kHex[] = "0123456789abcdef";
      const std::string blob = row.ColumnBlob(index);
      std::string hex;
      hex.reserve(2 + blob.size() * 2);
      hex += "\\x";
      for (unsigned char c : blob) {
        hex += kHex[c >> 4];
        hex += kHex[c & 0xf];
      }
      array.Add(std::string_view(hex));
      bytes += hex.size();
      return std::nullopt;
    }
  }
  return std::string("has a type this copy does not know");
}

Result<int64_t> CountSqliteRows(SqliteDb& db, std::string_view table) {
  auto count = db.Prepare("SELECT count(*) FROM " + QuoteIdentifier(table));
  if (!count.ok()) return count.error();
  auto row = count->Step();
  if (!row.ok()) return row.error();
  return count->ColumnInt(0);
}

Result<int64_t> CountPgRows(PgConnection& conn, std::string_view table) {
  auto count = conn.Query("SELECT count(*) FROM " + QuoteIdentifier(table));
  if (!count.ok()) return count.error();
  return count->Int64(0, 0);
}

// Copies one table in batches, one INSERT ... SELECT FROM unnest(...) per batch: a single
// statement per table, prepared once, with one array parameter per column.
Result<int64_t> CopyTable(SqliteDb& source, PgConnection& target, const TableShape& table,
                          int64_t total, const SqliteToPostgresOptions& options) {
  std::vector<ColumnPlan> columns;
  for (const ColumnShape& c : table.columns) columns.push_back({c.name, FindPgType(c.type)});
  // SQL text from the catalogs' names, quoted, and numbered placeholders: never a value.
  std::string quoted_columns, placeholders;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) {
      quoted_columns += ", ";
      placeholders += ", ";
    }
    quoted_columns += QuoteIdentifier(columns[i].name);
    placeholders += "$" + std::to_string(i + 1) + "::" + std::string(columns[i].type->array_cast);
  }
  const std::string quoted_insert = "INSERT INTO " + QuoteIdentifier(table.name) + " (" +
                                    quoted_columns + ") SELECT * FROM unnest(" + placeholders +
                                    ")";
  auto select =
      source.Prepare("SELECT " + quoted_columns + " FROM " + QuoteIdentifier(table.name));
  if (!select.ok()) return select.error();

  std::vector<PgArray> batch(columns.size());
  int rows = 0;
  size_t bytes = 0;
  int64_t copied = 0;
  auto flush = [&]() -> Status {
    PgParams params;
    for (const PgArray& a : batch) params.Add(a.Literal());
    auto inserted = target.Query(quoted_insert, params);
    if (!inserted.ok()) {
      return Error{inserted.error().code,
                   "copying table " + table.name + ": " + inserted.error().message};
    }
    copied += rows;
    batch.assign(columns.size(), PgArray());
    rows = 0;
    bytes = 0;
    if (options.progress) options.progress(table.name, copied, total);
    return OkStatus();
  };

  int64_t row_number = 0;
  while (true) {
    auto step = select->Step();
    if (!step.ok()) {
      return Error{step.error().code,
                   "reading table " + table.name + " from SQLite: " + step.error().message};
    }
    if (!*step) break;
    ++row_number;
    for (size_t i = 0; i < columns.size(); ++i) {
      auto problem = AppendValue(*select, static_cast<int>(i), columns[i].type->kind, batch[i],
                                 bytes);
      if (!problem) continue;
      // The row by its id where the first column is one; its position otherwise.
      std::string where = "row " + std::to_string(row_number);
      if (columns[0].type->kind == Kind::kInteger && select->ColumnType(0) == SQLITE_INTEGER) {
        where = "the row with " + columns[0].name + " " + std::to_string(select->ColumnInt(0));
      }
      return Corruption("table " + table.name + ", " + where + ": column " + columns[i].name +
                        " " + *problem);
    }
    ++rows;
    if (rows >= options.batch_rows || bytes >= options.batch_bytes) {
      if (Status s = flush(); !s.ok()) return s.error();
    }
  }
  if (rows > 0) {
    if (Status s = flush(); !s.ok()) return s.error();
  }
  return copied;
}

// The tables in an order that inserts every referenced row before the rows referring to it
// (the target's foreign keys, from its catalog), by name among equals.
Result<std::vector<std::string>> CopyOrder(PgConnection& conn,
                                           const std::vector<TableShape>& tables) {
  auto keys = conn.Query(
      "SELECT c.relname, r.relname FROM pg_constraint k"
      " JOIN pg_class c ON c.oid = k.conrelid"
      " JOIN pg_class r ON r.oid = k.confrelid"
      " JOIN pg_namespace n ON n.oid = c.relnamespace"
      " WHERE k.contype = 'f' AND n.nspname = current_schema()");
  if (!keys.ok()) return keys.error();
  std::map<std::string, std::set<std::string>> needs;  // table -> tables it references
  for (const TableShape& t : tables) needs[t.name];
  for (int i = 0; i < keys->rows(); ++i) {
    const std::string from = keys->Text(i, 0), to = keys->Text(i, 1);
    if (from != to && needs.count(to) > 0) needs[from].insert(to);
  }
  std::vector<std::string> order;
  std::set<std::string> placed;
  while (order.size() < needs.size()) {
    bool progressed = false;
    for (const auto& [table, references] : needs) {
      if (placed.count(table) > 0) continue;
      if (!std::all_of(references.begin(), references.end(),
                       [&](const std::string& r) { return placed.count(r) > 0; })) {
        continue;
      }
      order.push_back(table);
      placed.insert(table);
      progressed = true;
    }
    if (!progressed) return Corruption("the target's foreign keys form a cycle");
  }
  return order;
}

// Runs the SQLite instance left "running" were cut short when it stopped, and nothing will end
// them now: failed, as SqliteStore::RecordStart would have marked them at its next start.
Result<int64_t> EndInterruptedSyncRuns(PgConnection& conn, TimePoint now) {
  auto update = conn.Query(
      "UPDATE sync_runs SET status = 'failed', ended_at = $1,"
      " detail = CASE WHEN detail = '' THEN '' ELSE detail || ': ' END ||"
      " 'interrupted (journeyd stopped during the run)' WHERE status = 'running'",
      PgParams().AddMillis(now));
  if (!update.ok()) return update.error();
  return update->affected_rows();
}

// The schema version of the SQLite database, or why it is not a journeyd database.
Result<int> SqliteSchemaVersion(SqliteDb& db, const std::filesystem::path& path) {
  auto has = db.Prepare(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (!has.ok()) {
    return InvalidArgument("cannot read " + path.string() + ": " + has.error().message);
  }
  auto row = has->Step();
  if (!row.ok()) {
    return InvalidArgument("cannot read " + path.string() + ": " + row.error().message);
  }
  if (has->ColumnInt(0) == 0) {
    return InvalidArgument(path.string() +
                           " is not a journeyd database (it has no schema_migrations table)");
  }
  auto version = db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!version.ok()) return version.error();
  row = version->Step();
  if (!row.ok()) return row.error();
  return static_cast<int>(version->ColumnInt(0));
}

}  // namespace

Result<std::vector<TableShape>> ReadSqliteTables(SqliteDb& db) {
  auto names = db.Prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table'"
      " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'schema_migrations'"
      " ORDER BY name");
  if (!names.ok()) return names.error();
  std::vector<TableShape> tables;
  if (Status s = names->ForEachRow([&] { tables.push_back({names->ColumnText(0), {}}); });
      !s.ok()) {
    return s.error();
  }
  auto columns =
      db.Prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid");
  if (!columns.ok()) return columns.error();
  for (TableShape& table : tables) {
    columns->Bind(1, table.name);
    Status s = columns->ForEachRow([&] {
      ColumnShape c;
      c.name = columns->ColumnText(0);
      c.type = columns->ColumnText(1);
      // A primary key column holds no NULL in journeyd's tables (as PostgreSQL enforces).
      c.not_null = columns->ColumnInt(2) != 0 || columns->ColumnInt(3) != 0;
      table.columns.push_back(std::move(c));
    });
    columns->Reset();
    if (!s.ok()) return s.error();
  }
  return tables;
}

Result<std::vector<TableShape>> ReadPgTables(PgConnection& conn) {
  auto columns = conn.Query(
      "SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'NO',"
      " c.is_identity = 'YES'"
      " FROM information_schema.columns c JOIN information_schema.tables t"
      " ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
      " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
      " AND c.table_name <> 'schema_migrations'"
      " ORDER BY c.table_name, c.ordinal_position");
  if (!columns.ok()) return columns.error();
  std::vector<TableShape> tables;
  for (int i = 0; i < columns->rows(); ++i) {
    const std::string table = columns->Text(i, 0);
    if (tables.empty() || tables.back().name != table) tables.push_back({table, {}});
    tables.back().columns.push_back(
        {columns->Text(i, 1), columns->Text(i, 2), columns->Bool(i, 3), columns->Bool(i, 4)});
  }
  return tables;
}

Status CompareSchemas(const std::vector<TableShape>& sqlite, const std::vector<TableShape>& pg) {
  std::map<std::string_view, const TableShape*> pg_tables;
  for (const TableShape& t : pg) pg_tables[t.name] = &t;
  std::set<std::string_view> seen;
  for (const TableShape& s : sqlite) {
    auto it = pg_tables.find(s.name);
    if (it == pg_tables.end()) {
      return Corruption("table " + s.name + " is in the SQLite schema but not in PostgreSQL's");
    }
    seen.insert(s.name);
    std::map<std::string_view, const ColumnShape*> pg_columns;
    for (const ColumnShape& c : it->second->columns) pg_columns[c.name] = &c;
    for (const ColumnShape& c : s.columns) {
      const std::string where = "column " + s.name + "." + c.name;
      auto pc = pg_columns.find(c.name);
      if (pc == pg_columns.end()) {
        return Corruption(where + " is in the SQLite schema but not in PostgreSQL's");
      }
      const PgType* type = FindPgType(pc->second->type);
      if (type == nullptr) {
        return Corruption(where + " has PostgreSQL type " + pc->second->type +
                          ", which journeyd migrate cannot copy");
      }
      if (!Corresponds(SqliteAffinity(c.type), type->kind)) {
        return Corruption(where + " is " + (c.type.empty() ? "untyped" : c.type) +
                          " in SQLite but " + pc->second->type + " in PostgreSQL");
      }
      if (c.not_null != pc->second->not_null) {
        return Corruption(where + " is " + (c.not_null ? "NOT NULL" : "nullable") +
                          " in SQLite but " + (pc->second->not_null ? "NOT NULL" : "nullable") +
                          " in PostgreSQL");
      }
      pg_columns.erase(pc);
    }
    if (!pg_columns.empty()) {
      return Corruption("column " + s.name + "." + std::string(pg_columns.begin()->first) +
                        " is in the PostgreSQL schema but not in SQLite's");
    }
  }
  for (const TableShape& p : pg) {
    if (seen.count(p.name) == 0) {
      return Corruption("table " + p.name + " is in the PostgreSQL schema but not in SQLite's");
    }
  }
  return OkStatus();
}

Result<SqliteToPostgresReport> CopySqliteToPostgres(const std::filesystem::path& sqlite_path,
                                                   const std::string& pg_url,
                                                   const SqliteToPostgresOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(sqlite_path, ec)) {
    return InvalidArgument("no SQLite database at " + sqlite_path.string());
  }
  auto source = SqliteDb::OpenReadOnly(sqlite_path, std::chrono::seconds(5));
  if (!source.ok()) return source.error();
  SqliteDb& src = **source;
  // One read transaction for everything, so every table comes from the same snapshot (in WAL
  // mode a reader keeps its snapshot however long it reads). It starts at the first SELECT.
  if (Status s = src.Exec("BEGIN"); !s.ok()) return s.error();

  auto version = SqliteSchemaVersion(src, sqlite_path);
  if (!version.ok()) return version.error();
  const auto sqlite_migrations = SqliteMigrations();
  const int newest = sqlite_migrations.empty() ? 0 : sqlite_migrations.back().version;
  if (*version < newest) {
    return InvalidArgument(
        sqlite_path.string() + " has schema version " + std::to_string(*version) +
        ", older than this journeyd's (" + std::to_string(newest) +
        "): start this journeyd once on it (journeyd run, with storage.url naming it) so that it "
        "migrates the file, stop it, then run journeyd migrate again");
  }
  if (*version > newest) {
    return InvalidArgument(sqlite_path.string() + " has schema version " +
                           std::to_string(*version) + ", newer than this journeyd understands (" +
                           std::to_string(newest) +
                           "): migrate with the journeyd that last ran on it, or a newer one");
  }
  auto sqlite_tables = ReadSqliteTables(src);
  if (!sqlite_tables.ok()) return sqlite_tables.error();

  auto target = PgConnection::Open(pg_url);
  if (!target.ok()) return target.error();
  PgConnection& dst = **target;
  auto pg_version = MigratePostgres(dst);
  if (!pg_version.ok()) {
    return Error{pg_version.error().code,
                 "target " + dst.description() + ": " + pg_version.error().message};
  }
  if (*pg_version != *version) {
    return Corruption("this journeyd's schemas differ in version: SQLite " +
                      std::to_string(*version) + ", PostgreSQL " + std::to_string(*pg_version));
  }
  auto pg_tables = ReadPgTables(dst);
  if (!pg_tables.ok()) return pg_tables.error();
  if (Status s = CompareSchemas(*sqlite_tables, *pg_tables); !s.ok()) {
    return Corruption("the SQLite and PostgreSQL schemas of this journeyd differ: " +
                      s.error().message);
  }
  std::map<std::string, const TableShape*> shapes;
  for (const TableShape& t : *pg_tables) shapes[t.name] = &t;
  auto order = CopyOrder(dst, *pg_tables);
  if (!order.ok()) return order.error();

  auto tx = PgTransaction::Begin(dst);
  if (!tx.ok()) return tx.error();
  // The target's tables are locked against writers (readers may go on) until the commit, so
  // that an instance started on the target meanwhile can neither add rows after the emptiness
  // check below nor see half a copy. A lock held elsewhere fails the copy rather than wait on.
  if (Status s = dst.Exec("SET LOCAL lock_timeout = '10s'"); !s.ok()) return s.error();
  std::string quoted_tables;
  for (const std::string& table : *order) {
    quoted_tables += (quoted_tables.empty() ? "" : ", ") + QuoteIdentifier(table);
  }
  if (Status s = dst.Exec("LOCK TABLE " + quoted_tables + " IN EXCLUSIVE MODE"); !s.ok()) {
    return Error{ErrorCode::kConflict,
                 "cannot lock the target's tables (is journeyd running on it?): " +
                     s.error().message};
  }
  std::string occupied;
  for (const std::string& table : *order) {
    auto rows = CountPgRows(dst, table);
    if (!rows.ok()) return rows.error();
    if (*rows == 0) continue;
    occupied += (occupied.empty() ? "" : ", ") + std::string("table ") + table + " has " +
                std::to_string(*rows) + (*rows == 1 ? " row" : " rows");
  }
  if (!occupied.empty()) {
    return Error{ErrorCode::kConflict,
                 "target database is not empty (" + occupied +
                     "): journeyd migrate copies into an empty database only; create a new one "
                     "(CREATE DATABASE) and name it in --to"};
  }

  SqliteToPostgresReport report;
  report.target = dst.description();
  report.schema_version = *version;
  for (const std::string& table : *order) {
    TableCopy copy{table, 0, std::string(SkipReason(table))};
    if (!copy.skipped.empty()) {
      report.tables.push_back(std::move(copy));
      continue;
    }
    auto total = CountSqliteRows(src, table);
    if (!total.ok()) return total.error();
    auto copied = CopyTable(src, dst, *shapes.at(table), *total, options);
    if (!copied.ok()) return copied.error();
    auto counted = CountPgRows(dst, table);
    if (!counted.ok()) return counted.error();
    if (*copied != *total || *counted != *total) {
      return Corruption("table " + table + ": SQLite holds " + std::to_string(*total) +
                        " rows, " + std::to_string(*copied) + " were copied and PostgreSQL holds " +
                        std::to_string(*counted));
    }
    copy.rows = *copied;
    report.total_rows += *copied;
    report.tables.push_back(std::move(copy));
  }
  if (shapes.count("sync_runs") > 0) {
    auto ended = EndInterruptedSyncRuns(dst, std::chrono::system_clock::now());
    if (!ended.ok()) return ended.error();
    report.interrupted_sync_runs = *ended;
  }
  // Identity columns were given the copied ids explicitly, which leaves their sequences at 1:
  // each moves past its table's largest id, or the first new row would collide. Last before the
  // commit, as setval is not undone by a rollback (a failed copy then leaves gaps, not clashes).
  for (const std::string& table : *order) {
    for (const ColumnShape& c : shapes.at(table)->columns) {
      if (!c.identity) continue;
      auto moved = dst.Query("SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX(" +
                                 QuoteIdentifier(c.name) + "), 0) + 1, false) FROM " + QuoteIdentifier(table),
                             PgParams().Add(QuoteIdentifier(table)).Add(c.name));
      if (!moved.ok()) return moved.error();
    }
  }
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  (void)src.Exec("COMMIT");
  report.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return report;
}

}  // namespace journeyd::storage
