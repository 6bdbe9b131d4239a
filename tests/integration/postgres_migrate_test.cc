// `journeyd migrate` end to end: the real daemon runs on SQLite and takes signed webhooks, stops,
// the installation is copied to PostgreSQL by the real binary, and the daemon started on
// PostgreSQL goes on from there: the counters, profiles and delivery state came along, a vendor's
// redelivery from before is still a duplicate, and nothing already delivered is sent again.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "engine/storage/data_dir_lock.h"
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

const Headers kRead{{"Authorization", "Bearer test-read-token"}};

// The shipped config with `from` replaced by `to` (storage.url, data_dir).
std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

void PostOrder(DaemonProcess& daemon, int64_t order_id, const std::string& webhook_id) {
  json::value order = json::parse(ReadFile(FixturesDir() / "webhooks/shopify/orders_create.json"));
  order.as_object()["id"] = order_id;
  const std::string body = json::serialize(order);
  auto posted = HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/shopify", body,
                            ShopifyHeaders(body, webhook_id));
  REQUIRE(posted.ok());
  INFO(posted->body);
  REQUIRE(posted->status == 200);
}

json::object Preview(DaemonProcess& daemon) {
  auto targets = HttpGet(daemon.host(), daemon.port(), "/api/v1/targets", kRead);
  REQUIRE(targets.ok());
  REQUIRE(targets->status == 200);
  return json::parse(targets->body).at("targets").at(0).as_object();
}

// Waits until the preview target has delivered at least `items` and has nothing pending.
int64_t WaitDelivered(DaemonProcess& daemon, int64_t items) {
  json::object preview;
  for (int i = 0; i < 400; ++i) {
    preview = Preview(daemon);
    if (preview.at("delivered").as_int64() >= items && preview.at("pending").as_int64() == 0) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  INFO(daemon.log());
  REQUIRE(preview.at("delivered").as_int64() >= items);
  return preview.at("delivered").as_int64();
}

// How often each touchpoint went out in the preview target's recorded requests.
std::map<std::string, int> TouchpointsSent(const std::string& url) {
  auto store = storage::PgStore::Open(url, storage::PgStore::Options{});
  REQUIRE(store.ok());
  auto requests = (*store)->ListDeliveryRequests("preview", 0, 1000);
  REQUIRE(requests.ok());
  std::map<std::string, int> sent;
  for (const auto& request : *requests) {
    const json::value body = json::parse(request.body);
    for (const json::value& change : body.at("data").at("changes").as_array()) {
      if (change.at("kind").as_string() == "touchpoint") {
        ++sent[std::string(change.at("key").as_string())];
      }
    }
  }
  return sent;
}

// The table column of `journeyd migrate`'s summary: table -> what its line says.
std::map<std::string, std::string> Summary(const std::string& output) {
  std::map<std::string, std::string> rows;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t gap = line.find("  ");
    if (gap == std::string::npos || line.starts_with("journeyd")) continue;
    const size_t value = line.find_first_not_of(' ', gap);
    if (value == std::string::npos) continue;
    rows[line.substr(0, line.find(' '))] = line.substr(value);
  }
  return rows;
}

TEST_CASE("postgres: journeyd migrate moves a stopped SQLite installation and the daemon goes on "
          "from there on PostgreSQL",
          "[postgres][integration]") {
  JOURNEYD_NEED_POSTGRES();
  TestDatabase db;
  TempDir dir;
  const auto data = dir.path() / "data";
  const std::string shipped = Replaced(ShippedConfig(), "data_dir: var", "data_dir: " + data.string());
  const auto on_sqlite = dir.Write("sqlite.yaml", shipped);
  const auto on_postgres = dir.Write(
      "postgres.yaml",
      Replaced(shipped, "url: sqlite:journeyd.db", "url: \"" + db.url() + "\""));

  // On SQLite: three orders of one customer, one of them delivered twice by the vendor.
  int64_t delivered = 0;
  {
    DaemonProcess daemon(on_sqlite, data);
    daemon.SetLogFile(dir.path() / "sqlite.log");
    REQUIRE(daemon.Start());
    for (int i = 0; i < 3; ++i) PostOrder(daemon, 9100 + i, "mig-" + std::to_string(i));
    PostOrder(daemon, 9101, "mig-1");
    delivered = WaitDelivered(daemon, 4);  // the profile and three touchpoints at least
    daemon.Signal(SIGTERM);
    REQUIRE(daemon.Wait(20s) == 0);
  }

  SECTION("refused while another journeyd process holds the data dir") {
    auto lock = storage::DataDirLock::Acquire(data);
    REQUIRE(lock.ok());
    auto busy = RunJourneyd({"migrate", "--data-dir", data.string(), "--from",
                             "sqlite:journeyd.db", "--to", db.url()});
    CHECK(busy.exit_code == 1);
    CHECK_THAT(busy.output, Catch::Contains("another journeyd process") &&
                                Catch::Contains("stop it first"));
  }
  SECTION("copied, refused a second time, and PostgreSQL goes on") {
    auto env = DefaultTestEnvironment();
    env["JOURNEYD_DATABASE_URL"] = db.url();  // --to from the environment: no password in ps
    // sqlite:NAME is found in the config's data_dir, whose lock the copy holds.
    auto migrated = RunJourneyd(
        {"migrate", "--config", on_sqlite.string(), "--from", "sqlite:journeyd.db"}, env);
    INFO(migrated.output);
    REQUIRE(migrated.exit_code == 0);
    const auto summary = Summary(migrated.output);
    CHECK(summary.at("inbox") == "3");
    CHECK(summary.at("records") == "3");
    CHECK(summary.at("profiles") == "1");
    CHECK(summary.at("daemon_runs") == "1");
    CHECK_THAT(summary.at("leases"), Catch::StartsWith("not copied: instance-local"));
    CHECK_THAT(summary.at("total"), Catch::Contains(" rows in ") && Catch::EndsWith(" s"));
    CHECK_THAT(migrated.output, Catch::Contains("Set storage.url to it and start journeyd"));
    CHECK(migrated.output.find(db.url()) == std::string::npos);

    auto again = RunJourneyd({"migrate", "--from", "sqlite://" + (data / "journeyd.db").string(),
                              "--to", db.url()});
    CHECK(again.exit_code == 1);
    CHECK_THAT(again.output, Catch::Contains("target database is not empty (") &&
                                 Catch::Contains("table inbox has 3 rows"));

    const auto sent_before = TouchpointsSent(db.url());
    CHECK(sent_before.size() >= 3);

    DaemonProcess daemon(on_postgres, data);
    daemon.SetLogFile(dir.path() / "postgres.log");
    REQUIRE(daemon.Start());
    auto sources = HttpGet(daemon.host(), daemon.port(), "/api/v1/sources", kRead);
    REQUIRE(sources.ok());
    CHECK_THAT(sources->body, Catch::Contains(R"("accepted":3)") &&
                                  Catch::Contains(R"("duplicates":1)"));
    // The profile as it was: one customer, three records.
    auto exported = RunJourneyd({"export", "--config", on_postgres.string(), "--data-dir",
                                 data.string(), "profiles"},
                                DefaultTestEnvironment());
    REQUIRE(exported.exit_code == 0);
    std::set<std::string> profiles;
    int rows = 0;
    std::istringstream lines(exported.output);
    std::string line;
    std::getline(lines, line);
    CHECK(line == "profile_id,source,record_id");
    while (std::getline(lines, line)) {
      ++rows;
      profiles.insert(line.substr(0, line.find(',')));
    }
    CHECK(rows == 3);
    CHECK(profiles.size() == 1);

    // A new order, and a redelivery of one the SQLite instance took: still a duplicate.
    PostOrder(daemon, 9103, "mig-3");
    PostOrder(daemon, 9100, "mig-0");
    sources = HttpGet(daemon.host(), daemon.port(), "/api/v1/sources", kRead);
    REQUIRE(sources.ok());
    CHECK_THAT(sources->body, Catch::Contains(R"("accepted":4)") &&
                                  Catch::Contains(R"("duplicates":2)"));
    WaitDelivered(daemon, delivered + 1);
    daemon.Signal(SIGTERM);
    REQUIRE(daemon.Wait(20s) == 0);
    INFO(daemon.log());
    CHECK_THAT(daemon.log(), !Catch::Contains("did not stop cleanly"));

    // Each touchpoint went out once, before the move or after it; the new order's after.
    const auto sent_after = TouchpointsSent(db.url());
    CHECK(sent_after.size() > sent_before.size());
    for (const auto& [key, times] : sent_after) {
      INFO(key);
      CHECK(times == 1);
    }
    auto store = storage::PgStore::Open(db.url(), storage::PgStore::Options{});
    REQUIRE(store.ok());
    auto inbox = (*store)->ReadInbox(0, 100);
    REQUIRE(inbox.ok());
    REQUIRE(inbox->size() == 4);
    CHECK(inbox->back().id == 4);  // the identity sequence went on after the copied ids
    CHECK(inbox->back().event.external_id == "mig-3");
  }
}

}  // namespace
}  // namespace journeyd::testing
