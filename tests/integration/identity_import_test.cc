// journeyd import / export / explain on a real SQLite file: a CSV through mapping and identity
// resolution, bad rows as issues with their lines, idempotent re-imports, and the data-dir lock.
#include <catch2/catch.hpp>

#include <chrono>
#include <signal.h>

#include "tests/support/daemon_process.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kMapping = R"yaml(
mapping: csv
events:
  - on: row
    required: [id]
    identities:
      email: email
      crm.id: crm_id
    traits:
      first_name: first
      last_name: last
      birth_date: born
)yaml";

constexpr const char* kConfig = R"yaml(
data_dir: data
server:
  listen: 127.0.0.1:0
  admin_token: ${env:JOURNEYD_ADMIN_TOKEN}
  read_token: ${env:JOURNEYD_READ_TOKEN}
sources:
  - name: people
    type: csv
    mapping: people.yaml
    token: ${env:JOURNEYD_ADMIN_TOKEN}
    id_column: id
identity:
  identifiers:
    - type: email
      max_per_profile: 3
    - type: crm.id
      max_per_profile: 1
  blocked_values: [test@test.com]
  fuzzy:
    enabled: true
    blocking: [[last_name]]
    fields:
      - {field: first_name, compare: name}
      - {field: last_name, compare: name}
      - {field: birth_date, compare: date}
)yaml";

// r2 starts a profile of its own; r3 shares r1's email and r2's crm id, so the two merge; r4 is
// r1 with a typo and no identifiers (fuzzy); r5 has a blocked email; line 7 lacks a column.
constexpr const char* kCsv =
    "id,email,crm_id,first,last,born\n"
    "r1,Ann@Example.com,,Annabel,Lee,1980-01-02\n"
    "r2,,C-1,,,\n"
    "r3,ann@example.com,C-1,,,\n"
    "r4,,,Anabel,Lee,1980-01-02\n"
    "r5,test@test.com,,Zed,Zero,1999-09-09\n"
    "r6,only,five,columns,here\n"
    "r7,bob@example.com,C-2,Bob,Ray,1970-07-07\n";

TEST_CASE("journeyd import resolves a CSV into profiles; export and explain show them",
          "[identity]") {
  TempDir dir;
  dir.Write("people.yaml", kMapping);
  const auto config = dir.Write("journeyd.yaml", kConfig);
  const auto csv = dir.Write("people.csv", kCsv);
  const auto env = DefaultTestEnvironment();
  const std::string data = (dir.path() / "data").string();

  auto imported = RunJourneyd({"import", "--config", config.string(), "--data-dir", data, "--source", "people",
                               csv.string()},
                              env);
  INFO(imported.output);
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(imported.output, Catch::Contains("7 rows, 6 new, 0 already imported, 1 bad") &&
                                  Catch::Contains("line 7"));

  auto exported = RunJourneyd({"export", "--config", config.string(), "--data-dir", data, "profiles", "--format",
                               "csv"},
                              env);
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  // r1..r4 are one person (email, crm id, fuzzy), r5 and r7 are others.
  CHECK_THAT(exported.output, Catch::StartsWith("profile_id,source,record_id\n1,people,r1\n"
                                                "1,people,r2\n1,people,r3\n1,people,r4\n"));
  CHECK_THAT(exported.output, Catch::Contains(",people,r5\n") && Catch::Contains(",people,r7\n") &&
                                  !Catch::Contains("r6"));

  auto explained = RunJourneyd({"explain", "--config", config.string(), "--data-dir", data, "ANN@example.com"}, env);
  INFO(explained.output);
  REQUIRE(explained.exit_code == 0);
  CHECK_THAT(explained.output,
             Catch::StartsWith("profile 1 ") && Catch::Contains("email  ann@example.com") &&
                 Catch::Contains("crm.id  C-1") && Catch::Contains("source records (4)") &&
                 Catch::Contains("identifier: both hold") && Catch::Contains("fuzzy: first_name"));
  // A retired profile id leads to the survivor.
  auto by_old_id = RunJourneyd({"explain", "--config", config.string(), "--data-dir", data, "2"}, env);
  INFO(by_old_id.output);
  CHECK(by_old_id.exit_code == 0);
  CHECK_THAT(by_old_id.output, Catch::Contains("(profile 2 was merged into it)"));
  auto unknown = RunJourneyd({"explain", "--config", config.string(), "--data-dir", data, "nobody@example.com"}, env);
  CHECK(unknown.exit_code == 3);

  // The same file again stores nothing twice.
  auto again = RunJourneyd({"import", "--config", config.string(), "--data-dir", data, "--source", "people",
                            csv.string()},
                           env);
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.output, Catch::Contains("6 already imported"));
  auto exported_again = RunJourneyd({"export", "--config", config.string(), "--data-dir", data, "profiles"}, env);
  CHECK(exported_again.output == exported.output);
}

TEST_CASE("journeyd import refuses a data dir a running daemon holds", "[identity]") {
  TempDir dir;
  dir.Write("people.yaml", kMapping);
  const auto config = dir.Write("journeyd.yaml", kConfig);
  const auto csv = dir.Write("people.csv", kCsv);
  const std::string data = (dir.path() / "data").string();
  DaemonProcess daemon(config, dir.path() / "data");
  REQUIRE(daemon.Start());
  auto imported = RunJourneyd({"import", "--config", config.string(), "--data-dir", data, "--source", "people",
                               csv.string()},
                              DefaultTestEnvironment());
  INFO(imported.output);
  CHECK(imported.exit_code == 1);
  CHECK_THAT(imported.output, Catch::Contains("another journeyd process"));
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait(10s) == 0);
}

}  // namespace
}  // namespace journeyd::testing
