// The security checks of the reliability suite that are about journeyd as a whole:
//   - every admin API operation (each one in docs/openapi.yaml, which openapi_test holds equal
//     to the router) refuses a request without a token or with a wrong one (401), and an admin
//     operation refuses the read-only token (403), against the real daemon;
//   - SQL reaches SQLite only as prepared statements built from string literals and constants:
//     no value is ever spliced into SQL text (a scan of the storage code, so that a change that
//     formats a value into SQL fails here, not in a review);
//   - the status pages show a stranger only the sign-in form, and a token in the query string is
//     not accepted (it would end up in proxy logs). /metrics is public by design (docs/metrics.md:
//     counts, no personal data).
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

using namespace std::chrono_literals;

const char* kConfig = R"(server:
  listen: 127.0.0.1:8080
  threads: 2
  admin_token: ${env:JOURNEYD_ADMIN_TOKEN}
  read_token: ${env:JOURNEYD_READ_TOKEN}
sources:
  - name: shopify
    type: shopify
    secret: ${env:JOURNEYD_SHOPIFY_SECRET}
targets:
  - name: preview
    type: preview
)";

struct Operation {
  std::string method;  // upper case
  std::string path;    // with {params} filled in
  std::string role;    // read, admin, public
};

std::vector<Operation> ApiOperations() {
  const YAML::Node document = YAML::LoadFile((SourceDir() / "docs" / "openapi.yaml").string());
  std::vector<Operation> out;
  for (const auto& path : document["paths"]) {
    const std::string template_path = path.first.as<std::string>();
    if (template_path.rfind("/api/v1/", 0) != 0) continue;
    // Any value will do for a parameter: authentication comes before the lookup.
    const std::string filled = std::regex_replace(template_path, std::regex("\\{[^}]+\\}"), "1");
    for (const auto& operation : path.second) {
      std::string method = operation.first.as<std::string>();
      if (method == "parameters" || method == "summary" || method == "description") continue;
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const YAML::Node role = operation.second["x-journeyd-role"];
      out.push_back({method, filled, role ? role.as<std::string>() : ""});
    }
  }
  return out;
}

TEST_CASE("every admin API operation needs its token: 401 without or with a wrong one, 403 for "
          "the read token on admin operations",
          "[security]") {
  TempDir dir;
  DaemonProcess daemon(dir.Write("journeyd.yaml", kConfig), dir.path() / "data");
  REQUIRE(daemon.Start());
  const auto operations = ApiOperations();
  REQUIRE(operations.size() >= 25);  // a floor, so that an empty document cannot pass
  int admin = 0;
  for (const Operation& op : operations) {
    INFO(op.method << " " << op.path << " (" << op.role << ")");
    if (op.role == "public") continue;
    const std::string body = op.method == "GET" ? "" : "{}";
    const Headers json{{"Content-Type", "application/json"}};
    auto none = HttpRequest(daemon.host(), daemon.port(), op.method, op.path, body, json);
    REQUIRE(none.ok());
    CHECK(none->status == 401);
    Headers wrong = json;
    wrong.emplace_back("Authorization", "Bearer test-admin-tokeN");  // one letter off
    auto bad = HttpRequest(daemon.host(), daemon.port(), op.method, op.path, body, wrong);
    REQUIRE(bad.ok());
    CHECK(bad->status == 401);
    CHECK(bad->body.find("test-admin") == std::string::npos);  // never echoed
    if (op.role == "admin") {
      ++admin;
      Headers read = json;
      read.emplace_back("Authorization", "Bearer test-read-token");
      auto refused = HttpRequest(daemon.host(), daemon.port(), op.method, op.path, body, read);
      REQUIRE(refused.ok());
      CHECK(refused->status == 403);
    }
  }
  CHECK(admin >= 10);

  // The status pages show a stranger the sign-in form, nothing else (their data comes through
  // the API above); a token in the query string is not a token.
  for (const char* path : {"/", "/issues", "/deliveries", "/runs", "/profiles", "/journey"}) {
    INFO(path);
    auto anonymous = HttpGet(daemon.host(), daemon.port(), path);
    REQUIRE(anonymous.ok());
    CHECK(anonymous->status == 200);
    CHECK(anonymous->body.find("action=\"/login\"") != std::string::npos);
    CHECK(anonymous->body.find("shopify") == std::string::npos);  // no source, no data
  }
  auto in_query = HttpGet(daemon.host(), daemon.port(), "/api/v1/status?token=test-admin-token");
  REQUIRE(in_query.ok());
  CHECK(in_query->status == 401);
  // The daemon's log never holds a token.
  CHECK(daemon.log().find("test-admin-token") == std::string::npos);
  CHECK(daemon.log().find("test-read-token") == std::string::npos);
}

// The argument text of each call to `function` in `code` (up to its balanced closing paren).
std::vector<std::string> CallArguments(const std::string& code, const std::string& function) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = code.find(function + "(", at)) != std::string::npos) {
    size_t i = at + function.size() + 1;
    int depth = 1;
    bool in_string = false;
    const size_t start = i;
    for (; i < code.size() && depth > 0; ++i) {
      const char c = code[i];
      if (in_string) {
        if (c == '\\') ++i;
        else if (c == '"') in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        --depth;
      }
    }
    out.push_back(code.substr(start, i - start - 1));
    at = i;
  }
  return out;
}

// The first argument of an argument list: up to its first comma outside parentheses and
// string literals (Query's SQL comes before its parameters).
std::string FirstArgument(const std::string& arguments) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < arguments.size(); ++i) {
    const char c = arguments[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '(' || c == '{' || c == '<') {
      ++depth;
    } else if (c == ')' || c == '}' || c == '>') {
      --depth;
    } else if (c == ',' && depth == 0) {
      return arguments.substr(0, i);
    }
  }
  return arguments;
}

// Whether `argument` is SQL text made only of string literals and named constants: literals,
// `kName` constants (also as std::string(kName)), `+`, and the few variables that hold such
// text by construction (a loop over a table of literals, the migrations compiled in).
bool IsConstantSql(std::string argument) {
  // Drop the literals themselves first: their text may hold anything.
  argument = std::regex_replace(argument, std::regex(R"("(\\.|[^"\\])*")"), " ");
  argument = std::regex_replace(argument, std::regex(R"(//[^\n]*)"), " ");
  // Allowed besides: column lists from rows:: (constexpr literals), a ternary choosing
  // between two literals, and (journeyd migrate's generic copy) table and column names read
  // from the two catalogs, always through QuoteIdentifier, in variables named quoted_*, with
  // numbered placeholders; the intake's multi-row INSERT, literals and numbered placeholders
  // for a given count of rows.
  static const std::regex kAllowed(
      R"(^(\s|\+|:|std::string\(\s*k\w+\s*\)|k\w+|sql|pragma|m\.sql|p->sql|std::string\(sql\))"
      R"(|QuoteIdentifier\([\w.]+\)|quoted_\w+|placeholders|InboxInsertSql\(\w+(,\s*!?[\w.]+(\(\))?)?\))"
      R"(|std::string\(rows::\w+Columns\(\)\)|rows::\w+Columns\(\))"
      R"(|[\w.]+(\(\))?(\s*==\s*[\w:]+)?\s*\?)*$)");
  return std::regex_match(argument, kAllowed);
}

TEST_CASE("SQL is only ever prepared from literals and constants, never from values",
          "[security]") {
  CHECK(IsConstantSql(R"("SELECT 1 FROM t WHERE id = ?1")"));
  CHECK(IsConstantSql(R"(std::string(kColumns) + "WHERE id = ?1")"));
  CHECK_FALSE(IsConstantSql(R"("SELECT * FROM t WHERE name = '" + name + "'")"));
  CHECK_FALSE(IsConstantSql(R"(std::format("SELECT {}", id))"));
  CHECK(FirstArgument(R"x("SELECT f($1, ',')", PgParams().Add(id))x") ==
        R"x("SELECT f($1, ',')")x");
  CHECK_FALSE(IsConstantSql(FirstArgument(R"("SELECT * FROM " + table, PgParams())")));
  CHECK_FALSE(IsConstantSql(R"("SELECT " + QuoteIdentifier(name) + value)"));

  int calls = 0;
  std::vector<std::string> offenders;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(SourceDir() / "engine" / "storage")) {
    const auto& path = entry.path();
    if (path.extension() != ".cc" || path.filename().string().find("_test") != std::string::npos) {
      continue;
    }
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    const std::string code = text.str();
    for (const char* function : {"Prepare", "Exec", "Cached", "Query", "sqlite3_prepare_v2",
                                 "sqlite3_exec"}) {
      for (const std::string& all_arguments : CallArguments(code, function)) {
        const std::string argument = FirstArgument(all_arguments);
        // The definitions themselves (parameter lists) are not calls.
        if (all_arguments.find("std::string_view sql") != std::string::npos ||
            all_arguments.find("const char* sql") != std::string::npos ||
            all_arguments.find("db_, std::string(sql)") != std::string::npos ||
            all_arguments.find("raw_, ") != std::string::npos ||
            all_arguments.find("db_, ") == 0) {
          continue;
        }
        ++calls;
        if (!IsConstantSql(argument)) {
          offenders.push_back(path.filename().string() + ": " + function + "(" +
                              argument.substr(0, 120) + ")");
        }
      }
    }
    // No formatting of SQL at all.
    for (const char* banned : {"sqlite3_mprintf", "sqlite3_snprintf", "std::format(\""}) {
      if (code.find(banned) != std::string::npos) {
        offenders.push_back(path.filename().string() + ": uses " + banned);
      }
    }
  }
  INFO(calls << " calls scanned");
  CHECK(calls >= 100);
  for (const std::string& o : offenders) {
    INFO(o);
    CHECK(o.empty());
  }
  CHECK(offenders.empty());
}

}  // namespace
}  // namespace journeyd::testing
