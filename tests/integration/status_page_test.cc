// The status page's server side through the real daemon: sign-in and session cookies, CSRF on
// state-changing requests, the overview (GET /api/v1/status) and issue summary figures after
// fixture webhooks (and after a restart), raw payloads masked for the read token, the funnel
// SVG, and the page's security headers. tests/node/status_page.test.mjs drives the page itself
// in a browser.
#include <catch2/catch.hpp>

#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "tests/integration/people_source.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/signing.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::string Config() {
  return R"(server:
  listen: 127.0.0.1:8080
  admin_token: ${env:JOURNEYD_ADMIN_TOKEN}
  read_token: ${env:JOURNEYD_READ_TOKEN}
sources:
  - name: shopify
    type: shopify
    mapping: )" + (SourceDir() / "mappings" / "shopify.yaml").string() + R"(
    secret: ${env:JOURNEYD_SHOPIFY_SECRET}
governance:
  rules:
    - name: no_biller_accounts
      field: email
      check: regex
      pattern: "(?!.*@biller\\.com$).*"
      action: reject
targets:
  - name: preview
    type: preview
)";
}

const Headers kAdmin = {{"Authorization", "Bearer test-admin-token"}};
const Headers kRead = {{"Authorization", "Bearer test-read-token"}};

struct Fixture {
  TempDir dir;
  std::unique_ptr<DaemonProcess> daemon;

  Fixture() {
    daemon = std::make_unique<DaemonProcess>(dir.Write("journeyd.yaml", Config()),
                                             dir.path() / "data");
    REQUIRE(daemon->Start());
  }

  int PostShopify(const std::string& topic, const std::string& file, const std::string& id,
                  const std::string& secret = DefaultTestEnvironment().at(
                      "JOURNEYD_SHOPIFY_SECRET")) {
    const std::string body = ReadFile(FixturesDir() / "webhooks" / "shopify" / file);
    auto r = HttpRequest(daemon->host(), daemon->port(), "POST", "/webhooks/shopify", body,
                         {{"Content-Type", "application/json"},
                          {"X-Shopify-Topic", topic},
                          {"X-Shopify-Shop-Domain", "example.myshopify.com"},
                          {"X-Shopify-Webhook-Id", id},
                          {"X-Shopify-Hmac-Sha256", HmacSha256Base64(secret, body)}});
    REQUIRE(r.ok());
    return r->status;
  }

  HttpResult Get(const std::string& target, const Headers& headers) {
    auto r = HttpGet(daemon->host(), daemon->port(), target, headers);
    REQUIRE(r.ok());
    return *r;
  }

  HttpResult Post(const std::string& target, const std::string& body, const Headers& headers) {
    auto r = HttpRequest(daemon->host(), daemon->port(), "POST", target, body, headers);
    REQUIRE(r.ok());
    return *r;
  }

  json::object GetJson(const std::string& target, const Headers& headers) {
    const HttpResult r = Get(target, headers);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return json::parse(r.body).as_object();
  }

  void Restart() {
    daemon->Signal(SIGTERM);
    REQUIRE(daemon->Wait(15s) == 0);
    daemon = std::make_unique<DaemonProcess>(dir.path() / "journeyd.yaml", dir.path() / "data");
    REQUIRE(daemon->Start());
  }

  // The session cookie ("journeyd_session=...") for `token`.
  std::string SignIn(const std::string& token) {
    const HttpResult r = Post("/login", "token=" + token,
                              {{"Content-Type", "application/x-www-form-urlencoded"}});
    REQUIRE(r.status == 303);
    const std::string set = r.header("set-cookie");
    return set.substr(0, set.find(';'));
  }
};

json::object SourceNamed(const json::object& status, std::string_view name) {
  for (const auto& s : status.at("sources").as_array()) {
    if (s.at("name").as_string() == name) return s.as_object();
  }
  FAIL("no source " << name);
  return {};
}

template <typename Predicate>
void WaitUntil(Predicate ready) {
  for (int i = 0; i < 200 && !ready(); ++i) std::this_thread::sleep_for(50ms);
  REQUIRE(ready());
}

TEST_CASE("the overview counts each source's last hour and day and survives a restart",
          "[status]") {
  Fixture f;
  CHECK(f.Get("/api/v1/status", {}).status == 401);
  REQUIRE(f.PostShopify("orders/create", "orders_create.json", "w-1") == 200);
  REQUIRE(f.PostShopify("orders/create", "orders_create.json", "w-1") == 200);  // duplicate
  REQUIRE(f.PostShopify("customers/create", "customers_create.json", "w-2") == 200);
  REQUIRE(f.PostShopify("orders/create", "orders_create.json", "w-3", "wrong-secret") == 401);
  WaitUntil([&] {
    return f.GetJson("/api/v1/status", kRead).at("open_work").at("quarantined").as_int64() == 1;
  });

  // The search box's q=: an email, or the profile id it found.
  int64_t profile = 0;
  WaitUntil([&] {
    const HttpResult r = f.Get("/api/v1/profiles?q=jon%40example.com", kRead);
    if (r.status == 200) profile = json::parse(r.body).at("id").as_int64();
    return profile > 0;
  });
  CHECK(f.GetJson("/api/v1/profiles?q=" + std::to_string(profile), kRead).at("id").as_int64() ==
        profile);
  CHECK(f.Get("/api/v1/profiles?q=nobody%40example.com", kRead).status == 404);
  CHECK(f.Get("/api/v1/profiles?q=not-a-phone", kRead).status == 400);

  for (int pass = 0; pass < 2; ++pass) {
    INFO("pass " << pass << " (1: after a restart)");
    const json::object status = f.GetJson("/api/v1/status", kRead);
    const json::object shopify = SourceNamed(status, "shopify");
    for (const char* window : {"last_hour", "last_day", "total"}) {
      INFO(window);
      const json::object& w = shopify.at(window).as_object();
      CHECK(w.at("received").as_int64() == 4);
      CHECK(w.at("accepted").as_int64() == 2);
      CHECK(w.at("duplicates").as_int64() == 1);
      CHECK(w.at("signature_failures").as_int64() == 1);
      CHECK(w.at("rejected").as_int64() == 0);
    }
    CHECK(shopify.at("state") == "amber");
    CHECK(shopify.at("reason") ==
          "1 of 4 requests in the last hour were refused (1 signature failures, 0 other "
          "refusals)");
    CHECK(status.at("state") == "amber");
    CHECK(std::string(status.at("reason").as_string()).starts_with("source shopify: "));
    const json::object& target = status.at("targets").as_array().at(0).as_object();
    CHECK(target.at("name") == "preview");
    CHECK(target.at("state") == "green");
    CHECK(status.at("ingest").at("state") == "green");
    CHECK(status.at("open_work").at("quarantined").as_int64() == 1);
    CHECK(status.at("open_work").at("dead_letters").as_int64() == 0);

    const json::object summary = f.GetJson("/api/v1/issues/summary", kRead);
    bool found = false;
    for (const auto& g : summary.at("groups").as_array()) {
      if (g.at("kind") != "signature_failure") continue;
      found = true;
      CHECK(g.at("source") == "shopify");
      CHECK(g.at("count").as_int64() == 1);
      CHECK(g.at("last_hour").as_int64() == 1);
      CHECK(g.at("last_day").as_int64() == 1);
      const auto& hourly = g.at("hourly").as_array();
      REQUIRE(hourly.size() == 24);
      CHECK(hourly.back().as_int64() == 1);
    }
    CHECK(found);
    const auto& rules = summary.at("quarantined_by_rule").as_array();
    REQUIRE(rules.size() == 1);
    CHECK(rules[0].at("rule") == "no_biller_accounts");
    CHECK(rules[0].at("count").as_int64() == 1);
    if (pass == 0) f.Restart();
  }
}

TEST_CASE("a raw payload is shown as received to the admin and masked to the read token",
          "[status]") {
  Fixture f;
  REQUIRE(f.PostShopify("customers/create", "customers_create.json", "w-2") == 200);
  int64_t inbox_id = 0;
  WaitUntil([&] {
    const auto entries = f.GetJson("/api/v1/quarantine", kAdmin).at("quarantine").as_array();
    if (!entries.empty()) inbox_id = entries[0].at("inbox_id").as_int64();
    return inbox_id > 0;
  });
  const std::string fixture =
      ReadFile(FixturesDir() / "webhooks" / "shopify" / "customers_create.json");
  const std::string path = "/api/v1/inbox/" + std::to_string(inbox_id);
  const json::object admin = f.GetJson(path, kAdmin);
  CHECK(admin.at("masked") == false);
  CHECK(admin.at("body_text").as_string() == fixture);
  CHECK(admin.at("source") == "shopify");
  CHECK(admin.at("headers").at("X-Shopify-Topic") == "customers/create");

  const json::object read = f.GetJson(path, kRead);
  CHECK(read.at("masked") == true);
  const std::string masked(read.at("body_text").as_string());
  CHECK(masked.find("bob@biller.com") == std::string::npos);
  CHECK(masked.find("Bob") == std::string::npos);
  // Ids and amounts stay (numbers are kept), at full 64-bit precision.
  CHECK(masked.find("706405506930370084") != std::string::npos);

  CHECK(f.Get("/api/v1/inbox/999999", kAdmin).status == 404);
  CHECK(f.Get("/api/v1/inbox/abc", kAdmin).status == 400);
  CHECK(f.Get(path, {}).status == 401);
}

TEST_CASE("sign-in starts an HttpOnly SameSite=Strict session, writes need its CSRF token",
          "[status]") {
  Fixture f;
  // Signed out, every page is the sign-in form: one visible field, named token.
  for (const char* page : {"/", "/issues", "/profiles/7"}) {
    const HttpResult r = f.Get(page, {});
    CHECK(r.status == 200);
    CHECK(r.body.find("name=\"token\"") != std::string::npos);
    CHECK(r.body.find("/ui/app.js") == std::string::npos);
    CHECK(r.header("content-security-policy").find("script-src 'self'") != std::string::npos);
    CHECK(r.header("x-frame-options") == "DENY");
  }
  const Headers form = {{"Content-Type", "application/x-www-form-urlencoded"}};
  HttpResult r = f.Post("/login", "token=wrong", form);
  CHECK(r.status == 401);
  CHECK(r.header("set-cookie").empty());
  CHECK(r.body.find("not valid") != std::string::npos);
  CHECK(f.Post("/login", "", form).status == 400);

  r = f.Post("/login", "token=test-admin-token&next=%2Fdeliveries", form);
  CHECK(r.status == 303);
  CHECK(r.header("location") == "/deliveries");
  const std::string set = r.header("set-cookie");
  CHECK(set.find("HttpOnly") != std::string::npos);
  CHECK(set.find("SameSite=Strict") != std::string::npos);
  CHECK(set.find("Path=/") != std::string::npos);
  // Never sent elsewhere after signing in.
  for (const char* next : {"%2F%2Fevil.example", "https%3A%2F%2Fevil.example", "%2F%5Cevil"}) {
    CHECK(f.Post("/login", std::string("token=test-admin-token&next=") + next, form)
              .header("location") == "/");
  }

  const std::string admin = f.SignIn("test-admin-token");
  const Headers with_admin = {{"Cookie", admin}};
  r = f.Get("/", with_admin);
  CHECK(r.status == 200);
  CHECK(r.body.find("/ui/app.js") != std::string::npos);
  CHECK(f.Get("/ui/app.js", {}).header("content-type") == "text/javascript; charset=utf-8");
  const json::object session = f.GetJson("/api/v1/session", with_admin);
  CHECK(session.at("role") == "admin");
  CHECK(session.at("via") == "session");
  const std::string csrf(session.at("csrf_token").as_string());

  // The session reads like a token; it writes only with the CSRF header.
  CHECK(f.Get("/api/v1/status", with_admin).status == 200);
  r = f.Post("/api/v1/dlq/replay", R"({"all":true})", with_admin);
  CHECK(r.status == 403);
  CHECK(r.body.find("csrf_failed") != std::string::npos);
  r = f.Post("/api/v1/dlq/replay", R"({"all":true})",
             {{"Cookie", admin}, {"X-CSRF-Token", csrf + "0"}});
  CHECK(r.status == 403);
  r = f.Post("/api/v1/dlq/replay", R"({"all":true})", {{"Cookie", admin}, {"X-CSRF-Token", csrf}});
  CHECK(r.status == 200);

  // A read-only session cannot act even with its CSRF token.
  const std::string read = f.SignIn("test-read-token");
  const std::string read_csrf(
      f.GetJson("/api/v1/session", {{"Cookie", read}}).at("csrf_token").as_string());
  r = f.Post("/api/v1/dlq/replay", R"({"all":true})", {{"Cookie", read}, {"X-CSRF-Token", read_csrf}});
  CHECK(r.status == 403);
  CHECK(r.body.find("permission_denied") != std::string::npos);

  // A forged cookie is no session.
  CHECK(f.Get("/api/v1/status", {{"Cookie", admin + "0"}}).status == 401);

  // Sign-out needs the CSRF token too (a form field), then clears the cookie.
  CHECK(f.Post("/logout", "csrf=nope", {{"Cookie", admin}, form[0]}).status == 403);
  r = f.Post("/logout", "csrf=" + csrf, {{"Cookie", admin}, form[0]});
  CHECK(r.status == 303);
  CHECK(r.header("set-cookie").find("Max-Age=0") != std::string::npos);

  // The funnel is an SVG any token can fetch.
  r = f.Get("/api/v1/journey/funnel.svg", kRead);
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "image/svg+xml");
  CHECK(r.body.starts_with("<svg"));
  CHECK(r.body.find("data-stage=\"awareness\"") != std::string::npos);
}

TEST_CASE("a CSV import is a sync run: GET /api/v1/runs and the overview show it", "[status]") {
  TempDir dir;
  dir.Write("people.yaml", R"yaml(
mapping: csv
events:
  - on: row
    required: [id]
    identities:
      email: email
    traits:
      first_name: first
)yaml");
  const auto config = dir.Write("journeyd.yaml", kPeopleSource);
  const auto csv = dir.Write("people-2026-11.csv",
                             "id,email,first\n"
                             "r1,ann@example.com,Ann\n"
                             "r2,bob@example.com,Bob\n"
                             "r3,only-two\n");
  const std::string data = (dir.path() / "data").string();
  for (int pass = 0; pass < 2; ++pass) {
    auto imported = RunJourneyd({"import", "--config", config.string(), "--data-dir", data,
                                 "--source", "people", csv.string()},
                                DefaultTestEnvironment());
    INFO(imported.output);
    REQUIRE(imported.exit_code == 0);
  }

  DaemonProcess daemon(config, dir.path() / "data");
  REQUIRE(daemon.Start());
  auto r = HttpGet(daemon.host(), daemon.port(), "/api/v1/runs", kRead);
  REQUIRE(r.ok());
  INFO(r->body);
  REQUIRE(r->status == 200);
  const json::value body = json::parse(r->body);
  const auto& runs = body.at("runs").as_array();
  REQUIRE(runs.size() == 2);
  // Newest first: the second import found both rows already stored.
  const json::object& second = runs[0].as_object();
  const json::object& first = runs[1].as_object();
  CHECK(first.at("source") == "people");
  CHECK(first.at("trigger") == "import");
  CHECK(first.at("status") == "succeeded");
  CHECK(first.at("records").as_int64() == 2);
  CHECK(first.at("duplicates").as_int64() == 0);
  CHECK(first.at("errors").as_int64() == 1);
  CHECK(first.at("pages").as_int64() == 1);
  CHECK(first.at("detail") == "people-2026-11.csv");
  CHECK(!first.at("ended_at").is_null());
  CHECK(second.at("records").as_int64() == 0);
  CHECK(second.at("duplicates").as_int64() == 2);
  CHECK(second.at("id").as_int64() > first.at("id").as_int64());

  // Paged, and filtered by source.
  r = HttpGet(daemon.host(), daemon.port(), "/api/v1/runs?limit=1&source=people", kRead);
  REQUIRE(r.ok());
  const json::value page = json::parse(r->body);
  REQUIRE(page.at("runs").as_array().size() == 1);
  CHECK(page.at("next").as_string() == "/api/v1/runs?before=" +
                               std::to_string(second.at("id").as_int64()) +
                               "&limit=1&source=people");
  r = HttpGet(daemon.host(), daemon.port(), "/api/v1/runs?source=other", kRead);
  REQUIRE(r.ok());
  CHECK(json::parse(r->body).at("runs").as_array().empty());

  r = HttpGet(daemon.host(), daemon.port(), "/api/v1/status", kRead);
  REQUIRE(r.ok());
  const json::value status = json::parse(r->body);
  const json::value& last = status.at("sources").as_array().at(0).at("last_run");
  CHECK(last.at("id") == second.at("id"));
  CHECK(HttpGet(daemon.host(), daemon.port(), "/api/v1/runs", {})->status == 401);

  r = HttpGet(daemon.host(), daemon.port(), "/metrics");
  REQUIRE(r.ok());
  CHECK(r->body.find("journeyd_sync_runs_total{source=\"people\",trigger=\"import\","
                     "status=\"succeeded\"} 2\n") != std::string::npos);
}

}  // namespace
}  // namespace journeyd::testing
