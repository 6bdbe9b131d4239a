// The Salesforce target against the in-process FakeSalesforce, through the real libcurl
// transport: tokens (client credentials and JWT bearer), upserts by external id with their
// per-record results, Tasks by journeyd's key, expiry, limits and the config checks.
#include "connectors/salesforce/salesforce_target.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>

#include "engine/config/config_node.h"
#include "engine/config/diagnostics.h"
#include "engine/delivery/http_transport.h"
#include "tests/fakes/fake_salesforce.h"
#include "tests/support/temp_dir.h"

namespace journeyd::connectors::salesforce {
namespace {

namespace json = boost::json;
using delivery::DeliveryItem;
using delivery::HttpTransport;
using delivery::ItemKind;
using delivery::PropertyMap;
using std::chrono::hours;

constexpr char kClientId[] = "3MVG9fake.consumer.key";
constexpr char kSecret[] = "fake-consumer-secret";
constexpr char kJwtGrant[] = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr char kOwnerId[] = "0055J000000FakeQAA";

const SystemClock& Clock() {
  static const SystemClock clock;
  return clock;
}

// 2026-11-11T10:00:00Z
delivery::TimePoint Nov11() {
  return std::chrono::sys_days{std::chrono::year{2026} / 11 / 11} + hours(10);
}

struct Built {
  std::shared_ptr<const Target> target;
  config::Diagnostics diag;

  // The first error, for asserting on what the config check said.
  std::string FirstError() const {
    for (const auto& entry : diag.entries()) {
      if (entry.severity == config::Severity::kError) return entry.ToString();
    }
    return "";
  }
};

// Runs the factory on `yaml` (the target's entry), as the config loader does.
Built FromYaml(const std::string& yaml, const std::filesystem::path& config_dir = {}) {
  Built out;
  auto node = config::ConfigNode::LoadString(yaml, "targets.yaml", out.diag);
  if (!node) return out;
  ConnectorContext context;
  context.clock = &Clock();
  context.instance_name = "salesforce";
  context.config_dir = config_dir;
  out.target = MakeSalesforceTargetFactory()->Create(*node, context, out.diag);
  return out;
}

std::string ClientCredentialsYaml(const fakes::FakeSalesforce& fake, const std::string& extra = "",
                                  const std::string& secret = kSecret) {
  return "name: crm\ntype: salesforce\nlogin_url: " + fake.base_url() +
         "\nclient_id: " + kClientId + "\nclient_secret: " + secret + "\n" + extra;
}

std::shared_ptr<const Target> MustBuild(const std::string& yaml,
                                        const std::filesystem::path& config_dir = {}) {
  Built built = FromYaml(yaml, config_dir);
  INFO(built.diag.Format());
  REQUIRE(built.target != nullptr);
  return built.target;
}

// A profile item as the worker builds it: the target's projection of `document`.
DeliveryItem Profile(const Target& target, int64_t id, PropertyMap document,
                     std::string crm_id = "") {
  document["profile.id"] = std::to_string(id);
  DeliveryItem item;
  item.kind = ItemKind::kProfile;
  item.profile_id = id;
  item.key = "profile:" + std::to_string(id) + ":fp";
  item.crm_id = std::move(crm_id);
  item.address = document.at(target.address_field());
  item.all = target.Project(document);
  item.changed = item.all;
  return item;
}

PropertyMap Person(const std::string& first, const std::string& last) {
  return {{"first_name", first},
          {"last_name", last},
          {"email", first + "." + last + "@example.com"},
          {"city", "London"},
          {"journey.stage", "purchase"}};
}

DeliveryItem Touchpoint(int64_t profile, const std::string& crm_id, int64_t id) {
  DeliveryItem item;
  item.kind = ItemKind::kTouchpoint;
  item.profile_id = profile;
  item.item_id = id;
  item.key = "touchpoint:" + std::to_string(id);
  item.crm_id = crm_id;
  item.address = std::to_string(profile);
  item.touchpoint_type = "order_placed";
  item.touchpoint_source = "shopify";
  item.value = "99.90";
  item.currency = "EUR";
  item.reference = "#1001";
  item.occurred_at = Nov11();
  return item;
}

DeliveryItem CreateTask(int64_t profile, const std::string& crm_id) {
  DeliveryItem item;
  item.kind = ItemKind::kAction;
  item.profile_id = profile;
  item.item_id = 3;
  item.key = std::to_string(profile) + ":onboarding_call:enter:onboarding#1";
  item.crm_id = crm_id;
  item.address = std::to_string(profile);
  item.action = "onboarding_call";
  item.action_kind = "create_task";
  item.occurred_at = Nov11();
  item.payload_json = R"({"profile_id": 1, "event": "enter", "state": "onboarding",
    "transition": {"kind": "stage", "from": "purchase", "to": "onboarding",
                   "at": "2026-11-11T10:00:00.000Z", "touchpoint_id": 7},
    "task": {"subject": "Onboarding call", "body": "Walk them through setup",
             "due_at": "2026-11-13T10:00:00.000Z", "owner": "support-lead@example.com"}})";
  return item;
}

DeliveryItem SetProperties(int64_t profile, const std::string& crm_id, const std::string& key,
                           const std::string& properties_json) {
  DeliveryItem item;
  item.kind = ItemKind::kAction;
  item.profile_id = profile;
  item.key = key;
  item.crm_id = crm_id;
  item.address = std::to_string(profile);
  item.action = "mark";
  item.action_kind = "set_properties";
  item.payload_json = R"({"event": "enter", "state": "retention", "properties": )" +
                      properties_json + "}";
  return item;
}

// What one delivery pass saw: the requests and, per item, its verdict.
struct Pass {
  std::vector<PlannedRequest> requests;
  std::vector<RequestOutcome> outcomes;
  std::vector<ItemVerdict> verdicts;  // by item index; items no request carried stay kRetry
};

// Plans `items`, then authorizes, sends and interprets each request once.
Pass Deliver(TargetSession& session, HttpTransport& http, const std::vector<DeliveryItem>& items) {
  Pass pass;
  pass.verdicts.assign(items.size(), ItemVerdict{Verdict::kRetry, "", "not planned"});
  pass.requests = session.Plan(items);
  for (const PlannedRequest& request : pass.requests) {
    delivery::HttpRequest http_request = request.http;
    const Status authorized = session.Authorize(http_request, http);
    INFO((authorized.ok() ? "" : authorized.error().ToString()));
    REQUIRE(authorized.ok());
    const delivery::HttpResponse response = http.Send(http_request);
    RequestOutcome outcome = session.Interpret(request, items, response);
    for (size_t k = 0; k < request.items.size(); ++k) {
      pass.verdicts[request.items[k]] =
          outcome.items.empty() ? ItemVerdict{outcome.whole, "", outcome.message}
                                : outcome.items.at(k);
    }
    pass.outcomes.push_back(std::move(outcome));
  }
  return pass;
}

std::string Field(const fakes::SalesforceRecord& record, const std::string& name) {
  const json::value* v = record.fields.if_contains(name);
  if (v == nullptr) return "";
  return v->is_string() ? std::string(v->as_string()) : json::serialize(*v);
}

// A fresh RSA key pair, as a connected app's certificate and its private key would be.
struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

KeyPair GenerateKeyPair() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  REQUIRE(key != nullptr);
  auto pem = [&](bool is_private) {
    BIO* bio = BIO_new(BIO_s_mem());
    const int ok = is_private
                       ? PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr)
                       : PEM_write_bio_PUBKEY(bio, key);
    REQUIRE(ok == 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<size_t>(size));
    BIO_free(bio);
    return text;
  };
  KeyPair pair{pem(true), pem(false)};
  EVP_PKEY_free(key);
  return pair;
}

std::string JwtYaml(const fakes::FakeSalesforce& fake, const std::string& key_file) {
  return "name: crm\ntype: salesforce\nlogin_url: " + fake.base_url() +
         "\nauth: jwt_bearer\nclient_id: " + kClientId +
         "\nusername: integration@journeyd.example\naudience: https://login.salesforce.com\n" +
         (key_file.empty() ? "" : "private_key_file: " + key_file + "\n");
}

TEST_CASE("salesforce: client credentials, then profiles upserted by external id",
          "[salesforce]") {
  fakes::FakeSalesforce fake;
  auto target = MustBuild(ClientCredentialsYaml(fake));
  CHECK(target->needs_record_id());
  CHECK(target->address_field() == "profile.id");
  CHECK(target->limits().max_batch == 200);
  auto session = target->OpenSession();
  HttpTransport http;

  const std::vector<DeliveryItem> items = {Profile(*target, 1, Person("Ada", "Lovelace")),
                                           Profile(*target, 2, Person("Alan", "Turing"))};
  CHECK(items[0].all.at("Journeyd_Stage__c") == "purchase");
  CHECK(items[0].all.at("MailingCity") == "London");
  Pass pass = Deliver(*session, http, items);
  REQUIRE(pass.requests.size() == 1);
  CHECK(pass.requests[0].http.method == "PATCH");
  CHECK(pass.requests[0].http.url ==
        "{instance_url}/services/data/v60.0/composite/sobjects/Contact/Journeyd_Id__c");
  CHECK(pass.requests[0].items == std::vector<size_t>{0, 1});
  CHECK(fake.TokensIssued() == std::map<std::string, int>{{"client_credentials", 1}});
  CHECK(fake.RequestsPerPath().at(
            "/services/data/v60.0/composite/sobjects/Contact/Journeyd_Id__c") == 1);

  for (size_t i = 0; i < items.size(); ++i) {
    INFO(pass.verdicts[i].message);
    REQUIRE(pass.verdicts[i].verdict == Verdict::kDelivered);
    auto record = fake.FindByExternalId("Contact", "Journeyd_Id__c", std::to_string(i + 1));
    REQUIRE(record.has_value());
    CHECK(pass.verdicts[i].crm_id == record->id);
    CHECK(record->id.starts_with("003"));
  }
  auto ada = fake.FindByExternalId("Contact", "Journeyd_Id__c", "1");
  CHECK(Field(*ada, "FirstName") == "Ada");
  CHECK(Field(*ada, "LastName") == "Lovelace");
  CHECK(Field(*ada, "Email") == "Ada.Lovelace@example.com");
  CHECK(Field(*ada, "MailingCity") == "London");
  CHECK(Field(*ada, "Journeyd_Stage__c") == "purchase");

  // A known record gets its changes only; the token is reused.
  DeliveryItem update = Profile(*target, 1, Person("Ada", "Lovelace"), ada->id);
  update.changed = {{"Title", "Countess"}};
  Pass second = Deliver(*session, http, {update});
  REQUIRE(second.verdicts[0].verdict == Verdict::kDelivered);
  CHECK(second.requests[0].http.body.find("Lovelace") == std::string::npos);
  auto updated = fake.FindByExternalId("Contact", "Journeyd_Id__c", "1");
  CHECK(Field(*updated, "Title") == "Countess");
  CHECK(Field(*updated, "LastName") == "Lovelace");
  CHECK(updated->upsert_count == 2);
  CHECK(fake.TokensIssued().at("client_credentials") == 1);
  CHECK(fake.Records("Contact").size() == 2);
}

TEST_CASE("salesforce: a record Salesforce refuses is rejected alone", "[salesforce]") {
  fakes::FakeSalesforce fake;
  auto target = MustBuild(ClientCredentialsYaml(fake));
  auto session = target->OpenSession();
  HttpTransport http;
  PropertyMap nameless = Person("Grace", "");
  const std::vector<DeliveryItem> items = {Profile(*target, 1, Person("Ada", "Lovelace")),
                                           Profile(*target, 2, nameless)};
  REQUIRE(items[1].all.count("LastName") == 0);
  Pass pass = Deliver(*session, http, items);
  REQUIRE(pass.requests.size() == 1);
  CHECK(pass.verdicts[0].verdict == Verdict::kDelivered);
  CHECK_FALSE(pass.verdicts[0].crm_id.empty());
  CHECK(pass.verdicts[1].verdict == Verdict::kRejected);
  CHECK(pass.verdicts[1].message ==
        "REQUIRED_FIELD_MISSING: Required fields are missing: [LastName] (LastName)");
  CHECK(pass.verdicts[1].crm_id.empty());
  CHECK(fake.Records("Contact").size() == 1);

  // A bad email is the record's own problem too.
  Pass bad_email = Deliver(*session, http,
                           {Profile(*target, 3, {{"last_name", "X"}, {"email", "not-an-email"}})});
  CHECK(bad_email.verdicts[0].verdict == Verdict::kRejected);
  CHECK(bad_email.verdicts[0].message.starts_with("INVALID_EMAIL_ADDRESS: "));
}

TEST_CASE("salesforce: touchpoints and create_task actions become Tasks, once per key",
          "[salesforce]") {
  fakes::FakeSalesforce fake;
  auto target = MustBuild(ClientCredentialsYaml(
      fake, "owners:\n  support-lead@example.com: " + std::string(kOwnerId) + "\n"));
  auto session = target->OpenSession();
  HttpTransport http;
  Pass profile = Deliver(*session, http, {Profile(*target, 1, Person("Ada", "Lovelace"))});
  const std::string contact = profile.verdicts[0].crm_id;
  REQUIRE_FALSE(contact.empty());

  const std::vector<DeliveryItem> items = {Touchpoint(1, contact, 7), CreateTask(1, contact)};
  for (int round = 0; round < 2; ++round) {  // the second is a retry after a lost answer
    Pass pass = Deliver(*session, http, items);
    REQUIRE(pass.requests.size() == 1);
    CHECK(pass.requests[0].http.url ==
          "{instance_url}/services/data/v60.0/composite/sobjects/Task/Journeyd_Key__c");
    for (const ItemVerdict& verdict : pass.verdicts) {
      INFO(verdict.message);
      CHECK(verdict.verdict == Verdict::kDelivered);
      CHECK(verdict.crm_id.empty());  // a Task's id is not the contact's
    }
  }
  const auto tasks = fake.Records("Task");
  REQUIRE(tasks.size() == 2);
  auto logged = fake.FindByExternalId("Task", "Journeyd_Key__c", "touchpoint:7");
  REQUIRE(logged.has_value());
  CHECK(logged->upsert_count == 2);
  CHECK(Field(*logged, "WhoId") == contact);
  CHECK(Field(*logged, "Status") == "Completed");
  CHECK(Field(*logged, "ActivityDate") == "2026-11-11");
  CHECK(Field(*logged, "Subject") == "order_placed (shopify)");
  CHECK(Field(*logged, "Description").find("99.90 EUR") != std::string::npos);

  auto task = fake.FindByExternalId("Task", "Journeyd_Key__c", items[1].key);
  REQUIRE(task.has_value());
  CHECK(Field(*task, "WhoId") == contact);
  CHECK(Field(*task, "Subject") == "Onboarding call");
  CHECK(Field(*task, "Description") == "Walk them through setup");
  CHECK(Field(*task, "Status") == "Not Started");
  CHECK(Field(*task, "ActivityDate") == "2026-11-13");
  CHECK(Field(*task, "OwnerId") == kOwnerId);

  // post_event: a completed Task that says what happened.
  DeliveryItem event = CreateTask(1, contact);
  event.key = "1:won:enter:purchase#1";
  event.action = "won";
  event.action_kind = "post_event";
  event.payload_json = R"({"event": "enter", "state": "purchase", "stage": "purchase",
                           "engagement": 71.5, "transition": {"kind": "stage",
                           "from": "decision", "to": "purchase"}})";
  Pass posted = Deliver(*session, http, {event});
  REQUIRE(posted.verdicts[0].verdict == Verdict::kDelivered);
  auto event_task = fake.FindByExternalId("Task", "Journeyd_Key__c", event.key);
  REQUIRE(event_task.has_value());
  CHECK(Field(*event_task, "Status") == "Completed");
  CHECK(Field(*event_task, "Subject") == "journeyd: won (enter purchase)");
  CHECK(Field(*event_task, "Description").find("decision -> purchase") != std::string::npos);
  CHECK(Field(*event_task, "Description").find("engagement: 71.5") != std::string::npos);
}

TEST_CASE("salesforce: touchpoints: none leaves touchpoints out", "[salesforce]") {
  fakes::FakeSalesforce fake;
  auto target = MustBuild(ClientCredentialsYaml(fake, "touchpoints: none\n"));
  auto session = target->OpenSession();
  const std::vector<DeliveryItem> items = {Touchpoint(1, "0035J000000000001AAA", 7),
                                           CreateTask(1, "0035J000000000001AAA")};
  auto planned = session->Plan(items);
  REQUIRE(planned.size() == 1);
  CHECK(planned[0].items == std::vector<size_t>{1});
}

TEST_CASE("salesforce: set_properties updates the record, one profile's twice go in turn",
          "[salesforce]") {
  fakes::FakeSalesforce fake;
  auto target = MustBuild(ClientCredentialsYaml(fake));
  auto session = target->OpenSession();
  HttpTransport http;
  Pass profile = Deliver(*session, http, {Profile(*target, 1, Person("Ada", "Lovelace"))});
  const std::string contact = profile.verdicts[0].crm_id;

  const std::vector<DeliveryItem> items = {
      SetProperties(1, contact, "a#1", R"({"LeadSource": "Web", "Journeyd_Engagement__c": 40})"),
      SetProperties(1, contact, "a#2", R"({"LeadSource": "Partner"})")};
  Pass pass = Deliver(*session, http, items);
  // Salesforce refuses an external id twice in one request: two requests, in order.
  REQUIRE(pass.requests.size() == 2);
  CHECK(pass.requests[0].items == std::vector<size_t>{0});
  CHECK(pass.requests[1].items == std::vector<size_t>{1});
  for (const ItemVerdict& verdict : pass.verdicts) {
    INFO(verdict.message);
    CHECK(verdict.verdict == Verdict::kDelivered);
  }
  auto record = fake.FindByExternalId("Contact", "Journeyd_Id__c", "1");
  CHECK(Field(*record, "LeadSource") == "Partner");
  CHECK(Field(*record, "Journeyd_Engagement__c") == "40");
  CHECK(Field(*record, "LastName") == "Lovelace");
}

TEST_CASE("salesforce: an expired session asks to reauthenticate, then the retry goes through",
          "[salesforce]") {
  fakes::FakeSalesforce fake;
  auto target = MustBuild(ClientCredentialsYaml(fake));
  auto session = target->OpenSession();
  HttpTransport http;
  REQUIRE(Deliver(*session, http, {Profile(*target, 1, Person("Ada", "Lovelace"))})
              .verdicts[0]
              .verdict == Verdict::kDelivered);

  fake.ExpireAllTokens();
  const std::vector<DeliveryItem> items = {Profile(*target, 2, Person("Alan", "Turing"))};
  const auto planned = session->Plan(items);
  REQUIRE(planned.size() == 1);
  delivery::HttpRequest first = planned[0].http;
  REQUIRE(session->Authorize(first, http).ok());  // the cached, now revoked, token
  const RequestOutcome refused = session->Interpret(planned[0], items, http.Send(first));
  CHECK(refused.reauthenticate);
  CHECK(refused.items.empty());
  CHECK(refused.whole == Verdict::kRetry);
  CHECK(refused.message.find("INVALID_SESSION_ID") != std::string::npos);

  session->InvalidateCredentials();
  delivery::HttpRequest again = planned[0].http;
  REQUIRE(session->Authorize(again, http).ok());
  const RequestOutcome outcome = session->Interpret(planned[0], items, http.Send(again));
  CHECK_FALSE(outcome.reauthenticate);
  REQUIRE(outcome.items.size() == 1);
  CHECK(outcome.items[0].verdict == Verdict::kDelivered);
  CHECK(fake.TokensIssued().at("client_credentials") == 2);
  CHECK(fake.FindByExternalId("Contact", "Journeyd_Id__c", "2").has_value());
}

TEST_CASE("salesforce: JWT bearer with the connected app's key pair", "[salesforce]") {
  const KeyPair pair = GenerateKeyPair();
  fakes::SalesforceOptions options;
  options.jwt_public_key_pem = pair.public_pem;
  fakes::FakeSalesforce fake(options);
  journeyd::testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "keys");
  dir.Write("keys/salesforce.pem", pair.private_pem);

  // Relative to the config file's directory.
  auto target = MustBuild(JwtYaml(fake, "keys/salesforce.pem"), dir.path());
  auto session = target->OpenSession();
  HttpTransport http;
  Pass pass = Deliver(*session, http, {Profile(*target, 1, Person("Ada", "Lovelace"))});
  INFO(pass.verdicts[0].message);
  CHECK(pass.verdicts[0].verdict == Verdict::kDelivered);
  CHECK(fake.TokensIssued() == std::map<std::string, int>{{kJwtGrant, 1}});

  // Another key is refused, as kUnauthenticated.
  const KeyPair other = GenerateKeyPair();
  dir.Write("keys/other.pem", other.private_pem);
  auto wrong = MustBuild(JwtYaml(fake, (dir.path() / "keys/other.pem").string()));
  delivery::HttpRequest request = wrong->OpenSession()->Plan(
      std::vector<DeliveryItem>{Profile(*wrong, 1, Person("Ada", "Lovelace"))})[0].http;
  const Status refused = wrong->OpenSession()->Authorize(request, http);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kUnauthenticated);
  CHECK(refused.error().message.find("signature verification failed") != std::string::npos);
}

TEST_CASE("salesforce: the JWT assertion is RS256 over base64url parts", "[salesforce]") {
  const KeyPair pair = GenerateKeyPair();
  auto key = RsaPrivateKey::FromPem(pair.private_pem);
  REQUIRE(key.ok());
  auto jwt = MakeJwtAssertion(**key, {"iss", "sub", "aud", Nov11()});
  REQUIRE(jwt.ok());
  const size_t dot = jwt->find('.');
  CHECK(jwt->substr(0, dot) == "eyJhbGciOiJSUzI1NiJ9");  // {"alg":"RS256"}
  CHECK(jwt->find_first_of("+/=") == std::string::npos);
  CHECK(std::count(jwt->begin(), jwt->end(), '.') == 2);
  CHECK(Base64UrlEncode("\xfb\xff") == "-_8");
  CHECK(FormEncode({{"a b", "x+y&z=é"}, {"k", "~._-"}}) == "a%20b=x%2By%26z%3D%C3%A9&k=~._-");
  CHECK_FALSE(RsaPrivateKey::FromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n").ok());
}

TEST_CASE("salesforce: a wrong client secret fails Authorize as kUnauthenticated",
          "[salesforce]") {
  fakes::FakeSalesforce fake;
  auto target = MustBuild(ClientCredentialsYaml(fake, "", "not-the-secret"));
  auto session = target->OpenSession();
  HttpTransport http;
  delivery::HttpRequest request;
  request.url = "{instance_url}/services/data/v60.0/composite/sobjects/Contact/Journeyd_Id__c";
  const Status status = session->Authorize(request, http);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code == ErrorCode::kUnauthenticated);
  CHECK(status.error().message.find("invalid_client: invalid client credentials") !=
        std::string::npos);
  CHECK(status.error().message.find("not-the-secret") == std::string::npos);
  CHECK(fake.TokensIssued().empty());

  // An unreachable login host is worth retrying, not a credentials problem.
  auto down = MustBuild("name: crm\ntype: salesforce\nlogin_url: http://127.0.0.1:1\n"
                        "client_id: x\nclient_secret: y\n");
  const Status unreachable = down->OpenSession()->Authorize(request, http);
  REQUIRE_FALSE(unreachable.ok());
  CHECK(unreachable.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("salesforce: 250 profiles go as 200 and 50", "[salesforce]") {
  fakes::FakeSalesforce fake;
  auto target = MustBuild(ClientCredentialsYaml(fake));
  auto session = target->OpenSession();
  HttpTransport http;
  std::vector<DeliveryItem> items;
  for (int64_t id = 1; id <= 250; ++id) {
    items.push_back(Profile(*target, id, Person("P" + std::to_string(id), "Person")));
  }
  Pass pass = Deliver(*session, http, items);
  REQUIRE(pass.requests.size() == 2);
  CHECK(pass.requests[0].items.size() == 200);
  CHECK(pass.requests[1].items.size() == 50);
  CHECK(pass.requests[1].items.front() == 200);
  std::set<std::string> ids;
  for (const ItemVerdict& verdict : pass.verdicts) {
    CHECK(verdict.verdict == Verdict::kDelivered);
    ids.insert(verdict.crm_id);
  }
  CHECK(ids.size() == 250);
  CHECK(fake.Records("Contact").size() == 250);
}

TEST_CASE("salesforce: outages, the daily limit and bad requests", "[salesforce]") {
  fakes::FakeSalesforce fake;
  auto target = MustBuild(ClientCredentialsYaml(fake));
  auto session = target->OpenSession();
  HttpTransport http;
  const std::vector<DeliveryItem> items = {Profile(*target, 1, Person("Ada", "Lovelace"))};

  // The token request comes first, so the fault lands on the data request.
  delivery::HttpRequest warm;
  REQUIRE(session->Authorize(warm, http).ok());

  fake.server().FailNext(1, 503);
  Pass outage = Deliver(*session, http, items);
  CHECK(outage.outcomes[0].whole == Verdict::kRetry);
  CHECK(outage.outcomes[0].items.empty());
  CHECK(outage.outcomes[0].message.find("SERVER_UNAVAILABLE") != std::string::npos);

  fake.server().FailNext(1, 403);
  Pass limited = Deliver(*session, http, items);
  CHECK(limited.outcomes[0].whole == Verdict::kRetry);
  CHECK(limited.outcomes[0].message.find("REQUEST_LIMIT_EXCEEDED") != std::string::npos);
  CHECK_FALSE(limited.outcomes[0].reauthenticate);

  // A field the org does not have fails the whole request.
  auto misfit = MustBuild(ClientCredentialsYaml(fake, "fields:\n  Nickname__c: first_name\n"));
  auto misfit_session = misfit->OpenSession();
  Pass refused = Deliver(*misfit_session, http, {Profile(*misfit, 1, Person("Ada", "L"))});
  CHECK(refused.outcomes[0].whole == Verdict::kRejected);
  CHECK(refused.outcomes[0].message.starts_with("HTTP 400: INVALID_FIELD: No such column"));

  // The connection refused: retry.
  fake.server().SetDown(true);
  Pass down = Deliver(*session, http, items);
  CHECK(down.outcomes[0].whole == Verdict::kRetry);
  fake.server().SetDown(false);

  Pass fine = Deliver(*session, http, items);
  CHECK(fine.verdicts[0].verdict == Verdict::kDelivered);
}

TEST_CASE("salesforce: Leads carry Company", "[salesforce]") {
  fakes::FakeSalesforce fake;
  auto target = MustBuild(ClientCredentialsYaml(fake, "sobject: Lead\nstage_field: \"\"\n"));
  auto session = target->OpenSession();
  HttpTransport http;
  PropertyMap person = Person("Ada", "Lovelace");
  person["company"] = "Analytical Engines Ltd";
  const std::vector<DeliveryItem> items = {Profile(*target, 1, person),
                                           Profile(*target, 2, Person("Alan", "Turing"))};
  CHECK(items[0].all.count("Journeyd_Stage__c") == 0);
  Pass pass = Deliver(*session, http, items);
  CHECK(pass.requests[0].http.url.ends_with("/composite/sobjects/Lead/Journeyd_Id__c"));
  CHECK(pass.verdicts[0].verdict == Verdict::kDelivered);
  CHECK(pass.verdicts[0].crm_id.starts_with("00Q"));
  CHECK(pass.verdicts[1].verdict == Verdict::kRejected);
  CHECK(pass.verdicts[1].message.find("[Company]") != std::string::npos);
  auto lead = fake.FindByExternalId("Lead", "Journeyd_Id__c", "1");
  REQUIRE(lead.has_value());
  CHECK(Field(*lead, "Company") == "Analytical Engines Ltd");
}

TEST_CASE("salesforce: config checks", "[salesforce]") {
  fakes::FakeSalesforce fake;
  journeyd::testing::TempDir dir;

  SECTION("jwt_bearer needs private_key_file") {
    Built built = FromYaml(JwtYaml(fake, ""), dir.path());
    CHECK(built.target == nullptr);
    CHECK(built.FirstError().find("private_key_file") != std::string::npos);
  }
  SECTION("the key file must be an RSA private key, reported where it is named") {
    dir.Write("notakey.pem", "hello");
    Built built = FromYaml(JwtYaml(fake, "notakey.pem"), dir.path());
    CHECK(built.target == nullptr);
    const std::string error = built.FirstError();
    CHECK(error.find("targets.yaml:8:") != std::string::npos);
    CHECK(error.find("private_key_file") != std::string::npos);
    CHECK(error.find("notakey.pem") != std::string::npos);
  }
  SECTION("a missing key file") {
    Built built = FromYaml(JwtYaml(fake, "absent.pem"), dir.path());
    CHECK(built.target == nullptr);
    CHECK(built.FirstError().find("cannot read") != std::string::npos);
  }
  SECTION("client_credentials needs client_secret") {
    Built built = FromYaml("name: crm\ntype: salesforce\nclient_id: x\n");
    CHECK(built.target == nullptr);
    CHECK(built.FirstError().find("client_secret") != std::string::npos);
  }
  SECTION("sobject, api_version, owners and auth are checked") {
    for (const char* extra : {"sobject: Account\n", "api_version: v45.0\n", "api_version: 60\n",
                              "owners:\n  someone: bob\n", "auth: password\n",
                              "external_id_field: \"a/b\"\n", "requests_per_second: 0\n"}) {
      INFO(extra);
      Built built = FromYaml(ClientCredentialsYaml(fake, extra));
      CHECK(built.target == nullptr);
      CHECK(built.diag.has_errors());
    }
  }
  SECTION("the defaults build") {
    Built built = FromYaml(ClientCredentialsYaml(fake));
    REQUIRE(built.target != nullptr);
    CHECK_FALSE(built.diag.has_errors());
    const auto* sf = dynamic_cast<const SalesforceTarget*>(built.target.get());
    REQUIRE(sf != nullptr);
    CHECK(sf->settings().api_version == "v60.0");
    CHECK(sf->settings().touchpoints == TouchpointMode::kTask);
    CHECK(sf->limits().requests_per_second == 5);
  }
}

}  // namespace
}  // namespace journeyd::connectors::salesforce
