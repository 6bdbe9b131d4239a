#include "tests/support/postgres.h"

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string_view>

#include <unistd.h>

namespace journeyd::testing {

namespace {

bool Answers(const std::string& url) { return PQping(url.c_str()) == PQPING_OK; }

// `url` with its database name replaced: postgresql://[auth@host]/NAME[?params].
std::string WithDatabase(const std::string& url, const std::string& name) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) throw std::runtime_error("test postgres url is not a URI");
  const size_t slash = url.find('/', scheme + 3);
  const size_t query = url.find('?', scheme + 3);
  const size_t authority_end = std::min(slash, query);
  const std::string base = url.substr(0, authority_end == std::string::npos ? url.size()
                                                                           : authority_end);
  const std::string params = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + name + params;
}

std::string DatabaseName(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme + 3);
  const size_t query = url.find('?', scheme + 3);
  if (slash == std::string::npos || (query != std::string::npos && query < slash)) return "";
  return url.substr(slash + 1, query == std::string::npos ? std::string::npos : query - slash - 1);
}

// Runs one statement on the server's maintenance database; throws with the server's message.
void RunAdmin(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect to the test postgres server: " + why);
  }
  PGresult* result = PQexec(conn, sql.c_str());
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  const std::string why = PQresultErrorMessage(result);
  PQclear(result);
  PQfinish(conn);
  if (!ok) throw std::runtime_error(sql + ": " + why);
}

std::string QuoteIdentifier(const std::string& name) {
  // Names are ours ([a-z0-9_]); quoting anyway keeps the SQL well-formed whatever they hold.
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::optional<std::string> TestPostgresUrl() {
  if (const char* env = std::getenv("JOURNEYD_TEST_PG_URL"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  std::ifstream file(std::string(JOURNEYD_TEST_PG_DIR) + "/url");
  std::string url;
  if (!file || !std::getline(file, url) || url.empty()) return std::nullopt;
  if (!Answers(url)) return std::nullopt;
  return url;
}

bool PostgresRequired() {
  const char* env = std::getenv("JOURNEYD_REQUIRE_POSTGRES");
  return env != nullptr && std::string_view(env) == "1";
}

std::string CreateTestDatabase() {
  const auto url = TestPostgresUrl();
  if (!url) throw std::runtime_error("no PostgreSQL test server");
  static std::atomic<int> counter{0};
  // Unique across the processes ctest runs in parallel, and across reruns of one process id.
  const std::string name = "journeyd_t" + std::to_string(::getpid()) + "_" +
                           std::to_string(counter++) + "_" +
                           std::to_string(std::chrono::steady_clock::now()
                                              .time_since_epoch().count() % 1000000);
  // template0 is never connected to, so creates running in parallel never find their template
  // in use.
  RunAdmin(WithDatabase(*url, "postgres"),
           "CREATE DATABASE " + QuoteIdentifier(name) + " TEMPLATE template0");
  return WithDatabase(*url, name);
}

void DropTestDatabase(const std::string& url) {
  const std::string name = DatabaseName(url);
  if (name.empty()) return;
  try {
    RunAdmin(WithDatabase(url, "postgres"),
             "DROP DATABASE IF EXISTS " + QuoteIdentifier(name) + " WITH (FORCE)");
  } catch (const std::exception&) {
    // The cluster is thrown away at the end of the run anyway.
  }
}

}  // namespace journeyd::testing
