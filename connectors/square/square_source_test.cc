#include "connectors/square/square_source.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "connectors/common/webhook_test_util.h"
#include "engine/mapping/mapping.h"

namespace journeyd::connectors::square {
namespace {

using testing::FakeRequest;

constexpr std::string_view kKey = "test-signature-key";
constexpr std::string_view kUrl = "https://crm-sync.example.com/webhooks/square";

SquareSource MakeSource(const Clock& clock, std::string_view key = kKey,
                        std::string_view url = kUrl) {
  SquareSettings settings;
  settings.signature_key = Secret(std::string(key));
  settings.notification_url = std::string(url);
  return SquareSource(std::move(settings), testing::MakeContext(clock, "square"));
}

FakeRequest SignedRequest(std::string body) {
  FakeRequest request;
  request.headers.Add("x-square-hmacsha256-signature",
                      common::Base64Encode(common::HmacSha256(kKey, {kUrl, body})));
  request.headers.Add("square-version", "2024-01-18");
  request.body = std::move(body);
  return request;
}

TEST_CASE("square: every SDK signature vector", "[connectors][square]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const auto dir = testing::WebhookFixtures("square");
  const auto vectors = testing::ReadJson(dir / "signature_test_vectors.json");
  REQUIRE(testing::Text(vectors.at("header")) == "x-square-hmacsha256-signature");
  testing::VectorVerdicts verdicts;
  for (const auto& item : vectors.at("vectors").as_array()) {
    const auto& vector = item.as_object();
    INFO(testing::Text(vector.at("name")));
    const SquareSource source = MakeSource(clock, testing::Text(vector.at("signature_key")),
                                           testing::Text(vector.at("notification_url")));
    FakeRequest request;
    request.body = testing::VectorBody(vector, dir);
    request.headers.Add("x-square-hmacsha256-signature",
                        testing::Text(vector.at("expected_signature")));
    auto result = source.Accept(request.View());
    verdicts.Check(vector, result, request.body);
  }
  CHECK(verdicts.valid == 2);
  CHECK(verdicts.invalid == 3);

  SECTION("the first vector's body re-serialized with one more space fails") {
    const auto& vector = vectors.at("vectors").as_array()[0].as_object();
    const SquareSource source = MakeSource(clock, testing::Text(vector.at("signature_key")),
                                           testing::Text(vector.at("notification_url")));
    FakeRequest request;
    request.body = "{ " + testing::Text(vector.at("body")).substr(1);
    request.headers.Add("x-square-hmacsha256-signature",
                        testing::Text(vector.at("expected_signature")));
    auto result = source.Accept(request.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
  }
}

TEST_CASE("square: type and event_id come from each real payload", "[connectors][square]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const SquareSource source = MakeSource(clock);
  int payloads = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::WebhookFixtures("square"))) {
    const std::string file = entry.path().filename().string();
    if (file == "signature_test_vectors.json") continue;
    INFO(file);
    ++payloads;
    const std::string body = journeyd::testing::ReadFile(entry.path());
    const auto parsed = boost::json::parse(body);
    auto result = source.Accept(SignedRequest(body).View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    const RawEvent& event = (*result)[0];
    CHECK(event.event_type == testing::Text(parsed.at("type")));
    CHECK(event.external_id == testing::Text(parsed.at("event_id")));
    CHECK_FALSE(event.event_type.empty());
    CHECK(event.body == body);
    CHECK(event.source == "square");
    REQUIRE(event.headers.size() == 1);
    CHECK(event.headers[0].first == "Square-Version");
  }
  CHECK(payloads == 9);

  const std::string order =
      journeyd::testing::ReadFile(testing::WebhookFixtures("square") / "order_created.json");
  auto result = source.Accept(SignedRequest(order).View());
  REQUIRE(result.ok());
  CHECK((*result)[0].event_type == "order.created");
  CHECK((*result)[0].external_id == "116038d3-2948-439f-8679-fc86dbf80f69");
}

// What `journeyd check` says of a mapping block `on: <selector>` for this source: "" when the
// selector names an event type the source declares, else the error and its did-you-mean hint.
std::string SelectorProblem(const WebhookSource& source, std::string_view selector) {
  config::Diagnostics diag;
  auto root = config::ConfigNode::LoadString(
      "mapping: square\nevents:\n  - on: '" + std::string(selector) + "'\n", "m.yaml", diag);
  REQUIRE(root);
  mapping::MappingLoadOptions options;
  options.known_event_types = source.EventTypes();
  mapping::Mapping::Load(*root, options, diag);
  const auto first = testing::FirstError(diag);
  return first ? first->ToString() : "";
}

TEST_CASE("square: a saved notification says its type exactly as a delivery does",
          "[connectors][square]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const SquareSource source = MakeSource(clock);
  int payloads = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::WebhookFixtures("square"))) {
    const std::string file = entry.path().filename().string();
    if (file == "signature_test_vectors.json") continue;
    INFO(file);
    ++payloads;
    const std::string body = journeyd::testing::ReadFile(entry.path());
    auto result = source.Accept(SignedRequest(body).View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    const auto type = source.EventTypeOf(boost::json::parse(body));
    REQUIRE(type.has_value());
    CHECK(*type == (*result)[0].event_type);
    CHECK(SelectorProblem(source, *type).empty());
  }
  CHECK(payloads == 9);

  CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"event_id":"x","data":{}})")));
  CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"type":""})")));
  CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"([{"type":"payment.created"}])")));
}

TEST_CASE("square: mappings may name Square's event types and nothing else",
          "[connectors][square]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const SquareSource source = MakeSource(clock);
  const std::vector<std::string> types = source.EventTypes();
  for (const char* type :
       {"customer.created", "customer.updated", "customer.deleted", "payment.created",
        "payment.updated", "refund.created", "refund.updated", "order.created", "order.updated",
        "order.fulfillment.updated"}) {
    INFO(type);
    CHECK(std::find(types.begin(), types.end(), type) != types.end());
    CHECK(SelectorProblem(source, type).empty());
  }
  for (const char* selector :
       {"customer.*", "order.*", "payment.*", "loyalty.account.created", "gift_card.updated",
        "invoice.payment_made", "customer.custom_attribute.owned.updated", "booking.created"}) {
    INFO(selector);
    CHECK(SelectorProblem(source, selector).empty());
  }
  CHECK_THAT(SelectorProblem(source, "customer.create"),
             Catch::Contains("'customer.create' matches no event type") &&
                 Catch::Contains("did you mean 'customer.created'?"));
  CHECK_THAT(SelectorProblem(source, "order.fulfilled"), Catch::Contains("matches no event type"));
  CHECK_THAT(SelectorProblem(source, "payments.created"),
             Catch::Contains("matches no event type"));
}

TEST_CASE("square: wrong URL, tampered body and missing header are refused",
          "[connectors][square]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const std::string body =
      journeyd::testing::ReadFile(testing::WebhookFixtures("square") / "customer_created.json");

  SECTION("a different notification URL (e.g. rewritten by a proxy)") {
    const SquareSource source =
        MakeSource(clock, kKey, "http://crm-sync.example.com/webhooks/square");
    auto result = source.Accept(SignedRequest(body).View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("one changed byte") {
    const SquareSource source = MakeSource(clock);
    FakeRequest request = SignedRequest(body);
    request.body[request.body.size() / 2] ^= 1;
    auto result = source.Accept(request.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("no signature header") {
    const SquareSource source = MakeSource(clock);
    FakeRequest request;
    request.body = body;
    auto result = source.Accept(request.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
    CHECK(result.error().message == "missing x-square-hmacsha256-signature header");
  }
  SECTION("signed, but a JSON array rather than a notification") {
    const SquareSource source = MakeSource(clock);
    auto result = source.Accept(SignedRequest("[1,2]").View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("square: the factory parses YAML and points at bad settings", "[connectors][square]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const auto context = testing::MakeContext(clock, "square");
  const auto factory = MakeSquareFactory();
  CHECK(factory->type() == "square");

  auto good = testing::CreateFromYaml(*factory,
                                      "name: square\n"
                                      "type: square\n"
                                      "signature_key: test-signature-key\n"
                                      "notification_url: " +
                                          std::string(kUrl) + "\n",
                                      context);
  REQUIRE(good.source != nullptr);
  CHECK(good.source->Accept(SignedRequest(R"({"type":"x","event_id":"1"})").View()).ok());

  auto bad = testing::CreateFromYaml(*factory,
                                     "name: square\n"
                                     "type: square\n"
                                     "signature_key: k\n"
                                     "notification_url: webhook.site/abc\n"
                                     "notification_ulr: https://x.example\n",
                                     context);
  CHECK(bad.source == nullptr);
  REQUIRE(bad.diag.error_count() == 2);
  const auto& url_error = bad.diag.entries()[1];
  CHECK(url_error.kind == config::DiagnosticKind::kInvalidValue);
  CHECK(url_error.position.line == 4);
  CHECK(url_error.position.column == 19);
  const auto& key_error = bad.diag.entries()[2];
  CHECK(key_error.kind == config::DiagnosticKind::kUnknownKey);
  CHECK(key_error.position.line == 5);
  CHECK(key_error.hint == "did you mean 'notification_url'?");
}

}  // namespace
}  // namespace journeyd::connectors::square
