#include "connectors/shopify/shopify_source.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "connectors/common/webhook_test_util.h"
#include "engine/mapping/mapping.h"

namespace journeyd::connectors::shopify {
namespace {

using testing::FakeRequest;

constexpr std::string_view kSecret = "shpss_test_secret_for_journeyd";

ShopifySource MakeSource(const Clock& clock, std::string_view secret = kSecret) {
  ShopifySettings settings;
  settings.secret = Secret(std::string(secret));
  return ShopifySource(std::move(settings), testing::MakeContext(clock, "shop_main"));
}

FakeRequest SignedRequest(std::string body, std::string_view secret = kSecret) {
  FakeRequest request;
  request.path = "/webhooks/shop_main";
  request.headers.Add("X-Shopify-Hmac-Sha256",
                      common::Base64Encode(common::HmacSha256(secret, {body})));
  request.headers.Add("X-Shopify-Topic", "orders/create");
  request.headers.Add("X-Shopify-Shop-Domain", "snowdevil.myshopify.com");
  request.headers.Add("X-Shopify-API-Version", "2026-07");
  request.headers.Add("X-Shopify-Webhook-Id", "545ebdd4-b7be-4d3d-b14e-54aa78e0e0f9");
  request.headers.Add("X-Shopify-Triggered-At", "2025-07-10T16:15:47.000000Z");
  request.headers.Add("X-Shopify-Event-Id", "59d6d79c-595f-4e7e-bc6f-72f5c3d0c66f");
  request.headers.Add("X-Shopify-Name", "product-sync");
  request.body = std::move(body);
  return request;
}

TEST_CASE("shopify: every published and derived signature vector", "[connectors][shopify]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const auto dir = testing::WebhookFixtures("shopify");
  const auto vectors = testing::ReadJson(dir / "signature_test_vectors.json");
  REQUIRE(testing::Text(vectors.at("header")) == "X-Shopify-Hmac-Sha256");
  testing::VectorVerdicts verdicts;
  for (const auto& item : vectors.at("vectors").as_array()) {
    const auto& vector = item.as_object();
    INFO(testing::Text(vector.at("name")));
    const ShopifySource source = MakeSource(clock, testing::Text(vector.at("secret")));
    FakeRequest request;
    request.body = testing::VectorBody(vector, dir);
    request.headers.Add("X-Shopify-Hmac-Sha256", testing::Text(vector.at("expected_signature")));
    request.headers.Add("X-Shopify-Topic", "orders/create");
    request.headers.Add("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
    auto result = source.Accept(request.View());
    verdicts.Check(vector, result, request.body);
  }
  CHECK(verdicts.valid == 3);
  CHECK(verdicts.invalid == 1);
}

TEST_CASE("shopify: a real orders/create payload becomes one event with the delivery's keys",
          "[connectors][shopify]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const ShopifySource source = MakeSource(clock);
  const std::string body =
      journeyd::testing::ReadFile(testing::WebhookFixtures("shopify") / "orders_create.json");
  const FakeRequest request = SignedRequest(body);

  auto result = source.Accept(request.View());
  REQUIRE(result.ok());
  REQUIRE(result->size() == 1);
  const RawEvent& event = (*result)[0];
  CHECK(event.source == "shop_main");
  CHECK(event.event_type == "orders/create");
  CHECK(event.external_id == "545ebdd4-b7be-4d3d-b14e-54aa78e0e0f9");
  CHECK(event.content_type == "application/json");
  CHECK(event.body == body);  // byte for byte: the signature covers these bytes
  CHECK(event.received_at == request.received_at);
  CHECK(event.headers.size() == 6);
  for (const auto& [name, value] : event.headers) {
    CHECK_FALSE(EqualsIgnoreCase(name, "X-Shopify-Hmac-Sha256"));
    CHECK_FALSE(EqualsIgnoreCase(name, "X-Shopify-Name"));
  }
  CHECK(event.headers[0] ==
        std::pair<std::string, std::string>("X-Shopify-Topic", "orders/create"));
  CHECK(event.headers[1].second == "snowdevil.myshopify.com");
}

TEST_CASE("shopify: header names match case-insensitively (HTTP/2 lowercases them)",
          "[connectors][shopify]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const ShopifySource source = MakeSource(clock);
  const std::string body = R"({"id":1})";
  FakeRequest request;
  request.headers.Add("x-shopify-hmac-sha256",
                      common::Base64Encode(common::HmacSha256(kSecret, {body})));
  request.headers.Add("x-shopify-topic", "customers/create");
  request.headers.Add("x-shopify-webhook-id", "abc");
  request.body = body;
  auto result = source.Accept(request.View());
  REQUIRE(result.ok());
  CHECK((*result)[0].event_type == "customers/create");
  CHECK((*result)[0].external_id == "abc");
}

TEST_CASE("shopify: tampered, unsigned, wrongly keyed and malformed requests are refused",
          "[connectors][shopify]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const ShopifySource source = MakeSource(clock);
  const std::string body =
      journeyd::testing::ReadFile(testing::WebhookFixtures("shopify") / "customers_create.json");

  SECTION("one changed byte in the body") {
    FakeRequest request = SignedRequest(body);
    request.body[request.body.size() / 2] ^= 1;
    auto result = source.Accept(request.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
    CHECK(result.error().message == "signature mismatch");
  }
  SECTION("signed with another secret") {
    auto result = source.Accept(SignedRequest(body, "another-secret").View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("no signature header") {
    FakeRequest request;
    request.headers.Add("X-Shopify-Webhook-Id", "abc");
    request.body = body;
    auto result = source.Accept(request.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
    CHECK(result.error().message == "missing X-Shopify-Hmac-Sha256 header");
  }
  SECTION("an empty signature header") {
    FakeRequest request;
    request.headers.Add("X-Shopify-Hmac-Sha256", "");
    request.body = body;
    auto result = source.Accept(request.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("a signed body without X-Shopify-Webhook-Id") {
    FakeRequest request;
    request.headers.Add("X-Shopify-Hmac-Sha256",
                        common::Base64Encode(common::HmacSha256(kSecret, {body})));
    request.body = body;
    auto result = source.Accept(request.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kInvalidArgument);
  }
  SECTION("a signed body that is not JSON") {
    auto result = source.Accept(SignedRequest(R"({"id": 1,)").View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kInvalidArgument);
    CHECK(result.error().message.rfind("malformed JSON at offset ", 0) == 0);
  }
}

// What `journeyd check` says of a mapping block `on: <selector>` for this source: "" when the
// selector names a topic the source declares, else the error and its did-you-mean hint.
std::string SelectorProblem(const WebhookSource& source, std::string_view selector) {
  config::Diagnostics diag;
  auto root = config::ConfigNode::LoadString(
      "mapping: shopify\nevents:\n  - on: '" + std::string(selector) + "'\n", "m.yaml", diag);
  REQUIRE(root);
  mapping::MappingLoadOptions options;
  options.known_event_types = source.EventTypes();
  mapping::Mapping::Load(*root, options, diag);
  const auto first = testing::FirstError(diag);
  return first ? first->ToString() : "";
}

TEST_CASE("shopify: mappings may name Shopify's topics and nothing else",
          "[connectors][shopify]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const ShopifySource source = MakeSource(clock);
  const std::vector<std::string> types = source.EventTypes();
  for (const char* topic :
       {"customers/create", "customers/update", "customers/delete", "customers/merge",
        "customers/redact", "customers/data_request", "shop/redact",
        "customers_email_marketing_consent/update", "orders/create", "orders/paid",
        "orders/updated", "orders/cancelled", "orders/fulfilled", "orders/partially_fulfilled",
        "orders/edited", "orders/delete", "checkouts/create", "checkouts/update",
        "checkouts/delete", "carts/create", "carts/update", "draft_orders/create",
        "refunds/create", "order_transactions/create", "fulfillments/create", "products/update",
        "app/uninstalled", "customer.tags_added"}) {
    INFO(topic);
    // Spelled out, not matched by a glob: a typo next to a real topic must not pass.
    CHECK(std::find(types.begin(), types.end(), topic) != types.end());
    CHECK(SelectorProblem(source, topic).empty());
  }
  for (const std::string& type : types) {
    INFO(type);
    CHECK(type.find('*') == std::string::npos);
  }
  CHECK(SelectorProblem(source, "orders/*").empty());
  CHECK(SelectorProblem(source, "customers/*").empty());
  CHECK_THAT(SelectorProblem(source, "orders/update"),
             Catch::Contains("'orders/update' matches no event type") &&
                 Catch::Contains("did you mean 'orders/updated'?"));
  CHECK_THAT(SelectorProblem(source, "customer/create"), Catch::Contains("matches no event type"));
  CHECK_THAT(SelectorProblem(source, "order.created"), Catch::Contains("matches no event type"));
}

TEST_CASE("shopify: a saved body does not say its topic, the delivery's header does",
          "[connectors][shopify]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const ShopifySource source = MakeSource(clock);
  int payloads = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::WebhookFixtures("shopify"))) {
    const std::string file = entry.path().filename().string();
    if (file == "signature_test_vectors.json") continue;
    INFO(file);
    ++payloads;
    const std::string body = journeyd::testing::ReadFile(entry.path());
    // customers_create.json was delivered as customers/create, and so on.
    std::string topic = file.substr(0, file.size() - std::string_view(".json").size());
    topic[topic.find('_')] = '/';
    FakeRequest request;
    request.body = body;
    request.headers.Add("X-Shopify-Hmac-Sha256",
                        common::Base64Encode(common::HmacSha256(kSecret, {body})));
    request.headers.Add("X-Shopify-Topic", topic);
    request.headers.Add("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
    auto result = source.Accept(request.View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    CHECK((*result)[0].event_type == topic);
    CHECK(SelectorProblem(source, topic).empty());
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(body)).has_value());
  }
  CHECK(payloads == 7);
}

TEST_CASE("shopify: the factory parses YAML and points at bad keys", "[connectors][shopify]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const auto context = testing::MakeContext(clock, "shop_main");
  const auto factory = MakeShopifyFactory();
  CHECK(factory->type() == "shopify");

  auto good = testing::CreateFromYaml(*factory,
                                      "name: shop_main\n"
                                      "type: shopify\n"
                                      "mapping: mappings/shopify.yaml\n"
                                      "secret: " +
                                          std::string(kSecret) + "\n",
                                      context);
  REQUIRE(good.source != nullptr);
  CHECK_FALSE(good.diag.has_errors());
  const FakeRequest request = SignedRequest(R"({"id":7})");
  CHECK(good.source->Accept(request.View()).ok());

  auto bad = testing::CreateFromYaml(*factory,
                                     "name: shop_main\n"
                                     "type: shopify\n"
                                     "secrte: abc\n",
                                     context);
  CHECK(bad.source == nullptr);
  CHECK(bad.diag.error_count() == 2);  // the unknown key, and `secret` missing
  auto first = testing::FirstError(bad.diag);
  REQUIRE(first);
  CHECK(first->kind == config::DiagnosticKind::kUnknownKey);
  CHECK(first->position.file == "sources.yaml");
  CHECK(first->position.line == 3);
  CHECK(first->position.column == 1);
  CHECK(first->hint == "did you mean 'secret'?");
}

}  // namespace
}  // namespace journeyd::connectors::shopify
