// Governance through the real binary and a real SQLite file: quarantine and its decisions from
// the CLI and the admin API, erasure that leaves nothing of the person in the database file
// (grepped after VACUUM) and drops their later events, and logs of a full run free of personal
// data and secrets.
#include <catch2/catch.hpp>

#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "engine/storage/sqlite/sqlite_db.h"
#include "engine/storage/sqlite/sqlite_store.h"
#include "tests/integration/people_source.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/signing.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kMapping = R"yaml(
mapping: csv
phone_region: US
events:
  - on: row
    required: [id]
    identities:
      email: email
      phone: phone
      crm.id: crm_id
    traits:
      first_name: first
      last_name: last
    touchpoints:
      - type: customer_created
        reference: concat("people:", id)
        attributes:
          contact: concat(first, " ", last)
)yaml";

// A reject rule on the CRM id puts malformed rows in quarantine.
const std::string kConfig = std::string(kPeopleSource) + R"yaml(identity:
  identifiers:
    - type: email
    - type: phone
    - type: crm.id
      max_per_profile: 1
governance:
  rules:
    - name: crm_id_format
      field: crm.id
      check: regex
      pattern: "C-[0-9]+"
      action: reject
)yaml";

// Zoe (r1, r3) is the person to erase; r3 breaks the CRM id rule and waits in quarantine.
constexpr const char* kCsv =
    "id,email,phone,crm_id,first,last\n"
    "r1,zoe.quistgaard@example.org,+14155550123,C-77,Zoe,Quistgaard\n"
    "r2,max.other@example.com,,C-78,Max,Otherton\n"
    "r3,zoe.quistgaard@example.org,,BAD-ID,Zoe,Quistgaard\n";

std::string FileBytes(const std::filesystem::path& path) {
  return std::filesystem::exists(path) ? ReadFile(path) : std::string();
}

TEST_CASE("an erased person leaves nothing in the database file, their later events are dropped",
          "[governance]") {
  TempDir dir;
  dir.Write("people.yaml", kMapping);
  const auto config = dir.Write("journeyd.yaml", kConfig);
  const auto csv = dir.Write("people.csv", kCsv);
  const auto data = dir.path() / "data";
  const auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--config", config.string(), "--data-dir", data.string()});
    return RunJourneyd(args, DefaultTestEnvironment());
  };
  auto imported = run({"import", "--source", "people", csv.string()});
  INFO(imported.output);
  REQUIRE(imported.exit_code == 0);
  auto listed = run({"quarantine", "list"});
  INFO(listed.output);
  CHECK_THAT(listed.output, Catch::Contains("rule 'crm_id_format': crm.id does not match"));

  const auto db_file = data / "journeyd.db";
  // Sanity: the person is in the file before, or the grep below proves nothing.
  REQUIRE(FileBytes(db_file).find("Quistgaard") != std::string::npos);

  auto erased = run({"erase", "--email", "Zoe.Quistgaard@Example.org"});
  INFO(erased.output);
  REQUIRE(erased.exit_code == 0);
  CHECK_THAT(erased.output, Catch::Contains("erased profile") &&
                                Catch::Contains("3 identifiers suppressed"));
  auto explained = run({"explain", "zoe.quistgaard@example.org"});
  CHECK(explained.exit_code != 0);
  CHECK(run({"quarantine", "list"}).output.find("crm_id_format") == std::string::npos);

  // Later events for her are dropped and counted, never stored.
  const auto later = dir.Write("later.csv",
                               "id,email,phone,crm_id,first,last\n"
                               "r9,,(415) 555-0123,C-90,Zoe,Quistgaard\n"
                               "r10,new.person@example.net,,C-91,Ned,Newman\n");
  auto again = run({"import", "--source", "people", later.string()});
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  {
    auto store = storage::SqliteStore::Open(db_file, 5s);
    REQUIRE(store.ok());
    auto stats = (*store)->ListSourceStats();
    REQUIRE(stats.ok());
    REQUIRE(stats->size() == 1);
    CHECK((*stats)[0].suppressed == 1);
    auto erasures = (*store)->ListErasures(10);
    REQUIRE(erasures.ok());
    REQUIRE(erasures->size() == 1);
    CHECK((*erasures)[0].requested_by == "cli");
    CHECK((*erasures)[0].identifier_hashes.size() == 3);
    CHECK_THAT((*erasures)[0].removed_json, Catch::Contains(R"("records":1)") &&
                                                Catch::Contains(R"("quarantined":1)") &&
                                                Catch::Contains(R"("journey_rows":2)"));
    CHECK((*erasures)[0].pending_targets.empty());  // this config has no targets
  }

  // VACUUM, then grep the file: nothing of Zoe, while others are still there.
  {
    auto db = storage::SqliteDb::Open(db_file, 5s);
    REQUIRE(db.ok());
    REQUIRE((*db)->Exec("VACUUM").ok());
    REQUIRE((*db)->Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  }
  const std::string bytes = FileBytes(db_file) + FileBytes(data / "journeyd.db-wal");
  CHECK(bytes.find("max.other@example.com") != std::string::npos);
  CHECK(bytes.find("new.person@example.net") != std::string::npos);
  CHECK(bytes.find("Max Otherton") != std::string::npos);  // his touchpoint stays
  for (const char* trace : {"zoe.quistgaard", "Quistgaard", "4155550123", "(415) 555-0123",
                            "C-77", "C-90", "BAD-ID"}) {
    INFO(trace);
    CHECK(bytes.find(trace) == std::string::npos);
  }
}

TEST_CASE("the quarantine API lists masked entries for readers, releases and discards for admins",
          "[governance]") {
  TempDir dir;
  dir.Write("people.yaml", kMapping);
  const auto config = dir.Write("journeyd.yaml", kConfig);
  const auto csv = dir.Write("people.csv", kCsv);
  const auto data = dir.path() / "data";
  auto imported = RunJourneyd({"import", "--config", config.string(), "--data-dir",
                               data.string(), "--source", "people", csv.string()},
                              DefaultTestEnvironment());
  REQUIRE(imported.exit_code == 0);

  DaemonProcess daemon(config, data);
  REQUIRE(daemon.Start());
  const Headers read{{"Authorization", "Bearer test-read-token"}};
  const Headers admin{{"Authorization", "Bearer test-admin-token"}};
  auto listed = HttpGet(daemon.host(), daemon.port(), "/api/v1/quarantine?rule=crm_id_format",
                        read);
  REQUIRE(listed.ok());
  INFO(listed->body);
  REQUIRE(listed->status == 200);
  const auto body = boost::json::parse(listed->body);
  REQUIRE(body.at("quarantine").as_array().size() == 1);
  const auto& entry = body.at("quarantine").at(0);
  const int64_t id = entry.at("id").as_int64();
  CHECK(entry.at("rules").at(0) == "crm_id_format");
  CHECK(entry.at("external_id") == "r3");
  CHECK_THAT(listed->body, Catch::Contains("z***@e***.org") &&
                               !Catch::Contains("zoe.quistgaard") &&
                               !Catch::Contains("Quistgaard"));
  auto admin_view = HttpGet(daemon.host(), daemon.port(),
                            "/api/v1/quarantine/" + std::to_string(id), admin);
  REQUIRE(admin_view.ok());
  CHECK(admin_view->status == 200);
  CHECK_THAT(admin_view->body, Catch::Contains("zoe.quistgaard@example.org"));
  auto bad_filter = HttpGet(daemon.host(), daemon.port(), "/api/v1/quarantine?status=maybe", read);
  REQUIRE(bad_filter.ok());
  CHECK(bad_filter->status == 400);

  const std::string path = "/api/v1/quarantine/" + std::to_string(id);
  auto forbidden = HttpRequest(daemon.host(), daemon.port(), "POST", path + "/discard", "", read);
  REQUIRE(forbidden.ok());
  CHECK(forbidden->status == 403);
  auto released = HttpRequest(daemon.host(), daemon.port(), "POST", path + "/release", "", admin);
  REQUIRE(released.ok());
  INFO(released->body);
  CHECK(released->status == 200);
  CHECK_THAT(released->body, Catch::Contains(R"("status":"released")") &&
                                 Catch::Contains(R"("decided_by":"admin api")"));
  auto twice = HttpRequest(daemon.host(), daemon.port(), "POST", path + "/discard", "", admin);
  REQUIRE(twice.ok());
  CHECK(twice->status == 409);
  // The rule still holds, so the daemon's mapping stage quarantines the event again.
  bool requarantined = false;
  for (int i = 0; i < 100 && !requarantined; ++i) {
    auto again = HttpGet(daemon.host(), daemon.port(), "/api/v1/quarantine", admin);
    REQUIRE(again.ok());
    const auto parsed = boost::json::parse(again->body);
    for (const auto& e : parsed.at("quarantine").as_array()) {
      requarantined |= e.at("id").as_int64() > id && e.at("external_id") == "r3";
    }
    if (!requarantined) std::this_thread::sleep_for(50ms);
  }
  CHECK(requarantined);
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait(10s) == 0);
}

TEST_CASE("the logs of a full run hold no personal data and no secrets", "[governance]") {
  TempDir dir;
  // The shipped config, logging at debug, with the shipped mappings.
  std::string shipped = ShippedConfig();
  const auto level = shipped.find("level: info");
  REQUIRE(level != std::string::npos);
  shipped.replace(level, 11, "level: debug");
  const auto config = dir.Write("journeyd.yaml", shipped);
  const auto env = DefaultTestEnvironment();
  DaemonProcess daemon(config, dir.path() / "data", env);
  REQUIRE(daemon.Start());

  const auto post_shopify = [&](const std::string& topic, const std::string& file,
                                const std::string& id, const std::string& secret) {
    const std::string body = ReadFile(FixturesDir() / "webhooks" / "shopify" / file);
    return HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/shopify", body,
                       {{"Content-Type", "application/json"},
                        {"X-Shopify-Topic", topic},
                        {"X-Shopify-Shop-Domain", "example.myshopify.com"},
                        {"X-Shopify-Webhook-Id", id},
                        {"X-Shopify-Hmac-Sha256", HmacSha256Base64(secret, body)}});
  };
  const std::string secret = env.at("JOURNEYD_SHOPIFY_SECRET");
  auto order = post_shopify("orders/create", "orders_create.json", "w-1", secret);
  REQUIRE(order.ok());
  CHECK(order->status == 200);
  auto customer = post_shopify("customers/create", "customers_create.json", "w-2", secret);
  REQUIRE(customer.ok());
  CHECK(customer->status == 200);
  auto forged = post_shopify("customers/create", "customers_create.json", "w-3", "wrong-secret");
  REQUIRE(forged.ok());
  CHECK(forged->status == 401);
  auto tracked = HttpRequest(
      daemon.host(), daemon.port(), "POST", "/v1/identify",
      R"({"userId":"u-55","messageId":"m-55","traits":{"email":"peggy.track@example.com","phone":"+14155550177","firstName":"Peggy"}})",
      {{"Content-Type", "application/json"},
       {"Authorization", "Basic " + Base64(env.at("JOURNEYD_SEGMENT_WRITE_KEY") + ":")}});
  REQUIRE(tracked.ok());
  CHECK(tracked->status == 200);
  // Lookups by personal values and wrong tokens.
  (void)HttpGet(daemon.host(), daemon.port(), "/api/v1/profiles?email=bob@biller.com",
                {{"Authorization", "Bearer " + env.at("JOURNEYD_ADMIN_TOKEN")}});
  (void)HttpGet(daemon.host(), daemon.port(), "/api/v1/profiles?email=bob@biller.com",
                {{"Authorization", "Bearer not-the-token-123"}});
  (void)HttpRequest(daemon.host(), daemon.port(), "DELETE",
                    "/api/v1/profiles?email=john@example.com", "",
                    {{"Authorization", "Bearer " + env.at("JOURNEYD_ADMIN_TOKEN")}});
  std::this_thread::sleep_for(300ms);  // mapping and identity run on their own threads
  daemon.Signal(SIGTERM);
  REQUIRE(daemon.Wait(10s) == 0);

  const std::string log = daemon.log();
  INFO(log);
  REQUIRE_FALSE(log.empty());
  std::vector<std::string> secrets;
  for (const auto& [name, value] : env) secrets.push_back(value);
  secrets.push_back("not-the-token-123");
  for (const std::string& s : secrets) {
    INFO("secret from the environment");
    CHECK(log.find(s) == std::string::npos);
  }
  for (const char* personal :
       {"bob@biller.com", "john@example.com", "jon@example.com", "peggy.track@example.com",
        "4155550177", "123-123-1234", "555-555-SHIP", "Biller", "Peggy", "Shipper"}) {
    INFO(personal);
    CHECK(log.find(personal) == std::string::npos);
  }
}

}  // namespace
}  // namespace journeyd::testing
