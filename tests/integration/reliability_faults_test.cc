// Faults journeyd must survive without losing data, each through the real daemon: a full disk
// under its data dir, SIGTERM in the middle of a webhook burst, a CRM that answers slower than
// the target's timeout, and a polled API that goes down in the middle of a multi-page read. In
// every case journeyd stops acknowledging (503 with Retry-After) rather than lose what it took,
// and recovers by itself. docs/reliability.md ("Faults") describes each one.
//
// Test names carry no ';': ctest cuts a Catch test name at one, and the cut entry runs nothing.
// The disk-full test needs root to mount its tmpfs; elsewhere it is skipped (tests/support/skip.h).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "engine/base/time_format.h"
#include "engine/storage/sqlite/sqlite_db.h"
#include "engine/storage/sqlite/sqlite_store.h"
#include "tests/fakes/fake_hubspot.h"
#include "tests/fakes/fake_source_api.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/signing.h"
#include "tests/support/vendor_requests.h"
#include "tests/support/skip.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tmpfs_mount.h"

namespace journeyd::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using std::chrono::steady_clock;
using std::chrono::system_clock;

// ---------------------------------------------------------------------------------------------
// Shared helpers

std::string ShopifyOrder() {
  return ReadFile(FixturesDir() / "webhooks" / "shopify" / "orders_create.json");
}

// A Shopify webhook source with its shipped mapping (so the whole pipeline writes behind the
// inbox, as in production) and the preview target.
std::string IntakeConfig(const std::string& shutdown_timeout) {
  return R"(server:
  listen: 127.0.0.1:0
  threads: 2
  admin_token: ${env:JOURNEYD_ADMIN_TOKEN}
  read_token: ${env:JOURNEYD_READ_TOKEN}
  shutdown_timeout: )" +
         shutdown_timeout + R"(
  limits:
    max_body: 1MiB
storage:
  busy_timeout: 2s
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

json::value Api(DaemonProcess& daemon, const std::string& method, const std::string& path,
                int expected_status, const std::string& token = "test-admin-token") {
  auto r = HttpRequest(daemon.host(), daemon.port(), method, path, "",
                       {{"Authorization", "Bearer " + token}});
  REQUIRE(r.ok());
  INFO(method << " " << path << ": " << r->body);
  REQUIRE(r->status == expected_status);
  return json::parse(r->body);
}

void Await(const std::function<bool()>& done, std::chrono::milliseconds timeout,
           const std::function<std::string()>& describe) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (done()) return;
    std::this_thread::sleep_for(25ms);
  }
  FAIL("timed out: " << describe());
}

// Inbox rows of `source` by external id, with their bodies, read through the store (bodies
// decompressed). The daemon must have stopped.
std::map<std::string, std::vector<std::string>> InboxBodies(const std::filesystem::path& db_path,
                                                            const std::string& source) {
  auto store = storage::SqliteStore::Open(db_path, 5s);
  REQUIRE(store.ok());
  auto events = (*store)->ReadInbox(0, 1000000);
  REQUIRE(events.ok());
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& e : *events) {
    if (e.event.source == source) out[e.event.external_id].push_back(e.event.body);
  }
  return out;
}

std::string IntegrityCheck(const std::filesystem::path& db_path) {
  auto db = storage::SqliteDb::Open(db_path, 5s);
  REQUIRE(db.ok());
  auto check = (*db)->Prepare("PRAGMA integrity_check");
  REQUIRE(check.ok());
  std::string out;
  while (true) {
    auto row = check->Step();
    REQUIRE(row.ok());
    if (!*row) break;
    out += (out.empty() ? "" : "\n") + check->ColumnText(0);
  }
  return out;
}

int64_t Accepted(DaemonProcess& daemon, const std::string& source) {
  const json::value stats = Api(daemon, "GET", "/api/v1/sources", 200, "test-read-token");
  for (const auto& s : stats.at("sources").as_array()) {
    if (s.at("name") == source.c_str()) return s.at("accepted").to_number<int64_t>();
  }
  FAIL("source " << source << " not listed");
  return -1;
}

// What a set of webhook senders saw, by webhook id.
struct Tally {
  std::mutex mu;
  std::set<std::string> acknowledged;  // answered 2xx
  std::set<std::string> refused;       // answered 503 (with Retry-After, checked)
  std::set<std::string> unanswered;    // sent, but no answer came (connection closed or reset)
  std::map<int, int> statuses;
  std::vector<std::string> problems;   // answers that break the contract
  int consecutive_refusals = 0;        // 503s since the last 2xx, across senders
  int answered_after_mark = 0;         // answers read after `mark` was set
  std::atomic<bool> mark{false};
};

// Posts the Shopify order as webhook `id` on `connection`, records the outcome. False when the
// connection is unusable (the caller reconnects or gives up).
bool PostAndTally(HttpConnection& connection, const std::string& body, const std::string& id,
                  Tally& tally) {
  auto r = connection.Request("POST", "/webhooks/shopify", body, ShopifyHeaders(body, id), 8s);
  std::lock_guard lock(tally.mu);
  if (!r.ok()) {
    tally.unanswered.insert(id);
    return false;
  }
  if (tally.mark) ++tally.answered_after_mark;
  ++tally.statuses[r->status];
  // Sender threads must not throw: a body that is not the documented JSON is a problem.
  boost::system::error_code ec;
  const json::value answer = json::parse(r->body, ec);
  const auto field = [&answer](std::initializer_list<const char*> path) {
    const json::value* v = &answer;
    for (const char* key : path) {
      v = v->is_object() ? v->as_object().if_contains(key) : nullptr;
      if (v == nullptr) return json::value();
    }
    return *v;
  };
  if (r->status == 200) {
    tally.acknowledged.insert(id);
    tally.consecutive_refusals = 0;
    if (field({"stored"}) != 1) tally.problems.push_back(id + ": 200 but " + r->body);
  } else if (r->status == 503) {
    tally.refused.insert(id);
    ++tally.consecutive_refusals;
    if (r->header("retry-after").empty()) {
      tally.problems.push_back(id + ": 503 without Retry-After");
    }
    if (field({"error", "code"}) != "unavailable") {
      tally.problems.push_back(id + ": 503 with " + r->body);
    }
  } else {
    tally.problems.push_back(id + ": answered " + std::to_string(r->status) + " " + r->body);
  }
  return r->keep_alive;
}

// Sender threads, stopped and joined when the test ends however it ends (a failed REQUIRE
// must not leave a joinable thread behind). Declare after what the threads use.
class Senders {
 public:
  ~Senders() { Join(); }
  void Add(std::function<void(const std::atomic<bool>& stop)> loop) {
    threads_.emplace_back([this, loop = std::move(loop)] { loop(stop_); });
  }
  void Join() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// 1. The disk under the data dir fills up.

TEST_CASE("reliability: a full disk is answered 503, loses nothing acknowledged, and recovers "
          "when space is freed",
          "[reliability][disk]") {
  TempDir dir;
  TmpfsMount disk(dir.path() / "disk", 16u << 20);
  if (!disk.ok()) JOURNEYD_SKIP("the disk-full test needs its own tmpfs: " << disk.error());
  const auto data = disk.path() / "data";
  const auto db_path = data / "journeyd.db";
  const auto config = dir.Write("journeyd.yaml", IntakeConfig("5s"));
  const std::string body = ShopifyOrder();
  DaemonProcess daemon(config, data);
  daemon.SetLogFile(dir.path() / "daemon.log");  // the log must not need the full disk
  REQUIRE(daemon.Start());

  Tally tally;
  Senders senders;
  for (int t = 0; t < 3; ++t) {
    senders.Add([&, t](const std::atomic<bool>& stop) {
      std::unique_ptr<HttpConnection> connection;
      for (int i = 0; !stop; ++i) {
        if (!connection) {
          auto c = HttpConnection::Connect(daemon.host(), daemon.port());
          if (!c.ok()) {
            std::lock_guard lock(tally.mu);
            tally.problems.push_back("cannot connect: " + c.error().message);
            return;
          }
          connection = std::move(*c);
        }
        const std::string id = "disk-" + std::to_string(t) + "-" + std::to_string(i);
        if (!PostAndTally(*connection, body, id, tally)) connection.reset();
      }
    });
  }
  const auto acknowledged_count = [&] {
    std::lock_guard lock(tally.mu);
    return tally.acknowledged.size();
  };
  Await([&] { return acknowledged_count() >= 50; }, 20s, [&] { return daemon.log(); });

  // Fill the disk next to the database while the webhooks keep coming: large writes first,
  // then ever smaller ones, until not one block is left.
  const auto filler_path = disk.path() / "filler";
  {
    const int fd = ::open(filler_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    const std::string chunk(1 << 20, 'x');
    int error = 0;
    for (size_t size = chunk.size(); size >= 512 && error == 0; size /= 2) {
      while (::write(fd, chunk.data(), size) > 0) {  // a short write is followed by ENOSPC
      }
      error = errno == ENOSPC ? 0 : errno;
    }
    ::close(fd);
    REQUIRE(error == 0);
  }
  CHECK(disk.FreeBytes() < 64 * 1024);
  const size_t acknowledged_when_full = acknowledged_count();

  // The daemon runs out of room inside its files too, and then refuses every webhook.
  Await([&] {
          std::lock_guard lock(tally.mu);
          return tally.consecutive_refusals >= 30;
        },
        25s, [&] {
          std::lock_guard lock(tally.mu);
          return "still acknowledging: " + std::to_string(tally.acknowledged.size()) +
                 " acknowledged, " + std::to_string(tally.refused.size()) + " refused; free " +
                 std::to_string(disk.FreeBytes()) + "\n" + daemon.log();
        });
  senders.Join();
  INFO(daemon.log());
  REQUIRE(daemon.running());
  {
    std::lock_guard lock(tally.mu);
    INFO(tally.acknowledged.size() << " acknowledged (" << acknowledged_when_full
                                   << " before the disk filled), " << tally.refused.size()
                                   << " refused");
    for (const auto& p : tally.problems) CHECK(p == "");  // no 500, no bad 503, no crash
    CHECK(tally.unanswered.empty());                      // no hang, no dropped connection
    CHECK(!tally.refused.empty());
  }

  // Full: one more webhook is refused with the documented answer, and the operator is told
  // why: the log, /readyz and the status API say the disk is full.
  auto refused = HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/shopify", body,
                             ShopifyHeaders(body, "disk-probe"));
  REQUIRE(refused.ok());
  CHECK(refused->status == 503);
  CHECK(refused->header("retry-after") == "5");
  CHECK(json::parse(refused->body).at("error").at("code") == "unavailable");
  CHECK_THAT(daemon.log(), Catch::Contains("disk full"));
  auto healthz = HttpGet(daemon.host(), daemon.port(), "/healthz");
  REQUIRE(healthz.ok());
  CHECK(healthz->status == 200);
  auto readyz = HttpGet(daemon.host(), daemon.port(), "/readyz");
  REQUIRE(readyz.ok());
  {
    INFO(readyz->body);
    CHECK(readyz->status == 503);
    CHECK_THAT(readyz->body, Catch::Contains("disk full"));
  }
  {
    const json::value status = Api(daemon, "GET", "/api/v1/status", 200, "test-read-token");
    INFO(json::serialize(status));
    CHECK(status.at("state") == "red");
    CHECK(status.at("ingest").at("state") == "red");
    CHECK_THAT(std::string(status.at("ingest").at("reason").as_string()),
               Catch::Contains("disk full"));
    CHECK_THAT(std::string(status.at("reason").as_string()), Catch::Contains("disk full"));
  }

  // Free the space: the same daemon takes webhooks again, with no restart, and every refused
  // event can be sent again and is stored once.
  std::filesystem::remove(filler_path);
  tally.refused.insert("disk-probe");
  Await([&] {
          auto r = HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/shopify", body,
                               ShopifyHeaders(body, "disk-after"));
          return r.ok() && r->status == 200;
        },
        10s, [&] { return daemon.log(); });
  for (const std::string& id : tally.refused) {
    auto again = HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/shopify", body,
                             ShopifyHeaders(body, id));
    REQUIRE(again.ok());
    INFO(id << ": " << again->body);
    REQUIRE(again->status == 200);
    const json::value answer = json::parse(again->body);
    CHECK(answer.at("stored") == 1);  // a 503 stored nothing
    CHECK(answer.at("duplicates") == 0);
  }
  auto twice = HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/shopify", body,
                           ShopifyHeaders(body, *tally.refused.begin()));
  REQUIRE(twice.ok());
  CHECK(json::parse(twice->body).at("duplicates") == 1);
  readyz = HttpGet(daemon.host(), daemon.port(), "/readyz");
  REQUIRE(readyz.ok());
  CHECK(readyz->status == 200);
  CHECK_THAT(daemon.log(), Catch::Contains("inbox commits succeed again"));
  // The stages behind the inbox recover too: the mapping stage works off everything stored.
  Await([&] {
          const json::value status = Api(daemon, "GET", "/api/v1/status", 200, "test-read-token");
          return status.at("ingest").at("backlog") == 0 &&
                 status.at("ingest").at("state") == "green";
        },
        20s, [&] {
          return json::serialize(Api(daemon, "GET", "/api/v1/status", 200, "test-read-token")) +
                 "\n" + daemon.log();
        });

  daemon.Signal(SIGTERM);
  REQUIRE(daemon.Wait(15s) == 0);
  CHECK(IntegrityCheck(db_path) == "ok");
  const auto stored = InboxBodies(db_path, "shopify");
  std::set<std::string> want = tally.acknowledged;
  want.insert(tally.refused.begin(), tally.refused.end());
  want.insert("disk-after");
  size_t missing = 0, wrong = 0;
  for (const auto& id : want) {
    const auto found = stored.find(id);
    if (found == stored.end()) {
      ++missing;
      continue;
    }
    wrong += found->second.size() != 1 || found->second.front() != body ? 1 : 0;
  }
  CHECK(missing == 0);
  CHECK(wrong == 0);
  CHECK(stored.size() == want.size());  // nothing stored that was not acknowledged
}

// ---------------------------------------------------------------------------------------------
// 2. SIGTERM while webhooks are in flight.

TEST_CASE("reliability: SIGTERM under load drains in time and keeps every acknowledged webhook",
          "[reliability][shutdown]") {
  TempDir dir;
  const auto data = dir.path() / "data";
  const auto db_path = data / "journeyd.db";
  constexpr auto kShutdownTimeout = 3s;
  const auto config = dir.Write("journeyd.yaml", IntakeConfig("3s"));
  const std::string body = ShopifyOrder();
  Tally tally;
  {
    DaemonProcess daemon(config, data);
    REQUIRE(daemon.Start());
    Senders senders;
    for (int t = 0; t < 8; ++t) {
      senders.Add([&, t](const std::atomic<bool>& stop) {
        for (int i = 0; !stop;) {
          auto connection = HttpConnection::Connect(daemon.host(), daemon.port());
          if (!connection.ok()) return;  // the listener is closed: the daemon is stopping
          for (; !stop; ++i) {
            const std::string id = "stop-" + std::to_string(t) + "-" + std::to_string(i);
            if (!PostAndTally(**connection, body, id, tally)) {
              ++i;
              break;
            }
          }
        }
      });
    }
    Await([&] {
            std::lock_guard lock(tally.mu);
            return tally.acknowledged.size() >= 300;
          },
          20s, [&] { return daemon.log(); });
    tally.mark = true;
    const auto signalled = steady_clock::now();
    daemon.Signal(SIGTERM);
    const auto exit_code = daemon.Wait(kShutdownTimeout + 5s);
    const auto took = steady_clock::now() - signalled;
    senders.Join();
    INFO(daemon.log());
    REQUIRE(exit_code == 0);
    // Within server.shutdown_timeout, plus the stages' stop and the process exit.
    CHECK(took < kShutdownTimeout + 2s);
    CHECK_THAT(daemon.log(), Catch::Contains("received SIGTERM"));
    CHECK_THAT(daemon.log(), !Catch::Contains("drain deadline passed"));
  }
  std::lock_guard lock(tally.mu);
  INFO(tally.acknowledged.size() << " acknowledged, " << tally.refused.size() << " refused, "
                                 << tally.unanswered.size() << " unanswered, "
                                 << tally.answered_after_mark << " answered after SIGTERM");
  for (const auto& p : tally.problems) CHECK(p == "");
  CHECK(tally.answered_after_mark > 0);  // requests were in flight at SIGTERM, and answered

  // Every acknowledged webhook is in the file the daemon left; nothing refused is; what was
  // never answered is either stored whole or not at all.
  CHECK(IntegrityCheck(db_path) == "ok");
  const auto stored = InboxBodies(db_path, "shopify");
  size_t missing = 0, refused_but_stored = 0, unknown = 0, damaged = 0;
  for (const auto& id : tally.acknowledged) missing += stored.count(id) == 0 ? 1 : 0;
  for (const auto& id : tally.refused) refused_but_stored += stored.count(id);
  for (const auto& [id, bodies] : stored) {
    unknown += tally.acknowledged.count(id) + tally.unanswered.count(id) == 0 ? 1 : 0;
    damaged += bodies.size() != 1 || bodies.front() != body ? 1 : 0;
  }
  CHECK(missing == 0);
  CHECK(refused_but_stored == 0);
  CHECK(unknown == 0);
  CHECK(damaged == 0);

  // A restarted daemon agrees with the file (its counters were written with the rows), and
  // every webhook that got no answer, sent again as its vendor would, is stored exactly once.
  {
    DaemonProcess daemon(config, data);
    REQUIRE(daemon.Start());
    CHECK(Accepted(daemon, "shopify") == static_cast<int64_t>(stored.size()));
    std::set<std::string> resend = tally.unanswered;
    resend.insert(tally.refused.begin(), tally.refused.end());
    for (const auto& id : resend) {
      auto r = HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/shopify", body,
                           ShopifyHeaders(body, id));
      REQUIRE(r.ok());
      REQUIRE(r->status == 200);
      const json::value answer = json::parse(r->body);
      INFO(id << ": " << r->body);
      CHECK(answer.at("stored") == (stored.count(id) ? 0 : 1));
      CHECK(answer.at("duplicates") == (stored.count(id) ? 1 : 0));
    }
    daemon.Signal(SIGTERM);
    REQUIRE(daemon.Wait(10s) == 0);
    const auto after = InboxBodies(db_path, "shopify");
    std::set<std::string> want = tally.acknowledged;
    want.insert(resend.begin(), resend.end());
    CHECK(after.size() == want.size());
    for (const auto& id : want) CHECK(after.count(id) == 1);
  }
}

// ---------------------------------------------------------------------------------------------
// 3. The CRM answers more slowly than the target's timeout for a while.

namespace {

// The shipped config with the source tree's mappings and the HubSpot target at the fake, with
// a short delivery timeout.
std::string CrmConfig(const std::string& base_url) {
  return ShippedConfigWith(R"yaml(journey:
  action_max_age: 0s

targets:
  - name: hubspot
    type: hubspot
    base_url: )yaml" + base_url + R"yaml(
    token: ${env:JOURNEYD_HUBSPOT_TOKEN}
    key_property: journeyd_key
    delivery:
      timeout: 1s
      linger: 50ms
      max_age: 10m
)yaml");
}

// Segment's own HTTP API examples (shared/fixtures/tracking/segment/examples) for one person:
// the user id, email, message id and time are theirs; the rest is the example as published.
class SegmentExamples {
 public:
  explicit SegmentExamples(DaemonProcess& daemon) : daemon_(daemon) {}

  void Identify(const std::string& user, const std::string& email, system_clock::time_point at) {
    json::object body = Example("http-api.01.identify_POST_v1_identify.json");
    body["traits"].as_object()["email"] = email;
    Post("identify", user, std::move(body), at);
  }
  void Page(const std::string& user, system_clock::time_point at) {
    Post("page", user, Example("http-api.03.page_POST_v1_page.json"), at);
  }
  void Track(const std::string& user, system_clock::time_point at) {
    Post("track", user, Example("http-api.02.track_POST_v1_track.json"), at);
  }

 private:
  static json::object Example(const std::string& name) {
    return json::parse(ReadFile(FixturesDir() / "tracking" / "segment" / "examples" / name))
        .as_object();
  }
  void Post(const std::string& call, const std::string& user, json::object body,
            system_clock::time_point at) {
    body["userId"] = user;
    body["messageId"] = "m-" + std::to_string(++sequence_);
    body["timestamp"] = FormatIso8601(at);
    body["writeKey"] = DefaultTestEnvironment().at("JOURNEYD_SEGMENT_WRITE_KEY");
    auto r = HttpRequest(daemon_.host(), daemon_.port(), "POST", "/v1/" + call,
                         json::serialize(body), {{"Content-Type", "application/json"}});
    REQUIRE(r.ok());
    INFO(r->body);
    REQUIRE(r->status == 200);
  }

  DaemonProcess& daemon_;
  int sequence_ = 0;
};

}  // namespace

TEST_CASE("reliability: a CRM slower than the delivery timeout gets every change, each note "
          "once",
          "[reliability][delivery]") {
  fakes::FakeHubSpot fake;
  TempDir dir;
  DaemonProcess daemon(dir.Write("journeyd.yaml", CrmConfig(fake.base_url())),
                       dir.path() / "data");
  REQUIRE(daemon.Start());
  SegmentExamples send(daemon);
  constexpr int kPeople = 8;
  const auto email = [](int i) { return "slow" + std::to_string(i) + "@example.com"; };
  const auto user = [](int i) { return "slow-user-" + std::to_string(i); };
  const auto start = std::chrono::time_point_cast<std::chrono::seconds>(system_clock::now()) - 2h;
  const auto note_keys = [&] {
    std::set<std::string> keys;
    for (const auto& note : fake.Notes()) keys.insert(note.properties.at("journeyd_key"));
    return keys.size();
  };
  const auto describe = [&] {
    std::string out = "contacts " + std::to_string(fake.Contacts().size()) + ", note keys " +
                      std::to_string(note_keys()) + "\n";
    for (const auto& r : fake.server().Log()) {
      out += std::to_string(r.status) + " " + r.target + "\n";
    }
    return out + daemon.log();
  };

  // At normal speed: everyone's contact, with a note for a page view.
  for (int i = 0; i < kPeople; ++i) {
    send.Identify(user(i), email(i), start + std::chrono::minutes(i));
    send.Page(user(i), start + std::chrono::minutes(i) + 10s);
  }
  Await([&] {
          return fake.Contacts().size() == static_cast<size_t>(kPeople) &&
                 note_keys() == static_cast<size_t>(kPeople);
        },
        20s, describe);

  // Then HubSpot answers 2.5 s late for 6 s: each request is applied, and answered after
  // journeyd's 1 s timeout. Meanwhile everyone buys and views another page: notes only (their
  // contacts do not change), so the requests that time out are note creations.
  fake.server().SetDelay(2500ms);
  const auto slow_since = system_clock::now();
  for (int i = 0; i < kPeople; ++i) {
    send.Track(user(i), start + std::chrono::minutes(i) + 20s);
    send.Page(user(i), start + std::chrono::minutes(i) + 30s);
    std::this_thread::sleep_for(200ms);
  }
  std::this_thread::sleep_until(slow_since + 6s);
  fake.server().SetDelay(0ms);
  const auto slow_until = system_clock::now();

  Await([&] { return note_keys() == static_cast<size_t>(3 * kPeople); }, 40s, describe);
  // Let anything still queued (a resend of a request that timed out) arrive.
  Await([&] {
          return Api(daemon, "GET", "/api/v1/targets", 200).at("targets").at(0).at("pending") ==
                 0;
        },
        20s, describe);
  std::this_thread::sleep_for(1500ms);
  INFO(describe());

  // The fault happened: note creations reached HubSpot (and were applied) while it was slow,
  // and journeyd counted their timeouts as failed requests.
  size_t slow_note_requests = 0;
  for (const auto& r : fake.server().Log()) {
    if (r.target.find("/notes/batch/create") != std::string::npos && r.time >= slow_since &&
        r.time < slow_until) {
      ++slow_note_requests;
    }
  }
  CHECK(slow_note_requests > 0);
  const json::value targets = Api(daemon, "GET", "/api/v1/targets", 200);
  INFO(json::serialize(targets));
  const auto& hubspot = targets.at("targets").at(0);
  CHECK(hubspot.at("failed_requests").to_number<int64_t>() > 0);
  CHECK(hubspot.at("dead_letters").to_number<int64_t>() == 0);

  // Every contact once (upserts by email cannot double one)...
  CHECK(fake.Contacts().size() == static_cast<size_t>(kPeople));
  for (int i = 0; i < kPeople; ++i) {
    INFO(email(i));
    CHECK(fake.ContactByEmail(email(i)).has_value());
  }
  // ...and every touchpoint one note, however often its request timed out: exactly once.
  const auto counts = fake.KeyCounts();
  CHECK(counts.size() == static_cast<size_t>(3 * kPeople));
  std::vector<std::string> doubled;
  for (const auto& [key, count] : counts) {
    if (count != 1) doubled.push_back(key + " x" + std::to_string(count));
  }
  INFO(doubled.size() << " of " << counts.size() << " keys were created more than once");
  for (const auto& d : doubled) CHECK(d == "");
  for (const auto& note : fake.Notes()) {
    REQUIRE(note.contact_ids.size() == 1);
    CHECK(fake.ContactById(note.contact_ids[0]).has_value());
  }
}

// ---------------------------------------------------------------------------------------------
// 4. The polled API goes down in the middle of a multi-page read.

namespace {

constexpr const char* kShopToken = "shpat_fake_token";

std::string PollConfig(const std::filesystem::path& data_dir, const std::string& base_url) {
  return "data_dir: " + data_dir.string() +
         "\nserver:\n  listen: 127.0.0.1:0\n  admin_token: ${env:JOURNEYD_ADMIN_TOKEN}\n"
         "  read_token: ${env:JOURNEYD_READ_TOKEN}\n"
         "sources:\n  - name: shop\n    type: shopify\n    mapping: " +
         (SourceDir() / "mappings/shopify.yaml").string() +
         "\n    secret: ${env:JOURNEYD_SHOPIFY_SECRET}\n    poll:\n"
         "      schedule: \"@every 1h\"\n      catch_up: false\n"
         "      base_url: " + base_url + "\n      auth:\n        token: " + kShopToken + "\n"
         "      timeout: 5s\n"  // generous: a loaded machine must not time out a page twice
         "      rate_limit:\n        max_retries: 2\n"
         "      streams:\n        - name: customers\n          page_size: 20\n";
}

json::object AwaitRun(DaemonProcess& daemon, int64_t id, std::chrono::seconds timeout = 30s) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    const json::value runs = Api(daemon, "GET", "/api/v1/runs?source=shop&limit=100", 200);
    for (const auto& run : runs.at("runs").as_array()) {
      if (run.at("id").as_int64() == id && run.at("status").as_string() != "running") {
        return run.as_object();
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  FAIL("run " << id << " did not finish in time\n" << daemon.log());
  return {};
}

int64_t StartRun(DaemonProcess& daemon) {
  return Api(daemon, "POST", "/api/v1/sources/shop/sync", 202).at("run").at("id").as_int64();
}

// How often each record id is in the inbox (external ids are "customers:<id>:<hash>"): a
// changed record is stored once per version.
std::map<std::string, int> PolledIds(const std::filesystem::path& db_path) {
  std::map<std::string, int> out;
  for (const auto& [key, bodies] : InboxBodies(db_path, "shop")) {
    const size_t a = key.find(':'), b = key.rfind(':');
    REQUIRE(a != std::string::npos);
    REQUIRE(b > a);
    out[key.substr(a + 1, b - a - 1)] += static_cast<int>(bodies.size());
  }
  return out;
}

}  // namespace

TEST_CASE("reliability: a source API outage mid-read fails the run without skipping, and the "
          "next run reads the rest once",
          "[reliability][polling]") {
  fakes::FakeSourceApiOptions options;
  options.fixtures_dir = FixturesDir();
  options.credential = kShopToken;
  auto shopify = fakes::MakeFakeSourceApi("shopify", options);
  const std::vector<std::string> ids =
      shopify->Seed("customers", 200, system_clock::now() - 1h);  // 10 pages of 20
  shopify->server().SetDelay(120ms);  // so that the outage lands mid-read
  TempDir dir;
  const auto data = dir.path() / "data";
  const auto config = dir.Write("journeyd.yaml", PollConfig(data, shopify->base_url()));
  DaemonProcess daemon(config, data);
  REQUIRE(daemon.Start());

  // The API goes down after three pages, for longer than the run's retries (2, after 1 s and
  // 2 s): the run fails, keeping the pages it committed and the next page's link.
  const int64_t first_id = StartRun(daemon);
  Await([&] { return shopify->PagesServed()["customers"] >= 3; }, 20s,
        [&] { return daemon.log(); });
  shopify->server().SetDown(true);
  const int pages_before = shopify->PagesServed()["customers"];
  REQUIRE(pages_before < 10);
  const json::object first = AwaitRun(daemon, first_id);
  INFO(json::serialize(first));
  CHECK(first.at("status") == "failed");
  CHECK_THAT(std::string(first.at("detail").as_string()), Catch::Contains("gave up after 3"));
  const int64_t first_records = first.at("records").as_int64();
  CHECK(first_records == 20 * first.at("pages").as_int64());
  CHECK(first_records >= 40);  // whole pages before the outage are kept...
  CHECK(first_records < 200);
  // ...and the cursor has not moved past what was not read: the stream still stands at its
  // start, with the next page to resume from.
  CHECK(first.at("cursor_before") == "customers=(none)");
  CHECK(first.at("cursor_after") == "customers=(start) +page");
  {
    const json::value status = Api(daemon, "GET", "/api/v1/status", 200, "test-read-token");
    const auto& shop = status.at("sources").at(0);
    INFO(json::serialize(shop));
    CHECK(shop.at("state") != "green");
    CHECK_THAT(std::string(shop.at("reason").as_string()), Catch::Contains("sync run failed"));
  }

  // The API is back: the next run resumes at the stored page and reads the rest, once.
  shopify->server().SetDown(false);
  shopify->server().SetDelay(0ms);
  shopify->server().ClearLog();
  const json::object second = AwaitRun(daemon, StartRun(daemon));
  INFO(json::serialize(second));
  CHECK(second.at("status") == "succeeded");
  const auto log = shopify->server().Log();
  REQUIRE_FALSE(log.empty());
  CHECK_THAT(log.front().target, Catch::Contains("page_info="));  // not page one again
  CHECK(first_records + second.at("records").as_int64() == 200);
  CHECK(second.at("duplicates") == 0);
  CHECK(shopify->PagesServed()["customers"] <= 11);  // at most the page in flight twice
  CHECK_THAT(std::string(second.at("cursor_after").as_string()), !Catch::Contains("+page"));

  // A short outage inside the retry budget: the run waits it out and succeeds. Five records
  // change and 40 are new meanwhile; the lookback re-reads some stored ones (duplicates).
  for (int i = 0; i < 5; ++i) shopify->Touch("customers", ids[i * 7], system_clock::now() - 1min);
  const auto added = shopify->Seed("customers", 40, system_clock::now() - 30min);
  shopify->server().SetDown(true);
  const int64_t third_id = StartRun(daemon);
  std::this_thread::sleep_for(1500ms);
  shopify->server().SetDown(false);
  const json::object third = AwaitRun(daemon, third_id);
  INFO(json::serialize(third));
  CHECK(third.at("status") == "succeeded");
  CHECK_THAT(std::string(third.at("detail").as_string()),
             Catch::Contains("retried") && !Catch::Contains(" 0 retried"));
  CHECK(third.at("records") == 45);

  daemon.Signal(SIGTERM);
  REQUIRE(daemon.Wait(10s) == 0);
  std::map<std::string, int> want;
  for (const auto& id : ids) want[id] = 1;
  for (int i = 0; i < 5; ++i) want[ids[i * 7]] = 2;  // the old version and the changed one
  for (const auto& id : added) want[id] = 1;
  CHECK(PolledIds(data / "journeyd.db") == want);
}

}  // namespace journeyd::testing
