// Mapping behind the inbox, through the real daemon: tracking calls over HTTP become canonical
// records in the SQLite file, and an event the mapping cannot use becomes a visible
// data-quality issue instead of disappearing.
#include <catch2/catch.hpp>

#include <signal.h>

#include <thread>

#include <boost/json/parse.hpp>

#include "engine/storage/sqlite/sqlite_db.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

using namespace std::chrono_literals;

const char* kMapping = R"(mapping: segment
events:
  - on: identify
    required: [userId]
    occurred_at: time(timestamp)
    identities:
      email: traits.email
      segment.user_id: userId
    traits:
      full_name: traits.name
      custom.industry: traits.industry
  - on: track
    identities:
      segment.user_id: userId
    touchpoints:
      - type: tracked
        attributes:
          event: event
)";

const char* kConfig = R"(server:
  listen: 127.0.0.1:8080
  admin_token: ${env:JOURNEYD_ADMIN_TOKEN}
  read_token: ${env:JOURNEYD_READ_TOKEN}
sources:
  - name: web
    type: segment
    write_key: web-key
    mapping: segment.yaml
)";

std::vector<boost::json::value> Records(const std::filesystem::path& db_path) {
  auto db = storage::SqliteDb::Open(db_path, 5s);
  REQUIRE(db.ok());
  auto rows = (*db)->Prepare("SELECT record FROM records ORDER BY id");
  REQUIRE(rows.ok());
  std::vector<boost::json::value> out;
  while (*rows->Step()) out.push_back(boost::json::parse(rows->ColumnText(0)));
  return out;
}

TEST_CASE("tracking calls are mapped into records, unusable ones into issues", "[mapping]") {
  TempDir dir;
  dir.Write("segment.yaml", kMapping);
  DaemonProcess daemon(dir.Write("journeyd.yaml", kConfig), dir.path() / "data");
  REQUIRE(daemon.Start());
  const auto post = [&](const std::string& call, const std::string& body) {
    auto r = HttpRequest(daemon.host(), daemon.port(), "POST", "/v1/" + call, body,
                         {{"Content-Type", "application/json"},
                          {"Authorization", "Basic d2ViLWtleTo="}});  // base64("web-key:")
    REQUIRE(r.ok());
    CHECK(r->status == 200);
  };
  // Segment's own example of an identify call.
  std::string identify = ReadFile(FixturesDir() / "tracking" / "segment" / "examples" /
                                  "http-api.01.identify_POST_v1_identify.json");
  post("identify", identify);
  post("track", R"({"userId": "019mr8mf4r", "event": "Signed Up", "messageId": "m-2"})");
  post("identify", R"({"anonymousId": "a-1", "traits": {"email": "x@example.com"},
                       "messageId": "m-3"})");  // no userId: required by the mapping

  const auto db_path = dir.path() / "data" / "journeyd.db";
  std::vector<boost::json::value> records;
  for (int i = 0; i < 200 && records.size() < 2; ++i) {
    std::this_thread::sleep_for(20ms);
    records = Records(db_path);
  }
  REQUIRE(records.size() == 2);
  const auto& person = records[0];
  CHECK(person.at("source") == "web");
  CHECK(person.at("event_type") == "identify");
  CHECK(person.at("occurred_at") == "2012-12-02T00:30:08.276Z");
  CHECK(person.at("identities") == boost::json::parse(R"([
      {"type": "email", "value": "pgibbons@example.com"},
      {"type": "segment.user_id", "value": "019mr8mf4r"}])"));
  CHECK(person.at("traits").at("full_name") == "Peter Gibbons");
  CHECK(person.at("traits").at("custom").at("industry") == "Technology");
  CHECK(records[1].at("touchpoints").at(0).at("attributes").at("event") == "Signed Up");

  // The third call is an issue, visible in the admin API, naming the field and not the data.
  boost::json::value issues;
  for (int i = 0; i < 100; ++i) {
    auto r = HttpGet(daemon.host(), daemon.port(), "/api/v1/issues?kind=mapping_missing_field",
                     {{"Authorization", "Bearer test-read-token"}});
    REQUIRE(r.ok());
    issues = boost::json::parse(r->body);
    if (!issues.at("issues").as_array().empty()) break;
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(issues.at("issues").as_array().size() == 1);
  const auto& issue = issues.at("issues").at(0);
  CHECK(issue.at("source") == "web");
  const std::string message(issue.at("message").as_string());
  CHECK_THAT(message, Catch::Contains("userId") && !Catch::Contains("x@example.com"));

  daemon.Signal(SIGTERM);
  REQUIRE(daemon.Wait(10s) == 0);
}

TEST_CASE("journeyd map prints the records of a saved payload", "[mapping]") {
  TempDir dir;
  dir.Write("segment.yaml", kMapping);
  const auto config = dir.Write("journeyd.yaml", kConfig);
  const auto payload = dir.Write("identify.json",
                                 R"({"type": "identify", "userId": "u-9",
                                     "traits": {"email": "Ann@Example.com"}})");
  // The event type comes from the body's `type`, where Segment puts it.
  auto result = RunJourneyd({"map", "--config", config.string(), "--source", "web",
                             payload.string()},
                            DefaultTestEnvironment());
  INFO(result.output);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.output, Catch::Contains(R"("value": "ann@example.com")") &&
                                Catch::Contains(R"("event_type": "identify")"));

  auto unknown = RunJourneyd({"map", "--config", config.string(), "--source", "nope",
                              payload.string()},
                             DefaultTestEnvironment());
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.output, Catch::Contains("no source named 'nope'"));
}

TEST_CASE("journeyd check runs mapping tests and shows a diff on a mismatch", "[mapping]") {
  TempDir dir;
  dir.Write("segment.yaml", kMapping);
  const auto config = dir.Write("journeyd.yaml", kConfig);
  dir.Write("tests/segment/track.json", R"({"userId": "u1", "event": "Signed Up"})");
  dir.Write("tests/segment/track.test.yaml",
            "event_type: track\npayload: track.json\nexpect: track.expected.json\n");
  const std::string expected = R"([{"source": "segment", "event_type": "track",
    "external_id": "", "occurred_at": "1970-01-01T00:00:00.000Z",
    "identities": [{"type": "segment.user_id", "value": "u1"}], "traits": {},
    "touchpoints": [{"type": "tracked", "occurred_at": "1970-01-01T00:00:00.000Z",
                     "attributes": {"event": "Signed Up"}}]}])";
  dir.Write("tests/segment/track.expected.json", expected);
  auto ok = RunJourneyd({"check", "--config", config.string()}, DefaultTestEnvironment());
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.output, Catch::Contains("1 mapping tests passed"));

  std::string wrong = expected;
  wrong.replace(wrong.find("Signed Up"), 9, "Logged In");
  dir.Write("tests/segment/track.expected.json", wrong);
  auto failed = RunJourneyd({"check", "--config", config.string()}, DefaultTestEnvironment());
  INFO(failed.output);
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.output, Catch::Contains("track.test.yaml: FAIL") &&
                                Catch::Contains("-          \"event\": \"Logged In\"\n+          \"event\": \"Signed Up\""));
}

}  // namespace
}  // namespace journeyd::testing
