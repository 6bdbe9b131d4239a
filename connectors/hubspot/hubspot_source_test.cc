#include "connectors/hubspot/hubspot_source.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "connectors/common/timestamp.h"
#include "connectors/common/webhook_test_util.h"
#include "engine/mapping/mapping.h"

namespace journeyd::connectors::hubspot {
namespace {

using std::chrono::milliseconds;
using testing::FakeRequest;

constexpr std::string_view kSecret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
constexpr std::string_view kPublicUrl = "https://crm-sync.example.com";
constexpr int64_t kNowMs = 1700000000000;

std::chrono::system_clock::time_point AtMs(int64_t ms) {
  return std::chrono::system_clock::time_point(milliseconds(ms));
}

HubSpotSource MakeSource(const Clock& clock, std::string_view public_url = kPublicUrl,
                         std::string_view secret = kSecret) {
  HubSpotSettings settings;
  settings.client_secret = Secret(std::string(secret));
  settings.public_url = std::string(public_url);
  return HubSpotSource(std::move(settings), testing::MakeContext(clock, "hubspot"));
}

std::string V3(std::string_view method, std::string_view uri, std::string_view body,
               std::string_view timestamp, std::string_view secret = kSecret) {
  return common::Base64Encode(common::HmacSha256(secret, {method, uri, body, timestamp}));
}

// A request to `path`?`query` signed over `signed_uri` (by default the decoded public URI).
FakeRequest SignedRequest(std::string body, int64_t timestamp_ms = kNowMs,
                          std::string path = "/webhooks/hubspot", std::string query = "",
                          std::string signed_uri = "") {
  FakeRequest request;
  request.path = std::move(path);
  request.query = std::move(query);
  if (signed_uri.empty()) {
    signed_uri =
        std::string(kPublicUrl) + request.path + (request.query.empty() ? "" : "?" + request.query);
  }
  const std::string ts = std::to_string(timestamp_ms);
  request.headers.Add("X-HubSpot-Signature-v3", V3("POST", signed_uri, body, ts));
  request.headers.Add("X-HubSpot-Request-Timestamp", ts);
  request.body = std::move(body);
  return request;
}

TEST_CASE("hubspot: the official v3 vector verifies, v1 and v2 alone are refused",
          "[connectors][hubspot]") {
  const auto vectors =
      testing::ReadJson(testing::WebhookFixtures("hubspot") / "signature_test_vectors.json");
  int v3 = 0, legacy = 0;
  for (const auto& item : vectors.at("vectors").as_array()) {
    const auto& vector = item.as_object();
    const std::string version = testing::Text(vector.at("version"));
    INFO(version + " " + testing::Text(vector.at("provenance")));
    const std::string secret = testing::Text(vector.at("client_secret"));
    FakeRequest request;
    request.body = testing::Text(vector.at("body"));
    if (version == "v3") {
      ++v3;
      // Split the signed URI into what journeyd is configured with and what the request says.
      const std::string uri = testing::Text(vector.at("uri"));
      const size_t path_at = uri.find('/', uri.find("//") + 2);
      request.method = testing::Text(vector.at("http_method"));
      request.path = uri.substr(path_at);
      const std::string ts = testing::Text(vector.at("timestamp"));
      request.headers.Add("X-HubSpot-Signature-v3", testing::Text(vector.at("expected_signature")));
      request.headers.Add("X-HubSpot-Request-Timestamp", ts);

      // The vector's timestamp is from 1970: verify with a clock just after it.
      ManualClock clock(AtMs(*common::ParseDecimal(ts)) + milliseconds(1000));
      const HubSpotSource source = MakeSource(clock, uri.substr(0, path_at), secret);
      auto result = source.Accept(request.View());
      // Past authentication: the SDK's body is Python repr, not JSON, so it is a bad body.
      REQUIRE_FALSE(result.ok());
      CHECK(result.error().code == ErrorCode::kInvalidArgument);
      CHECK(result.error().message.rfind("malformed JSON", 0) == 0);

      FakeRequest tampered = request;
      tampered.body[1] = '"';
      auto refused = source.Accept(tampered.View());
      REQUIRE_FALSE(refused.ok());
      CHECK(refused.error().code == ErrorCode::kUnauthenticated);

      // As the vector's note says, a real verifier must find it stale today.
      ManualClock today(AtMs(kNowMs));
      auto stale = MakeSource(today, uri.substr(0, path_at), secret).Accept(request.View());
      REQUIRE_FALSE(stale.ok());
      CHECK(stale.error().code == ErrorCode::kUnauthenticated);
      CHECK(stale.error().message.rfind("timestamp outside tolerance", 0) == 0);
    } else {
      ++legacy;
      request.method =
          vector.contains("http_method") ? testing::Text(vector.at("http_method")) : "POST";
      request.headers.Add("X-HubSpot-Signature", testing::Text(vector.at("expected_signature")));
      request.headers.Add("X-HubSpot-Signature-Version", version);
      ManualClock clock(AtMs(kNowMs));
      auto result = MakeSource(clock, "https://www.example.com", secret).Accept(request.View());
      REQUIRE_FALSE(result.ok());
      CHECK(result.error().code == ErrorCode::kUnauthenticated);
      CHECK(result.error().message == "missing X-HubSpot-Signature-v3 header");
    }
  }
  CHECK(v3 == 1);
  CHECK(legacy == 4);
}

TEST_CASE("hubspot: a batch splits into one event per element", "[connectors][hubspot]") {
  ManualClock clock(AtMs(kNowMs));
  const HubSpotSource source = MakeSource(clock);

  SECTION("the docs' contact.creation body") {
    const std::string body = journeyd::testing::ReadFile(testing::WebhookFixtures("hubspot") /
                                                         "contact_creation.docs_example.json");
    auto result = source.Accept(SignedRequest(body).View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    const RawEvent& event = (*result)[0];
    CHECK(event.event_type == "contact.creation");
    CHECK(event.external_id == "1");
    CHECK(event.source == "hubspot");
    CHECK(event.content_type == "application/json");
    CHECK(boost::json::parse(event.body) == boost::json::parse(body).as_array()[0]);
    CHECK(event.headers.empty());
  }
  SECTION("three events of different kinds") {
    boost::json::array batch;
    const auto example = boost::json::parse(journeyd::testing::ReadFile(
        testing::WebhookFixtures("hubspot") / "contact_creation.docs_example.json"));
    const std::vector<std::pair<int64_t, std::string>> kinds = {
        {1001, "contact.creation"}, {1002, "contact.propertyChange"}, {1003, "deal.creation"}};
    for (const auto& [id, type] : kinds) {
      boost::json::object event = example.as_array()[0].as_object();
      event["eventId"] = id;
      event["subscriptionType"] = type;
      batch.push_back(event);
    }
    const std::string body = boost::json::serialize(batch);
    auto result = source.Accept(SignedRequest(body).View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == 3);
    for (size_t i = 0; i < kinds.size(); ++i) {
      CHECK((*result)[i].external_id == std::to_string(kinds[i].first));
      CHECK((*result)[i].event_type == kinds[i].second);
      CHECK(boost::json::parse((*result)[i].body) == batch[i]);
      CHECK((*result)[i].received_at == AtMs(testing::kTestEpoch.count() * 1000));
    }
  }
  SECTION("an empty batch is accepted and yields nothing") {
    auto result = source.Accept(SignedRequest("[]").View());
    REQUIRE(result.ok());
    CHECK(result->empty());
  }
}

// What `journeyd check` says of a mapping block `on: <selector>` for this source: "" when the
// selector names a subscription type the source declares, else the error and its hint.
std::string SelectorProblem(const WebhookSource& source, std::string_view selector) {
  config::Diagnostics diag;
  auto root = config::ConfigNode::LoadString(
      "mapping: hubspot\nevents:\n  - on: '" + std::string(selector) + "'\n", "m.yaml", diag);
  REQUIRE(root);
  mapping::MappingLoadOptions options;
  options.known_event_types = source.EventTypes();
  mapping::Mapping::Load(*root, options, diag);
  const auto first = testing::FirstError(diag);
  return first ? first->ToString() : "";
}

TEST_CASE("hubspot: a saved body says its type exactly as a delivery does",
          "[connectors][hubspot]") {
  ManualClock clock(AtMs(kNowMs));
  const HubSpotSource source = MakeSource(clock);
  const std::string body = journeyd::testing::ReadFile(testing::WebhookFixtures("hubspot") /
                                                       "contact_creation.docs_example.json");
  auto result = source.Accept(SignedRequest(body).View());
  REQUIRE(result.ok());
  REQUIRE(result->size() == 1);
  // The request body as saved (an array), and the one event Accept stored from it.
  CHECK(source.EventTypeOf(boost::json::parse(body)) == (*result)[0].event_type);
  CHECK(source.EventTypeOf(boost::json::parse((*result)[0].body)) == (*result)[0].event_type);
  CHECK((*result)[0].event_type == "contact.creation");

  SECTION("a mixed batch: the first element's type") {
    boost::json::array batch;
    for (const char* type : {"contact.propertyChange", "deal.creation"}) {
      boost::json::object event = boost::json::parse(body).as_array()[0].as_object();
      event["subscriptionType"] = type;
      batch.push_back(event);
    }
    auto mixed = source.Accept(SignedRequest(boost::json::serialize(batch)).View());
    REQUIRE(mixed.ok());
    REQUIRE(mixed->size() == 2);
    CHECK(source.EventTypeOf(batch) == (*mixed)[0].event_type);
    CHECK(source.EventTypeOf(batch) == "contact.propertyChange");
  }
  SECTION("nothing to go on") {
    CHECK_FALSE(source.EventTypeOf(boost::json::array()));
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"([{"eventId":1}])")));
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"(["contact.creation"])")));
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"objectId":123})")));
  }
}

TEST_CASE("hubspot: mappings may name HubSpot's subscription types and nothing else",
          "[connectors][hubspot]") {
  ManualClock clock(AtMs(kNowMs));
  const HubSpotSource source = MakeSource(clock);
  const std::vector<std::string> types = source.EventTypes();
  for (const char* object : {"contact", "company", "deal", "ticket"}) {
    for (const char* change : {"creation", "deletion", "propertyChange", "merge",
                               "associationChange", "restore"}) {
      const std::string type = std::string(object) + "." + change;
      INFO(type);
      CHECK(std::find(types.begin(), types.end(), type) != types.end());
      CHECK(SelectorProblem(source, type).empty());
    }
  }
  for (const char* selector : {"contact.privacyDeletion", "contact.*", "company.*", "deal.*",
                               "ticket.*", "line_item.creation", "conversation.newMessage",
                               "object.propertyChange"}) {
    INFO(selector);
    CHECK(SelectorProblem(source, selector).empty());
  }
  CHECK_THAT(SelectorProblem(source, "contact.created"),
             Catch::Contains("'contact.created' matches no event type") &&
                 Catch::Contains("did you mean 'contact.creation'?"));
  CHECK_THAT(SelectorProblem(source, "contacts.creation"),
             Catch::Contains("matches no event type"));
  CHECK_THAT(SelectorProblem(source, "contact.property_change"),
             Catch::Contains("matches no event type"));

  // The shipped mapping names only types HubSpot sends.
  mapping::MappingLoadOptions options;
  options.known_event_types = types;
  options.source_type = "hubspot";
  config::Diagnostics diag;
  CHECK(mapping::Mapping::LoadFile(journeyd::testing::SourceDir() / "mappings" / "hubspot.yaml",
                                   options, diag) != nullptr);
  for (const auto& entry : diag.entries()) UNSCOPED_INFO(entry.ToString());
  CHECK_FALSE(diag.has_errors());
}

TEST_CASE("hubspot: the signed URI is the public URL, path and decoded query",
          "[connectors][hubspot]") {
  ManualClock clock(AtMs(kNowMs));
  const std::string body = R"([{"eventId":7,"subscriptionType":"contact.deletion"}])";
  const std::string decoded =
      std::string(kPublicUrl) + "/webhooks/hubspot?portal=62515&next=/a b&tag=x+y";

  const FakeRequest request = SignedRequest(body, kNowMs, "/webhooks/hubspot",
                                            "portal=62515&next=%2Fa%20b&tag=x+y", decoded);
  CHECK(MakeSource(clock).Accept(request.View()).ok());
  // A configured trailing slash is not doubled.
  CHECK(MakeSource(clock, "https://crm-sync.example.com/").Accept(request.View()).ok());
  // Signing the still-encoded URI is not what HubSpot does.
  auto encoded = MakeSource(clock).Accept(
      SignedRequest(body, kNowMs, "/webhooks/hubspot", "next=%2Fa",
                    std::string(kPublicUrl) + "/webhooks/hubspot?next=%2Fa")
          .View());
  REQUIRE_FALSE(encoded.ok());
  CHECK(encoded.error().message == "signature mismatch");
  // Another host (say, the proxy's internal one) does not verify.
  auto other_host = MakeSource(clock, "http://127.0.0.1:8080").Accept(request.View());
  REQUIRE_FALSE(other_host.ok());
  CHECK(other_host.error().code == ErrorCode::kUnauthenticated);
  // A broken escape cannot be decoded, so cannot be verified.
  auto broken = MakeSource(clock).Accept(
      SignedRequest(body, kNowMs, "/webhooks/hubspot", "a=%zz", decoded).View());
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().code == ErrorCode::kUnauthenticated);
}

TEST_CASE("hubspot: stale, tampered and incomplete requests are refused", "[connectors][hubspot]") {
  const std::string body = R"([{"eventId":1,"subscriptionType":"contact.creation"}])";

  SECTION("five minutes and one millisecond old, or six minutes ahead") {
    ManualClock clock(AtMs(kNowMs) + milliseconds(300000));
    CHECK(MakeSource(clock).Accept(SignedRequest(body).View()).ok());
    clock.Advance(milliseconds(1));
    auto old = MakeSource(clock).Accept(SignedRequest(body).View());
    REQUIRE_FALSE(old.ok());
    CHECK(old.error().code == ErrorCode::kUnauthenticated);
    auto ahead = MakeSource(clock).Accept(SignedRequest(body, kNowMs + 300001 + 360000).View());
    REQUIRE_FALSE(ahead.ok());
    CHECK(ahead.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("one changed byte, another method") {
    ManualClock clock(AtMs(kNowMs));
    FakeRequest request = SignedRequest(body);
    request.body[3] ^= 1;
    CHECK(MakeSource(clock).Accept(request.View()).error().code == ErrorCode::kUnauthenticated);
    FakeRequest put = SignedRequest(body);
    put.method = "PUT";
    CHECK(MakeSource(clock).Accept(put.View()).error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("missing or malformed timestamp") {
    ManualClock clock(AtMs(kNowMs));
    FakeRequest request;
    request.headers.Add("X-HubSpot-Signature-v3", V3("POST", "x", body, "1"));
    request.body = body;
    auto missing = MakeSource(clock).Accept(request.View());
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message == "missing X-HubSpot-Request-Timestamp header");
    request.headers.Add("X-HubSpot-Request-Timestamp", "2023-11-14T22:13:20Z");
    auto malformed = MakeSource(clock).Accept(request.View());
    REQUIRE_FALSE(malformed.ok());
    CHECK(malformed.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("signed, but an object rather than a batch") {
    ManualClock clock(AtMs(kNowMs));
    auto result = MakeSource(clock).Accept(SignedRequest(R"({"eventId":1})").View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kInvalidArgument);
    auto scalars = MakeSource(clock).Accept(SignedRequest("[1]").View());
    REQUIRE_FALSE(scalars.ok());
    CHECK(scalars.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("hubspot: the factory parses YAML and points at bad settings", "[connectors][hubspot]") {
  ManualClock clock(AtMs(kNowMs));
  const auto context = testing::MakeContext(clock, "hubspot");
  const auto factory = MakeHubSpotFactory();
  CHECK(factory->type() == "hubspot");

  auto good = testing::CreateFromYaml(*factory,
                                      "name: hubspot\n"
                                      "type: hubspot\n"
                                      "client_secret: " +
                                          std::string(kSecret) +
                                          "\n"
                                          "public_url: https://crm-sync.example.com\n",
                                      context);
  REQUIRE(good.source != nullptr);
  CHECK(good.source->Accept(SignedRequest("[]").View()).ok());

  auto bad = testing::CreateFromYaml(*factory,
                                     "name: hubspot\n"
                                     "type: hubspot\n"
                                     "client_secret: abc\n"
                                     "public_url: https://crm-sync.example.com/hooks?x=1\n"
                                     "clientsecret: abc\n",
                                     context);
  CHECK(bad.source == nullptr);
  CHECK(bad.diag.error_count() == 2);
  auto first = testing::FirstError(bad.diag);
  REQUIRE(first);
  CHECK(first->kind == config::DiagnosticKind::kInvalidValue);
  CHECK(first->position.line == 4);
  CHECK(first->position.column == 13);
  const auto& last = bad.diag.entries().back();
  CHECK(last.kind == config::DiagnosticKind::kUnknownKey);
  CHECK(last.position.line == 5);
  CHECK(last.hint == "did you mean 'client_secret'?");
}

}  // namespace
}  // namespace journeyd::connectors::hubspot
