// Where the [postgres] tests find a PostgreSQL server, and a fresh database per test. The server
// is the throwaway cluster scripts/pg-test-cluster starts in JOURNEYD_TEST_PG_DIR (ctest's
// "postgres" fixture does; by hand: scripts/pg-test-cluster start build/pg-test), or any server
// named by JOURNEYD_TEST_PG_URL. Without one the tests skip visibly, unless
// JOURNEYD_REQUIRE_POSTGRES=1 (scripts/test sets it), where they fail. Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "tests/support/skip.h"

namespace journeyd::testing {

// JOURNEYD_TEST_PG_URL when set, else the test cluster's URL when it answers; nullopt otherwise.
std::optional<std::string> TestPostgresUrl();
// True when JOURNEYD_REQUIRE_POSTGRES=1: a missing server fails the test instead of skipping.
bool PostgresRequired();

// Creates an empty database with a unique name on the test server and returns its URL.
// Throws (fails the test) when there is no server or the CREATE fails.
std::string CreateTestDatabase();
// Drops the database `url` names, disconnecting whoever still uses it. Best effort.
void DropTestDatabase(const std::string& url);

// A database of one's own for the length of a test.
class TestDatabase {
 public:
  TestDatabase() : url_(CreateTestDatabase()) {}
  ~TestDatabase() { DropTestDatabase(url_); }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }

 private:
  std::string url_;
};

}  // namespace journeyd::testing

// Use first thing in a [postgres] TEST_CASE: returns from it (skipped) when no server answers,
// or fails it under JOURNEYD_REQUIRE_POSTGRES=1.
#define JOURNEYD_NEED_POSTGRES()                                                          \
  do {                                                                                     \
    if (!::journeyd::testing::TestPostgresUrl()) {                                         \
      if (::journeyd::testing::PostgresRequired()) {                                       \
        FAIL("no PostgreSQL test server (JOURNEYD_REQUIRE_POSTGRES=1): run the tests "     \
             "through ctest, or scripts/pg-test-cluster start " JOURNEYD_TEST_PG_DIR);     \
      }                                                                                    \
      JOURNEYD_SKIP("no PostgreSQL test server: run the tests through ctest, or "         \
                    "scripts/pg-test-cluster start " JOURNEYD_TEST_PG_DIR);                \
    }                                                                                      \
  } while (false)
