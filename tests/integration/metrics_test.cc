// GET /metrics through the real daemon: signed and forged Shopify webhooks show up as exact
// counts per source and outcome, per route pattern and status, and in the ingest histogram; the
// output is valid Prometheus text and carries none of the payloads' personal data.
#include <catch2/catch.hpp>

#include <signal.h>

#include <regex>
#include <set>
#include <thread>

#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/signing.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

using namespace std::chrono_literals;

std::string Config() {
  return R"(server:
  listen: 127.0.0.1:8080
  threads: 2
  admin_token: ${env:JOURNEYD_ADMIN_TOKEN}
  read_token: ${env:JOURNEYD_READ_TOKEN}
sources:
  - name: shopify
    type: shopify
    mapping: )" +
         (SourceDir() / "mappings" / "shopify.yaml").string() + R"(
    secret: ${env:JOURNEYD_SHOPIFY_SECRET}
targets:
  - name: preview
    type: preview
)";
}

struct Scrape {
  std::string body;
  PromText parsed;
};

Scrape ScrapeMetrics(const DaemonProcess& daemon) {
  // No token: Prometheus scrapes without one.
  auto response = HttpGet(daemon.host(), daemon.port(), "/metrics");
  REQUIRE(response.ok());
  REQUIRE(response->status == 200);
  CHECK(response->header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  auto parsed = ParsePrometheusText(response->body);
  if (!parsed.ok()) FAIL(parsed.error().message << "\n" << response->body);
  return {response->body, *parsed};
}

double Sample(const PromText& text, std::string_view name,
              const std::map<std::string, std::string>& labels = {}) {
  auto value = FindSample(text, name, labels);
  if (!value) FAIL("no sample " << name);
  return *value;
}

TEST_CASE("/metrics counts webhooks, routes and commits exactly, and holds no PII",
          "[metrics]") {
  TempDir dir;
  DaemonProcess daemon(dir.Write("journeyd.yaml", Config()), dir.path() / "data");
  REQUIRE(daemon.Start());
  const std::string secret = DefaultTestEnvironment().at("JOURNEYD_SHOPIFY_SECRET");

  std::string posted;  // every body sent, to look for its personal data afterwards
  const auto post = [&](const std::string& topic, const std::string& file,
                        const std::string& webhook_id, const std::string& signing_secret) {
    const std::string body = ReadFile(FixturesDir() / "webhooks" / "shopify" / file);
    posted += body;
    auto r = HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/shopify", body,
                         {{"Content-Type", "application/json"},
                          {"X-Shopify-Topic", topic},
                          {"X-Shopify-Shop-Domain", "example.myshopify.com"},
                          {"X-Shopify-Webhook-Id", webhook_id},
                          {"X-Shopify-Hmac-Sha256", HmacSha256Base64(signing_secret, body)}});
    REQUIRE(r.ok());
    return r->status;
  };
  CHECK(post("orders/create", "orders_create.json", "wh-1", secret) == 200);
  CHECK(post("customers/create", "customers_create.json", "wh-2", secret) == 200);
  CHECK(post("customers/update", "customers_update.json", "wh-3", secret) == 200);
  // A redelivery: acknowledged, not stored again.
  CHECK(post("orders/create", "orders_create.json", "wh-1", secret) == 200);
  // Forged: signed with the wrong secret.
  CHECK(post("customers/create", "customers_create.json", "wh-4", "not-the-secret") == 401);
  // A raw path with an email in it must not become a label.
  auto stray = HttpGet(daemon.host(), daemon.port(), "/webhooks/jon@example.com/x");
  REQUIRE(stray.ok());
  CHECK(stray->status == 404);

  // Wait until mapping has taken all three stored events, and until an earlier scrape shows in
  // the HTTP counters (a request is counted once its answer is written, so a scrape never
  // counts itself; mapping is woken at once and may be done by the first one).
  Scrape scrape;
  for (int i = 0; i < 200; ++i) {
    scrape = ScrapeMetrics(daemon);
    const auto backlog = FindSample(scrape.parsed, "journeyd_inbox_backlog");
    const double mapped = Sample(scrape.parsed, "journeyd_mapping_records_total") +
                          Sample(scrape.parsed, "journeyd_mapping_ignored_total") +
                          Sample(scrape.parsed, "journeyd_quarantine_total");
    const bool scrape_counted = FindSample(scrape.parsed, "journeyd_http_requests_total",
                                           {{"route", "/metrics"},
                                            {"method", "GET"},
                                            {"code", "200"}})
                                    .has_value();
    if (backlog == 0.0 && mapped == 3 && scrape_counted) break;
    std::this_thread::sleep_for(50ms);
  }
  const PromText& m = scrape.parsed;
  INFO(scrape.body);
  REQUIRE(Sample(m, "journeyd_inbox_backlog") == 0);

  // Intake per source and outcome, from the store.
  const auto outcome = [&](const char* name) {
    return Sample(m, "journeyd_webhook_requests_total", {{"source", "shopify"}, {"outcome", name}});
  };
  CHECK(outcome("accepted") == 3);
  CHECK(outcome("duplicate") == 1);
  CHECK(outcome("signature_failure") == 1);
  CHECK(outcome("rejected") == 0);
  CHECK(outcome("suppressed") == 0);
  CHECK(m.types.at("journeyd_webhook_requests_total") == "counter");

  // HTTP by route pattern, method and status; the stray request is "unmatched".
  const std::string webhooks = "/webhooks/{source}";
  CHECK(Sample(m, "journeyd_http_requests_total",
               {{"route", webhooks}, {"method", "POST"}, {"code", "200"}}) == 4);
  CHECK(Sample(m, "journeyd_http_requests_total",
               {{"route", webhooks}, {"method", "POST"}, {"code", "401"}}) == 1);
  CHECK(Sample(m, "journeyd_http_requests_total",
               {{"route", "unmatched"}, {"method", "GET"}, {"code", "404"}}) == 1);
  CHECK(Sample(m, "journeyd_http_requests_total",
               {{"route", "/metrics"}, {"method", "GET"}, {"code", "200"}}) >= 1);
  CHECK(Sample(m, "journeyd_http_request_duration_seconds_count", {{"route", webhooks}}) == 5);
  CHECK(Sample(m, "journeyd_http_request_duration_seconds_bucket",
               {{"route", webhooks}, {"le", "+Inf"}}) == 5);
  CHECK(m.types.at("journeyd_http_request_duration_seconds") == "histogram");
  std::set<std::string> routes;
  for (const auto& s : m.samples) {
    if (s.name == "journeyd_http_requests_total") routes.insert(s.labels.at("route"));
  }
  // /readyz: DaemonProcess::Start waits on it.
  CHECK(routes == std::set<std::string>{"/metrics", "/readyz", webhooks, "unmatched"});

  // One commit observation per stored event; every event written (the duplicate too) in the
  // group-commit sizes.
  CHECK(Sample(m, "journeyd_ingest_commit_seconds_count") == outcome("accepted"));
  CHECK(Sample(m, "journeyd_ingest_commit_seconds_bucket", {{"le", "+Inf"}}) == 3);
  CHECK(Sample(m, "journeyd_ingest_commit_seconds_sum") > 0);
  CHECK(Sample(m, "journeyd_ingest_batch_events_sum") == 4);
  CHECK(Sample(m, "journeyd_ingest_batch_events_count") >= 1);
  CHECK(Sample(m, "journeyd_ingest_batch_events_count") <= 4);

  CHECK(Sample(m, "journeyd_data_quality_issues_total", {{"kind", "signature_failure"}}) == 1);
  CHECK(Sample(m, "journeyd_outbox_pending", {{"target", "preview"}}) >= 0);
  CHECK(Sample(m, "journeyd_dead_letters", {{"target", "preview"}}) == 0);
  CHECK(Sample(m, "journeyd_quarantined_records") == Sample(m, "journeyd_quarantine_total"));
  CHECK(Sample(m, "journeyd_build_info", {{"version", JOURNEYD_VERSION}}) == 1);
  const double started = Sample(m, "journeyd_start_time_seconds");
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(started > now - 120);
  CHECK(started <= now);

  // Every family is journeyd_* and documented.
  for (const auto& [family, type] : m.types) {
    CHECK_THAT(family, Catch::StartsWith("journeyd_"));
    CHECK_FALSE(m.helps.at(family).empty());
  }
  // No personal data: no email address of the payloads (nor the stray path) anywhere.
  const std::regex email(R"([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})");
  std::set<std::string> emails;
  for (auto it = std::sregex_iterator(posted.begin(), posted.end(), email);
       it != std::sregex_iterator(); ++it) {
    emails.insert(it->str());
  }
  REQUIRE(emails.count("bob@biller.com") == 1);
  REQUIRE(emails.count("jon@example.com") == 1);
  for (const std::string& address : emails) CHECK(scrape.body.find(address) == std::string::npos);
  CHECK(scrape.body.find('@') == std::string::npos);

  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait(10s) == 0);
}

TEST_CASE("/metrics keeps the store's totals across a restart", "[metrics]") {
  TempDir dir;
  const auto config = dir.Write("journeyd.yaml", Config());
  const std::string secret = DefaultTestEnvironment().at("JOURNEYD_SHOPIFY_SECRET");
  const std::string body =
      ReadFile(FixturesDir() / "webhooks" / "shopify" / "orders_create.json");
  {
    DaemonProcess daemon(config, dir.path() / "data");
    REQUIRE(daemon.Start());
    auto r = HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/shopify", body,
                         {{"Content-Type", "application/json"},
                          {"X-Shopify-Topic", "orders/create"},
                          {"X-Shopify-Shop-Domain", "example.myshopify.com"},
                          {"X-Shopify-Webhook-Id", "wh-1"},
                          {"X-Shopify-Hmac-Sha256", HmacSha256Base64(secret, body)}});
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    daemon.Signal(SIGTERM);
    REQUIRE(daemon.Wait(10s) == 0);
  }
  DaemonProcess restarted(config, dir.path() / "data");
  REQUIRE(restarted.Start());
  const Scrape scrape = ScrapeMetrics(restarted);
  INFO(scrape.body);
  // The store's figures survive; this process's own counters start again.
  CHECK(Sample(scrape.parsed, "journeyd_webhook_requests_total",
               {{"source", "shopify"}, {"outcome", "accepted"}}) == 1);
  CHECK(Sample(scrape.parsed, "journeyd_ingest_commit_seconds_count") == 0);
  CHECK_FALSE(FindSample(scrape.parsed, "journeyd_http_requests_total",
                         {{"route", "/webhooks/{source}"}, {"method", "POST"}, {"code", "200"}}));
}

}  // namespace
}  // namespace journeyd::testing
