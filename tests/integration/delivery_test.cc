// Delivery to a CRM through the real daemon: Segment calls signed and posted over HTTP become
// HubSpot contacts (changed fields only), notes for touchpoints and tasks for journey actions at
// an in-process fake HubSpot that enforces the API's contract (tests/fakes). The fake goes down
// for 30 s while events flow; afterwards every change has arrived exactly once, in order per
// contact. A change the CRM refuses lands in the dead-letter queue with HubSpot's message while
// the rest of its batch goes; the admin API and `journeyd dlq` replay and discard it.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include <boost/json.hpp>

#include "engine/base/time_format.h"
#include "tests/fakes/fake_hubspot.h"
#include "tests/fakes/fake_salesforce.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/signing.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using std::chrono::system_clock;

// The shipped config with the source tree's mappings, actions aimed at HubSpot, and the
// HubSpot target pointed at the fake. `stages` replaces the default stage mapping when given.
std::string TestConfig(const std::string& base_url, const std::string& stages = "") {
  return ShippedConfigWith(R"yaml(journey:
  action_max_age: 0s
  actions:
    - name: onboarding_call
      on_enter: purchase
      target: hubspot
      create_task:
        subject: Welcome call
        due_in: 2d
        owner: "42"
    - name: lead_status
      on_enter: purchase
      target: hubspot
      set_properties:
        hs_lead_status: OPEN

targets:
  - name: hubspot
    type: hubspot
    base_url: )yaml" + base_url + R"yaml(
    token: ${env:JOURNEYD_HUBSPOT_TOKEN}
    key_property: journeyd_key
)yaml" + stages + R"yaml(
    delivery:
      linger: 50ms
      max_age: 10m
)yaml");
}

class Segment {
 public:
  explicit Segment(DaemonProcess& daemon) : daemon_(daemon) {}

  void Identify(const std::string& user, const std::string& email, const std::string& first,
                const std::string& last, system_clock::time_point at) {
    Post("identify", {{"type", "identify"},
                      {"userId", user},
                      {"traits", {{"email", email}, {"firstName", first}, {"lastName", last}}},
                      {"timestamp", FormatIso8601(at)}});
  }
  void Order(const std::string& user, const std::string& order, system_clock::time_point at) {
    Post("track", {{"type", "track"},
                   {"userId", user},
                   {"event", "Order Completed"},
                   {"properties", {{"order_id", order}, {"revenue", 42.5}, {"currency", "EUR"}}},
                   {"timestamp", FormatIso8601(at)}});
  }
  void Page(const std::string& user, const std::string& path, system_clock::time_point at) {
    Post("page", {{"type", "page"},
                  {"userId", user},
                  {"name", path},
                  {"properties", {{"path", path}}},
                  {"timestamp", FormatIso8601(at)}});
  }

 private:
  void Post(const std::string& call, json::object body) {
    body["messageId"] = "m-" + std::to_string(++sequence_);
    auto r = HttpRequest(daemon_.host(), daemon_.port(), "POST", "/v1/" + call,
                         json::serialize(body),
                         {{"Content-Type", "application/json"},
                          {"Authorization",
                           "Basic " + Base64(env_.at("JOURNEYD_SEGMENT_WRITE_KEY") + ":")}});
    REQUIRE(r.ok());
    INFO(r->body);
    REQUIRE(r->status == 200);
  }

  DaemonProcess& daemon_;
  const std::map<std::string, std::string> env_ = DefaultTestEnvironment();
  int sequence_ = 0;
};

json::value Api(DaemonProcess& daemon, const std::string& method, const std::string& path,
                const std::string& body = "", const std::string& token = "test-admin-token") {
  auto r = HttpRequest(daemon.host(), daemon.port(), method, path, body,
                       {{"Authorization", "Bearer " + token},
                        {"Content-Type", "application/json"}});
  REQUIRE(r.ok());
  INFO(method << " " << path << ": " << r->body);
  REQUIRE(r->status == 200);
  return json::parse(r->body);
}

void Await(const std::function<bool()>& done, std::chrono::seconds timeout,
           const std::function<std::string()>& describe) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return;
    std::this_thread::sleep_for(50ms);
  }
  FAIL("timed out: " << describe());
}

// The properties of every contact write the fake accepted for one contact, in order: upserts
// by its email, updates by its record id.
std::vector<json::object> ContactWrites(fakes::FakeHubSpot& fake, const std::string& email) {
  const auto contact = fake.ContactByEmail(email);
  REQUIRE(contact);
  std::vector<json::object> out;
  for (const auto& logged : fake.server().Log()) {
    const bool upsert = logged.target.find("/contacts/batch/upsert") != std::string::npos;
    const bool update = logged.target.find("/contacts/batch/update") != std::string::npos;
    if ((!upsert && !update) || logged.status >= 300) continue;
    const json::value body = json::parse(logged.body);
    for (const auto& input : body.at("inputs").as_array()) {
      if (input.at("id").as_string() == (upsert ? email : contact->id)) {
        out.push_back(input.at("properties").as_object());
      }
    }
  }
  return out;
}

TEST_CASE("profiles, touchpoints and actions reach HubSpot once, changed fields only",
          "[delivery]") {
  fakes::FakeHubSpot fake;
  TempDir dir;
  DaemonProcess daemon(dir.Write("journeyd.yaml", TestConfig(fake.base_url())),
                       dir.path() / "data");
  REQUIRE(daemon.Start());
  Segment send(daemon);
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(system_clock::now());

  send.Identify("u1", "ann@example.com", "Ann", "Lee", now - 3h);
  send.Page("u1", "/pricing", now - 2h);
  send.Order("u1", "o-1", now - 1h);
  Await([&] { return fake.KeyCount("1:onboarding_call:enter:purchase#1") == 1; }, 20s,
        [&] { return daemon.log(); });

  const auto ann = fake.ContactByEmail("ann@example.com");
  REQUIRE(ann);
  CHECK(ann->properties.at("firstname") == "Ann");
  CHECK(ann->properties.at("lastname") == "Lee");
  CHECK(ann->properties.at("lifecyclestage") == "customer");
  CHECK(ann->properties.at("hs_lead_status") == "OPEN");
  // Each touchpoint is one note on her contact, each action one task or update.
  const auto notes = fake.Notes();
  REQUIRE(notes.size() == 2);
  for (const auto& note : notes) {
    CHECK(note.contact_ids == std::vector<std::string>{ann->id});
    CHECK(fake.KeyCount(note.properties.at("journeyd_key")) == 1);
  }
  const auto tasks = fake.Tasks();
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].properties.at("hs_task_subject") == "Welcome call");
  CHECK(tasks[0].properties.at("hubspot_owner_id") == "42");
  CHECK(tasks[0].contact_ids == std::vector<std::string>{ann->id});

  // The writeback: her HubSpot id is an identifier of her profile now.
  const json::value profile = Api(daemon, "GET", "/api/v1/profiles?email=ann@example.com");
  bool written_back = false;
  for (const auto& id : profile.at("identifiers").as_array()) {
    written_back = written_back ||
                   (id.at("type") == "crm.hubspot_id" && id.at("value") == json::value(ann->id));
  }
  CHECK(written_back);

  // A new last name: only that property goes; the same identify again sends nothing.
  const size_t upserts_before = ContactWrites(fake, "ann@example.com").size();
  send.Identify("u1", "ann@example.com", "Ann", "Lee-Smith", now - 30min);
  Await([&] { return fake.ContactByEmail("ann@example.com")->properties.at("lastname") ==
                     "Lee-Smith"; },
        20s, [&] { return daemon.log(); });
  auto inputs = ContactWrites(fake, "ann@example.com");
  REQUIRE(inputs.size() == upserts_before + 1);
  CHECK(inputs.back() == json::object{{"lastname", "Lee-Smith"}});
  send.Identify("u1", "ann@example.com", "Ann", "Lee-Smith", now - 20min);
  std::this_thread::sleep_for(1500ms);
  CHECK(ContactWrites(fake, "ann@example.com").size() == upserts_before + 1);

  // A new email for the same person changes her contact; it does not make a second one.
  send.Identify("u1", "ann.lee@example.com", "Ann", "Lee-Smith", now - 10min);
  Await([&] { return fake.ContactByEmail("ann.lee@example.com").has_value(); }, 20s,
        [&] { return daemon.log(); });
  CHECK(fake.Contacts().size() == 1);
  CHECK(fake.ContactByEmail("ann.lee@example.com")->id == ann->id);

  // The fake holds the change once HubSpot answered; the worker commits its cursor right after
  // reading that answer, so the backlog reaches 0 a moment later.
  Await([&] {
    return Api(daemon, "GET", "/api/v1/targets").at("targets").at(0).at("pending").as_int64() == 0;
  }, 10s, [&] { return daemon.log(); });
  const json::value targets = Api(daemon, "GET", "/api/v1/targets");
  const auto& hubspot = targets.at("targets").at(0);
  CHECK(hubspot.at("name") == "hubspot");
  CHECK(hubspot.at("pending").as_int64() == 0);
  CHECK(hubspot.at("dead_letters").as_int64() == 0);
  CHECK(hubspot.at("delivered").as_int64() >= 5);
  // Request bodies are for admins: read-only callers get the metadata.
  const json::value requests =
      Api(daemon, "GET", "/api/v1/targets/hubspot/requests", "", "test-read-token");
  REQUIRE(!requests.at("requests").as_array().empty());
  CHECK(!requests.at("requests").at(0).as_object().contains("body"));
}

// A fake whose port lies below the kernel's ephemeral range: while it is down, a client's
// connection attempt could otherwise be given its port as a source port, connect to itself
// and keep the fake from listening again.
std::unique_ptr<fakes::FakeHubSpot> FakeOutsideEphemeralPorts() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    fakes::HubSpotOptions options;
    options.server.port = static_cast<uint16_t>(20000 + (::getpid() * 7 + attempt * 131) % 10000);
    try {
      return std::make_unique<fakes::FakeHubSpot>(options);
    } catch (const std::runtime_error&) {
      continue;  // taken: try another
    }
  }
  FAIL("no free port below the ephemeral range");
  return nullptr;
}

TEST_CASE("a 30 s CRM outage loses nothing and doubles nothing", "[delivery][outage]") {
  auto owned = FakeOutsideEphemeralPorts();
  fakes::FakeHubSpot& fake = *owned;
  TempDir dir;
  DaemonProcess daemon(dir.Write("journeyd.yaml", TestConfig(fake.base_url())),
                       dir.path() / "data");
  REQUIRE(daemon.Start());
  Segment send(daemon);
  const auto start = std::chrono::time_point_cast<std::chrono::seconds>(system_clock::now()) - 24h;
  constexpr int kPeople = 40;
  const auto email = [](int i) { return "p" + std::to_string(i) + "@example.com"; };

  for (int i = 0; i < kPeople / 2; ++i) {
    send.Identify("u" + std::to_string(i), email(i), "P", "Before", start);
  }
  fake.server().SetDown(true);
  const auto down_at = std::chrono::steady_clock::now();
  // While HubSpot is down: everyone arrives, views a page, orders, and half change name.
  for (int i = 0; i < kPeople; ++i) {
    const std::string user = "u" + std::to_string(i);
    if (i >= kPeople / 2) send.Identify(user, email(i), "P", "During", start + 1min);
    send.Page(user, "/p" + std::to_string(i), start + 2min);
    send.Order(user, "o-" + std::to_string(i), start + 3min);
    if (i % 2 == 0) send.Identify(user, email(i), "P", "Renamed", start + 4min);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // events keep flowing
  }
  std::this_thread::sleep_until(down_at + 30s);
  fake.server().SetDown(false);

  Await([&] { return fake.Tasks().size() == static_cast<size_t>(kPeople) &&
                     fake.Notes().size() == static_cast<size_t>(2 * kPeople); },
        120s, [&] {
          return "tasks " + std::to_string(fake.Tasks().size()) + " notes " +
                 std::to_string(fake.Notes().size()) + "\n" + daemon.log();
        });
  std::this_thread::sleep_for(1s);  // anything doubled would have arrived by now

  for (const auto& [key, count] : fake.KeyCounts()) {
    INFO(key);
    CHECK(count == 1);
  }
  const auto contacts = fake.Contacts();
  REQUIRE(contacts.size() == static_cast<size_t>(kPeople));
  std::map<std::string, std::vector<std::string>> note_times;
  for (const auto& note : fake.Notes()) {
    REQUIRE(note.contact_ids.size() == 1);
    note_times[note.contact_ids[0]].push_back(note.properties.at("hs_timestamp"));
  }
  for (int i = 0; i < kPeople; ++i) {
    const auto c = fake.ContactByEmail(email(i));
    REQUIRE(c);
    INFO(email(i));
    CHECK(c->properties.at("lastname") == (i % 2 == 0 ? "Renamed" : i < kPeople / 2 ? "Before"
                                                                                    : "During"));
    CHECK(c->properties.at("lifecyclestage") == "customer");
    // In order per contact: the page view's note before the order's.
    const auto& times = note_times[c->id];
    REQUIRE(times.size() == 2);
    CHECK(times[0] < times[1]);
    // Every value a property took at HubSpot, in the order journeyd learnt them.
    const auto& names = c->history.at("lastname");
    CHECK(std::is_sorted(names.begin(), names.end(), [](const std::string& a,
                                                        const std::string& b) {
      const auto rank = [](const std::string& n) {
        return n == "Before" ? 0 : n == "During" ? 0 : 1;
      };
      return rank(a) < rank(b);
    }));
  }
  const json::value targets = Api(daemon, "GET", "/api/v1/targets");
  CHECK(targets.at("targets").at(0).at("failed_requests").as_int64() > 0);
  CHECK(targets.at("targets").at(0).at("dead_letters").as_int64() == 0);
}

TEST_CASE("notes whose answer came too late are looked up by key, not created twice",
          "[delivery][in-doubt]") {
  fakes::FakeHubSpot fake;
  TempDir dir;
  std::string config = TestConfig(fake.base_url());
  config = std::regex_replace(config, std::regex("      linger: 50ms\n"),
                              "      linger: 50ms\n      timeout: 1s\n");
  REQUIRE(config.find("timeout: 1s") != std::string::npos);
  DaemonProcess daemon(dir.Write("journeyd.yaml", config), dir.path() / "data");
  REQUIRE(daemon.Start());
  Segment send(daemon);
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(system_clock::now());
  for (int i = 0; i < 3; ++i) {
    send.Identify("u" + std::to_string(i), "d" + std::to_string(i) + "@example.com", "D", "X",
                  now - 3h);
  }
  Await([&] {
    return fake.Contacts().size() == 3 &&
           Api(daemon, "GET", "/api/v1/targets").at("targets").at(0).at("pending").as_int64() == 0;
  }, 20s, [&] { return daemon.log(); });

  // HubSpot applies each notes request but answers after journeyd gave up waiting: the notes
  // exist, journeyd does not know it.
  fake.server().SetDelay(2500ms, "/crm/v3/objects/notes/batch/create");
  for (int i = 0; i < 3; ++i) send.Page("u" + std::to_string(i), "/late", now - 1h);
  Await([&] { return fake.Notes().size() == 3; }, 20s, [&] { return daemon.log(); });
  fake.server().SetDelay(0ms);

  Await([&] {
    const json::value t = Api(daemon, "GET", "/api/v1/targets").at("targets").at(0);
    return t.at("pending").as_int64() == 0 && t.at("found_in_doubt").as_int64() == 3;
  }, 40s, [&] { return daemon.log(); });
  std::this_thread::sleep_for(1s);  // a second write would have arrived by now
  CHECK(fake.Notes().size() == 3);
  for (const auto& [key, count] : fake.KeyCounts()) {
    INFO(key);
    CHECK(count == 1);
  }
  CHECK(fake.Stats().searches >= 1);
  CHECK(fake.RequestsPerPath()["/crm/v3/objects/notes/search"] >= 1);
  CHECK_THAT(daemon.log(), Catch::Contains("were at the CRM already"));
  const json::value t = Api(daemon, "GET", "/api/v1/targets").at("targets").at(0);
  CHECK(t.at("dead_letters").as_int64() == 0);
}

TEST_CASE("a change HubSpot refuses is dead-lettered with its message, the rest goes",
          "[delivery][dlq]") {
  fakes::FakeHubSpot fake;
  TempDir dir;
  // Customers map to a lifecycle stage the portal does not have.
  const std::string stages = "    stages: {awareness: subscriber, purchase: vip}\n";
  const auto config = dir.Write("journeyd.yaml", TestConfig(fake.base_url(), stages));
  DaemonProcess daemon(config, dir.path() / "data");
  REQUIRE(daemon.Start());
  Segment send(daemon);
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(system_clock::now());
  send.Identify("a", "amy@example.com", "Amy", "Ok", now - 2h);
  send.Page("a", "/home", now - 2h + 1min);
  send.Identify("b", "bob@example.com", "Bob", "Buyer", now - 2h);
  send.Order("b", "o-b", now - 1h);

  json::value letters;
  Await([&] {
          letters = Api(daemon, "GET", "/api/v1/dlq?target=hubspot");
          return letters.at("dead_letters").as_array().size() >= 1 &&
                 fake.ContactByEmail("amy@example.com").has_value();
        },
        20s, [&] {
          std::string seen;
          for (const auto& r : fake.server().Log()) {
            seen += std::to_string(r.status) + " " + r.target + " " + r.body.substr(0, 300) + "\n";
          }
          return json::serialize(letters) + "\n" + seen + daemon.log();
        });
  // Amy (same batch or not) is in; Bob's change to his new stage is refused, his contact
  // keeps what it had.
  CHECK(fake.ContactByEmail("amy@example.com")->properties.at("lifecyclestage") == "subscriber");
  const auto bob = fake.ContactByEmail("bob@example.com");
  CHECK((!bob || bob->properties.count("lifecyclestage") == 0));
  const json::value& first = letters.at("dead_letters").as_array().back();
  CHECK(first.at("kind") == "profile");
  CHECK(std::string(first.at("message").as_string()).find("INVALID_OPTION") != std::string::npos);
  CHECK(first.at("item").at("properties").at("lifecyclestage") == "vip");
  // Read-only callers see the letter, not the personal data in it.
  const json::value masked = Api(daemon, "GET", "/api/v1/dlq", "", "test-read-token");
  CHECK(!masked.at("dead_letters").at(0).as_object().contains("item"));

  // Replay sends it as it stands now (still refused: a new letter); discard closes it.
  const int64_t id = first.at("id").as_int64();
  const json::value replayed =
      Api(daemon, "POST", "/api/v1/dlq/replay", json::serialize(json::object{{"ids", {id}}}));
  CHECK(replayed.at("replayed") == json::array{id});
  Await([&] {
          const auto all = Api(daemon, "GET", "/api/v1/dlq?status=all&target=hubspot");
          for (const auto& d : all.at("dead_letters").as_array()) {
            if (d.at("id").as_int64() > id && d.at("kind") == "profile") return true;
          }
          return false;
        },
        20s, [&] {
          return json::serialize(Api(daemon, "GET", "/api/v1/dlq?status=all")) + "\n" +
                 json::serialize(Api(daemon, "GET", "/api/v1/targets")) + "\n" + daemon.log();
        });
  daemon.Signal(SIGTERM);
  REQUIRE(daemon.Wait(10s) == 0);
  const auto listed = RunJourneyd({"dlq", "list", "--config", config.string(), "--data-dir",
                                   (dir.path() / "data").string()},
                                 DefaultTestEnvironment());
  INFO(listed.output);
  CHECK(listed.exit_code == 0);
  CHECK(listed.output.find("INVALID_OPTION") != std::string::npos);
  const auto discarded = RunJourneyd({"dlq", "discard", "--all", "--config", config.string(),
                                      "--data-dir", (dir.path() / "data").string()},
                                 DefaultTestEnvironment());
  INFO(discarded.output);
  CHECK(discarded.exit_code == 0);
  const auto after = RunJourneyd({"dlq", "list", "--config", config.string(), "--data-dir",
                                  (dir.path() / "data").string()},
                                 DefaultTestEnvironment());
  CHECK(after.output.find("no dead letters") != std::string::npos);
}

TEST_CASE("Salesforce: OAuth client credentials, Contact upsert by external id, Tasks",
          "[delivery][salesforce]") {
  fakes::FakeSalesforce fake;
  TempDir dir;
  std::string text = ReadFile(SourceDir() / "config" / "examples" / "salesforce.yaml");
  text = std::regex_replace(text, std::regex("\\.\\./\\.\\./mappings/"),
                            (SourceDir() / "mappings").string() + "/");
  text = std::regex_replace(text, std::regex("data_dir: .*"), "data_dir: data");
  auto env = DefaultTestEnvironment();
  env["JOURNEYD_SALESFORCE_LOGIN_URL"] = fake.base_url();
  env["JOURNEYD_SALESFORCE_CLIENT_ID"] = "3MVG9fake.consumer.key";
  env["JOURNEYD_SALESFORCE_CLIENT_SECRET"] = "fake-consumer-secret";
  DaemonProcess daemon(dir.Write("journeyd.yaml", text), dir.path() / "data", env);
  REQUIRE(daemon.Start());
  Segment send(daemon);
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(system_clock::now());
  send.Identify("u1", "ada@example.com", "Ada", "Lovelace", now - 2h);
  send.Order("u1", "o-1", now - 1h);

  std::string id;
  Await([&] {
          auto r = HttpGet(daemon.host(), daemon.port(), "/api/v1/profiles?email=ada@example.com",
                           {{"Authorization", "Bearer test-admin-token"}});
          if (!r.ok() || r->status != 200) return false;
          id = std::to_string(json::parse(r->body).at("id").as_int64());
          return true;
        },
        20s, [&] { return daemon.log(); });
  Await([&] { return fake.FindByExternalId("Contact", "Journeyd_Id__c", id).has_value() &&
                     !fake.Records("Task").empty(); },
        20s, [&] { return daemon.log(); });
  const auto contact = fake.FindByExternalId("Contact", "Journeyd_Id__c", id);
  CHECK(contact->fields.at("Email") == "ada@example.com");
  CHECK(contact->fields.at("LastName") == "Lovelace");
  CHECK(contact->fields.at("Journeyd_Stage__c") == "purchase");
  // The order is a completed Task on her Contact, keyed by journeyd's key.
  const auto tasks = fake.Records("Task");
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].fields.at("WhoId") == json::value(contact->id));
  CHECK(tasks[0].fields.at("Journeyd_Key__c").as_string().starts_with("touchpoint:"));
  CHECK(contact->fields.at("Description").as_string().starts_with("Customer since "));
  CHECK(!fake.TokensIssued().empty());
}

}  // namespace
}  // namespace journeyd::testing
