// The crash test of the reliability suite: 20,000 signed webhooks from three vendors (Shopify
// orders, WooCommerce orders, Stripe Checkout sessions; real fixture payloads, each with its own
// id, amount and one of 2,000 customers) go into the real daemon while it delivers to an
// in-process fake HubSpot that enforces the API's contract. journeyd is killed with SIGKILL five
// times at random moments (three while webhooks arrive, two while it is still delivering) and
// restarted on the same data directory each time. Senders behave like the vendors: a webhook
// that got no 2xx is sent again, with the same id.
//
// Afterwards every webhook is in the inbox exactly once, and every contact and touchpoint
// reached HubSpot exactly once, counted at the fake: one contact per customer, one note per
// touchpoint (by journeyd's key, which each note carries), every touchpoint's order reference
// among the notes. The random seed is printed; JOURNEYD_CRASH_SEED replays one.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "engine/storage/sqlite/sqlite_db.h"
#include "tests/fakes/fake_hubspot.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/signing.h"
#include "tests/support/vendor_requests.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

constexpr int kWebhooks = 20000;
constexpr int kCustomers = 2000;
constexpr int kKills = 5;
constexpr int kKillsWhileSending = 3;
constexpr int kSenders = 4;

// The shipped config with the source tree's mappings, no journey actions, and one HubSpot
// target at the fake (notes carry journeyd_key, so the fake can count them by it).
std::string CrashConfig(const std::string& crm_url) {
  return ShippedConfigWith(R"yaml(journey:
  actions: []

targets:
  - name: hubspot
    type: hubspot
    base_url: )yaml" + crm_url + R"yaml(
    token: ${env:JOURNEYD_HUBSPOT_TOKEN}
    key_property: journeyd_key
    delivery:
      linger: 50ms
      max_age: 1h
)yaml");
}

struct Webhook {
  std::string vendor;  // shopify, woocommerce, stripe
  std::string id;      // the id journeyd keeps as the event's external id
  std::string body;
  int touchpoints = 0;  // what its mapping makes
};

// Webhook n: vendor n % 3, customer n % kCustomers, amount 10 + n (no two purchases of one
// customer are the same amount, so the order-and-payment de-duplication rule merges none).
class Webhooks {
 public:
  Webhooks()
      : shopify_(json::parse(ReadFile(FixturesDir() / "webhooks/shopify/orders_create.json"))),
        woocommerce_(
            json::parse(ReadFile(FixturesDir() / "webhooks/woocommerce/order_created.json"))),
        stripe_(json::parse(
            ReadFile(FixturesDir() / "webhooks/stripe/checkout_session_completed.assembled.json"))) {}

  static std::string Email(int customer) {
    return "crash" + std::to_string(customer) + "@example.com";
  }

  Webhook Make(int n) const {
    const int customer = n % kCustomers;
    const std::string amount = std::to_string(10 + n) + ".00";
    Webhook w;
    switch (n % 3) {
      case 0: {
        json::value order = shopify_;
        json::object& o = order.as_object();
        o["id"] = int64_t{5000000000000} + n;
        o["name"] = "#C" + std::to_string(n);
        o["email"] = Email(customer);
        o["contact_email"] = Email(customer);
        o["total_price"] = amount;
        if (o.contains("customer") && o["customer"].is_object()) {
          json::object& c = o["customer"].as_object();
          c["id"] = int64_t{6000000000000} + customer;
          c["email"] = Email(customer);
        }
        w = {"shopify", "crash-shopify-" + std::to_string(n), json::serialize(order), 1};
        break;
      }
      case 1: {
        json::value order = woocommerce_;
        json::object& o = order.as_object();
        o["id"] = 100000 + n;
        o["number"] = std::to_string(100000 + n);
        o["total"] = amount;
        o["billing"].as_object()["email"] = Email(customer);
        w = {"woocommerce", "crash-woo-" + std::to_string(n), json::serialize(order), 2};
        break;
      }
      default: {
        json::value event = stripe_;
        json::object& e = event.as_object();
        e["id"] = "evt_crash" + std::to_string(n);
        json::object& session = e["data"].as_object()["object"].as_object();
        session["id"] = "cs_crash" + std::to_string(n);
        session["amount_total"] = 1000 + 100 * n;
        session["customer_details"].as_object()["email"] = Email(customer);
        w = {"stripe", "evt_crash" + std::to_string(n), json::serialize(event), 1};
        break;
      }
    }
    return w;
  }

  // The vendor's signed request headers, signed now (Stripe's signature carries the time).
  static Headers Sign(const Webhook& w) {
    const auto env = DefaultTestEnvironment();
    if (w.vendor == "shopify") return ShopifyHeaders(w.body, w.id);
    if (w.vendor == "woocommerce") return WooCommerceHeaders(w.body, w.id);
    const std::string t = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    return {{"Content-Type", "application/json"},
            {"Stripe-Signature",
             "t=" + t + ",v1=" + HmacSha256Hex(env.at("JOURNEYD_STRIPE_SECRET"), t + "." + w.body)}};
  }

 private:
  const json::value shopify_, woocommerce_, stripe_;
};

// Every inbox row's (source, external id), counted.
std::map<std::pair<std::string, std::string>, int> InboxRows(const std::filesystem::path& db) {
  auto opened = storage::SqliteDb::Open(db, 5s);
  REQUIRE(opened.ok());
  auto rows = (*opened)->Prepare("SELECT source, external_id FROM inbox");
  REQUIRE(rows.ok());
  std::map<std::pair<std::string, std::string>, int> out;
  while (*rows->Step()) ++out[{rows->ColumnText(0), rows->ColumnText(1)}];
  return out;
}

TEST_CASE("kill -9 five times under 20,000 webhooks: nothing lost, nothing doubled at the CRM",
          "[reliability][crash]") {
  uint64_t seed = std::random_device{}();
  if (const char* fixed = std::getenv("JOURNEYD_CRASH_SEED")) seed = std::strtoull(fixed, nullptr, 10);
  WARN("JOURNEYD_CRASH_SEED=" << seed);
  std::mt19937_64 random(seed);

  fakes::HubSpotOptions crm_options;
  crm_options.window_budget = 190;  // HubSpot Professional and Enterprise
  fakes::FakeHubSpot crm(crm_options);
  TempDir dir;
  const auto config = dir.Write("journeyd.yaml", CrashConfig(crm.base_url()));
  const auto data = dir.path() / "data";

  const Webhooks webhooks;
  std::vector<Webhook> all;
  int expected_touchpoints = 0;
  for (int n = 0; n < kWebhooks; ++n) {
    all.push_back(webhooks.Make(n));
    expected_touchpoints += all.back().touchpoints;
  }

  auto daemon = std::make_unique<DaemonProcess>(config, data);
  REQUIRE(daemon->Start());
  std::atomic<uint16_t> port{daemon->port()};
  std::atomic<int> next{0}, acknowledged{0}, refused{0};
  std::mutex failures_mu;
  std::vector<std::string> failures;  // 4xx: a bug, not a crash

  std::vector<std::thread> senders;
  for (int t = 0; t < kSenders; ++t) {
    senders.emplace_back([&] {
      std::unique_ptr<HttpConnection> connection;
      uint16_t connected_to = 0;
      for (int n = next++; n < kWebhooks; n = next++) {
        const Webhook& w = all[static_cast<size_t>(n)];
        // Like a vendor: until a 2xx, again, with the same id.
        while (true) {
          const uint16_t current = port.load();
          if (!connection || connected_to != current) {
            auto opened = HttpConnection::Connect("127.0.0.1", current);
            if (!opened.ok()) {
              connection.reset();
              std::this_thread::sleep_for(20ms);
              continue;
            }
            connection = std::move(*opened);
            connected_to = current;
          }
          auto r = connection->Request("POST", "/webhooks/" + w.vendor, w.body,
                                       Webhooks::Sign(w), 10s);
          if (!r.ok()) {  // the daemon died under us: reconnect and send again
            connection.reset();
            std::this_thread::sleep_for(20ms);
            continue;
          }
          if (r->status >= 200 && r->status < 300) {
            ++acknowledged;
            break;
          }
          if (r->status == 503) {  // draining or backlogged: later
            ++refused;
            std::this_thread::sleep_for(50ms);
            continue;
          }
          std::lock_guard lock(failures_mu);
          failures.push_back(w.vendor + " " + w.id + ": " + std::to_string(r->status) + " " +
                             r->body);
          break;
        }
      }
    });
  }

  const auto kill_and_restart = [&](int k) {
    daemon->Signal(SIGKILL);
    REQUIRE(daemon->Wait(10s) == 128 + SIGKILL);
    INFO("kill " << k << ": acknowledged so far " << acknowledged.load());
    daemon = std::make_unique<DaemonProcess>(config, data);
    REQUIRE(daemon->Start());
    port = daemon->port();
  };
  // Kill points: three while webhooks arrive (at random counts of acknowledged webhooks), two
  // while journeyd delivers (at random counts of notes at the CRM).
  const auto points = [&](int count, int low, int high) {
    std::uniform_int_distribution<int> pick(low, high);
    std::vector<int> out;
    for (int i = 0; i < count; ++i) out.push_back(pick(random));
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto wait_for = [](const std::function<int()>& progress, int target) {
    const auto give_up = steady_clock::now() + 300s;
    while (progress() < target && steady_clock::now() < give_up) {
      std::this_thread::sleep_for(2ms);
    }
    return progress();
  };
  std::vector<int> acked_at_kill;
  for (int point : points(kKillsWhileSending, 500, kWebhooks - 500)) {
    acked_at_kill.push_back(wait_for([&] { return acknowledged.load(); }, point));
    kill_and_restart(static_cast<int>(acked_at_kill.size()));
  }
  for (auto& s : senders) s.join();
  {
    std::lock_guard lock(failures_mu);
    INFO(failures.size() << " refused webhooks, first: " << (failures.empty() ? "" : failures[0]));
    REQUIRE(failures.empty());
  }
  REQUIRE(acknowledged.load() == kWebhooks);
  for (int acked : acked_at_kill) CHECK(acked < kWebhooks);  // the kills did land mid-stream
  std::vector<size_t> notes_at_kill;
  for (int point : points(kKills - kKillsWhileSending, expected_touchpoints / 20,
                          expected_touchpoints * 19 / 20)) {
    notes_at_kill.push_back(static_cast<size_t>(
        wait_for([&] { return static_cast<int>(crm.Notes().size()); }, point)));
    kill_and_restart(kKillsWhileSending + static_cast<int>(notes_at_kill.size()));
  }
  for (size_t notes : notes_at_kill) CHECK(notes < static_cast<size_t>(expected_touchpoints));

  // Every webhook is in the inbox, once.
  const auto rows = InboxRows(data / "journeyd.db");
  size_t missing = 0, doubled = 0;
  for (const Webhook& w : all) {
    auto it = rows.find({w.vendor, w.id});
    if (it == rows.end()) ++missing;
    else if (it->second > 1) ++doubled;
  }
  CHECK(missing == 0);
  CHECK(doubled == 0);
  CHECK(rows.size() == static_cast<size_t>(kWebhooks));

  // Everything reaches HubSpot.
  const auto deadline = steady_clock::now() + 300s;
  while (steady_clock::now() < deadline &&
         (crm.Notes().size() < static_cast<size_t>(expected_touchpoints) ||
          crm.Contacts().size() < static_cast<size_t>(kCustomers))) {
    std::this_thread::sleep_for(200ms);
  }
  std::this_thread::sleep_for(2s);  // anything doubled would have arrived by now
  WARN("acknowledged at the kills " << acked_at_kill[0] << ", " << acked_at_kill[1] << ", "
       << acked_at_kill[2] << "; notes at the kills " << notes_at_kill[0] << ", "
       << notes_at_kill[1] << "; 503s " << refused.load() << "; CRM searches "
       << crm.Stats().searches);
  INFO("notes " << crm.Notes().size() << " of " << expected_touchpoints << ", contacts "
                << crm.Contacts().size() << " of " << kCustomers << ", searches "
                << crm.Stats().searches << "\n"
                << daemon->log().substr(0, 4000));

  // One contact per customer.
  const auto contacts = crm.Contacts();
  CHECK(contacts.size() == static_cast<size_t>(kCustomers));
  std::set<std::string> emails;
  for (const auto& c : contacts) emails.insert(c.properties.count("email") ? c.properties.at("email") : "");
  for (int c = 0; c < kCustomers; ++c) CHECK(emails.count(Webhooks::Email(c)) == 1);

  // One note per touchpoint: every key once, and every order's reference among them.
  const auto keys = crm.KeyCounts();
  CHECK(keys.size() == static_cast<size_t>(expected_touchpoints));
  int duplicated = 0;
  for (const auto& [key, count] : keys) duplicated += count > 1 ? 1 : 0;
  CHECK(duplicated == 0);
  std::map<std::string, int> references;
  const std::regex reference(R"(reference ([a-z_]+:[a-z_]+:[A-Za-z0-9_]+))");
  for (const auto& note : crm.Notes()) {
    std::smatch m;
    const std::string& body = note.properties.at("hs_note_body");
    if (std::regex_search(body, m, reference)) ++references[m[1]];
  }
  int unreferenced = 0;
  for (int n = 0; n < kWebhooks; ++n) {
    const std::string ref = n % 3 == 0   ? "shopify:order:" + std::to_string(5000000000000 + n)
                            : n % 3 == 1 ? "woocommerce:order:" + std::to_string(100000 + n)
                                         : "stripe:checkout_session:cs_crash" + std::to_string(n);
    const int want = n % 3 == 1 ? 2 : 1;  // WooCommerce: order placed and order paid
    if (references[ref] != want) ++unreferenced;
  }
  CHECK(unreferenced == 0);
}

}  // namespace
}  // namespace journeyd::testing
