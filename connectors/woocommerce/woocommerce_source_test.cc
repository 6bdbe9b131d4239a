#include "connectors/woocommerce/woocommerce_source.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "connectors/common/webhook_test_util.h"
#include "engine/mapping/mapping.h"

namespace journeyd::connectors::woocommerce {
namespace {

using testing::FakeRequest;

constexpr std::string_view kSecret = "woocommerce_test_secret";

WooCommerceSource MakeSource(const Clock& clock, std::string_view secret = kSecret) {
  WooCommerceSettings settings;
  settings.secret = Secret(std::string(secret));
  return WooCommerceSource(std::move(settings), testing::MakeContext(clock, "woo"));
}

std::string Sign(std::string_view body, std::string_view key = kSecret) {
  return common::Base64Encode(common::HmacSha256(key, {body}));
}

TEST_CASE("woocommerce: every derived signature vector", "[connectors][woocommerce]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const auto dir = testing::WebhookFixtures("woocommerce");
  const auto vectors = testing::ReadJson(dir / "signature_test_vectors.json");
  REQUIRE(testing::Text(vectors.at("header")) == "X-WC-Webhook-Signature");
  int checked = 0;
  for (const auto& item : vectors.at("vectors").as_array()) {
    const auto& vector = item.as_object();
    INFO(testing::Text(vector.at("name")));
    REQUIRE(vector.at("valid").as_bool());
    // The secret as the user may copy it: the plain one, or as WordPress stored it.
    std::vector<std::string> secrets;
    if (const auto* plain = vector.if_contains("secret")) secrets.push_back(testing::Text(*plain));
    if (const auto* stored = vector.if_contains("secret_as_stored")) {
      secrets.push_back(testing::Text(*stored));
      secrets.push_back(testing::Text(vector.at("secret_used_as_key")));
    }
    REQUIRE_FALSE(secrets.empty());
    for (const std::string& secret : secrets) {
      const WooCommerceSource source = MakeSource(clock, secret);
      FakeRequest request;
      request.body = testing::VectorBody(vector, dir);
      request.headers.Add("X-WC-Webhook-Signature", testing::Text(vector.at("expected_signature")));
      auto result = source.Accept(request.View());
      REQUIRE(result.ok());
      // The signed ping is still a ping: nothing to store.
      CHECK(result->size() == (request.body.starts_with("webhook_id=") ? 0u : 1u));
      ++checked;
    }
  }
  CHECK(checked == 4);
}

TEST_CASE("woocommerce: a real order.created delivery becomes one event",
          "[connectors][woocommerce]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const WooCommerceSource source = MakeSource(clock);
  const auto dir = testing::WebhookFixtures("woocommerce");
  const std::string body = journeyd::testing::ReadFile(dir / "order_created.json");
  // The header set of a captured real delivery, re-signed for our body and secret.
  const auto captured =
      testing::ReadJson(dir / "signature_test_vectors.json").at("real_delivery_headers_example");
  FakeRequest request;
  for (const auto& [name, value] : captured.as_object()) {
    if (name == "note") continue;
    request.headers.Add(std::string(name),
                        name == "x-wc-webhook-signature" ? Sign(body) : testing::Text(value));
  }
  request.body = body;

  auto result = source.Accept(request.View());
  REQUIRE(result.ok());
  REQUIRE(result->size() == 1);
  const RawEvent& event = (*result)[0];
  CHECK(event.source == "woo");
  CHECK(event.event_type == "order.created");
  CHECK(event.external_id == "36e520ebabc2fa725092ff4a47acedf2");
  CHECK(event.body == body);
  CHECK(event.content_type == "application/json");
  CHECK(event.headers.size() == 6);
  for (const auto& [name, value] : event.headers) {
    CHECK_FALSE(EqualsIgnoreCase(name, "X-WC-Webhook-Signature"));
  }
}

TEST_CASE("woocommerce: the creation ping is answered and stores nothing",
          "[connectors][woocommerce]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const WooCommerceSource source = MakeSource(clock);
  CHECK(source.AcceptsMediaType("application/json"));
  CHECK(source.AcceptsMediaType("application/x-www-form-urlencoded"));
  CHECK_FALSE(source.AcceptsMediaType("text/xml"));

  FakeRequest ping;
  ping.headers.Add("User-Agent", "WooCommerce/8.9.1 Hookshot (WordPress/6.5.3)");
  ping.body = "webhook_id=42";
  auto result = source.Accept(ping.View());
  REQUIRE(result.ok());
  CHECK(result->empty());

  SECTION("a ping carrying a wrong signature is refused") {
    ping.headers.Add("X-WC-Webhook-Signature", Sign(ping.body, "not-the-secret"));
    auto refused = source.Accept(ping.View());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("only the exact ping shape is let through unsigned") {
    for (std::string body : {"webhook_id=", "webhook_id=42&x=1", "webhook_id=abc",
                             R"({"webhook_id":42})", "webhook_id=4 2"}) {
      INFO(body);
      FakeRequest request;
      request.body = body;
      auto refused = source.Accept(request.View());
      REQUIRE_FALSE(refused.ok());
      CHECK(refused.error().code == ErrorCode::kUnauthenticated);
      CHECK(refused.error().message == "missing X-WC-Webhook-Signature header");
    }
  }
}

// What `journeyd check` says of a mapping block `on: <selector>` for this source: "" when the
// selector names a topic the source declares, else the error and its did-you-mean hint.
std::string SelectorProblem(const WebhookSource& source, std::string_view selector) {
  config::Diagnostics diag;
  auto root = config::ConfigNode::LoadString(
      "mapping: woocommerce\nevents:\n  - on: '" + std::string(selector) + "'\n", "m.yaml",
      diag);
  REQUIRE(root);
  mapping::MappingLoadOptions options;
  options.known_event_types = source.EventTypes();
  mapping::Mapping::Load(*root, options, diag);
  const auto first = testing::FirstError(diag);
  return first ? first->ToString() : "";
}

TEST_CASE("woocommerce: mappings may name WooCommerce's topics and nothing else",
          "[connectors][woocommerce]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const WooCommerceSource source = MakeSource(clock);
  const std::vector<std::string> types = source.EventTypes();
  for (const char* topic :
       {"customer.created", "customer.updated", "customer.deleted", "order.created",
        "order.updated", "order.deleted", "order.restored", "product.created", "product.updated",
        "product.deleted", "product.restored", "coupon.created", "coupon.updated",
        "coupon.deleted", "coupon.restored", "subscription.created", "subscription.switched"}) {
    INFO(topic);
    CHECK(std::find(types.begin(), types.end(), topic) != types.end());
    CHECK(SelectorProblem(source, topic).empty());
  }
  for (const char* selector : {"product.*", "coupon.*", "order.*", "customer.*",
                               "action.woocommerce_add_to_cart", "action.*"}) {
    INFO(selector);
    CHECK(SelectorProblem(source, selector).empty());
  }
  CHECK_THAT(SelectorProblem(source, "order.create"),
             Catch::Contains("'order.create' matches no event type") &&
                 Catch::Contains("did you mean 'order.created'?"));
  CHECK_THAT(SelectorProblem(source, "orders.created"), Catch::Contains("matches no event type"));
  CHECK_THAT(SelectorProblem(source, "customers/create"), Catch::Contains("matches no event type"));
}

TEST_CASE("woocommerce: a saved body does not say its topic, X-WC-Webhook-Topic does",
          "[connectors][woocommerce]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const WooCommerceSource source = MakeSource(clock);
  int payloads = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::WebhookFixtures("woocommerce"))) {
    const std::string file = entry.path().filename().string();
    if (file == "signature_test_vectors.json") continue;
    INFO(file);
    ++payloads;
    const std::string body = journeyd::testing::ReadFile(entry.path());
    // order_created.json is the payload of order.created, and so on.
    std::string topic = file.substr(0, file.size() - std::string_view(".json").size());
    topic[topic.find('_')] = '.';
    FakeRequest request;
    request.headers.Add("X-WC-Webhook-Signature", Sign(body));
    request.headers.Add("X-WC-Webhook-Topic", topic);
    request.headers.Add("X-WC-Webhook-Delivery-ID", "36e520ebabc2fa725092ff4a47acedf2");
    request.body = body;
    auto result = source.Accept(request.View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    CHECK((*result)[0].event_type == topic);
    CHECK(SelectorProblem(source, topic).empty());
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(body)).has_value());
  }
  CHECK(payloads == 4);
}

TEST_CASE("woocommerce: tampered and malformed deliveries are refused",
          "[connectors][woocommerce]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const WooCommerceSource source = MakeSource(clock);
  const std::string body = journeyd::testing::ReadFile(testing::WebhookFixtures("woocommerce") /
                                                       "customer_created.json");

  FakeRequest request;
  request.headers.Add("X-WC-Webhook-Signature", Sign(body));
  request.headers.Add("X-WC-Webhook-Topic", "customer.created");
  request.body = body;
  REQUIRE(source.Accept(request.View()).ok());

  SECTION("one changed byte") {
    request.body[request.body.size() / 2] ^= 1;
    auto result = source.Accept(request.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("a signature in hex rather than base64") {
    FakeRequest hex;
    hex.headers.Add("X-WC-Webhook-Signature",
                    common::HexEncode(common::HmacSha256(kSecret, {body})));
    hex.body = body;
    auto result = source.Accept(hex.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("a signed body that is not JSON") {
    FakeRequest broken;
    broken.body = "customer=1";
    broken.headers.Add("X-WC-Webhook-Signature", Sign(broken.body));
    auto result = source.Accept(broken.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("woocommerce: WordPress entities in the stored secret", "[connectors][woocommerce]") {
  CHECK(DecodeWordPressEntities("a&amp;b") == "a&b");
  CHECK(DecodeWordPressEntities("&lt;&gt;&quot;&#039;&#39;&#x27;&#038;") == "<>\"'''&");
  CHECK(DecodeWordPressEntities("&amp;amp;") == "&amp;");
  CHECK(DecodeWordPressEntities("plain & simple &nbsp;") == "plain & simple &nbsp;");
}

TEST_CASE("woocommerce: the factory parses YAML and points at bad keys",
          "[connectors][woocommerce]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const auto context = testing::MakeContext(clock, "woo");
  const auto factory = MakeWooCommerceFactory();
  CHECK(factory->type() == "woocommerce");

  auto good =
      testing::CreateFromYaml(*factory, "name: woo\ntype: woocommerce\nsecret: s3cret\n", context);
  REQUIRE(good.source != nullptr);
  FakeRequest request;
  request.body = R"({"id":1})";
  request.headers.Add("X-WC-Webhook-Signature", Sign(request.body, "s3cret"));
  CHECK(good.source->Accept(request.View()).ok());

  auto bad = testing::CreateFromYaml(*factory,
                                     "name: woo\n"
                                     "type: woocommerce\n"
                                     "secret: s3cret\n"
                                     "  # a comment\n"
                                     "sceret: again\n",
                                     context);
  CHECK(bad.source == nullptr);
  auto first = testing::FirstError(bad.diag);
  REQUIRE(first);
  CHECK(first->kind == config::DiagnosticKind::kUnknownKey);
  CHECK(first->position.line == 5);
  CHECK(first->position.column == 1);
  CHECK(first->hint == "did you mean 'secret'?");
}

}  // namespace
}  // namespace journeyd::connectors::woocommerce
