#include "engine/storage/postgres/pg_migrate.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <span>
#include <thread>

#include "engine/storage/sqlite/sqlite_db.h"
#include "tests/support/postgres.h"
#include "tests/support/temp_dir.h"

namespace journeyd::storage {
namespace {

TEST_CASE("postgres: a fresh database migrates to the newest version, once",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto conn = PgConnection::Open(db.url());
  REQUIRE(conn.ok());
  const int newest = PostgresMigrations().back().version;
  CHECK(newest == SqliteMigrations().back().version);
  CHECK(PostgresMigrations().size() == SqliteMigrations().size());
  auto version = MigratePostgres(**conn);
  REQUIRE(version.ok());
  CHECK(*version == newest);
  auto again = MigratePostgres(**conn);
  REQUIRE(again.ok());
  CHECK(*again == newest);
  auto rows = (*conn)->Query("SELECT COUNT(*), MIN(version), MAX(version) FROM schema_migrations");
  REQUIRE(rows.ok());
  CHECK(rows->Int64(0, 0) == newest);
  CHECK(rows->Int64(0, 1) == 1);
  CHECK(rows->Int64(0, 2) == newest);
}

TEST_CASE("postgres: two instances migrating one database at once both succeed",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  Result<int> results[2] = {Internal("not run"), Internal("not run")};
  std::thread threads[2];
  for (int i = 0; i < 2; ++i) {
    threads[i] = std::thread([&, i] {
      auto conn = PgConnection::Open(db.url());
      if (!conn.ok()) {
        results[i] = conn.error();
        return;
      }
      results[i] = MigratePostgres(**conn);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    REQUIRE(r.ok());
    CHECK(*r == PostgresMigrations().back().version);
  }
  auto conn = PgConnection::Open(db.url());
  REQUIRE(conn.ok());
  auto rows = (*conn)->Query("SELECT COUNT(*) FROM schema_migrations");
  REQUIRE(rows.ok());
  CHECK(rows->Int64(0, 0) == PostgresMigrations().back().version);  // each step applied once
}

TEST_CASE("postgres: a schema newer than the binary is refused", "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto conn = PgConnection::Open(db.url());
  REQUIRE(conn.ok());
  REQUIRE(MigratePostgres(**conn).ok());
  REQUIRE((*conn)->Query("INSERT INTO schema_migrations(version, name, applied_at)"
                         " VALUES ($1, 'future', 0)",
                         PgParams().Add(int64_t{PostgresMigrations().back().version + 1}))
              .ok());
  auto refused = MigratePostgres(**conn);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kCorruption);
  CHECK_THAT(refused.error().message, Catch::Contains("newer than this journeyd"));
}

TEST_CASE("postgres: a failing migration leaves the version where it was",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto conn = PgConnection::Open(db.url());
  REQUIRE(conn.ok());
  const Migration steps[] = {{1, "ok", "CREATE TABLE a (x BIGINT)"},
                             {2, "broken", "CREATE TABLE b (x BIGINT); SELECT nonsense FROM a"}};
  auto failed = ApplyPgMigrations(**conn, steps);
  REQUIRE_FALSE(failed.ok());
  CHECK_THAT(failed.error().message, Catch::Contains("migration 2 (broken) failed"));
  auto version = ApplyPgMigrations(**conn, std::span(steps, 1));
  REQUIRE(version.ok());
  CHECK(*version == 1);
  auto b = (*conn)->Query("SELECT to_regclass('b') IS NULL");
  REQUIRE(b.ok());
  CHECK(b->Bool(0, 0));  // step 2's first statement rolled back with it
}

// Migration 0015 stripes the intake counters: the rows of a database that had one per source
// (and minute) become shard 0, and the keys take the shard in.
TEST_CASE("postgres: the intake counters of an older schema become shard 0",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto conn = PgConnection::Open(db.url());
  REQUIRE(conn.ok());
  const auto all = PostgresMigrations();
  const auto before = std::span(all.begin(), std::ranges::find_if(all, [](const Migration& m) {
                                               return m.version == 15;
                                             }));
  REQUIRE(before.size() == 14);
  REQUIRE(ApplyPgMigrations(**conn, before).ok());
  REQUIRE((*conn)->Exec(
      "INSERT INTO source_stats(source, received, accepted, last_event_at, suppressed)"
      " VALUES ('shopify', 7, 5, 1700000000123, 2), ('stripe', 1, 0, NULL, 0);"
      "INSERT INTO source_activity(source, minute, received, accepted)"
      " VALUES ('shopify', 28333333, 7, 5)").ok());
  REQUIRE(MigratePostgres(**conn).ok());

  auto stats = (*conn)->Query(
      "SELECT source, shard, received, accepted, last_event_at, suppressed FROM source_stats"
      " ORDER BY source");
  REQUIRE(stats.ok());
  REQUIRE(stats->rows() == 2);
  CHECK(stats->Text(0, 0) == "shopify");
  CHECK(stats->Int64(0, 1) == 0);
  CHECK(stats->Int64(0, 2) == 7);
  CHECK(stats->Int64(0, 3) == 5);
  CHECK(stats->Int64(0, 4) == 1700000000123);
  CHECK(stats->Int64(0, 5) == 2);
  CHECK(stats->Text(1, 0) == "stripe");
  CHECK(stats->IsNull(1, 4));
  auto activity = (*conn)->Query("SELECT source, minute, shard, received FROM source_activity");
  REQUIRE(activity.ok());
  REQUIRE(activity->rows() == 1);
  CHECK(activity->Int64(0, 2) == 0);
  CHECK(activity->Int64(0, 3) == 7);

  auto keys = (*conn)->Query(
      "SELECT t.relname, string_agg(a.attname, ',' ORDER BY k.ord)"
      " FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
      " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)"
      " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum"
      " WHERE i.indisprimary AND t.relname IN ('source_stats', 'source_activity')"
      " GROUP BY t.relname ORDER BY t.relname");
  REQUIRE(keys.ok());
  REQUIRE(keys->rows() == 2);
  CHECK(keys->Text(0, 1) == "source,minute,shard");
  CHECK(keys->Text(1, 1) == "source,shard");
  // Another shard of the same source is a row of its own.
  CHECK((*conn)->Exec("INSERT INTO source_stats(source, shard) VALUES ('shopify', 3)").ok());
}

// The two schemas must stay one: same tables, same columns, same indexes (by name), so that a
// row copies verbatim from one to the other.
TEST_CASE("postgres: the schema has the SQLite schema's tables, columns and indexes",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TempDir dir;
  auto sqlite = SqliteDb::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(sqlite.ok());
  for (const Migration& m : SqliteMigrations()) REQUIRE((*sqlite)->Exec(m.sql).ok());
  std::map<std::string, std::set<std::string>> sqlite_columns;
  std::set<std::string> sqlite_indexes;
  {
    auto tables = (*sqlite)->Prepare(
        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p"
        " WHERE m.type = 'table'");
    REQUIRE(tables.ok());
    REQUIRE(tables->ForEachRow([&] {
      sqlite_columns[tables->ColumnText(0)].insert(tables->ColumnText(1));
    }).ok());
    auto indexes = (*sqlite)->Prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL");
    REQUIRE(indexes.ok());
    REQUIRE(indexes->ForEachRow([&] { sqlite_indexes.insert(indexes->ColumnText(0)); }).ok());
  }

  testing::TestDatabase db;
  auto conn = PgConnection::Open(db.url());
  REQUIRE(conn.ok());
  REQUIRE(MigratePostgres(**conn).ok());
  std::map<std::string, std::set<std::string>> pg_columns;
  auto columns = (*conn)->Query(
      "SELECT table_name, column_name FROM information_schema.columns"
      " WHERE table_schema = 'public' AND table_name <> 'schema_migrations'");
  REQUIRE(columns.ok());
  for (int i = 0; i < columns->rows(); ++i) {
    pg_columns[columns->Text(i, 0)].insert(columns->Text(i, 1));
  }
  CHECK(pg_columns == sqlite_columns);
  std::set<std::string> pg_indexes;
  // Primary keys and UNIQUE columns are implicit indexes in SQLite (sql IS NULL above).
  auto indexes = (*conn)->Query(
      "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
      " AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'");
  REQUIRE(indexes.ok());
  for (int i = 0; i < indexes->rows(); ++i) pg_indexes.insert(indexes->Text(i, 0));
  CHECK(pg_indexes == sqlite_indexes);
  auto partial = (*conn)->Query(
      "SELECT COUNT(*) FROM pg_indexes WHERE indexdef LIKE '% WHERE %'");
  REQUIRE(partial.ok());
  CHECK(partial->Int64(0, 0) == 2);  // inbox_pending, journey_state_next_check
}

}  // namespace
}  // namespace journeyd::storage
