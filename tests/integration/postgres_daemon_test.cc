// The real daemon on PostgreSQL (the test cluster, a database of the test's own): signed
// webhooks go through intake, mapping, identity, the journey and delivery to the preview target
// as on SQLite; the instance takes every lease and gives them up on a clean stop, so another
// instance need not wait for them to expire.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <algorithm>
#include <csignal>
#include <set>
#include <thread>

#include "engine/storage/postgres/pg_store.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/postgres.h"
#include "tests/support/temp_dir.h"
#include "tests/support/vendor_requests.h"

namespace journeyd::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::string OnDatabase(const std::string& url) {
  std::string text = ShippedConfig();
  const std::string sqlite = "url: sqlite:journeyd.db";
  const size_t at = text.find(sqlite);
  REQUIRE(at != std::string::npos);
  return text.replace(at, sqlite.size(), "url: \"" + url + "\"");
}

TEST_CASE("postgres: the daemon on PostgreSQL runs the whole pipeline and hands its leases back",
          "[postgres][integration]") {
  JOURNEYD_NEED_POSTGRES();
  TestDatabase db;
  TempDir dir;
  const auto config = dir.Write("journeyd.yaml", OnDatabase(db.url()));
  DaemonProcess daemon(config, dir.path() / "data");
  REQUIRE(daemon.Start());

  // Three orders of one customer, one repeated delivery (same webhook id).
  json::value order = json::parse(ReadFile(FixturesDir() / "webhooks/shopify/orders_create.json"));
  for (int i = 0; i < 4; ++i) {
    order.as_object()["id"] = 9000 + std::min(i, 2);
    const std::string body = json::serialize(order);
    auto posted = HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/shopify", body,
                              ShopifyHeaders(body, "pg-" + std::to_string(std::min(i, 2))));
    REQUIRE(posted.ok());
    INFO(posted->body);
    REQUIRE(posted->status == 200);
  }

  // Delivered to the preview target: one profile change and three order touchpoints at least.
  const Headers read{{"Authorization", "Bearer test-read-token"}};
  int64_t delivered = 0;
  for (int i = 0; i < 200 && delivered < 4; ++i) {
    auto targets = HttpGet(daemon.host(), daemon.port(), "/api/v1/targets", read);
    REQUIRE(targets.ok());
    REQUIRE(targets->status == 200);
    delivered = json::parse(targets->body).at("targets").at(0).at("delivered").as_int64();
    if (delivered < 4) std::this_thread::sleep_for(50ms);
  }
  INFO(daemon.log());
  CHECK(delivered >= 4);
  auto sources = HttpGet(daemon.host(), daemon.port(), "/api/v1/sources", read);
  REQUIRE(sources.ok());
  CHECK_THAT(sources->body, Catch::Contains(R"("accepted":3)") &&
                                Catch::Contains(R"("duplicates":1)"));

  auto store = storage::PgStore::Open(db.url(), storage::PgStore::Options{});
  REQUIRE(store.ok());
  auto records = (*store)->ReadRecords(0, 100);
  REQUIRE(records.ok());
  CHECK(records->size() == 3);
  auto leases = (*store)->ListLeases();
  REQUIRE(leases.ok());
  std::set<std::string> names;
  for (const auto& lease : *leases) names.insert(lease.name);
  CHECK(names.count("mapping") == 0);  // every instance maps, each its own inbox rows
  CHECK(names.count("identity") == 1);
  CHECK(names.count("journey") == 1);
  CHECK(names.count("delivery:preview") == 1);

  daemon.Signal(SIGTERM);
  REQUIRE(daemon.Wait(20s) == 0);
  leases = (*store)->ListLeases();
  REQUIRE(leases.ok());
  CHECK(leases->empty());
}

}  // namespace
}  // namespace journeyd::testing
