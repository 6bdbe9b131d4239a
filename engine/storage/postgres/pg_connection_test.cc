#include "engine/storage/postgres/pg_connection.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "engine/storage/postgres/pg_error.h"
#include "engine/storage/postgres/pg_pool.h"
#include "engine/storage/postgres/pg_transaction.h"
#include "tests/support/postgres.h"

namespace journeyd::storage {
namespace {

TEST_CASE("postgresql errors map to journeyd codes by SQLSTATE", "[storage]") {
  CHECK(PgErrorCode("23505") == ErrorCode::kConflict);
  CHECK(PgErrorCode("23503") == ErrorCode::kConflict);
  // Another transaction won, or the server is short of something: worth a retry.
  for (const char* state : {"40001", "40P01", "53100", "53300", "08006", "57P01", ""}) {
    INFO(state);
    CHECK(IsRetryable(PgErrorCode(state)));
  }
  CHECK(PgErrorCode("42601") == ErrorCode::kInternal);  // a syntax error is a bug
  CHECK(PgErrorCode("22003") == ErrorCode::kInvalidArgument);
  CHECK(PgConnectionLost("08006"));
  CHECK_FALSE(PgConnectionLost("23505"));
  const Error full = PgError("53100", "postgresql", "could not extend file\n");
  CHECK(full.code == ErrorCode::kUnavailable);
  CHECK(full.message == "postgresql: disk full: could not extend file (SQLSTATE 53100)");
}

TEST_CASE("a postgresql url's password shows nowhere", "[storage]") {
  const std::string url = "postgresql://alice:s3cr3t@/journeyd?host=/nonexistent-socket-dir";
  const std::string described = DescribePgUrl(url);
  CHECK(described.find("s3cr3t") == std::string::npos);
  CHECK(described.find("journeyd") != std::string::npos);
  CHECK(described.find("alice") != std::string::npos);
  auto conn = PgConnection::Open(url);
  REQUIRE_FALSE(conn.ok());
  CHECK(conn.error().code == ErrorCode::kUnavailable);
  CHECK(conn.error().message.find("s3cr3t") == std::string::npos);
  auto bad = PgConnection::Open("postgresql://alice:s3cr3t@host/db?nonsense_option=1");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);
  CHECK(bad.error().message.find("s3cr3t") == std::string::npos);
}

TEST_CASE("postgres: statements are prepared once per connection and take typed parameters",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto conn = PgConnection::Open(db.url());
  REQUIRE(conn.ok());
  for (int64_t i : {int64_t{1}, int64_t{5'000'000'000}}) {
    auto row = (*conn)->Query("SELECT $1 + 1, $2 || '!', $3 IS NULL, $4",
                              PgParams().Add(i).Add("hi").AddNull(kPgTextOid).AddDouble(0.1));
    REQUIRE(row.ok());
    CHECK(row->Int64(0, 0) == i + 1);
    CHECK(row->Text(0, 1) == "hi!");
    CHECK(row->Bool(0, 2));
    CHECK(row->Double(0, 3) == 0.1);
  }
  auto prepared = (*conn)->Query(
      "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE $1",
      PgParams().Add("SELECT $1 + 1%"));
  REQUIRE(prepared.ok());
  CHECK(prepared->Int64(0, 0) == 1);  // prepared once, run twice
  // A value that looks like SQL is only ever a value.
  auto quoted = (*conn)->Query("SELECT $1", PgParams().Add("'); DROP TABLE x; --"));
  REQUIRE(quoted.ok());
  CHECK(quoted->Text(0, 0) == "'); DROP TABLE x; --");
}

TEST_CASE("postgres: bytea round-trips every byte value", "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto conn = PgConnection::Open(db.url());
  REQUIRE(conn.ok());
  REQUIRE((*conn)->Exec("CREATE TABLE blobs (id BIGINT PRIMARY KEY, body BYTEA NOT NULL)").ok());
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  bytes += std::string("\0\0\\x00'", 7);
  for (const std::string& body : {bytes, std::string()}) {
    REQUIRE((*conn)->Query("DELETE FROM blobs").ok());
    REQUIRE((*conn)->Query("INSERT INTO blobs(id, body) VALUES ($1, $2)",
                           PgParams().Add(int64_t{1}).AddBytes(body)).ok());
    auto row = (*conn)->Query("SELECT body, length(body) FROM blobs WHERE id = $1",
                              PgParams().Add(int64_t{1}));
    REQUIRE(row.ok());
    REQUIRE(row->rows() == 1);
    CHECK(row->Bytes(0, 0) == body);
    CHECK(row->Int64(0, 1) == static_cast<int64_t>(body.size()));
  }
}

TEST_CASE("postgres: a unique violation is a conflict and its transaction rolls back",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto conn = PgConnection::Open(db.url());
  REQUIRE(conn.ok());
  PgConnection& c = **conn;
  REQUIRE(c.Exec("CREATE TABLE t (k TEXT PRIMARY KEY)").ok());
  REQUIRE(c.Query("INSERT INTO t(k) VALUES ($1)", PgParams().Add("a")).ok());
  {
    auto tx = PgTransaction::Begin(c);
    REQUIRE(tx.ok());
    REQUIRE(c.Query("INSERT INTO t(k) VALUES ($1)", PgParams().Add("b")).ok());
    auto again = c.Query("INSERT INTO t(k) VALUES ($1)", PgParams().Add("a"));
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == ErrorCode::kConflict);
    CHECK_THAT(again.error().message, Catch::Contains("23505"));
    // The offending value stays out of the message (DETAIL would quote it).
    CHECK_THAT(again.error().message, !Catch::Contains("(a)"));
  }  // rolled back: "b" is gone too
  auto count = c.Query("SELECT COUNT(*) FROM t");
  REQUIRE(count.ok());
  CHECK(count->Int64(0, 0) == 1);
  CHECK_FALSE(c.in_transaction());

  auto committed = InPgTransaction(c, [&]() -> Status {
    auto inserted = c.Query("INSERT INTO t(k) VALUES ($1)", PgParams().Add("c"));
    return inserted.ok() ? OkStatus() : Status(inserted.error());
  });
  REQUIRE(committed.ok());
  count = c.Query("SELECT COUNT(*) FROM t");
  REQUIRE(count.ok());
  CHECK(count->Int64(0, 0) == 2);
}

TEST_CASE("postgres: a connection the server dropped reconnects on its next use",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  auto conn = PgConnection::Open(db.url());
  REQUIRE(conn.ok());
  auto pid = (*conn)->Query("SELECT pg_backend_pid()");
  REQUIRE(pid.ok());
  auto admin = PgConnection::Open(db.url());
  REQUIRE(admin.ok());
  // What a server restart or a failover looks like to the client.
  REQUIRE((*admin)->Query("SELECT pg_terminate_backend($1::int)",
                          PgParams().Add(pid->Int64(0, 0))).ok());
  auto lost = (*conn)->Query("SELECT pg_backend_pid()");
  REQUIRE_FALSE(lost.ok());
  CHECK(lost.error().code == ErrorCode::kUnavailable);
  CHECK_FALSE((*conn)->healthy());
  auto again = (*conn)->Query("SELECT pg_backend_pid()");
  REQUIRE(again.ok());
  CHECK(again->Int64(0, 0) != pid->Int64(0, 0));
  CHECK((*conn)->connects() == 2);

  // Inside a transaction there is no silent reconnect: the transaction's work is gone.
  auto tx = PgTransaction::Begin(**conn);
  REQUIRE(tx.ok());
  REQUIRE((*admin)->Query("SELECT pg_terminate_backend($1::int)",
                          PgParams().Add(again->Int64(0, 0))).ok());
  CHECK_FALSE((*conn)->Query("SELECT 1").ok());
  auto inside = (*conn)->Query("SELECT 1");
  REQUIRE_FALSE(inside.ok());
  CHECK(inside.error().code == ErrorCode::kUnavailable);
  CHECK_FALSE(tx->Commit().ok());
  CHECK((*conn)->Query("SELECT 1").ok());
}

TEST_CASE("postgres: the pool lends at most its size and takes connections back",
          "[postgres][storage]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TestDatabase db;
  PgPool::Options options;
  options.size = 2;
  options.acquire_timeout = std::chrono::milliseconds(100);
  auto pool = PgPool::Open(db.url(), options);
  REQUIRE(pool.ok());
  {
    auto a = (*pool)->Acquire();
    auto b = (*pool)->Acquire();
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(&**a != &**b);
    auto c = (*pool)->Acquire();
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().code == ErrorCode::kUnavailable);
    // A lease left mid-transaction is rolled back on its way home.
    REQUIRE((*a)->Begin().ok());
  }
  auto again = (*pool)->Acquire();
  REQUIRE(again.ok());
  CHECK_FALSE((*again)->in_transaction());

  // Eight threads share two connections; every query gets one in time.
  options.acquire_timeout = std::chrono::seconds(10);
  auto shared = PgPool::Open(db.url(), options);
  REQUIRE(shared.ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto lease = (*shared)->Acquire();
        if (!lease.ok() || !(*lease)->Query("SELECT pg_sleep(0.001)").ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  auto backends = (*again)->Query(
      "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
      " AND application_name = 'journeyd'");
  REQUIRE(backends.ok());
  CHECK(backends->Int64(0, 0) <= 2 + 2);  // the shared pool's two, and the first pool's
}

}  // namespace
}  // namespace journeyd::storage
