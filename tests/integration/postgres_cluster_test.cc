// Two journeyd instances on one PostgreSQL database, under concurrent load for the same customers,
// and one of them killed (docs/scaling.md). Signed Shopify and WooCommerce webhooks for 40
// customers go to both instances at once from several threads, like a load balancer would send
// them: some are redelivered to the other instance with the same webhook id (a vendor's retry),
// some orders come twice under new webhook ids (orders/paid, a replay), half the customers buy
// in both shops under one email (identity links them), pairs of customers share a name and an
// address but not an email (they must stay apart), and four customers have a second email that
// only a later order ties to the first (a real merge, decided by the survivor). Deliveries go to
// an in-process fake HubSpot that enforces the API's contract and keeps what it was sent. Before
// the load, new events are delivered to both instances at once, several at a time and in
// opposite orders (a vendor sending again before the first answer came): each instance's group
// commit must wait for the other's, not fail on it. No webhook may ever be answered 5xx.
//
// The instance holding every lease is killed with SIGKILL at the worst moment for delivery: a
// batch of notes has been applied by HubSpot but its answer is held back, so the dead instance
// never learned of it. The senders retry what the dead instance did not acknowledge on the
// survivor, which takes the leases over after their ttl, reloads the identity graph and the
// stages' cursors, asks HubSpot about the notes in doubt, and drains everything.
//
// Afterwards: every webhook is in the inbox once and counted as accepted once; every order is
// one touchpoint on its customer's profile; one live profile per customer, none shared by two;
// the four merges were made on the identifiers that tie them. At HubSpot: one contact per
// customer (the merged four may keep the retired profile's contact, a documented limit), every
// touchpoint one note (by journeyd's key and by order reference) on a contact of its own
// customer, in order per contact, one task per purchase, nothing dead-lettered.
//
// Then the leases move twice more, and no work may be done twice: the killed instance comes back
// (and must not touch the CRM); the survivor freezes (SIGSTOP) until the restarted one has taken
// its leases over, which finds nothing to do; new orders of a known and of a new customer go
// through; the frozen one thaws, finds its leases gone and only ingests; the other stops cleanly
// and the leases go back to the thawed one, whose in-memory state (an identity graph without the
// new customers, cursors) is stale and must be reloaded: the new customers' next orders land on
// the profiles and contacts made for them, each once.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "engine/storage/postgres/pg_connection.h"
#include "tests/fakes/fake_hubspot.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/postgres.h"
#include "tests/support/signing.h"
#include "tests/support/temp_dir.h"
#include "tests/support/vendor_requests.h"

namespace journeyd::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using std::chrono::steady_clock;
using storage::PgConnection;
using storage::PgResult;

constexpr int kCustomers = 40;
constexpr int kNames = 20;  // customers c and c + kNames share a name and an address
constexpr int kShopifyOrders = 3;
constexpr int kSenders = 4;
constexpr int kCrossedRounds = 100;  // rounds of new events sent to both instances at once
constexpr auto kLeaseTtl = 3s;
// How long HubSpot holds back its answer to the notes request the kill lands in.
constexpr auto kHeldAnswer = 1500ms;
// The leases that must exist: the stages that run on one instance (docs/scaling.md). Any other
// lease there is ("mapping", where instances do not all map) must be with the same instance.
const std::vector<std::string> kLeases = {"identity", "journey", "delivery:hubspot"};

// The shipped config on the test database with a short lease ttl, a welcome-call task on every
// purchase, and one HubSpot target at the fake (notes and tasks carry journeyd_key).
std::string ClusterConfig(const std::string& database_url, const std::string& crm_url) {
  std::string text = ShippedConfigWith(R"yaml(journey:
  action_max_age: 0s
  actions:
    - name: welcome_call
      on_enter: purchase
      target: hubspot
      create_task:
        subject: Welcome call
        due_in: 2d
        owner: "42"

targets:
  - name: hubspot
    type: hubspot
    base_url: )yaml" + crm_url + R"yaml(
    token: ${env:JOURNEYD_HUBSPOT_TOKEN}
    key_property: journeyd_key
    requests_per_10s: 190
    delivery:
      linger: 200ms
      max_age: 1h
)yaml");
  const std::string sqlite = "  url: sqlite:journeyd.db\n";
  const size_t at = text.find(sqlite);
  REQUIRE(at != std::string::npos);
  return text.replace(at, sqlite.size(),
                      "  url: \"" + database_url + "\"\n  lease_ttl: " +
                          std::to_string(std::chrono::seconds(kLeaseTtl).count()) + "s\n");
}

struct Customer {
  int index = 0;
  std::string first_name, last_name;
  std::string email;      // every Shopify order's, and the WooCommerce order's when `woo`
  std::string alt_email;  // bridging only: its WooCommerce order's and its last Shopify order's
  int64_t shopify_id = 0;
  bool woo = false;       // also buys at the WooCommerce shop, under `email`
  bool bridging = false;  // two profiles at first, one after its last Shopify order
};

// When a webhook is sent.
enum class Phase {
  kFirst,      // one by one before the load: a bridging customer's first Shopify order,
  kSecond,     // then, once those are on profiles, its WooCommerce order (a second profile)
  kLoad,       // shuffled, by several threads, to both instances; two fifths after the kill
  kAfterKill,  // only after the kill: a bridging customer's last Shopify order (the merge)
};

// One distinct webhook (a vendor event with its own id).
struct Webhook {
  std::string vendor;  // shopify | woocommerce
  std::string id;      // the webhook id: the inbox's external id
  std::string topic;   // Shopify's X-Shopify-Topic
  std::string body;
  int customer = 0;
  Phase phase = Phase::kLoad;
};

// A touchpoint the webhooks must make, exactly once.
struct Touchpoint {
  std::string type, reference;
  int customer = 0;
};

class Scenario {
 public:
  Scenario()
      : shopify_(json::parse(ReadFile(FixturesDir() / "webhooks/shopify/orders_create.json"))),
        woo_(json::parse(ReadFile(FixturesDir() / "webhooks/woocommerce/order_created.json"))) {
    const char* first[kNames] = {"Ann",   "Bob",   "Carla", "Dev",  "Edith", "Femi", "Gus",
                                 "Hana",  "Ivo",   "Jill",  "Kofi", "Lena",  "Milo", "Nora",
                                 "Omar",  "Pia",   "Quinn", "Rosa", "Sven",  "Tess"};
    const char* last[kNames] = {"Lee",   "Moss",  "Diaz", "Patel", "Wong",  "Ade",   "Berg",
                                "Sato",  "Novak", "Kerr", "Mensah", "Ruiz", "Holt",  "Ibsen",
                                "Haddad", "Lind", "Ng",   "Costa", "Falk",  "Quist"};
    for (int c = 0; c < kCustomers; ++c) {
      Customer customer;
      customer.index = c;
      customer.first_name = first[c % kNames];
      customer.last_name = last[c % kNames];
      const std::string local = Lower(customer.first_name) + "." + Lower(customer.last_name) +
                                "." + std::to_string(c);
      customer.email = local + "@example.com";
      customer.shopify_id = int64_t{7100000000000} + c;
      customer.bridging = c % 10 == 3;
      customer.woo = !customer.bridging && c % 2 == 0;
      if (customer.bridging) customer.alt_email = local + "@work.example.org";
      customers_.push_back(customer);
    }
    for (const Customer& c : customers_) Add(c);
  }

  const std::vector<Customer>& customers() const { return customers_; }
  const std::vector<Webhook>& webhooks() const { return webhooks_; }
  const std::vector<Touchpoint>& touchpoints() const { return touchpoints_; }
  // The customer an email belongs to, or -1.
  int OwnerOf(const std::string& email) const {
    auto it = owners_.find(Lower(email));
    return it == owners_.end() ? -1 : it->second;
  }

  // A Shopify orders/create or orders/paid body for `c`, placed at `at` from `email`.
  std::string ShopifyOrder(const Customer& c, int64_t order_id, const std::string& email,
                           const std::string& amount, const std::string& at) const {
    json::value order = shopify_;
    json::object& o = order.as_object();
    o["id"] = order_id;
    o["order_number"] = order_id % 1000000;
    o["name"] = "#K" + std::to_string(order_id % 1000000);
    o["email"] = email;
    o["contact_email"] = email;
    o["phone"] = nullptr;
    o["total_price"] = amount;
    json::object money{{"amount", amount}, {"currency_code", "USD"}};
    o["total_price_set"] = json::object{{"shop_money", money}, {"presentment_money", money}};
    o["created_at"] = at;
    o["updated_at"] = at;
    o["processed_at"] = at;
    for (const char* address : {"billing_address", "shipping_address"}) {
      if (o.contains(address) && o[address].is_object()) o[address].as_object()["phone"] = nullptr;
    }
    json::object& customer = o["customer"].as_object();
    customer["id"] = c.shopify_id;
    customer["email"] = c.email;
    customer["first_name"] = c.first_name;
    customer["last_name"] = c.last_name;
    customer["phone"] = nullptr;
    return json::serialize(order);
  }

  // A WooCommerce order.created body: a guest order (no customer id) from `email`.
  std::string WooOrder(const Customer& c, int64_t order_id, const std::string& email,
                       const std::string& amount) const {
    json::value order = woo_;
    json::object& o = order.as_object();
    o["id"] = order_id;
    o["number"] = std::to_string(order_id);
    o["total"] = amount;
    o["customer_id"] = 0;
    json::object& billing = o["billing"].as_object();
    billing["email"] = email;
    billing["phone"] = "";
    billing["first_name"] = c.first_name;
    billing["last_name"] = c.last_name;
    return json::serialize(order);
  }

  // The vendor's signed headers.
  static Headers Sign(const Webhook& w) {
    if (w.vendor == "shopify") return ShopifyHeaders(w.body, w.id, w.topic);
    return WooCommerceHeaders(w.body, w.id);
  }

  static std::string Lower(std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  }

 private:
  void Add(const Customer& c) {
    const std::string n = std::to_string(c.index);
    owners_[c.email] = c.index;
    if (c.bridging) owners_[c.alt_email] = c.index;
    const auto order_id = [&](int k) { return int64_t{5100000000000} + c.index * 10 + k; };
    const auto amount = [&](int k) { return std::to_string(100 + c.index * 10 + k) + ".00"; };
    // Shopify orders in March 2024: the main email is the most recent one (survivorship).
    const auto at = [&](int k) {
      char text[32];
      std::snprintf(text, sizeof text, "2024-03-%02dT10:%02d:00Z", k + 1, c.index % 60);
      return std::string(text);
    };
    for (int k = 0; k < kShopifyOrders; ++k) {
      // A bridging customer's first order goes before the load, so that its profile is the
      // older of the two (the survivor of the merge keeps the main email's contact).
      webhooks_.push_back({"shopify", "pgk-shopify-" + n + "-" + std::to_string(k),
                           "orders/create",
                           ShopifyOrder(c, order_id(k), c.email, amount(k), at(k)), c.index,
                           c.bridging && k == 0 ? Phase::kFirst : Phase::kLoad});
      touchpoints_.push_back({"order_placed", Reference("shopify", order_id(k)), c.index});
    }
    if (c.index % 4 == 1) {  // the first order paid: a second touchpoint of the same order
      webhooks_.push_back({"shopify", "pgk-shopify-paid-" + n, "orders/paid",
                           ShopifyOrder(c, order_id(0), c.email, amount(0), at(0)), c.index,
                           Phase::kLoad});
      touchpoints_.push_back({"order_paid", Reference("shopify", order_id(0)), c.index});
    }
    if (c.index % 4 == 2) {  // the second order again under a new webhook id: no new touchpoint
      webhooks_.push_back({"shopify", "pgk-shopify-" + n + "-1-again", "orders/create",
                           ShopifyOrder(c, order_id(1), c.email, amount(1), at(1)), c.index,
                           Phase::kLoad});
    }
    if (c.woo || c.bridging) {
      const int64_t id = 300000 + c.index;
      // A bridging customer's WooCommerce order (alt email) goes once its first Shopify order
      // is on a profile, so that it starts a second, younger one.
      webhooks_.push_back({"woocommerce", "pgk-woo-" + n, "",
                           WooOrder(c, id, c.bridging ? c.alt_email : c.email,
                                    std::to_string(5000 + c.index) + ".00"),
                           c.index, c.bridging ? Phase::kSecond : Phase::kLoad});
      touchpoints_.push_back({"order_placed", Reference("woocommerce", id), c.index});
      touchpoints_.push_back({"order_paid", Reference("woocommerce", id), c.index});
    }
    if (c.bridging) {
      // An older order from the alt email under the Shopify customer id of the main one: it
      // ties the two profiles together. Only after the kill: the survivor decides the merge
      // from the graph it reloaded.
      webhooks_.push_back(
          {"shopify", "pgk-shopify-" + n + "-bridge", "orders/create",
           ShopifyOrder(c, order_id(kShopifyOrders), c.alt_email, amount(kShopifyOrders),
                        "2023-06-01T09:00:00Z"),
           c.index, Phase::kAfterKill});
      touchpoints_.push_back(
          {"order_placed", Reference("shopify", order_id(kShopifyOrders)), c.index});
    }
  }

  static std::string Reference(const std::string& vendor, int64_t id) {
    return vendor + ":order:" + std::to_string(id);
  }

  const json::value shopify_, woo_;
  std::vector<Customer> customers_;
  std::vector<Webhook> webhooks_;
  std::vector<Touchpoint> touchpoints_;
  std::map<std::string, int> owners_;
};

// One POST of a webhook to an instance (0: A, 1: B); the other instance when it fails.
struct Post {
  size_t webhook = 0;
  int instance = 0;
};

PgResult Sql(PgConnection& db, const std::string& sql) {
  auto result = db.Query(sql);
  INFO(sql << ": " << (result.ok() ? std::string() : result.error().message));
  REQUIRE(result.ok());
  return std::move(*result);
}

int64_t SqlInt(PgConnection& db, const std::string& sql) {
  PgResult r = Sql(db, sql);
  REQUIRE(r.rows() == 1);
  return r.Int64(0, 0);
}

// lease name -> holder ("host:pid:start-ms").
std::map<std::string, std::string> Leases(PgConnection& db) {
  std::map<std::string, std::string> out;
  PgResult r = Sql(db, "SELECT name, holder FROM leases");
  for (int i = 0; i < r.rows(); ++i) out[r.Text(i, 0)] = r.Text(i, 1);
  return out;
}

// Whether `daemon` holds every lease there is, kLeases among them.
bool HoldsAll(PgConnection& db, const DaemonProcess& daemon) {
  const auto leases = Leases(db);
  const std::string pid = ":" + std::to_string(daemon.pid()) + ":";
  for (const std::string& name : kLeases) {
    if (leases.count(name) == 0) return false;
  }
  for (const auto& [name, holder] : leases) {
    if (holder.find(pid) == std::string::npos) return false;
  }
  return true;
}

std::string DescribeLeases(PgConnection& db) {
  std::string out;
  for (const auto& [name, holder] : Leases(db)) out += name + "=" + holder + " ";
  return out;
}

// Polls `done` until it holds or `timeout` passes; false on timeout.
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = 50ms) {
  const auto deadline = steady_clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

// A note's (touchpoint type, order reference), from the body journeyd writes:
// "order_placed (shopify, web): 104.00 USD, reference shopify:order:5100000000010".
std::optional<std::pair<std::string, std::string>> NoteTouchpoint(const std::string& body) {
  static const std::regex pattern(R"(^([a-z_]+) \(.*, reference (\S+)$)");
  std::smatch m;
  if (!std::regex_match(body, m, pattern)) return std::nullopt;
  return std::make_pair(m[1].str(), m[2].str());
}

int64_t NumericId(const std::string& id) { return std::stoll(id); }

// The lines of a daemon's log at level error, for failure messages.
std::string ErrorLines(const std::string& log) {
  std::string out;
  size_t start = 0;
  while (start < log.size() && out.size() < 4000) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    const std::string line = log.substr(start, end - start);
    if (line.find("level=error") != std::string::npos) out += line + "\n";
    start = end + 1;
  }
  return out;
}

// The end of a daemon's log, for failure messages.
std::string Tail(const std::string& log, size_t size = 12000) {
  return log.size() <= size ? log : "..." + log.substr(log.size() - size);
}

TEST_CASE("postgres: two instances under load for the same customers, one killed: nothing lost, "
          "doubled or wrongly merged",
          "[postgres][integration][cluster]") {
  JOURNEYD_NEED_POSTGRES();
  uint64_t seed = std::random_device{}();
  if (const char* fixed = std::getenv("JOURNEYD_CLUSTER_SEED")) {
    seed = std::strtoull(fixed, nullptr, 10);
  }
  WARN("JOURNEYD_CLUSTER_SEED=" << seed);
  std::mt19937_64 random(seed);
  const auto started = steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - started)
        .count();
  };

  TestDatabase database;
  fakes::HubSpotOptions crm_options;
  crm_options.window_budget = 190;  // HubSpot Professional and Enterprise
  fakes::FakeHubSpot crm(crm_options);
  TempDir dir;
  const auto config = dir.Write("journeyd.yaml", ClusterConfig(database.url(), crm.base_url()));
  auto a = std::make_unique<DaemonProcess>(config, dir.path() / "a");
  auto b = std::make_unique<DaemonProcess>(config, dir.path() / "b");
  REQUIRE(a->Start());
  auto opened = PgConnection::Open(database.url());
  REQUIRE(opened.ok());
  PgConnection& db = **opened;
  // A, started first, takes every lease; B then finds them held.
  if (!Eventually([&] { return HoldsAll(db, *a); }, 20s)) {
    FAIL("A (pid " << a->pid() << ") does not hold every lease: " << DescribeLeases(db) << "\n"
                   << Tail(a->log()));
  }
  REQUIRE(b->Start());

  const Scenario scenario;
  const std::vector<Webhook>& webhooks = scenario.webhooks();
  const std::vector<Customer>& customers = scenario.customers();

  // The posts: every webhook to one instance (alternating), a third of them again to the other
  // (the vendor retrying the same webhook id). Shuffled, three fifths before the kill and the
  // rest after it, with the bridging orders.
  std::vector<Post> first, second, before_kill, after_kill;
  for (size_t w = 0; w < webhooks.size(); ++w) {
    const int instance = static_cast<int>(w % 2);
    switch (webhooks[w].phase) {
      case Phase::kFirst:
        first.push_back({w, instance});
        before_kill.push_back({w, 1 - instance});
        break;
      case Phase::kSecond:
        second.push_back({w, instance});
        before_kill.push_back({w, 1 - instance});
        break;
      case Phase::kLoad:
        before_kill.push_back({w, instance});
        if (w % 3 == 0) before_kill.push_back({w, 1 - instance});
        break;
      case Phase::kAfterKill:
        after_kill.push_back({w, instance});
        if (w % 3 == 0) after_kill.push_back({w, 1 - instance});
        break;
    }
  }
  std::shuffle(before_kill.begin(), before_kill.end(), random);
  const size_t moved = before_kill.size() * 2 / 5;
  after_kill.insert(after_kill.end(), before_kill.end() - static_cast<std::ptrdiff_t>(moved),
                    before_kill.end());
  before_kill.resize(before_kill.size() - moved);
  std::shuffle(after_kill.begin(), after_kill.end(), random);
  std::vector<Post> posts = before_kill;
  const size_t after_kill_begins = posts.size();
  posts.insert(posts.end(), after_kill.begin(), after_kill.end());

  std::atomic<uint16_t> ports[2] = {a->port(), b->port()};
  std::atomic<bool> a_alive{true};
  std::vector<std::atomic<int>> acked(webhooks.size());
  std::atomic<int> acked_posts{0}, attempts{0}, failed_attempts{0};
  std::mutex failures_mu;
  std::vector<std::string> failures;  // a 4xx, or no 2xx in time: a bug, not the kill
  std::vector<std::string> refusals;  // 5xx answers: sent again, but none should happen

  // Sends one post until an instance acknowledges it: like a vendor, a failure (no answer, a
  // 5xx) is sent again with the same webhook id, to the other instance.
  const auto send = [&](const Post& post) {
    const Webhook& w = webhooks[post.webhook];
    int instance = post.instance;
    const auto give_up = steady_clock::now() + 60s;
    while (true) {
      ++attempts;
      auto r = HttpRequest("127.0.0.1", ports[instance].load(), "POST", "/webhooks/" + w.vendor,
                           w.body, Scenario::Sign(w));
      if (r.ok() && r->status >= 200 && r->status < 300) {
        ++acked[post.webhook];
        ++acked_posts;
        return;
      }
      if (r.ok() && r->status != 503 && r->status < 500) {
        std::lock_guard lock(failures_mu);
        failures.push_back(w.id + ": " + std::to_string(r->status) + " " + r->body);
        return;
      }
      ++failed_attempts;
      if (r.ok()) {
        std::lock_guard lock(failures_mu);
        refusals.push_back(w.id + ": " + std::to_string(r->status) + " " + r->body);
      }
      if (steady_clock::now() > give_up) {
        std::lock_guard lock(failures_mu);
        failures.push_back(w.id + ": no 2xx within 60 s");
        return;
      }
      instance = a_alive ? 1 - instance : 1;
      std::this_thread::sleep_for(20ms);
    }
  };

  // Before the load, one by one: the first two records of each bridging customer, in order
  // (both instances map, so the first must be on its profile before the second goes).
  for (const Post& post : first) send(post);
  REQUIRE(Eventually(
      [&] {
        return SqlInt(db, "SELECT COUNT(*) FROM profile_records") ==
               static_cast<int64_t>(first.size());
      },
      20s));
  for (const Post& post : second) send(post);
  {
    std::lock_guard lock(failures_mu);
    REQUIRE(failures.empty());
  }
  std::vector<Post> setup = first;
  setup.insert(setup.end(), second.begin(), second.end());

  // New events delivered twice at once, to both instances, four at a time and in opposite orders
  // (a vendor that sends again before the first answer came, or sends duplicates as Shopify
  // may): A and B then commit the same new event ids together, in group commits of several
  // events. Each must be stored once and every post answered 2xx; none may fail its commit on
  // the other instance's. The events are order updates, which the mapping ignores.
  std::vector<Webhook> crossed_events;
  for (int n = 0; n < 4 * kCrossedRounds; ++n) {
    crossed_events.push_back(
        {"shopify", "pgk-crossed-" + std::to_string(n), "orders/updated",
         scenario.ShopifyOrder(customers[0], 5300000000000 + n, customers[0].email, "1.00",
                               "2024-03-01T10:00:00Z"),
         0, Phase::kLoad});
  }
  {
    const auto crossed_round_done = []() noexcept {};
    std::barrier crossed_round(8, crossed_round_done);
    std::vector<std::thread> crossed;
    for (int t = 0; t < 8; ++t) {
      crossed.emplace_back([&, t] {
        for (int round = 0; round < kCrossedRounds; ++round) {
          // Four new events a round: threads 0-3 send them to A, threads 4-7 to B in reverse.
          const Webhook& w = crossed_events[4 * static_cast<size_t>(round) +
                                            static_cast<size_t>(t < 4 ? t : 7 - t)];
          crossed_round.arrive_and_wait();
          ++attempts;
          auto r = HttpRequest("127.0.0.1", ports[t < 4 ? 0 : 1].load(), "POST",
                               "/webhooks/" + w.vendor, w.body, Scenario::Sign(w));
          if (r.ok() && r->status >= 200 && r->status < 300) {
            ++acked_posts;
          } else {
            ++failed_attempts;
            std::lock_guard lock(failures_mu);
            refusals.push_back(w.id + ": " +
                               (r.ok() ? std::to_string(r->status) + " " + r->body
                                       : r.error().message));
          }
        }
      });
    }
    for (auto& t : crossed) t.join();
  }

  // The load: kSenders threads through the posts, those after the kill only once it is done.
  const int acked_before_load = acked_posts.load();
  std::atomic<size_t> next{0};
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool after_kill_open = false;
  std::vector<std::thread> senders;
  for (int t = 0; t < kSenders; ++t) {
    senders.emplace_back([&] {
      for (size_t i = next++; i < posts.size(); i = next++) {
        if (i >= after_kill_begins) {
          std::unique_lock lock(gate_mu);
          gate_cv.wait(lock, [&] { return after_kill_open; });
        }
        send(posts[i]);
        std::this_thread::sleep_for(15ms);
      }
    });
  }
  // And a vendor retrying webhooks A already acknowledged, to A, until A is gone: requests are
  // in flight at A when it dies, whatever the senders are doing then.
  std::atomic<int> storm_posts{0};
  std::thread storm([&] {
    for (size_t i = 0; a_alive; i = (i + 1) % setup.size()) {
      const Webhook& w = webhooks[setup[i].webhook];
      ++attempts;
      auto r = HttpRequest("127.0.0.1", ports[0].load(), "POST", "/webhooks/" + w.vendor, w.body,
                           Scenario::Sign(w));
      if (r.ok() && r->status >= 200 && r->status < 300) {
        ++acked_posts;
        ++storm_posts;
      } else {
        ++failed_attempts;
      }
      std::this_thread::sleep_for(20ms);
    }
  });

  // The kill: once a third of the load before it is acknowledged, HubSpot holds back its answers
  // to notes; the moment a batch of notes has been applied, A dies without having heard of it.
  REQUIRE(Eventually(
      [&] {
        return acked_posts.load() - storm_posts.load() - acked_before_load >=
               static_cast<int>(after_kill_begins / 3);
      },
      60s, 2ms));
  crm.server().SetDelay(std::chrono::duration_cast<std::chrono::milliseconds>(kHeldAnswer),
                        "/crm/v3/objects/notes/batch");
  std::this_thread::sleep_for(20ms);
  const size_t notes_before_kill = crm.Notes().size();
  const bool killed_in_doubt =
      Eventually([&] { return crm.Notes().size() > notes_before_kill; }, 15s, 1ms);
  a->Signal(SIGKILL);
  a_alive = false;
  const int acked_at_kill = acked_posts.load();
  const size_t notes_at_kill = crm.Notes().size();
  const auto killed_at = elapsed();
  REQUIRE(a->Wait(10s) == 128 + SIGKILL);
  crm.server().SetDelay(0ms, "/crm/v3/objects/notes/batch");
  {
    std::lock_guard lock(gate_mu);
    after_kill_open = true;
  }
  gate_cv.notify_all();
  for (auto& s : senders) s.join();
  storm.join();
  const auto load_done = elapsed();
  {
    std::lock_guard lock(failures_mu);
    INFO(failures.size() << " webhooks refused, first: "
                         << (failures.empty() ? "" : failures.front()) << "\n"
                         << Tail(b->log()));
    REQUIRE(failures.empty());
  }
  for (size_t w = 0; w < webhooks.size(); ++w) {
    INFO(webhooks[w].id);
    REQUIRE(acked[w].load() >= 1);
  }
  // Neither instance ever refused a webhook it was asked for: requests to A failed when it died,
  // but no answer was a 5xx (a failed inbox commit, a backlog the instance believed it had).
  {
    std::lock_guard lock(failures_mu);
    INFO(refusals.size() << " webhooks answered 5xx, first: "
                         << (refusals.empty() ? "" : refusals.front()) << "\nA's errors:\n"
                         << ErrorLines(a->log()) << "B's errors:\n" << ErrorLines(b->log()));
    CHECK(refusals.empty());
  }

  // B takes every lease over once A's expire, and drains everything.
  if (!Eventually([&] { return HoldsAll(db, *b); }, 30s)) {
    FAIL("B (pid " << b->pid() << ") did not take the leases over: " << DescribeLeases(db)
                   << "\n" << Tail(b->log()));
  }
  const auto taken_over = elapsed();
  const auto& expected = scenario.touchpoints();
  const auto settled = [&] {
    return SqlInt(db, "SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL") == 0 &&
           SqlInt(db, "SELECT COUNT(*) FROM records r LEFT JOIN profile_records p"
                      " ON p.record_id = r.id WHERE p.record_id IS NULL") == 0 &&
           SqlInt(db, "SELECT COALESCE((SELECT last_id FROM stage_cursors WHERE stage ="
                      " 'journey'), 0) - COALESCE((SELECT MAX(id) FROM records), 0)") >= 0 &&
           SqlInt(db, "SELECT COALESCE((SELECT last_id FROM delivery_cursors WHERE target ="
                      " 'hubspot'), 0) - COALESCE((SELECT MAX(id) FROM outbox), 0)") >= 0 &&
           SqlInt(db, "SELECT COUNT(*) FROM delivery_in_flight") == 0 &&
           crm.Notes().size() >= expected.size();
  };
  const bool drained = Eventually(settled, 120s, 100ms);
  // Anything sent twice would have arrived by now: the CRM must stay still.
  const size_t requests_when_drained = crm.server().RequestCount();
  std::this_thread::sleep_for(2s);
  const auto drained_at = elapsed();
  INFO("B's log:\n" << Tail(b->log()));
  REQUIRE(drained);
  CHECK(crm.server().RequestCount() == requests_when_drained);

  // --- the inbox: every webhook once, redeliveries counted as duplicates ----------------------
  std::map<std::pair<std::string, std::string>, int> inbox;
  {
    PgResult rows = Sql(db, "SELECT source, external_id FROM inbox");
    for (int i = 0; i < rows.rows(); ++i) ++inbox[{rows.Text(i, 0), rows.Text(i, 1)}];
  }
  std::map<std::string, int64_t> unique_per_source;
  for (const std::vector<Webhook>* list : {&webhooks, &std::as_const(crossed_events)}) {
    for (const Webhook& w : *list) {
      INFO(w.vendor << " " << w.id);
      CHECK(inbox[{w.vendor, w.id}] == 1);
      ++unique_per_source[w.vendor];
    }
  }
  const auto unique_events = static_cast<int64_t>(webhooks.size() + crossed_events.size());
  CHECK(static_cast<int64_t>(inbox.size()) == unique_events);
  {
    PgResult stats = Sql(db, "SELECT source, SUM(accepted), SUM(duplicates) FROM source_stats"
                             " GROUP BY source");
    int64_t accepted = 0, duplicates = 0;
    for (int i = 0; i < stats.rows(); ++i) {
      INFO(stats.Text(i, 0));
      CHECK(stats.Int64(i, 1) == unique_per_source[stats.Text(i, 0)]);
      accepted += stats.Int64(i, 1);
      duplicates += stats.Int64(i, 2);
    }
    CHECK(accepted == unique_events);
    // Every acknowledged post beyond the first of its webhook was a duplicate; a post A
    // committed but never answered may be one more.
    CHECK(duplicates >= acked_posts.load() - unique_events);
    CHECK(duplicates <= attempts.load() - unique_events);
  }
  CHECK(SqlInt(db, "SELECT COUNT(*) FROM quarantine") == 0);

  // --- identity: one live profile per customer, none shared ----------------------------------
  std::map<std::pair<std::string, std::string>, int> customer_of_event;
  for (const Webhook& w : webhooks) customer_of_event[{w.vendor, w.id}] = w.customer;
  std::map<int, std::set<int64_t>> profiles_of;  // customer -> profiles its records are on
  std::map<int64_t, std::set<int>> customers_on;  // profile -> customers on it
  std::map<int64_t, int64_t> profile_of_record;
  {
    PgResult rows = Sql(db, "SELECT i.source, i.external_id, r.id, p.profile_id FROM inbox i"
                            " JOIN records r ON r.inbox_id = i.id"
                            " LEFT JOIN profile_records p ON p.record_id = r.id");
    CHECK(rows.rows() == static_cast<int>(webhooks.size()));
    for (int i = 0; i < rows.rows(); ++i) {
      const int customer = customer_of_event.at({rows.Text(i, 0), rows.Text(i, 1)});
      INFO(rows.Text(i, 1));
      REQUIRE_FALSE(rows.IsNull(i, 3));
      profiles_of[customer].insert(rows.Int64(i, 3));
      customers_on[rows.Int64(i, 3)].insert(customer);
      profile_of_record[rows.Int64(i, 2)] = rows.Int64(i, 3);
    }
  }
  std::map<int, int64_t> profile_of;  // customer -> its one profile
  for (const Customer& c : customers) {
    INFO("customer " << c.index << " (" << c.email << ") is on profiles "
                     << profiles_of[c.index].size());
    CHECK(profiles_of[c.index].size() == 1);  // not split: nothing lost of the link
    if (!profiles_of[c.index].empty()) profile_of[c.index] = *profiles_of[c.index].begin();
  }
  for (const auto& [profile, on] : customers_on) {
    INFO("profile " << profile);
    CHECK(on.size() == 1);  // no two customers merged (the near misses share name and address)
  }
  CHECK(customers_on.size() == static_cast<size_t>(kCustomers));
  CHECK(SqlInt(db, "SELECT COUNT(*) FROM profiles WHERE merged_into IS NULL") == kCustomers);
  {
    // One merge per bridging customer, on one of its own identifiers, into its profile.
    PgResult merges =
        Sql(db, "SELECT into_profile, identifier_type, identifier_value FROM merges");
    std::map<int, int> merges_of;
    for (int i = 0; i < merges.rows(); ++i) {
      const std::string type = merges.Text(i, 1), value = merges.Text(i, 2);
      int owner = scenario.OwnerOf(value);
      for (const Customer& c : customers) {
        if (type == "shopify.customer_id" && value == std::to_string(c.shopify_id)) owner = c.index;
      }
      INFO("merge on " << type << " " << value);
      REQUIRE(owner >= 0);
      CHECK(customers[static_cast<size_t>(owner)].bridging);
      CHECK(merges.Int64(i, 0) == profile_of[owner]);
      ++merges_of[owner];
    }
    for (const Customer& c : customers) {
      if (c.bridging) CHECK(merges_of[c.index] == 1);
    }
  }

  // --- the journey: every order once, as the touchpoints it makes, on its customer -----------
  std::map<std::pair<std::string, std::string>, std::vector<int64_t>> touchpoint_ids;
  std::map<int64_t, int64_t> profile_of_touchpoint;
  {
    PgResult rows = Sql(db, "SELECT t.type, t.reference, t.id, t.record_id FROM touchpoints t");
    for (int i = 0; i < rows.rows(); ++i) {
      touchpoint_ids[{rows.Text(i, 0), rows.Text(i, 1)}].push_back(rows.Int64(i, 2));
      profile_of_touchpoint[rows.Int64(i, 2)] = profile_of_record[rows.Int64(i, 3)];
    }
  }
  CHECK(touchpoint_ids.size() == expected.size());
  for (const Touchpoint& t : expected) {
    INFO(t.type << " " << t.reference);
    REQUIRE(touchpoint_ids[{t.type, t.reference}].size() == 1);
    CHECK(profile_of_touchpoint[touchpoint_ids[{t.type, t.reference}][0]] ==
          profile_of[t.customer]);
  }

  // --- delivery: nothing dead, nothing left in flight ------------------------------------------
  CHECK(SqlInt(db, "SELECT COUNT(*) FROM dead_letters") == 0);
  CHECK(SqlInt(db, "SELECT COUNT(*) FROM delivery_in_flight") == 0);

  // --- HubSpot: one contact per customer, every touchpoint one note on it, in order ---------
  const auto contacts = crm.Contacts();
  std::map<std::string, int> owner_of_contact;  // contact id -> customer
  std::map<int, std::vector<std::string>> contacts_of;
  for (const auto& contact : contacts) {
    const std::string email =
        contact.properties.count("email") > 0 ? contact.properties.at("email") : "";
    const int owner = scenario.OwnerOf(email);
    INFO("contact " << contact.id << " " << email);
    REQUIRE(owner >= 0);
    owner_of_contact[contact.id] = owner;
    contacts_of[owner].push_back(contact.id);
  }
  for (const Customer& c : customers) {
    INFO("customer " << c.index << " " << c.email);
    REQUIRE(crm.ContactByEmail(c.email));
    // A merged customer may keep the contact of its retired profile (docs/delivery.md, known
    // limits); nobody else has two.
    if (c.bridging) {
      CHECK(contacts_of[c.index].size() <= 2);
    } else {
      CHECK(contacts_of[c.index].size() == 1);
    }
  }

  const auto keys = crm.KeyCounts();
  for (const auto& [key, count] : keys) {
    INFO(key);
    CHECK(count == 1);  // nothing created twice
  }
  const auto notes = crm.Notes();
  std::map<std::pair<std::string, std::string>, int> notes_per_touchpoint;
  // contact -> (note id, touchpoint id)
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> notes_on;
  for (const auto& note : notes) {
    const auto touchpoint = NoteTouchpoint(note.properties.at("hs_note_body"));
    INFO(note.properties.at("hs_note_body"));
    REQUIRE(touchpoint);
    ++notes_per_touchpoint[*touchpoint];
    const auto& ids = touchpoint_ids[*touchpoint];
    REQUIRE(ids.size() == 1);
    CHECK(note.properties.at("journeyd_key") == "touchpoint:" + std::to_string(ids[0]));
    REQUIRE(note.contact_ids.size() == 1);
    notes_on[note.contact_ids[0]].emplace_back(NumericId(note.id), ids[0]);
  }
  CHECK(notes.size() == expected.size());
  for (const Touchpoint& t : expected) {
    INFO(t.type << " " << t.reference);
    CHECK(notes_per_touchpoint[{t.type, t.reference}] == 1);
  }
  for (const auto& note : notes) {
    const auto touchpoint = *NoteTouchpoint(note.properties.at("hs_note_body"));
    const int customer = std::find_if(expected.begin(), expected.end(), [&](const Touchpoint& t) {
                           return t.type == touchpoint.first && t.reference == touchpoint.second;
                         })->customer;
    INFO(touchpoint.first << " " << touchpoint.second);
    CHECK(owner_of_contact[note.contact_ids[0]] == customer);  // on its own customer's contact
  }
  // Per contact, the notes came in the order the touchpoints happened (their ids).
  for (auto& [contact, list] : notes_on) {
    if (customers[static_cast<size_t>(owner_of_contact[contact])].bridging) continue;
    std::sort(list.begin(), list.end());
    for (size_t i = 1; i < list.size(); ++i) {
      INFO("contact " << contact << ": note " << list[i].first << " for touchpoint "
                      << list[i].second << " after touchpoint " << list[i - 1].second);
      CHECK(list[i].second > list[i - 1].second);
    }
  }
  // One welcome-call task per purchase: per customer, and per retired profile of the merged.
  const auto tasks = crm.Tasks();
  std::map<int, int> tasks_of;
  for (const auto& task : tasks) {
    REQUIRE(task.contact_ids.size() == 1);
    ++tasks_of[owner_of_contact[task.contact_ids[0]]];
  }
  for (const Customer& c : customers) {
    INFO("customer " << c.index);
    if (c.bridging) {
      CHECK(tasks_of[c.index] >= 1);
      CHECK(tasks_of[c.index] <= 2);
    } else {
      CHECK(tasks_of[c.index] == 1);
    }
  }

  // The kill did land where it was meant to: mid-load, with notes applied but unanswered,
  // which B looked up instead of sending again.
  const std::string b_log = b->log();
  if (killed_in_doubt) {
    CHECK_THAT(b_log, Catch::Contains("were in flight when journeyd last stopped"));
    CHECK_THAT(b_log, Catch::Contains("were at the CRM already; not resent"));
  }

  // --- A comes back; B freezes, thaws and gets the leases back: no work is done twice ---------
  const size_t requests_before_rejoin = crm.server().RequestCount();
  a = std::make_unique<DaemonProcess>(config, dir.path() / "a");
  REQUIRE(a->Start());
  std::this_thread::sleep_for(kLeaseTtl);  // A asks for the leases meanwhile, in vain
  CHECK(HoldsAll(db, *b));
  CHECK(crm.server().RequestCount() == requests_before_rejoin);
  const auto await_leases = [&](DaemonProcess& daemon, const char* name) {
    if (!Eventually([&] { return HoldsAll(db, daemon); }, 20s)) {
      FAIL(name << " (pid " << daemon.pid() << ") did not take the leases over: "
                << DescribeLeases(db) << "\n" << Tail(daemon.log()));
    }
  };

  // B freezes (SIGSTOP) while idle: its leases expire, A takes them over and, from a cold start,
  // finds nothing left to do.
  b->Signal(SIGSTOP);
  await_leases(*a, "A");
  std::this_thread::sleep_for(1500ms);
  CHECK(crm.server().RequestCount() == requests_before_rejoin);

  // New orders, each once: of a known customer, and of two nobody has seen yet.
  std::vector<Customer> newcomers(2);
  for (int i = 0; i < 2; ++i) {
    newcomers[i].index = kCustomers + i;
    newcomers[i].first_name = i == 0 ? "Xena" : "Yuri";
    newcomers[i].last_name = "Late";
    newcomers[i].email = Scenario::Lower(newcomers[i].first_name) + ".late@example.net";
    newcomers[i].shopify_id = 7100000000990 + i;
  }
  const Customer& known = customers[1];
  const Customer& x = newcomers[0];
  const Customer& y = newcomers[1];
  std::map<std::string, const Customer*> late_orders;  // webhook id -> whose
  const auto post_order = [&](DaemonProcess& to, const Customer& c) {
    const int64_t order_id = 5199999999900 + static_cast<int64_t>(late_orders.size());
    const Webhook w{"shopify", "pgk-late-" + std::to_string(late_orders.size()), "orders/create",
                    scenario.ShopifyOrder(c, order_id, c.email,
                                          std::to_string(7 + late_orders.size()) + ".00",
                                          "2024-04-01T10:00:00Z"),
                    c.index, Phase::kLoad};
    late_orders[w.id] = &c;
    auto r = HttpRequest("127.0.0.1", to.port(), "POST", "/webhooks/shopify", w.body,
                         Scenario::Sign(w));
    REQUIRE(r.ok());
    INFO(r->body);
    REQUIRE(r->status == 200);
  };
  const auto await_notes = [&](size_t count) {
    if (!Eventually([&] { return crm.Notes().size() >= count; }, 30s)) {
      FAIL(crm.Notes().size() << " notes, not " << count << "\nA:\n"
                              << Tail(a->log(), 6000) << "\nB:\n" << Tail(b->log(), 6000));
    }
  };
  post_order(*a, known);
  post_order(*a, x);
  post_order(*a, y);
  await_notes(notes.size() + 3);

  // B thaws: it finds its leases gone and stops the stages at once, but still ingests.
  const auto stopped_running = [&] {
    const std::string log = b->log();
    size_t n = 0;
    for (size_t at = log.find("stops running it"); at != std::string::npos;
         at = log.find("stops running it", at + 1)) {
      ++n;
    }
    return n;
  };
  const size_t stopped_before = stopped_running();
  b->Signal(SIGCONT);
  CHECK(Eventually([&] { return stopped_running() > stopped_before; }, 20s));
  post_order(*b, x);
  await_notes(notes.size() + 4);

  // A stops cleanly: B takes the leases back and must reload what it kept in memory: its graph
  // has neither newcomer (a stale one would give Yuri the profile id A gave Xena), its cursors
  // are behind.
  a->Signal(SIGTERM);
  REQUIRE(a->Wait(30s) == 0);
  await_leases(*b, "B");
  post_order(*b, y);
  post_order(*b, x);
  post_order(*b, known);
  await_notes(notes.size() + 7);
  std::this_thread::sleep_for(1s);

  INFO("B's log:\n" << Tail(b->log()));
  CHECK(crm.Notes().size() == notes.size() + 7);
  CHECK(crm.Contacts().size() == contacts.size() + 2);
  CHECK(crm.Tasks().size() == tasks.size() + 2);  // the newcomers' welcome calls
  for (const auto& [key, count] : crm.KeyCounts()) {
    INFO(key);
    CHECK(count == 1);
  }
  std::map<const Customer*, std::vector<std::string>> late_contacts{
      {&known, contacts_of[known.index]}};
  for (const Customer& c : newcomers) {
    const auto contact = crm.ContactByEmail(c.email);
    REQUIRE(contact);
    late_contacts[&c] = {contact->id};
  }
  for (const auto& note : crm.Notes()) {
    const auto touchpoint = NoteTouchpoint(note.properties.at("hs_note_body"));
    REQUIRE(touchpoint);
    if (touchpoint->second.rfind("shopify:order:51999999999", 0) != 0) continue;
    const size_t n = static_cast<size_t>(std::stoll(touchpoint->second.substr(
                         touchpoint->second.size() - 2)));
    INFO(touchpoint->second);
    REQUIRE(n < late_orders.size());
    CHECK(note.contact_ids == late_contacts[late_orders.at("pgk-late-" + std::to_string(n))]);
  }
  {
    // In the store: each newcomer's orders on a new profile of its own, the known customer's on
    // theirs.
    PgResult rows = Sql(db, "SELECT i.external_id, p.profile_id FROM inbox i"
                            " JOIN records r ON r.inbox_id = i.id"
                            " JOIN profile_records p ON p.record_id = r.id"
                            " WHERE i.external_id LIKE 'pgk-late-%'");
    REQUIRE(rows.rows() == static_cast<int>(late_orders.size()));
    std::map<const Customer*, std::set<int64_t>> late_profiles;
    std::map<int64_t, std::set<const Customer*>> late_on;
    for (int i = 0; i < rows.rows(); ++i) {
      const Customer* whose = late_orders.at(rows.Text(i, 0));
      late_profiles[whose].insert(rows.Int64(i, 1));
      late_on[rows.Int64(i, 1)].insert(whose);
    }
    CHECK(late_profiles[&known] == std::set<int64_t>{profile_of[known.index]});
    for (const Customer& c : newcomers) {
      INFO(c.email);
      REQUIRE(late_profiles[&c].size() == 1);
      CHECK(customers_on.count(*late_profiles[&c].begin()) == 0);
    }
    for (const auto& [profile, on] : late_on) {
      INFO("profile " << profile);
      CHECK(on.size() == 1);
    }
  }
  b->Signal(SIGTERM);
  CHECK(b->Wait(30s) == 0);

  WARN("webhooks " << webhooks.size() << ", posts acknowledged " << acked_posts.load() << " ("
                   << storm_posts.load() << " retries to A before it died), attempts "
                   << attempts.load() << " (" << failed_attempts.load() << " failed, "
                   << refusals.size() << " refused), acknowledged at the kill " << acked_at_kill
                   << "; notes at the kill " << notes_at_kill << " of " << expected.size()
                   << (killed_in_doubt ? " (killed with notes in doubt)" : " (no notes in doubt)")
                   << "; CRM requests " << requests_before_rejoin << ", searches "
                   << crm.Stats().searches << "; ms: killed " << killed_at << ", load done "
                   << load_done << ", taken over " << taken_over << ", drained " << drained_at
                   << ", end " << elapsed());
}

}  // namespace
}  // namespace journeyd::testing
