// The real journeyd binary on loopback: probes, CLI, SIGTERM drain, SIGHUP reload, kill -9.
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

const char* kMinimalConfig = R"(server:
  listen: 127.0.0.1:8080
  admin_token: ${env:JOURNEYD_ADMIN_TOKEN}
  read_token: ${env:JOURNEYD_READ_TOKEN}
  shutdown_timeout: 5s
targets:
  - name: preview
    type: preview
)";

uint64_t ConfigGeneration(const DaemonProcess& daemon) {
  auto ready = HttpGet(daemon.host(), daemon.port(), "/readyz");
  REQUIRE(ready.ok());
  REQUIRE(ready->status == 200);
  return boost::json::parse(ready->body).at("config").at("generation").to_number<uint64_t>();
}

// Rows of daemon_runs as (stopped cleanly?) in start order.
std::vector<bool> RunHistory(const std::filesystem::path& db_path) {
  auto db = storage::SqliteDb::Open(db_path, 1s);
  REQUIRE(db.ok());
  auto rows = (*db)->Prepare("SELECT stopped_at IS NOT NULL FROM daemon_runs ORDER BY id");
  REQUIRE(rows.ok());
  std::vector<bool> out;
  while (*rows->Step()) out.push_back(rows->ColumnInt(0) != 0);
  return out;
}

TEST_CASE("the daemon answers its probes with JSON", "[daemon]") {
  TempDir dir;
  DaemonProcess daemon(dir.Write("journeyd.yaml", kMinimalConfig), dir.path() / "data");
  REQUIRE(daemon.Start());

  auto health = HttpGet(daemon.host(), daemon.port(), "/healthz");
  REQUIRE(health.ok());
  CHECK(health->status == 200);
  CHECK(health->header("content-type") == "application/json");
  CHECK(boost::json::parse(health->body).at("status") == "ok");

  auto ready = HttpGet(daemon.host(), daemon.port(), "/readyz");
  REQUIRE(ready.ok());
  CHECK(ready->status == 200);
  auto body = boost::json::parse(ready->body);
  CHECK(body.at("checks").at("storage") == "ok");
  CHECK(body.at("config").at("targets") == 1);

  auto missing = HttpGet(daemon.host(), daemon.port(), "/nope");
  REQUIRE(missing.ok());
  CHECK(missing->status == 404);
  CHECK(boost::json::parse(missing->body).at("error").at("code") == "not_found");

  auto wrong = HttpRequest(daemon.host(), daemon.port(), "POST", "/healthz", "{}");
  REQUIRE(wrong.ok());
  CHECK(wrong->status == 405);
  CHECK(wrong->header("allow") == "GET");
}

TEST_CASE("SIGTERM drains, records a clean stop and exits 0", "[daemon]") {
  TempDir dir;
  DaemonProcess daemon(dir.Write("journeyd.yaml", kMinimalConfig), dir.path() / "data");
  REQUIRE(daemon.Start());
  // An idle keep-alive connection must not hold the shutdown until the drain deadline.
  auto idle = HttpConnection::Connect(daemon.host(), daemon.port());
  REQUIRE(idle.ok());
  REQUIRE((*idle)->Request("GET", "/healthz")->status == 200);

  const auto started = std::chrono::steady_clock::now();
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait(10s) == 0);
  CHECK(std::chrono::steady_clock::now() - started < 4s);  // well inside the 5s deadline
  CHECK((*idle)->ClosedByPeer(1s));
  CHECK(RunHistory(dir.path() / "data" / "journeyd.db") == std::vector<bool>{true});
}

TEST_CASE("kill -9 leaves an unclean run that the next start notices", "[daemon]") {
  TempDir dir;
  const auto config = dir.Write("journeyd.yaml", kMinimalConfig);
  {
    DaemonProcess daemon(config, dir.path() / "data");
    REQUIRE(daemon.Start());
    daemon.Signal(SIGKILL);
    CHECK(daemon.Wait(5s) == 128 + SIGKILL);
  }
  DaemonProcess again(config, dir.path() / "data");
  REQUIRE(again.Start());
  again.Signal(SIGINT);
  CHECK(again.Wait(10s) == 0);
  CHECK(RunHistory(dir.path() / "data" / "journeyd.db") == std::vector<bool>{false, true});
}

TEST_CASE("SIGHUP swaps in a valid config and keeps the old one when the new is bad",
          "[daemon]") {
  TempDir dir;
  const auto config = dir.Write("journeyd.yaml", kMinimalConfig);
  DaemonProcess daemon(config, dir.path() / "data");
  REQUIRE(daemon.Start());
  CHECK(ConfigGeneration(daemon) == 1);

  dir.Write("journeyd.yaml", std::string(kMinimalConfig) + "  - name: broken\n    type: nope\n");
  daemon.Signal(SIGHUP);
  std::this_thread::sleep_for(500ms);
  REQUIRE(daemon.running());
  CHECK(ConfigGeneration(daemon) == 1);
  CHECK_THAT(daemon.log(), Catch::Contains("reload rejected"));

  dir.Write("journeyd.yaml",
            std::string(kMinimalConfig) + "  - name: second\n    type: preview\n");
  daemon.Signal(SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (ConfigGeneration(daemon) == 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  CHECK(ConfigGeneration(daemon) == 2);
  auto ready = HttpGet(daemon.host(), daemon.port(), "/readyz");
  CHECK(boost::json::parse(ready->body).at("config").at("targets") == 2);
  CHECK_THAT(daemon.log(), !Catch::Contains("identity rules changed"));

  // Identity rules are applied, but only after a restart: the log says so.
  dir.Write("journeyd.yaml", std::string(kMinimalConfig) +
                                 "  - name: second\n    type: preview\n"
                                 "identity:\n  blocked_values: [n/a]\n");
  daemon.Signal(SIGHUP);
  const auto reload_deadline = std::chrono::steady_clock::now() + 5s;
  while (ConfigGeneration(daemon) == 2 && std::chrono::steady_clock::now() < reload_deadline) {
    std::this_thread::sleep_for(50ms);
  }
  CHECK(ConfigGeneration(daemon) == 3);
  CHECK_THAT(daemon.log(), Catch::Contains("identity rules changed; restart journeyd"));

  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait(10s) == 0);
}

TEST_CASE("a config with errors refuses to start and names every problem", "[daemon]") {
  TempDir dir;
  const auto config = dir.Write("journeyd.yaml",
                                "server:\n  admin_tokn: x\n  listen: nowhere\n");
  auto result = RunJourneyd({"run", "--config", config.string(), "--data-dir",
                             (dir.path() / "data").string()});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.output, Catch::Contains(config.string() +
                                            ":2:3: error: unknown key 'admin_tokn' "
                                            "(did you mean 'admin_token'?)"));
  CHECK_THAT(result.output, Catch::Contains(config.string() + ":3:11: error: 'nowhere' is not"));
  CHECK_THAT(result.output,
             Catch::Contains(config.string() + ":2:3: error: missing required key 'read_token'"));
}

TEST_CASE("journeyd check validates the shipped configs", "[cli]") {
  auto good = RunJourneyd({"check", "--config", (SourceDir() / "config/journeyd.yaml").string()},
                          DefaultTestEnvironment());
  INFO(good.output);
  CHECK(good.exit_code == 0);
  // The CRM examples: the default plus one target, credentials from the environment.
  auto crm_env = DefaultTestEnvironment();
  crm_env["JOURNEYD_SALESFORCE_LOGIN_URL"] = "https://example.my.salesforce.com";
  crm_env["JOURNEYD_SALESFORCE_CLIENT_ID"] = "test-client";
  crm_env["JOURNEYD_SALESFORCE_CLIENT_SECRET"] = "test-secret";
  for (const char* example : {"config/examples/hubspot.yaml", "config/examples/salesforce.yaml"}) {
    auto checked = RunJourneyd({"check", "--config", (SourceDir() / example).string()}, crm_env);
    INFO(checked.output);
    CHECK(checked.exit_code == 0);
    CHECK_THAT(checked.output, Catch::Contains("2 targets"));
  }
  // The polling example: every vendor preset with its base URL and credential from the
  // environment, and the POS drop directory.
  auto poll_env = DefaultTestEnvironment();
  for (const char* vendor : {"SHOPIFY", "WOOCOMMERCE", "SQUARE", "ZENDESK", "MAILCHIMP", "STRIPE"}) {
    poll_env[std::string("JOURNEYD_") + vendor + "_BASE_URL"] = "https://example.com";
    poll_env[std::string("JOURNEYD_") + vendor + "_TOKEN"] = "user:test-token";
  }
  poll_env["JOURNEYD_SQUARE_LOCATION_ID"] = "L1";
  poll_env["JOURNEYD_MAILCHIMP_LIST_ID"] = "a36b032126";
  {
    auto checked = RunJourneyd(
        {"check", "--config", (SourceDir() / "config/examples/polling.yaml").string()}, poll_env);
    INFO(checked.output);
    CHECK(checked.exit_code == 0);
    CHECK_THAT(checked.output, Catch::Contains("9 sources"));
    poll_env.erase("JOURNEYD_SHOPIFY_BASE_URL");
    auto missing = RunJourneyd(
        {"check", "--config", (SourceDir() / "config/examples/polling.yaml").string()}, poll_env);
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.output, Catch::Contains("'JOURNEYD_SHOPIFY_BASE_URL' is not set"));
  }
  // The benchmark configs too, with their mapping tests: a benchmark must not rot unnoticed.
  for (const char* bench : {"bench/identity/febrl.yaml", "bench/identity/scale.yaml"}) {
    auto checked = RunJourneyd({"check", "--config", (SourceDir() / bench).string()}, {});
    INFO(checked.output);
    CHECK(checked.exit_code == 0);
    CHECK_THAT(checked.output, Catch::Contains("mapping tests passed"));
  }

  TempDir dir;
  auto bad = RunJourneyd({"check", "--config",
                          (SourceDir() / "tests/config/bad/invalid_values.yaml").string()},
                         DefaultTestEnvironment());
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.output, Catch::Contains("invalid_values.yaml:2:11: error:"));
  CHECK_THAT(bad.output, Catch::Contains("invalid_values.yaml:16:11: error:"));

  // A missing secret is an error for check as well as for run.
  auto env = DefaultTestEnvironment();
  env.erase("JOURNEYD_ADMIN_TOKEN");
  auto no_secret = RunJourneyd(
      {"check", "--config", (SourceDir() / "config/journeyd.yaml").string()}, env);
  CHECK(no_secret.exit_code == 1);
  CHECK_THAT(no_secret.output,
             Catch::Contains("environment variable 'JOURNEYD_ADMIN_TOKEN' is not set"));
}

TEST_CASE("journeyd version and --help answer", "[cli]") {
  auto version = RunJourneyd({"version"});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.output, Catch::StartsWith("journeyd "));
  auto help = RunJourneyd({"run", "--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.output, Catch::Contains("--listen"));
  auto unknown = RunJourneyd({"frobnicate"});
  CHECK(unknown.exit_code != 0);
}

}  // namespace
}  // namespace journeyd::testing

namespace journeyd::testing {
namespace {

TEST_CASE("docs/configuration.md is what journeyd describe generates", "[cli]") {
  auto described = RunJourneyd({"describe"});
  REQUIRE(described.exit_code == 0);
  // Regenerate with: ./build/journeyd describe > docs/configuration.md
  CHECK(described.output == ReadFile(SourceDir() / "docs" / "configuration.md"));
}

}  // namespace
}  // namespace journeyd::testing
