// journeyd import / export / explain on a real SQLite file: a CSV through mapping and identity
// resolution, bad rows as issues with their lines, idempotent re-imports, and the data-dir lock.
#include <catch2/catch.hpp>

#include <chrono>
#include <signal.h>

#include "tests/integration/people_source.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
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

constexpr const char* kFuzzyFields = R"yaml(
    blocking: [[last_name]]
    fields:
      - {field: first_name, compare: name}
      - {field: last_name, compare: name}
      - {field: birth_date, compare: date}
)yaml";

const std::string kConfig = std::string(kPeopleSource) + R"yaml(identity:
  identifiers:
    - type: email
      max_per_profile: 3
    - type: crm.id
      max_per_profile: 1
  blocked_values: [test@test.com]
  fuzzy:
    enabled: true)yaml" + kFuzzyFields;

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

TEST_CASE("journeyd import resolves a CSV into profiles, export and explain show them",
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
                 Catch::Contains("identifier: both hold") && Catch::Contains("fuzzy: first_name") &&
                 Catch::Contains("golden record (") && Catch::Contains("  last_name = Lee  <- ") &&
                 Catch::Contains("  crm.id = C-1  <- most_recent: from people record"));
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

const std::string kReviewConfig = std::string(kPeopleSource) + R"yaml(identity:
  fuzzy:
    enabled: true
    auto_merge: 0.999999
    review: 0.5)yaml" + kFuzzyFields;

// Two records close enough to ask, not close enough to merge.
constexpr const char* kReviewCsv =
    "id,email,crm_id,first,last,born\n"
    "r1,ann@example.com,,Ann,Lee,1970-05-05\n"
    "r2,,C-5,Anne,Lee,1970-05-05\n";

TEST_CASE("an admin accepts a review and splits the profile again from the shell", "[identity]") {
  TempDir dir;
  dir.Write("people.yaml", kMapping);
  const auto config = dir.Write("journeyd.yaml", kReviewConfig);
  const auto csv = dir.Write("people.csv", kReviewCsv);
  const auto env = DefaultTestEnvironment();
  const std::string data = (dir.path() / "data").string();
  const auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--config", config.string(), "--data-dir", data});
    return RunJourneyd(args, env);
  };
  auto imported = run({"import", "--source", "people", csv.string()});
  INFO(imported.output);
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(imported.output, Catch::Contains("2 profiles, 0 merges, 1 reviews"));

  auto listed = run({"review", "list"});
  INFO(listed.output);
  CHECK(listed.exit_code == 0);
  CHECK_THAT(listed.output, Catch::Contains("review 1  open  profiles 2 and 1") &&
                                Catch::Contains("first_name jaro_winkler"));

  auto accepted = run({"review", "accept", "1"});
  INFO(accepted.output);
  CHECK(accepted.exit_code == 0);
  CHECK_THAT(accepted.output, Catch::Contains("profile 2 merged into 1"));
  auto twice = run({"review", "accept", "1"});
  CHECK(twice.exit_code == 1);
  CHECK_THAT(twice.output, Catch::Contains("already accepted"));
  CHECK_THAT(run({"export", "profiles"}).output,
             Catch::Equals("profile_id,source,record_id\n1,people,r1\n1,people,r2\n"));

  // Unmerge record 2 (the second stored record): a new profile, kept apart for good.
  auto split = run({"split", "1", "2"});
  INFO(split.output);
  CHECK(split.exit_code == 0);
  CHECK_THAT(split.output, Catch::Contains("records moved to new profile 3"));
  CHECK_THAT(run({"export", "profiles"}).output,
             Catch::Equals("profile_id,source,record_id\n1,people,r1\n3,people,r2\n"));
  auto explained = run({"explain", "3"});
  CHECK_THAT(explained.output, Catch::Contains("split: an admin split records 2 off profile 1"));
  auto refused = run({"split", "1", "1"});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.output, Catch::Contains("every record of the profile would leave it"));
}

TEST_CASE("the profiles and reviews API read and decide through the running daemon",
          "[identity]") {
  TempDir dir;
  dir.Write("people.yaml", kMapping);
  const auto config = dir.Write("journeyd.yaml", kReviewConfig);
  const auto csv = dir.Write("people.csv", kReviewCsv);
  const std::string data = (dir.path() / "data").string();
  REQUIRE(RunJourneyd({"import", "--config", config.string(), "--data-dir", data, "--source",
                       "people", csv.string()},
                      DefaultTestEnvironment())
              .exit_code == 0);
  DaemonProcess daemon(config, dir.path() / "data");
  REQUIRE(daemon.Start());
  const Headers read = {{"Authorization", "Bearer test-read-token"}};
  const Headers admin = {{"Authorization", "Bearer test-admin-token"}};

  auto reviews = HttpGet(daemon.host(), daemon.port(), "/api/v1/reviews", read);
  REQUIRE(reviews.ok());
  CHECK(reviews->status == 200);
  CHECK_THAT(reviews->body, Catch::Contains(R"("status":"open")"));

  // The read token may look, not decide.
  auto forbidden = HttpRequest(daemon.host(), daemon.port(), "POST", "/api/v1/reviews/1/reject",
                               "", read);
  REQUIRE(forbidden.ok());
  CHECK(forbidden->status == 403);
  auto rejected = HttpRequest(daemon.host(), daemon.port(), "POST", "/api/v1/reviews/1/reject", "",
                              admin);
  REQUIRE(rejected.ok());
  INFO(rejected->body);
  CHECK(rejected->status == 200);
  CHECK_THAT(rejected->body, Catch::Contains(R"("status":"done")") &&
                                 Catch::Contains("are kept apart"));
  auto again = HttpRequest(daemon.host(), daemon.port(), "POST", "/api/v1/reviews/1/accept", "",
                           admin);
  REQUIRE(again.ok());
  CHECK(again->status == 409);

  auto profile = HttpGet(daemon.host(), daemon.port(), "/api/v1/profiles?email=ANN@example.com",
                         admin);
  REQUIRE(profile.ok());
  INFO(profile->body);
  CHECK(profile->status == 200);
  CHECK_THAT(profile->body, Catch::Contains(R"("id":1)") &&
                                Catch::Contains(R"("first_name":{"value":"Ann")") &&
                                Catch::Contains(R"("value":"ann@example.com")") &&
                                Catch::Contains(R"("rule":"most_recent")"));
  // The read token sees the same profile with its personal values masked, provenance intact.
  auto masked = HttpGet(daemon.host(), daemon.port(), "/api/v1/profiles/1", read);
  REQUIRE(masked.ok());
  INFO(masked->body);
  CHECK(masked->status == 200);
  CHECK_THAT(masked->body, Catch::Contains(R"("first_name":{"value":"A***")") &&
                               Catch::Contains(R"("value":"a***@e***.com")") &&
                               Catch::Contains(R"("rule":"most_recent")") &&
                               !Catch::Contains("ann@example.com") && !Catch::Contains("Ann\""));
  auto missing = HttpGet(daemon.host(), daemon.port(), "/api/v1/profiles/999", read);
  REQUIRE(missing.ok());
  CHECK(missing->status == 404);
  auto bad_split = HttpRequest(daemon.host(), daemon.port(), "POST", "/api/v1/profiles/1/split",
                               R"({"records": "2"})", admin);
  REQUIRE(bad_split.ok());
  CHECK(bad_split->status == 400);
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait(10s) == 0);
}

TEST_CASE("journeyd import takes several files in one process, one source each", "[identity]") {
  TempDir dir;
  dir.Write("people.yaml", kMapping);
  const auto config = dir.Write("journeyd.yaml", kConfig);
  const auto first = dir.Write("a.csv", "id,email,crm_id,first,last,born\n"
                                        "a1,kim@example.com,,Kim,Park,1985-06-07\n");
  const auto second = dir.Write("b.csv", "id,email,crm_id,first,last,born\n"
                                         "b1,kim@example.com,C-9,,,\n");
  const std::string data = (dir.path() / "data").string();
  const auto env = DefaultTestEnvironment();
  auto mismatched = RunJourneyd({"import", "--config", config.string(), "--data-dir", data,
                                 "--source", "people", "--source", "people", first.string()},
                                env);
  CHECK(mismatched.exit_code == 2);
  CHECK_THAT(mismatched.output, Catch::Contains("one per file (got 2 for 1 files)"));
  auto imported = RunJourneyd({"import", "--config", config.string(), "--data-dir", data,
                               "--source", "people", first.string(), second.string()},
                              env);
  INFO(imported.output);
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(imported.output, Catch::Contains("a.csv: 1 rows, 1 new") &&
                                  Catch::Contains("b.csv: 1 rows, 1 new") &&
                                  Catch::Contains("2 resolved into 1 profiles"));
}

TEST_CASE("an open review closes itself when a later record links its two profiles",
          "[identity]") {
  TempDir dir;
  dir.Write("people.yaml", kMapping);
  const auto config = dir.Write("journeyd.yaml", kReviewConfig);
  const auto first = dir.Write("people.csv", kReviewCsv);
  const auto second = dir.Write("later.csv", "id,email,crm_id,first,last,born\n"
                                             "r3,ann@example.com,C-5,,,\n");
  const std::string data = (dir.path() / "data").string();
  const auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--config", config.string(), "--data-dir", data});
    return RunJourneyd(args, DefaultTestEnvironment());
  };
  REQUIRE(run({"import", "--source", "people", first.string(), second.string()}).exit_code == 0);
  auto open = run({"review", "list"});
  CHECK_THAT(open.output, Catch::Contains("no open reviews"));
  auto merged = run({"review", "list", "--status", "merged"});
  INFO(merged.output);
  CHECK_THAT(merged.output, Catch::Contains("review 1  merged  profiles 2 and 1"));
  auto accept = run({"review", "accept", "1"});
  CHECK(accept.exit_code == 1);
  CHECK_THAT(accept.output, Catch::Contains("review 1 is already merged"));
}

}  // namespace
}  // namespace journeyd::testing
