// The fake CRMs enforce the vendors' contracts: what a real HubSpot or Salesforce refuses, they
// refuse, in the vendor's shapes (checked against shared/fixtures/crm where a recording exists),
// and their fault injection really breaks the transport.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <boost/json.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "tests/fakes/fake_http_server.h"
#include "tests/fakes/fake_hubspot.h"
#include "tests/fakes/fake_salesforce.h"
#include "tests/fakes/fake_util.h"
#include "tests/support/http_client.h"
#include "tests/support/signing.h"
#include "tests/support/temp_dir.h"

namespace journeyd::fakes {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using journeyd::testing::HttpConnection;
using journeyd::testing::HttpResult;

constexpr char kHost[] = "127.0.0.1";

json::value Json(const std::string& text) { return json::parse(text); }

std::set<std::string> Keys(const json::value& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.as_object()) keys.emplace(key);
  return keys;
}

json::value Fixture(const std::string& relative) {
  return Json(journeyd::testing::ReadFile(journeyd::testing::FixturesDir() / "crm" / relative));
}

HttpResult Send(uint16_t port, const std::string& method, const std::string& target,
                const std::string& body, const journeyd::testing::Headers& headers) {
  auto result = journeyd::testing::HttpRequest(kHost, port, method, target, body, headers);
  REQUIRE(result.ok());
  return *result;
}

// --- FakeHttpServer ---------------------------------------------------------------------------

struct Echo {
  std::atomic<int> calls{0};
  FakeHttpServer::Handler handler() {
    return [this](const Request& request) {
      ++calls;
      return Response(200, request.method + " " + request.path + " " + request.body);
    };
  }
};

Response Unavailable(int status) { return Response(status, R"({"fault":true})"); }

TEST_CASE("http server: kept-alive connections are reused and every request is logged") {
  Echo echo;
  FakeHttpServer server(echo.handler(), Unavailable);
  REQUIRE(server.port() != 0);
  auto connection = HttpConnection::Connect(kHost, server.port());
  REQUIRE(connection.ok());
  for (int i = 0; i < 3; ++i) {
    auto result = (*connection)->Request("POST", "/a/b?x=" + std::to_string(i), "body");
    REQUIRE(result.ok());
    CHECK(result->status == 200);
    CHECK(result->body == "POST /a/b body");
    CHECK(result->keep_alive);
  }
  CHECK(server.RequestCount() == 3);
  const auto log = server.Log();
  REQUIRE(log.size() == 3);
  CHECK(log[2].method == "POST");
  CHECK(log[2].target == "/a/b?x=2");
  CHECK(log[2].status == 200);
  CHECK(log[2].body == "body");
  CHECK(server.StatusCounts().at(200) == 3);
  server.ClearLog();
  CHECK(server.Log().empty());
  CHECK(server.RequestCount() == 0);
}

TEST_CASE("http server: FailNext answers the fault without calling the handler") {
  Echo echo;
  FakeHttpServer server(echo.handler(), Unavailable);
  server.FailNext(2, 503);
  CHECK(Send(server.port(), "GET", "/", "", {}).status == 503);
  const HttpResult second = Send(server.port(), "GET", "/", "", {});
  CHECK(second.status == 503);
  CHECK(second.body == R"({"fault":true})");
  CHECK(echo.calls == 0);
  CHECK(Send(server.port(), "GET", "/", "", {}).status == 200);
  CHECK(echo.calls == 1);
  CHECK(server.StatusCounts().at(503) == 2);
}

TEST_CASE("http server: SetDelay applies the request and then answers too late for the client") {
  Echo echo;
  FakeHttpServer server(echo.handler(), Unavailable);
  server.SetDelay(400ms);
  auto connection = HttpConnection::Connect(kHost, server.port());
  REQUIRE(connection.ok());
  auto timed_out = (*connection)->Request("POST", "/x", "1", {}, 100ms);
  CHECK_FALSE(timed_out.ok());
  CHECK(echo.calls == 1);  // applied although the client gave up: a retry would duplicate it
  server.SetDelay(0ms);
  CHECK(Send(server.port(), "POST", "/x", "2", {}).status == 200);
  CHECK(echo.calls == 2);
}

TEST_CASE("http server: SetDown refuses and resets connections and comes back on the same port") {
  Echo echo;
  FakeHttpServer server(echo.handler(), Unavailable);
  const uint16_t port = server.port();
  auto open = HttpConnection::Connect(kHost, port);
  REQUIRE(open.ok());
  REQUIRE((*open)->Request("GET", "/").ok());

  server.SetDown(true);
  CHECK(server.IsDown());
  {
    auto fresh = HttpConnection::Connect(kHost, port);  // accepted, then reset at once
    CHECK((!fresh.ok() || !(*fresh)->Request("GET", "/").ok()));
  }
  CHECK_FALSE((*open)->Request("GET", "/").ok());          // the open one was reset
  CHECK(echo.calls == 1);

  server.SetDown(false);
  CHECK_FALSE(server.IsDown());
  CHECK(server.port() == port);
  CHECK(Send(port, "GET", "/", "", {}).status == 200);
  CHECK(echo.calls == 2);
}

// --- FakeHubSpot ------------------------------------------------------------------------------

constexpr char kUpsert[] = "/crm/v3/objects/contacts/batch/upsert";
constexpr char kNotes[] = "/crm/v3/objects/notes/batch/create";
constexpr char kTasks[] = "/crm/v3/objects/tasks/batch/create";

class HubSpotClient {
 public:
  explicit HubSpotClient(const FakeHubSpot& hubspot, std::string token = "pat-na1-fake-token")
      : port_(hubspot.port()), token_(std::move(token)) {}

  HttpResult Post(const std::string& path, const json::value& body) const {
    return Send(port_, "POST", path, json::serialize(body),
                {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}});
  }

 private:
  uint16_t port_;
  std::string token_;
};

json::object Input(const std::string& email, json::object properties = {},
                   const std::string& trace = "") {
  json::object input{{"id", email}, {"idProperty", "email"}, {"properties", std::move(properties)}};
  if (!trace.empty()) input["objectWriteTraceId"] = trace;
  return input;
}

json::object Inputs(json::array inputs) { return {{"inputs", std::move(inputs)}}; }

json::object Association(const std::string& contact_id, int type_id) {
  return {{"to", {{"id", contact_id}}},
          {"types", json::array{json::object{{"associationCategory", "HUBSPOT_DEFINED"},
                                             {"associationTypeId", type_id}}}}};
}

void CheckHubSpotError(const HttpResult& result, int status, const std::string& category) {
  CHECK(result.status == status);
  const json::value body = Json(result.body);
  CHECK(body.at("status") == "error");
  CHECK(body.at("category") == category.c_str());
  CHECK(body.at("message").is_string());
  CHECK(body.at("correlationId") == result.header("x-hubspot-correlation-id").c_str());
}

TEST_CASE("hubspot: a missing or wrong token is refused with 401 and nothing is applied") {
  FakeHubSpot hubspot;
  const json::object body = Inputs({Input("a@example.com")});
  const HttpResult missing = Send(hubspot.port(), "POST", kUpsert, json::serialize(body), {});
  CheckHubSpotError(missing, 401, "INVALID_AUTHENTICATION");
  CHECK(Json(missing.body)
            .at("message")
            .as_string()
            .starts_with("Authentication credentials not found."));
  CheckHubSpotError(HubSpotClient(hubspot, "wrong").Post(kUpsert, body), 401,
                    "INVALID_AUTHENTICATION");
  CHECK(hubspot.Contacts().empty());
  CHECK(hubspot.RequestsPerPath().at(kUpsert) == 2);
}

TEST_CASE("hubspot: batch update changes contacts by record id and names unknown ids") {
  FakeHubSpot hubspot;
  HubSpotClient client(hubspot);
  REQUIRE(client.Post(kUpsert, Inputs({Input("ann@example.com", {{"firstname", "Ann"}})}))
              .status == 200);
  const std::string id = hubspot.ContactByEmail("ann@example.com")->id;
  const json::object body{
      {"inputs",
       json::array{json::object{{"id", id},
                                {"objectWriteTraceId", "t-1"},
                                {"properties", json::object{{"email", "ann.lee@example.com"}}}},
                   json::object{{"id", "999999"},
                                {"objectWriteTraceId", "t-2"},
                                {"properties", json::object{{"firstname", "Nobody"}}}}}}};
  const HttpResult updated = client.Post("/crm/v3/objects/contacts/batch/update", body);
  REQUIRE(updated.status == 207);
  const json::value answer = Json(updated.body);
  CHECK(answer.at("results").at(0).at("id") == json::value(id));
  CHECK(answer.at("errors").at(0).at("category") == "OBJECT_NOT_FOUND");
  CHECK(answer.at("errors").at(0).at("context").at("objectWriteTraceId") ==
        json::array{"t-2"});
  // The same contact, found by its new email; no second one.
  CHECK(hubspot.Contacts().size() == 1);
  CHECK(hubspot.ContactByEmail("ann.lee@example.com")->id == id);
}

TEST_CASE("hubspot: upsert creates and then updates by email in any case with history") {
  FakeHubSpot hubspot;
  HubSpotClient client(hubspot);
  const HttpResult created = client.Post(
      kUpsert, Inputs({Input("Ann@Example.com", {{"firstname", "Ann"}, {"lifecyclestage", "lead"}},
                             "trace-1")}));
  REQUIRE(created.status == 200);
  const json::value first = Json(created.body);
  CHECK(first.at("status") == "COMPLETE");
  CHECK_FALSE(first.as_object().contains("errors"));
  const json::value& result = first.at("results").at(0);
  CHECK(result.at("new") == true);
  CHECK(result.at("objectWriteTraceId") == "trace-1");
  CHECK(result.at("properties").at("email") == "ann@example.com");
  const std::string id(result.at("id").as_string());
  CHECK(created.header("x-hubspot-ratelimit-max") == "100");
  CHECK(created.header("x-hubspot-ratelimit-remaining") == "99");
  CHECK(created.header("x-hubspot-ratelimit-interval-milliseconds") == "10000");
  CHECK(created.header("x-hubspot-ratelimit-daily") == "250000");
  CHECK(created.header("x-hubspot-ratelimit-daily-remaining") == "249999");

  const HttpResult updated =
      client.Post(kUpsert, Inputs({Input("ANN@example.com", {{"firstname", "Anne"}})}));
  REQUIRE(updated.status == 200);
  const json::value again = Json(updated.body).at("results").at(0);
  CHECK(again.at("new") == false);
  CHECK(again.at("id") == id.c_str());
  CHECK(updated.header("x-hubspot-ratelimit-remaining") == "98");

  REQUIRE(hubspot.Contacts().size() == 1);
  const auto contact = hubspot.ContactByEmail("ann@EXAMPLE.com");
  REQUIRE(contact.has_value());
  CHECK(contact->id == id);
  CHECK(contact->upsert_count == 2);
  CHECK(contact->properties.at("firstname") == "Anne");
  CHECK(contact->properties.at("lifecyclestage") == "lead");
  CHECK(contact->history.at("firstname") == std::vector<std::string>{"Ann", "Anne"});
  CHECK(hubspot.Stats().upsert_inputs == 2);
}

TEST_CASE("hubspot: the recorded batch shapes hold and inputs need id and idProperty") {
  FakeHubSpot hubspot;
  HubSpotClient client(hubspot);
  const json::value recorded = Fixture("hubspot/recorded/batch_create.201.json");
  // The recorded batch/create body has no id: the upsert contract refuses it as a whole.
  CheckHubSpotError(client.Post(kUpsert, recorded.at("request").at("body")), 400,
                    "VALIDATION_ERROR");
  CHECK(hubspot.Contacts().empty());

  json::value body = recorded.at("request").at("body");
  json::object& input = body.at("inputs").at(0).as_object();
  input["id"] = input.at("properties").at("email");
  input["idProperty"] = "email";
  const HttpResult result = client.Post(kUpsert, body);
  REQUIRE(result.status == 200);
  const json::value answer = Json(result.body);
  const json::value& expected = recorded.at("body");
  CHECK(Keys(answer) == Keys(expected));
  for (const auto& key : Keys(expected.at("results").at(0))) {
    CHECK(answer.at("results").at(0).as_object().contains(key));
  }
  CHECK(answer.at("results").at(0).at("properties").at("firstname") == "John");
}

TEST_CASE("hubspot: batches must hold 1 to 100 inputs") {
  FakeHubSpot hubspot;
  HubSpotClient client(hubspot);
  json::array inputs;
  for (int i = 0; i < 101; ++i) inputs.push_back(Input("p" + std::to_string(i) + "@example.com"));
  CheckHubSpotError(client.Post(kUpsert, Inputs(inputs)), 400, "VALIDATION_ERROR");
  CheckHubSpotError(client.Post(kUpsert, Inputs({})), 400, "VALIDATION_ERROR");
  CheckHubSpotError(client.Post(kUpsert, json::object{{"records", json::array{}}}), 400,
                    "VALIDATION_ERROR");
  CheckHubSpotError(client.Post(kNotes, Inputs({})), 400, "VALIDATION_ERROR");
  CHECK(hubspot.Contacts().empty());
  inputs.pop_back();
  CHECK(client.Post(kUpsert, Inputs(inputs)).status == 200);
  CHECK(hubspot.Contacts().size() == 100);
}

TEST_CASE("hubspot: an unknown property or a non-string value refuses the whole batch") {
  FakeHubSpot hubspot;
  HubSpotClient client(hubspot);
  const HttpResult unknown =
      client.Post(kUpsert, Inputs({Input("good@example.com", {{"firstname", "G"}}),
                                   Input("x@example.com", {{"shoe_size", "42"}})}));
  CheckHubSpotError(unknown, 400, "VALIDATION_ERROR");
  const json::value error = Json(unknown.body).at("errors").at(0);
  CHECK(error.at("code") == "PROPERTY_DOESNT_EXIST");
  CHECK(error.at("message") == "Property \"shoe_size\" does not exist");
  CHECK(error.at("context").at("propertyName").at(0) == "shoe_size");

  CheckHubSpotError(client.Post(kUpsert, Inputs({Input("good@example.com", {{"zip", 12345}})})),
                    400, "VALIDATION_ERROR");
  CHECK(hubspot.Contacts().empty());  // the good input of either batch was not applied
}

TEST_CASE("hubspot: idProperty must be email or a unique property and ids must not repeat") {
  FakeHubSpot hubspot;
  HubSpotClient client(hubspot);
  json::object by_profile{{"id", "prof-1"},
                          {"idProperty", "journeyd_profile_id"},
                          {"properties", {{"firstname", "P"}}}};
  REQUIRE(client.Post(kUpsert, Inputs({by_profile})).status == 200);
  REQUIRE(client.Post(kUpsert, Inputs({by_profile})).status == 200);
  REQUIRE(hubspot.Contacts().size() == 1);
  CHECK(hubspot.Contacts()[0].properties.at("journeyd_profile_id") == "prof-1");
  CHECK(hubspot.Contacts()[0].upsert_count == 2);

  json::object by_name = by_profile;
  by_name["idProperty"] = "firstname";
  CheckHubSpotError(client.Post(kUpsert, Inputs({by_name})), 400, "VALIDATION_ERROR");
  CheckHubSpotError(client.Post(kUpsert, Inputs({Input("d@example.com"), Input("D@EXAMPLE.com")})),
                    400, "VALIDATION_ERROR");
  CHECK(hubspot.Contacts().size() == 1);
}

TEST_CASE("hubspot: invalid emails and lifecycle stages fail alone in a 207") {
  FakeHubSpot hubspot;
  HubSpotClient client(hubspot);
  const HttpResult result =
      client.Post(kUpsert, Inputs({Input("good@example.com", {{"firstname", "G"}}),
                                   Input("not-an-email", {{"firstname", "B"}}, "trace-bad"),
                                   Input("stage@example.com", {{"lifecyclestage", "champion"}})}));
  REQUIRE(result.status == 207);
  const json::value body = Json(result.body);
  CHECK(body.at("status") == "COMPLETE");
  CHECK(body.at("numErrors") == 2);
  CHECK(body.at("results").as_array().size() == 1);
  const json::value& email = body.at("errors").at(0);
  CHECK(email.at("status") == "error");
  CHECK(email.at("category") == "VALIDATION_ERROR");
  CHECK(email.at("message").as_string().starts_with("Property values were not valid"));
  CHECK(email.at("context").at("objectWriteTraceId").at(0) == "trace-bad");
  CHECK(email.at("errors").at(0).at("code") == "INVALID_EMAIL");
  CHECK(email.at("errors").at(0).at("context").at("propertyName").at(0) == "email");
  CHECK(body.at("errors").at(1).at("errors").at(0).at("code") == "INVALID_OPTION");

  REQUIRE(hubspot.Contacts().size() == 1);
  CHECK(hubspot.ContactByEmail("good@example.com").has_value());
  CHECK(hubspot.Stats().input_errors == 2);
}

TEST_CASE("hubspot: past the rolling budget comes a 429 with Retry-After in the recorded shape") {
  HubSpotOptions options;
  options.window_budget = 2;
  FakeHubSpot hubspot(options);
  HubSpotClient client(hubspot);
  CHECK(client.Post(kUpsert, Inputs({Input("a@example.com")})).status == 200);
  CHECK(client.Post(kUpsert, Inputs({Input("b@example.com")})).status == 200);
  const HttpResult limited = client.Post(kUpsert, Inputs({Input("c@example.com")}));
  CheckHubSpotError(limited, 429, "RATE_LIMITS");
  const int retry_after = std::stoi(limited.header("retry-after"));
  CHECK(retry_after >= 9);
  CHECK(retry_after <= 10);
  CHECK(limited.header("x-hubspot-ratelimit-remaining") == "0");
  CHECK(Json(limited.body).at("message") == "You have reached your ten_secondly_rolling limit.");

  const json::value recorded = Fixture("hubspot/recorded/search.429.json");
  CHECK(Keys(Json(limited.body)) == Keys(recorded.at("body")));
  for (const auto& name : Keys(recorded.at("headers"))) {
    if (Lowercase(name).starts_with("x-hubspot-")) CHECK(!limited.header(Lowercase(name)).empty());
  }
  CHECK_FALSE(hubspot.ContactByEmail("c@example.com").has_value());
}

TEST_CASE("hubspot: the rolling window frees up but the daily budget does not") {
  HubSpotOptions options;
  options.window_budget = 1;
  options.window = 500ms;
  options.daily_budget = 2;
  FakeHubSpot hubspot(options);
  HubSpotClient client(hubspot);
  CHECK(client.Post(kUpsert, Inputs({Input("a@example.com")})).status == 200);
  const HttpResult limited = client.Post(kUpsert, Inputs({Input("b@example.com")}));
  CHECK(limited.status == 429);
  CHECK(limited.header("retry-after") == "1");
  std::this_thread::sleep_for(600ms);
  CHECK(client.Post(kUpsert, Inputs({Input("b@example.com")})).status == 200);
  std::this_thread::sleep_for(600ms);
  const HttpResult daily = client.Post(kUpsert, Inputs({Input("c@example.com")}));
  CheckHubSpotError(daily, 429, "RATE_LIMITS");
  CHECK(Json(daily.body).at("message") == "You have reached your daily limit.");
  CHECK(daily.header("x-hubspot-ratelimit-daily-remaining") == "0");
  CHECK(std::stoi(daily.header("retry-after")) >= 1);
  CHECK(hubspot.Contacts().size() == 2);
}

TEST_CASE("hubspot: notes and tasks need their properties and contact associations") {
  FakeHubSpot hubspot;
  HubSpotClient client(hubspot);
  REQUIRE(client.Post(kUpsert, Inputs({Input("a@example.com")})).status == 200);
  const std::string contact = hubspot.Contacts().at(0).id;

  json::object note{{"properties",
                     {{"hs_timestamp", "2025-01-02T03:04:05.000Z"},
                      {"hs_note_body", "Reached stage customer"},
                      {"journeyd_key", "key-1"}}},
                    {"associations", json::array{Association(contact, 202)}}};
  const HttpResult created = client.Post(kNotes, Inputs({note}));
  REQUIRE(created.status == 201);
  CHECK(Json(created.body).at("results").at(0).at("properties").at("journeyd_key") == "key-1");
  CHECK(client.Post(kNotes, Inputs({note})).status == 201);  // a duplicate delivery
  CHECK(hubspot.KeyCount("key-1") == 2);

  json::object wrong_type = note;
  wrong_type["associations"] = json::array{Association(contact, 204)};
  json::object unknown_contact = note;
  unknown_contact["associations"] = json::array{Association("999999", 202)};
  json::object no_body{{"properties", {{"hs_timestamp", "1735787045000"}}}};
  const HttpResult partial = client.Post(kNotes, Inputs({wrong_type, unknown_contact, no_body}));
  REQUIRE(partial.status == 207);
  const json::value body = Json(partial.body);
  CHECK(body.at("numErrors") == 3);
  CHECK(body.at("results").as_array().empty());
  CHECK(body.at("errors").at(0).at("errors").at(0).at("code") == "INVALID_ASSOCIATION_TYPE");
  CHECK(body.at("errors").at(1).at("errors").at(0).at("code") == "INVALID_OBJECT_ID");
  CHECK(body.at("errors").at(2).at("errors").at(0).at("code") == "REQUIRED_FIELD");
  CHECK(hubspot.Notes().size() == 2);
  CHECK(hubspot.Notes().at(0).contact_ids == std::vector<std::string>{contact});

  json::object task{{"properties",
                     {{"hs_timestamp", "2025-01-02T03:04:05Z"},
                      {"hs_task_subject", "Call back"},
                      {"hs_task_status", "NOT_STARTED"},
                      {"hs_task_priority", "HIGH"},
                      {"journeyd_key", "key-2"}}},
                    {"associations", json::array{Association(contact, 204)}}};
  json::object bad_task = task;
  bad_task["properties"].as_object()["hs_task_priority"] = "URGENT";
  const HttpResult tasks = client.Post(kTasks, Inputs({task, bad_task}));
  REQUIRE(tasks.status == 207);
  CHECK(Json(tasks.body).at("errors").at(0).at("errors").at(0).at("code") == "INVALID_OPTION");
  CHECK(hubspot.Tasks().size() == 1);
  CHECK(hubspot.KeyCount("key-2") == 1);
  CHECK(hubspot.KeyCounts().size() == 2);

  json::object unknown_property = task;
  unknown_property["properties"].as_object()["hs_note_body"] = "not a task property";
  const HttpResult refused = client.Post(kTasks, Inputs({unknown_property}));
  CheckHubSpotError(refused, 400, "VALIDATION_ERROR");
  CHECK(Json(refused.body).at("errors").at(0).at("code") == "PROPERTY_DOESNT_EXIST");
  CHECK(hubspot.Tasks().size() == 1);
}

TEST_CASE("hubspot: CRM search finds notes by key once indexed, within its own limits") {
  HubSpotOptions options;
  options.search_index_delay = std::chrono::milliseconds(300);
  options.search_per_second = 4;
  FakeHubSpot hubspot(options);
  HubSpotClient client(hubspot);
  REQUIRE(client.Post(kUpsert, Inputs({Input("s@example.com")})).status == 200);
  const std::string contact = hubspot.Contacts().at(0).id;
  json::array notes;
  for (const char* key : {"k1", "k2", "k3"}) {
    notes.push_back(json::object{{"properties",
                                  {{"hs_timestamp", "2025-01-02T03:04:05.000Z"},
                                   {"hs_note_body", "a note"},
                                   {"journeyd_key", key}}},
                                 {"associations", json::array{Association(contact, 202)}}});
  }
  REQUIRE(client.Post(kNotes, Inputs(notes)).status == 201);
  const auto search = [&](json::object body) {
    return client.Post("/crm/v3/objects/notes/search", body);
  };
  const json::object by_keys{
      {"filterGroups",
       json::array{json::object{
           {"filters", json::array{json::object{{"propertyName", "journeyd_key"},
                                                {"operator", "IN"},
                                                {"values", json::array{"k1", "k3", "nope"}}}}}}}},
      {"properties", json::array{"journeyd_key"}},
      {"limit", 100}};
  // Just written: not in the index yet.
  HttpResult r = search(by_keys);
  REQUIRE(r.status == 200);
  CHECK(Json(r.body).at("total") == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past the delay and the second
  r = search(by_keys);
  REQUIRE(r.status == 200);
  const json::value found = Json(r.body);
  CHECK(found.at("total") == 2);
  std::set<std::string> keys;
  for (const auto& hit : found.at("results").as_array()) {
    keys.emplace(hit.at("properties").at("journeyd_key").as_string());
    CHECK(hit.at("properties").at("hs_object_id") == hit.at("id"));
    CHECK(hit.at("archived") == false);
  }
  CHECK(keys == std::set<std::string>{"k1", "k3"});
  // EQ, and paging with limit and after.
  json::object eq{{"filterGroups",
                   json::array{json::object{
                       {"filters", json::array{json::object{{"propertyName", "hs_note_body"},
                                                            {"operator", "EQ"},
                                                            {"value", "a note"}}}}}}},
                  {"limit", 2}};
  r = search(eq);
  REQUIRE(r.status == 200);
  CHECK(Json(r.body).at("total") == 3);
  CHECK(Json(r.body).at("results").as_array().size() == 2);
  CHECK(Json(r.body).at("paging").at("next").at("after") == "2");
  // Four a second: the fifth within the second gets the recorded 429.
  CHECK(search(eq).status == 200);
  CHECK(search(eq).status == 200);  // the fourth this second
  r = search(eq);
  CheckHubSpotError(r, 429, "RATE_LIMITS");
  const json::value recorded = Fixture("hubspot/recorded/search.429.json");
  CHECK(Json(r.body).at("message") == recorded.at("body").at("message"));
  CHECK(hubspot.Stats().searches == 5);  // answered 200: one before the index caught up, four
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  // An unknown property, a bad limit and an unsupported operator are 400s.
  json::object unknown = by_keys;
  unknown["filterGroups"].as_array()[0].as_object()["filters"].as_array()[0].as_object()
      ["propertyName"] = "no_such_property";
  CheckHubSpotError(search(unknown), 400, "VALIDATION_ERROR");
  json::object big = by_keys;
  big["limit"] = 201;
  CheckHubSpotError(search(big), 400, "VALIDATION_ERROR");
  json::object gt = eq;
  gt["filterGroups"].as_array()[0].as_object()["filters"].as_array()[0].as_object()["operator"] =
      "GT";
  CheckHubSpotError(search(gt), 400, "VALIDATION_ERROR");
}

TEST_CASE("hubspot: unknown paths get 404 and wrong methods 405 and FailNext answers in shape") {
  FakeHubSpot hubspot;
  HubSpotClient client(hubspot);
  CheckHubSpotError(client.Post("/crm/v3/objects/contacts/batch/merge", Inputs({})), 404,
                    "OBJECT_NOT_FOUND");
  const HttpResult get =
      Send(hubspot.port(), "GET", kUpsert, "", {{"Authorization", "Bearer pat-na1-fake-token"}});
  CHECK(get.status == 405);

  hubspot.server().FailNext(1, 503);
  const HttpResult failed = client.Post(kUpsert, Inputs({Input("a@example.com")}));
  CheckHubSpotError(failed, 503, "INTERNAL_ERROR");
  CHECK_FALSE(failed.header("x-hubspot-ratelimit-remaining").empty());
  CHECK(hubspot.Contacts().empty());
  CHECK(client.Post(kUpsert, Inputs({Input("a@example.com")})).status == 200);
  CHECK(hubspot.Contacts().size() == 1);
}

TEST_CASE("hubspot: concurrent clients are served while settings and accessors are used") {
  HubSpotOptions options;
  options.window_budget = 1000;
  FakeHubSpot hubspot(options);
  constexpr int kClients = 4;
  constexpr int kEach = 25;
  std::atomic<int> answered{0};
  std::atomic<int> finished{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      // No Catch assertions here: Catch is not thread-safe.
      auto connection = HttpConnection::Connect(kHost, hubspot.port());
      for (int i = 0; connection.ok() && i < kEach; ++i) {
        const std::string email = "c" + std::to_string(t) + "-" + std::to_string(i) + "@x.io";
        auto result = (*connection)
                          ->Request("POST", kUpsert, json::serialize(Inputs({Input(email)})),
                                    {{"Authorization", "Bearer pat-na1-fake-token"}});
        if (result.ok() && result->status == 200) ++answered;
      }
      ++finished;
    });
  }
  while (finished < kClients) {
    hubspot.server().SetDelay(std::chrono::milliseconds(answered % 2));
    (void)hubspot.Contacts();
    (void)hubspot.server().Log();
    std::this_thread::sleep_for(1ms);
  }
  for (auto& client : clients) client.join();
  CHECK(answered == kClients * kEach);
  CHECK(hubspot.Contacts().size() == static_cast<size_t>(kClients * kEach));
  CHECK(hubspot.server().RequestCount() == static_cast<size_t>(kClients * kEach));
}

// --- FakeSalesforce ---------------------------------------------------------------------------

constexpr char kStaticToken[] = "00Dstatic!session";
constexpr char kApi[] = "/services/data/v59.0";
constexpr char kJwtGrant[] = "urn:ietf:params:oauth:grant-type:jwt-bearer";

SalesforceOptions StaticTokenOptions() {
  SalesforceOptions options;
  options.static_token = kStaticToken;
  return options;
}

HttpResult SfRequest(const FakeSalesforce& sf, const std::string& method, const std::string& path,
                     const json::value& body, const std::string& token = kStaticToken) {
  return Send(sf.port(), method, path, json::serialize(body),
              {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
}

HttpResult Upsert(const FakeSalesforce& sf, const std::string& sobject, json::array records,
                  bool all_or_none = false, const std::string& field = "Journeyd_Id__c") {
  return SfRequest(sf, "PATCH", std::string(kApi) + "/composite/sobjects/" + sobject + "/" + field,
                   json::object{{"allOrNone", all_or_none}, {"records", std::move(records)}});
}

json::object Record(const std::string& type, json::object fields) {
  fields["attributes"] = json::object{{"type", type}};
  return fields;
}

HttpResult Token(const FakeSalesforce& sf, const std::string& form) {
  return Send(sf.port(), "POST", "/services/oauth2/token", form,
              {{"Content-Type", "application/x-www-form-urlencoded"}});
}

void CheckSfError(const HttpResult& result, int status, const std::string& code) {
  CHECK(result.status == status);
  const json::value body = Json(result.body);
  REQUIRE(body.is_array());
  CHECK(Keys(body.at(0)) == std::set<std::string>{"errorCode", "message"});
  CHECK(body.at(0).at("errorCode") == code.c_str());
}

std::string Base64Url(std::string_view bytes) {
  std::string text = journeyd::testing::Base64(bytes);
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

// An RSA key pair made for the test, standing in for the connected app's certificate.
class RsaKey {
 public:
  RsaKey() : key_(EVP_RSA_gen(2048)) { REQUIRE(key_ != nullptr); }
  ~RsaKey() { EVP_PKEY_free(key_); }

  std::string PublicPem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key_);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<size_t>(size));
    BIO_free(bio);
    return pem;
  }

  std::string SignRs256(std::string_view data) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t size = 0;
    REQUIRE(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_) == 1);
    REQUIRE(EVP_DigestSign(ctx, nullptr, &size, reinterpret_cast<const unsigned char*>(data.data()),
                           data.size()) == 1);
    std::string signature(size, '\0');
    REQUIRE(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size,
                           reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1);
    EVP_MD_CTX_free(ctx);
    signature.resize(size);
    return signature;
  }

 private:
  EVP_PKEY* key_;
};

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Jwt(const RsaKey& key, const json::object& claims, const std::string& alg = "RS256") {
  const std::string signed_part = Base64Url(json::serialize(json::object{{"alg", alg}})) + "." +
                                  Base64Url(json::serialize(claims));
  return signed_part + "." + Base64Url(key.SignRs256(signed_part));
}

json::object Claims(const SalesforceOptions& options, int64_t expires_in = 120) {
  return {{"iss", options.client_id},
          {"sub", options.username},
          {"aud", options.audience},
          {"exp", NowSeconds() + expires_in}};
}

TEST_CASE("salesforce: client credentials issue a working token and bad ones are refused") {
  FakeSalesforce sf;
  SalesforceOptions defaults;
  const HttpResult issued =
      Token(sf, "grant_type=client_credentials&client_id=" + defaults.client_id +
                    "&client_secret=" + defaults.client_secret);
  REQUIRE(issued.status == 200);
  const json::value token = Json(issued.body);
  CHECK(Keys(token) == std::set<std::string>{"access_token", "instance_url", "id", "token_type",
                                             "issued_at", "signature"});
  CHECK(token.at("instance_url") == sf.base_url().c_str());
  CHECK(token.at("token_type") == "Bearer");
  const std::string access(token.at("access_token").as_string());
  CHECK(Upsert(sf, "Contact", {}, false).status == 401);  // no static token configured
  CHECK(SfRequest(sf, "PATCH", std::string(kApi) + "/composite/sobjects/Contact/Journeyd_Id__c",
                  json::object{{"records", json::array{}}}, access)
            .status == 200);

  const HttpResult wrong = Token(
      sf, "grant_type=client_credentials&client_id=" + defaults.client_id + "&client_secret=nope");
  CHECK(wrong.status == 400);
  CHECK(Json(wrong.body) == Json(R"({"error":"invalid_client",
                                    "error_description":"invalid client credentials"})"));
  CHECK(Json(Token(sf, "grant_type=password").body).at("error") == "unsupported_grant_type");
  CHECK(sf.TokensIssued() == std::map<std::string, int>{{"client_credentials", 1}});
}

TEST_CASE("salesforce: a JWT bearer assertion is verified against the app's key and claims") {
  RsaKey app_key;
  RsaKey other_key;
  SalesforceOptions options;
  options.jwt_public_key_pem = app_key.PublicPem();
  FakeSalesforce sf(options);
  auto exchange = [&](const std::string& jwt) {
    return Token(sf,
                 "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
                 "&assertion=" +
                     jwt);
  };

  const HttpResult good = exchange(Jwt(app_key, Claims(options)));
  REQUIRE(good.status == 200);
  const std::string access(Json(good.body).at("access_token").as_string());
  CHECK(SfRequest(sf, "POST", std::string(kApi) + "/composite/sobjects",
                  json::object{{"records", json::array{}}}, access)
            .status == 200);
  CHECK(sf.TokensIssued() == std::map<std::string, int>{{kJwtGrant, 1}});

  auto refusal = [&](const std::string& jwt) {
    const HttpResult result = exchange(jwt);
    CHECK(result.status == 400);
    return std::string(Json(result.body).at("error").as_string());
  };
  CHECK(refusal(Jwt(other_key, Claims(options))) == "invalid_grant");
  CHECK(refusal(Jwt(app_key, Claims(options, -10))) == "invalid_grant");  // expired
  CHECK(refusal(Jwt(app_key, Claims(options, 600))) == "invalid_grant");  // too far ahead
  CHECK(refusal(Jwt(app_key, Claims(options), "HS256")) == "invalid_grant");
  json::object wrong_audience = Claims(options);
  wrong_audience["aud"] = "https://test.salesforce.com";
  CHECK(refusal(Jwt(app_key, wrong_audience)) == "invalid_grant");
  json::object wrong_user = Claims(options);
  wrong_user["sub"] = "someone@else.example";
  CHECK(refusal(Jwt(app_key, wrong_user)) == "invalid_grant");
  json::object wrong_issuer = Claims(options);
  wrong_issuer["iss"] = "another-app";
  CHECK(refusal(Jwt(app_key, wrong_issuer)) == "invalid_client");
  CHECK(refusal("not.a.jwt") == "invalid_grant");
  CHECK(sf.TokensIssued().at(kJwtGrant) == 1);
}

TEST_CASE("salesforce: sessions are required and expire and can be revoked") {
  SalesforceOptions options = StaticTokenOptions();
  options.token_lifetime = 1s;
  FakeSalesforce sf(options);
  const std::string path = std::string(kApi) + "/composite/sobjects";
  const json::object empty{{"records", json::array{}}};
  CheckSfError(Send(sf.port(), "POST", path, json::serialize(empty), {}), 401,
               "INVALID_SESSION_ID");
  CHECK(Json(SfRequest(sf, "POST", path, empty, "bogus").body) ==
        Json(R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])"));

  const HttpResult issued =
      Token(sf, "grant_type=client_credentials&client_id=" + options.client_id +
                    "&client_secret=" + options.client_secret);
  const std::string access(Json(issued.body).at("access_token").as_string());
  CHECK(SfRequest(sf, "POST", path, empty, access).status == 200);
  std::this_thread::sleep_for(1100ms);
  CheckSfError(SfRequest(sf, "POST", path, empty, access), 401, "INVALID_SESSION_ID");

  CHECK(SfRequest(sf, "POST", path, empty).status == 200);  // the static token
  sf.ExpireAllTokens();
  CheckSfError(SfRequest(sf, "POST", path, empty), 401, "INVALID_SESSION_ID");
}

TEST_CASE("salesforce: Sforce-Limit-Info counts calls and 403 follows the daily limit") {
  SalesforceOptions options = StaticTokenOptions();
  options.daily_api_limit = 2;
  FakeSalesforce sf(options);
  const json::array one{Record("Contact", {{"LastName", "A"}, {"Journeyd_Id__c", "p1"}})};
  CHECK(Upsert(sf, "Contact", one).header("sforce-limit-info") == "api-usage=1/2");
  CHECK(Upsert(sf, "Contact", one).header("sforce-limit-info") == "api-usage=2/2");
  const HttpResult over = Upsert(sf, "Contact", one);
  CheckSfError(over, 403, "REQUEST_LIMIT_EXCEEDED");
  CHECK(Json(over.body).at(0).at("message") == "TotalRequests Limit exceeded.");
  CHECK(over.header("sforce-limit-info") == "api-usage=2/2");
  CHECK(sf.UpsertCount("Contact", "Journeyd_Id__c", "p1") == 2);
  CHECK(sf.ApiUsage() == 2);
}

TEST_CASE("salesforce: the recorded partial failure replays with the recorded outcome") {
  SalesforceOptions options = StaticTokenOptions();
  // The recording's org has these Contact fields; email_field__c is an email field.
  options.sobjects["Contact"].fields.push_back("email_field__c");
  options.sobjects["Contact"].fields.push_back("AccountId");
  options.sobjects["Contact"].email_fields.push_back("email_field__c");
  FakeSalesforce sf(options);

  const json::value recorded =
      Fixture("salesforce/recorded/composite_sobjects_update_partial_failure.200.json");
  json::value body = recorded.at("request").at("body");
  // The recording updates by Id, which this fake does not model: replay it as a create, and as
  // an upsert by external id, where Id is not allowed either.
  for (auto& record : body.at("records").as_array()) record.as_object().erase("id");

  const HttpResult created = SfRequest(sf, "POST", std::string(kApi) + "/composite/sobjects", body);
  REQUIRE(created.status == 200);
  const json::value answer = Json(created.body);
  const json::value& expected = recorded.at("body");
  REQUIRE(answer.as_array().size() == expected.as_array().size());
  CHECK(Keys(answer.at(0)) == Keys(expected.at(0)));
  CHECK(answer.at(0).at("success") == true);
  CHECK(answer.at(0).at("id").as_string().starts_with("003"));
  CHECK(answer.at(0).at("id").as_string().size() == 18);
  CHECK(answer.at(1) == expected.at(1));  // same error, message and fields, no id

  int n = 0;
  for (auto& record : body.at("records").as_array()) {
    record.as_object()["Journeyd_Id__c"] = "replay-" + std::to_string(n++);
  }
  const HttpResult upserted = SfRequest(
      sf, "PATCH", std::string(kApi) + "/composite/sobjects/Contact/Journeyd_Id__c", body);
  REQUIRE(upserted.status == 200);
  const json::value upsert_answer = Json(upserted.body);
  CHECK(upsert_answer.at(0).at("created") == true);
  CHECK(upsert_answer.at(1) == expected.at(1));
  CHECK(sf.Records("Contact").size() == 2);
  CHECK(sf.Stats().record_errors == 2);

  const json::value create = Fixture("salesforce/recorded/composite_sobjects_create.200.json");
  const HttpResult again = SfRequest(sf, "POST", std::string(kApi) + "/composite/sobjects",
                                     create.at("request").at("body"));
  REQUIRE(again.status == 200);
  CHECK(Keys(Json(again.body).at(0)) == Keys(create.at("body").at(0)));
  CHECK(Json(again.body).at(0).at("success") == true);
}

TEST_CASE("salesforce: upsert by external id creates and updates and checks each record") {
  FakeSalesforce sf(StaticTokenOptions());
  const HttpResult first = Upsert(
      sf, "Contact",
      {Record("Contact",
              {{"LastName", "Lee"}, {"Email", "lee@example.com"}, {"Journeyd_Id__c", "p1"}}),
       Record("Contact", {{"FirstName", "NoLast"}, {"Journeyd_Id__c", "p2"}}),
       Record("Contact", {{"LastName", "Bad"}, {"Email", "nope"}, {"Journeyd_Id__c", "p3"}})});
  REQUIRE(first.status == 200);
  const json::value results = Json(first.body);
  CHECK(results.at(0).at("created") == true);
  CHECK(results.at(0).at("errors").as_array().empty());
  CHECK(results.at(1) == Json(R"({"success":false,"errors":[{"statusCode":"REQUIRED_FIELD_MISSING",
      "message":"Required fields are missing: [LastName]","fields":["LastName"]}]})"));
  CHECK(results.at(2).at("errors").at(0).at("statusCode") == "INVALID_EMAIL_ADDRESS");
  CHECK(results.at(2).at("errors").at(0).at("message") == "Email: invalid email address: nope");

  const HttpResult second =
      Upsert(sf, "Contact", {Record("Contact", {{"Title", "CTO"}, {"journeyd_id__c", "p1"}})});
  REQUIRE(second.status == 200);
  CHECK(Json(second.body).at(0).at("created") == false);
  CHECK(Json(second.body).at(0).at("id") == results.at(0).at("id"));
  const auto record = sf.FindByExternalId("Contact", "Journeyd_Id__c", "p1");
  REQUIRE(record.has_value());
  CHECK(record->fields.at("Title") == "CTO");
  CHECK(record->fields.at("LastName") == "Lee");
  CHECK(record->upsert_count == 2);
  CHECK(sf.Records("Contact").size() == 1);

  const HttpResult lead =
      Upsert(sf, "Lead", {Record("Lead", {{"LastName", "Lo"}, {"Journeyd_Id__c", "l1"}})});
  CHECK(Json(lead.body).at(0).at("errors").at(0).at("message") ==
        "Required fields are missing: [Company]");
  CHECK(sf.Records("Lead").empty());
}

TEST_CASE("salesforce: malformed collections are refused whole with nothing applied") {
  FakeSalesforce sf(StaticTokenOptions());
  const json::object good = Record("Contact", {{"LastName", "A"}, {"Journeyd_Id__c", "p1"}});
  json::array too_many;
  for (int i = 0; i < 201; ++i) {
    too_many.push_back(
        Record("Contact", {{"LastName", "A"}, {"Journeyd_Id__c", "p" + std::to_string(i)}}));
  }
  CheckSfError(Upsert(sf, "Contact", too_many), 400, "EXCEEDED_ID_LIMIT");
  CheckSfError(Upsert(sf, "Contact", {good, Record("Lead", {{"LastName", "B"}})}), 400,
               "INVALID_FIELD");
  json::object with_id = good;
  with_id["Id"] = "0035J000000000AAAA";
  CheckSfError(Upsert(sf, "Contact", {with_id}), 400, "INVALID_FIELD");
  json::object unknown = good;
  unknown["Shoe_Size__c"] = "42";
  const HttpResult no_column = Upsert(sf, "Contact", {good, unknown});
  CheckSfError(no_column, 400, "INVALID_FIELD");
  CHECK(Json(no_column.body).at(0).at("message") ==
        "No such column 'Shoe_Size__c' on sobject of type Contact");
  CheckSfError(Upsert(sf, "Contact", {good}, false, "LastName"), 404, "NOT_FOUND");
  CheckSfError(SfRequest(sf, "PATCH",
                         "/services/data/v45.0/composite/sobjects/Contact/"
                         "Journeyd_Id__c",
                         json::object{{"records", json::array{good}}}),
               404, "NOT_FOUND");
  CHECK(sf.Records("Contact").empty());
  too_many.pop_back();
  CHECK(Upsert(sf, "Contact", too_many).status == 200);
  CHECK(sf.Records("Contact").size() == 200);
}

TEST_CASE("salesforce: allOrNone rolls back every record when one fails") {
  FakeSalesforce sf(StaticTokenOptions());
  const HttpResult result =
      Upsert(sf, "Contact",
             {Record("Contact", {{"LastName", "A"}, {"Journeyd_Id__c", "p1"}}),
              Record("Contact", {{"Email", "a@example.com"}, {"Journeyd_Id__c", "p2"}})},
             true);
  REQUIRE(result.status == 200);
  const json::value results = Json(result.body);
  CHECK(results.at(0).at("success") == false);
  CHECK(results.at(0).at("errors").at(0).at("statusCode") == "ALL_OR_NONE_OPERATION_ROLLED_BACK");
  CHECK(results.at(1).at("errors").at(0).at("statusCode") == "REQUIRED_FIELD_MISSING");
  CHECK(sf.Records("Contact").empty());
  CHECK(sf.UpsertCount("Contact", "Journeyd_Id__c", "p1") == 0);
}

TEST_CASE("salesforce: a task's WhoId must name a known contact or lead") {
  FakeSalesforce sf(StaticTokenOptions());
  REQUIRE(Upsert(sf, "Contact", {Record("Contact", {{"LastName", "A"}, {"Journeyd_Id__c", "p1"}})})
              .status == 200);
  const std::string contact = sf.Records("Contact").at(0).id;
  const HttpResult result = Upsert(
      sf, "Task",
      {Record("Task", {{"Subject", "Call"}, {"WhoId", contact}, {"Journeyd_Key__c", "k1"}}),
       Record("Task",
              {{"Subject", "Call"}, {"WhoId", "0035J000009zzzzAAA"}, {"Journeyd_Key__c", "k2"}})},
      false, "Journeyd_Key__c");
  REQUIRE(result.status == 200);
  const json::value results = Json(result.body);
  CHECK(results.at(0).at("success") == true);
  CHECK(results.at(0).at("id").as_string().starts_with("00T"));
  CHECK(results.at(1).at("errors").at(0) ==
        Json(R"({"statusCode":"INVALID_CROSS_REFERENCE_KEY","message":"invalid cross reference id",
                 "fields":["WhoId"]})"));
  CHECK(sf.UpsertCount("Task", "Journeyd_Key__c", "k1") == 1);
  CHECK(sf.Records("Task").size() == 1);
}

TEST_CASE("salesforce: FailNext answers Salesforce's error shape and applies nothing") {
  FakeSalesforce sf(StaticTokenOptions());
  sf.server().FailNext(1, 503);
  const json::array one{Record("Contact", {{"LastName", "A"}, {"Journeyd_Id__c", "p1"}})};
  const HttpResult failed = Upsert(sf, "Contact", one);
  CheckSfError(failed, 503, "SERVER_UNAVAILABLE");
  CHECK_FALSE(failed.header("sforce-limit-info").empty());
  CHECK(sf.Records("Contact").empty());
  CHECK(Upsert(sf, "Contact", one).status == 200);
  CHECK(sf.UpsertCount("Contact", "Journeyd_Id__c", "p1") == 1);
}

}  // namespace
}  // namespace journeyd::fakes
