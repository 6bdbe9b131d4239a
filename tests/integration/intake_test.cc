// Webhook intake through the real daemon: durable-before-ack, idempotency, the 4xx answers and
// the per-source counters of /api/v1/sources, across restarts and kill -9.
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <boost/json/parse.hpp>

#include "engine/storage/sqlite/sqlite_db.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/signing.h"
#include "tests/support/vendor_requests.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

using namespace std::chrono_literals;

const char* kConfig = R"(server:
  listen: 127.0.0.1:8080
  threads: 2
  admin_token: ${env:JOURNEYD_ADMIN_TOKEN}
  read_token: ${env:JOURNEYD_READ_TOKEN}
  limits:
    max_body: 64KiB
sources:
  - name: shopify
    type: shopify
    secret: ${env:JOURNEYD_SHOPIFY_SECRET}
targets:
  - name: preview
    type: preview
)";

boost::json::value SourceStats(const DaemonProcess& daemon, const std::string& name) {
  auto response = HttpGet(daemon.host(), daemon.port(), "/api/v1/sources",
                          {{"Authorization", "Bearer test-read-token"}});
  REQUIRE(response.ok());
  REQUIRE(response->status == 200);
  const boost::json::value parsed = boost::json::parse(response->body);
  for (const auto& source : parsed.at("sources").as_array()) {
    if (source.at("name") == name.c_str()) return source;
  }
  FAIL("source " << name << " not listed");
  return {};
}

int64_t Stat(const boost::json::value& stats, const char* key) {
  return stats.at(key).to_number<int64_t>();
}

std::set<std::string> InboxIds(const std::filesystem::path& db_path) {
  auto db = storage::SqliteDb::Open(db_path, 5s);
  REQUIRE(db.ok());
  auto rows = (*db)->Prepare("SELECT external_id FROM inbox WHERE source = 'shopify'");
  REQUIRE(rows.ok());
  std::set<std::string> ids;
  while (*rows->Step()) ids.insert(rows->ColumnText(0));
  return ids;
}

TEST_CASE("a signed Shopify webhook is stored once and counted", "[intake]") {
  TempDir dir;
  const auto config = dir.Write("journeyd.yaml", kConfig);
  const std::string body =
      ReadFile(FixturesDir() / "webhooks" / "shopify" / "orders_create.json");
  {
    DaemonProcess daemon(config, dir.path() / "data");
    REQUIRE(daemon.Start());
    auto first = HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/shopify", body,
                             ShopifyHeaders(body, "wh-1"));
    REQUIRE(first.ok());
    CHECK(first->status == 200);
    auto answer = boost::json::parse(first->body);
    CHECK(answer.at("stored") == 1);
    CHECK(answer.at("duplicates") == 0);

    // A redelivery (same webhook id) is acknowledged and not stored again.
    auto again = HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/shopify", body,
                             ShopifyHeaders(body, "wh-1"));
    REQUIRE(again.ok());
    CHECK(again->status == 200);
    CHECK(boost::json::parse(again->body).at("duplicates") == 1);

    // Tampered body with the original signature.
    auto headers = ShopifyHeaders(body, "wh-2");
    auto tampered = HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/shopify",
                                body + " ", headers);
    REQUIRE(tampered.ok());
    CHECK(tampered->status == 401);
    CHECK(boost::json::parse(tampered->body).at("error").at("code") == "unauthenticated");

    auto issues = HttpGet(daemon.host(), daemon.port(), "/api/v1/issues?kind=signature_failure",
                          {{"Authorization", "Bearer test-read-token"}});
    REQUIRE(issues.ok());
    const auto listed = boost::json::parse(issues->body);
    REQUIRE(listed.at("issues").as_array().size() == 1);
    CHECK(listed.at("issues").at(0).at("source") == "shopify");
    CHECK(listed.at("counts").at(0).at("count") == 1);

    auto stats = SourceStats(daemon, "shopify");
    CHECK(Stat(stats, "received") == 3);
    CHECK(Stat(stats, "accepted") == 1);
    CHECK(Stat(stats, "duplicates") == 1);
    CHECK(Stat(stats, "signature_failures") == 1);
    CHECK(stats.at("last_event_at").is_string());
    daemon.Signal(SIGTERM);
    REQUIRE(daemon.Wait(10s) == 0);
  }
  // The figures come from the store, so a restart keeps them.
  DaemonProcess restarted(config, dir.path() / "data");
  REQUIRE(restarted.Start());
  auto stats = SourceStats(restarted, "shopify");
  CHECK(Stat(stats, "accepted") == 1);
  CHECK(Stat(stats, "signature_failures") == 1);
  CHECK(InboxIds(dir.path() / "data" / "journeyd.db") == std::set<std::string>{"wh-1"});
}

TEST_CASE("bad intake requests get the documented 4xx and are counted", "[intake]") {
  TempDir dir;
  DaemonProcess daemon(dir.Write("journeyd.yaml", kConfig), dir.path() / "data");
  REQUIRE(daemon.Start());
  const auto post = [&](const std::string& target, const std::string& body,
                        const Headers& headers) {
    auto r = HttpRequest(daemon.host(), daemon.port(), "POST", target, body, headers);
    REQUIRE(r.ok());
    return *r;
  };
  const auto error_code = [](const HttpResult& r) {
    return std::string(boost::json::parse(r.body).at("error").at("code").as_string());
  };

  auto unknown = post("/webhooks/nosuch", "{}", {{"Content-Type", "application/json"}});
  CHECK(unknown.status == 404);
  CHECK(error_code(unknown) == "not_found");

  auto wrong_type = post("/webhooks/shopify", "a=b",
                         {{"Content-Type", "application/x-www-form-urlencoded"}});
  CHECK(wrong_type.status == 415);
  CHECK(error_code(wrong_type) == "unsupported_media_type");

  const std::string malformed = "{\"id\": 1,";
  auto bad_json = post("/webhooks/shopify", malformed, ShopifyHeaders(malformed, "wh-bad"));
  CHECK(bad_json.status == 400);
  CHECK_THAT(std::string(boost::json::parse(bad_json.body).at("error").at("message").as_string()),
             Catch::Contains("offset"));

  auto too_big = post("/webhooks/shopify", std::string(70 * 1024, 'x'),
                      {{"Content-Type", "application/json"}});
  CHECK(too_big.status == 413);

  auto get = HttpGet(daemon.host(), daemon.port(), "/webhooks/shopify");
  REQUIRE(get.ok());
  CHECK(get->status == 405);
  CHECK(get->header("allow") == "POST");

  auto no_token = HttpGet(daemon.host(), daemon.port(), "/api/v1/sources");
  REQUIRE(no_token.ok());
  CHECK(no_token->status == 401);
  auto wrong_token = HttpGet(daemon.host(), daemon.port(), "/api/v1/sources",
                             {{"Authorization", "Bearer nope"}});
  REQUIRE(wrong_token.ok());
  CHECK(wrong_token->status == 401);

  auto stats = SourceStats(daemon, "shopify");
  CHECK(Stat(stats, "rejected") == 2);  // 415 and 400; 413 never reached the source
  CHECK(Stat(stats, "accepted") == 0);

  // Each refusal is a visible data-quality issue, filterable and paged.
  auto issues = HttpGet(daemon.host(), daemon.port(), "/api/v1/issues?source=shopify",
                        {{"Authorization", "Bearer test-read-token"}});
  REQUIRE(issues.ok());
  REQUIRE(issues->status == 200);
  const auto listed = boost::json::parse(issues->body);
  std::set<std::string> kinds;
  for (const auto& issue : listed.at("issues").as_array()) {
    kinds.insert(std::string(issue.at("kind").as_string()));
  }
  INFO(issues->body);
  CHECK(kinds == std::set<std::string>{"malformed_payload", "unsupported_media_type"});
  auto all = HttpGet(daemon.host(), daemon.port(), "/api/v1/issues",
                     {{"Authorization", "Bearer test-read-token"}});
  REQUIRE(all.ok());
  CHECK(boost::json::parse(all->body).at("issues").as_array().size() == 2);
  auto page = HttpGet(daemon.host(), daemon.port(), "/api/v1/issues?limit=1",
                      {{"Authorization", "Bearer test-read-token"}});
  REQUIRE(page.ok());
  const auto first_page = boost::json::parse(page->body);
  CHECK(first_page.at("issues").as_array().size() == 1);
  REQUIRE(first_page.at("next").is_string());
  auto rest = HttpGet(daemon.host(), daemon.port(),
                      std::string(first_page.at("next").as_string()),
                      {{"Authorization", "Bearer test-read-token"}});
  REQUIRE(rest.ok());
  CHECK(boost::json::parse(rest->body).at("issues").as_array().size() == 1);
  auto bad_limit = HttpGet(daemon.host(), daemon.port(), "/api/v1/issues?limit=0",
                           {{"Authorization", "Bearer test-read-token"}});
  REQUIRE(bad_limit.ok());
  CHECK(bad_limit->status == 400);
}

TEST_CASE("kill -9 during a burst loses no acknowledged webhook", "[intake][crash]") {
  TempDir dir;
  const auto config = dir.Write("journeyd.yaml", kConfig);
  const std::string body =
      ReadFile(FixturesDir() / "webhooks" / "shopify" / "orders_create.json");
  const auto db_path = dir.path() / "data" / "journeyd.db";
  DaemonProcess daemon(config, dir.path() / "data");
  REQUIRE(daemon.Start());

  std::mutex mu;
  std::set<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      auto connection = HttpConnection::Connect(daemon.host(), daemon.port());
      if (!connection.ok()) return;
      for (int i = 0; !stop.load(); ++i) {
        const std::string id = "burst-" + std::to_string(t) + "-" + std::to_string(i);
        auto r = (*connection)->Request("POST", "/webhooks/shopify", body,
                                        ShopifyHeaders(body, id), 5s);
        if (!r.ok()) return;  // the daemon died under us
        if (r->status == 200) {
          std::lock_guard lock(mu);
          acknowledged.insert(id);
        }
      }
    });
  }
  std::this_thread::sleep_for(700ms);
  daemon.Signal(SIGKILL);
  stop = true;
  for (auto& s : senders) s.join();
  REQUIRE(daemon.Wait(5s) == 128 + SIGKILL);
  REQUIRE(acknowledged.size() > 20);

  const auto stored = InboxIds(db_path);
  size_t missing = 0;
  for (const auto& id : acknowledged) missing += stored.count(id) == 0 ? 1 : 0;
  INFO(acknowledged.size() << " acknowledged, " << stored.size() << " stored");
  CHECK(missing == 0);

  // And the daemon comes back on the same file.
  DaemonProcess again(config, dir.path() / "data");
  REQUIRE(again.Start());
  CHECK(Stat(SourceStats(again, "shopify"), "accepted") >= static_cast<int64_t>(acknowledged.size()));
}

}  // namespace
}  // namespace journeyd::testing

namespace journeyd::testing {
namespace {

TEST_CASE("the tracking API routes each call to the source whose write key it carries",
          "[intake]") {
  TempDir dir;
  const char* config = R"(server:
  listen: 127.0.0.1:8080
  admin_token: ${env:JOURNEYD_ADMIN_TOKEN}
  read_token: ${env:JOURNEYD_READ_TOKEN}
sources:
  - name: web
    type: segment
    write_key: web-key
  - name: app
    type: segment
    write_key: app-key
)";
  DaemonProcess daemon(dir.Write("journeyd.yaml", config), dir.path() / "data");
  REQUIRE(daemon.Start());
  const auto track = [&](const std::string& basic_auth, const std::string& message_id) {
    auto r = HttpRequest(daemon.host(), daemon.port(), "POST", "/v1/track",
                         R"({"userId":"u1","event":"Signed Up","messageId":")" + message_id +
                             R"("})",
                         {{"Content-Type", "application/json"},
                          {"Authorization", "Basic " + basic_auth}});
    REQUIRE(r.ok());
    return r->status;
  };
  CHECK(track("YXBwLWtleTo=", "m-app") == 200);    // base64("app-key:")
  CHECK(track("d2ViLWtleTo=", "m-web") == 200);    // base64("web-key:")
  CHECK(track("bm9wZS1rZXk6", "m-nope") == 401);   // base64("nope-key:")
  auto web = SourceStats(daemon, "web");
  auto app = SourceStats(daemon, "app");
  CHECK(Stat(web, "accepted") == 1);
  CHECK(Stat(app, "accepted") == 1);
  // A key that matches nobody is recorded once, on the first tracking source.
  CHECK(Stat(web, "signature_failures") == 1);
  CHECK(Stat(app, "signature_failures") == 0);
}

}  // namespace
}  // namespace journeyd::testing
