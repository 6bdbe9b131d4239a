#include "engine/storage/sqlite/sqlite_connection_pool.h"

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/support/temp_dir.h"

namespace journeyd::storage {
namespace {

// A pool over one WAL database with a table t(x); `opened` counts the connections it opened
// past the first.
struct PoolDb {
  explicit PoolDb(size_t capacity) {
    auto first = SqliteDb::Open(path, std::chrono::seconds(2));
    REQUIRE(first.ok());
    REQUIRE((*first)->Exec("CREATE TABLE t (x INTEGER)").ok());
    pool = std::make_unique<SqliteConnectionPool>(
        std::move(*first),
        [this]() -> Result<std::unique_ptr<SqliteDb>> {
          ++opened;
          return SqliteDb::Open(path, std::chrono::seconds(2));
        },
        capacity);
  }
  // The number of rows of t, as `connection` sees it.
  static int64_t Count(SqliteConnection& connection) {
    auto count = connection.Cached("SELECT COUNT(*) FROM t");
    REQUIRE(count.ok());
    REQUIRE((*count)->Step().ok());
    const int64_t n = (*count)->ColumnInt(0);
    (*count)->Reset();
    return n;
  }

  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "pool.db";
  std::atomic<int> opened{0};
  std::unique_ptr<SqliteConnectionPool> pool;
};

TEST_CASE("the connection pool lends each scope a connection of its own, nested scopes share one",
          "[storage]") {
  PoolDb db(4);
  SqliteConnectionPool::Scope outer(*db.pool);
  CHECK(db.pool->Current() == &outer.connection());
  {
    SqliteConnectionPool::Scope inner(*db.pool);
    CHECK(&inner.connection() == &outer.connection());  // same thread: no second lease
  }
  CHECK(db.pool->Current() == &outer.connection());
  SqliteConnection* other = nullptr;
  std::thread([&] {
    CHECK(db.pool->Current() == nullptr);  // another thread has no current connection
    SqliteConnectionPool::Scope scope(*db.pool);
    other = &scope.connection();
  }).join();
  CHECK(other != &outer.connection());
  CHECK(db.opened == 1);
  CHECK(db.pool->size() == 2);
}

TEST_CASE("the connection pool reuses returned connections and makes callers wait past capacity",
          "[storage]") {
  PoolDb db(2);
  std::thread([&] { SqliteConnectionPool::Scope a(*db.pool); }).join();
  std::thread([&] { SqliteConnectionPool::Scope b(*db.pool); }).join();
  CHECK(db.pool->size() == 1);  // one at a time: the first connection served both

  auto first = std::make_unique<SqliteConnectionPool::Scope>(*db.pool);
  std::atomic<bool> second_in{false}, third_in{false};
  std::atomic<bool> release_second{false};
  std::thread second([&] {
    SqliteConnectionPool::Scope scope(*db.pool);
    second_in = true;
    while (!release_second) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  while (!second_in) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::thread third([&] {
    SqliteConnectionPool::Scope scope(*db.pool);  // both are lent: waits
    third_in = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(third_in);
  CHECK(db.pool->size() == 2);
  first.reset();  // returns one: the third caller gets it
  third.join();
  CHECK(third_in);
  release_second = true;
  second.join();
  CHECK(db.pool->size() == 2);
}

TEST_CASE("a connection returned mid-result does not keep its stale snapshot for the next lease",
          "[storage]") {
  PoolDb db(2);
  SqliteConnection* reader = nullptr;
  {
    SqliteConnectionPool::Scope scope(*db.pool);
    reader = &scope.connection();
    auto rows = scope.connection().Cached("SELECT x FROM t UNION ALL SELECT 1");
    REQUIRE(rows.ok());
    REQUIRE((*rows)->Step().ok());  // stands on a row: a read snapshot stays open
    REQUIRE(scope.connection().db().Exec("BEGIN").ok());  // and a transaction, left open
  }
  // Another connection commits a row meanwhile.
  std::thread([&] {
    SqliteConnectionPool::Scope busy(*db.pool);  // holds the returned one...
    std::thread([&] {
      SqliteConnectionPool::Scope writer(*db.pool);  // ...so this is the second connection
      REQUIRE(writer.connection().db().Exec("INSERT INTO t(x) VALUES (7)").ok());
    }).join();
  }).join();
  SqliteConnectionPool::Scope again(*db.pool);
  REQUIRE(&again.connection() == reader);  // the most recently returned one comes back first
  CHECK_FALSE(again.connection().db().TransactionOpen());
  CHECK(PoolDb::Count(again.connection()) == 1);  // sees the commit made after it was returned
}

}  // namespace
}  // namespace journeyd::storage
