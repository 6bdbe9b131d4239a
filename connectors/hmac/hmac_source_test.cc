#include "connectors/hmac/hmac_source.h"

#include <catch2/catch.hpp>

#include "connectors/common/json.h"
#include "connectors/common/webhook_test_util.h"

namespace journeyd::connectors::hmac {
namespace {

using common::DigestEncoding;
using common::HashAlgorithm;
using testing::FakeRequest;

HmacSettings GitHubStyle(std::string_view secret) {
  HmacSettings settings;
  settings.secret = Secret(std::string(secret));
  settings.header = "X-Hub-Signature-256";
  settings.prefix = "sha256=";
  settings.event_type_header = "X-GitHub-Event";
  settings.event_id_header = "X-GitHub-Delivery";
  return settings;
}

HmacSource MakeSource(HmacSettings settings) {
  static const ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  return HmacSource(std::move(settings), testing::MakeContext(clock, "github"));
}

FakeRequest Request(std::string_view header, std::string value, std::string body) {
  FakeRequest request;
  request.headers.Add(std::string(header), std::move(value));
  request.body = std::move(body);
  return request;
}

TEST_CASE("hmac: configured like GitHub, it checks GitHub's documented example",
          "[connectors][hmac]") {
  // docs.github.com, "Validating webhook deliveries": this secret, payload and signature.
  const HmacSource source = MakeSource(GitHubStyle("It's a Secret to Everybody"));
  const std::string published =
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  auto result = source.Accept(Request("X-Hub-Signature-256", published, "Hello, World!").View());
  // Verified, then refused only because "Hello, World!" is not a JSON body.
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == ErrorCode::kInvalidArgument);

  auto changed = source.Accept(Request("X-Hub-Signature-256", published, "Hello, World?").View());
  REQUIRE_FALSE(changed.ok());
  CHECK(changed.error().code == ErrorCode::kUnauthenticated);
}

TEST_CASE("hmac: a GitHub-style delivery becomes one event", "[connectors][hmac]") {
  const std::string secret = "gh-webhook-secret";
  const HmacSource source = MakeSource(GitHubStyle(secret));
  const std::string body = R"({"action":"opened","issue":{"id":1}})";
  FakeRequest request =
      Request("X-Hub-Signature-256",
              "sha256=" + common::HexEncode(common::HmacSha256(secret, {body})), body);
  request.headers.Add("X-GitHub-Event", "issues");
  request.headers.Add("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
  auto result = source.Accept(request.View());
  REQUIRE(result.ok());
  REQUIRE(result->size() == 1);
  const RawEvent& event = (*result)[0];
  CHECK(event.event_type == "issues");
  CHECK(event.external_id == "72d3162e-cc78-11e3-81ab-4c9367dc0958");
  CHECK(event.body == body);
  CHECK(event.source == "github");
  REQUIRE(event.headers.size() == 2);
  CHECK(event.headers[0].first == "X-GitHub-Event");
  CHECK(event.headers[1].first == "X-GitHub-Delivery");

  SECTION("the prefix is required but its case is not") {
    FakeRequest upper = request;
    upper.headers = HeaderList{
        {"X-Hub-Signature-256", "SHA256=" + common::HexEncode(common::HmacSha256(secret, {body}))}};
    CHECK(source.Accept(upper.View()).ok());
    FakeRequest bare =
        Request("X-Hub-Signature-256", common::HexEncode(common::HmacSha256(secret, {body})), body);
    auto refused = source.Accept(bare.View());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("tampered, missing, or signed with SHA-1 instead") {
    FakeRequest tampered = request;
    tampered.body[2] ^= 1;
    CHECK(source.Accept(tampered.View()).error().code == ErrorCode::kUnauthenticated);
    FakeRequest missing;
    missing.body = body;
    auto none = source.Accept(missing.View());
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message == "missing X-Hub-Signature-256 header");
    FakeRequest sha1 = Request(
        "X-Hub-Signature-256",
        "sha256=" + common::HexEncode(common::Hmac(HashAlgorithm::kSha1, secret, {body})), body);
    CHECK(source.Accept(sha1.View()).error().code == ErrorCode::kUnauthenticated);
  }
}

TEST_CASE("hmac: configured like Shopify and WooCommerce, it accepts their vectors",
          "[connectors][hmac]") {
  int checked = 0;
  for (const auto& [vendor, header] : std::vector<std::pair<std::string, std::string>>{
           {"shopify", "X-Shopify-Hmac-Sha256"}, {"woocommerce", "X-WC-Webhook-Signature"}}) {
    const auto dir = testing::WebhookFixtures(vendor);
    const auto vectors = testing::ReadJson(dir / "signature_test_vectors.json");
    for (const auto& item : vectors.at("vectors").as_array()) {
      const auto& vector = item.as_object();
      INFO(vendor + ": " + testing::Text(vector.at("name")));
      const std::string body = testing::VectorBody(vector, dir);
      if (!body.starts_with("{")) continue;  // the WooCommerce ping is not JSON
      HmacSettings settings;
      settings.secret = Secret(testing::Text(
          vector.contains("secret") ? vector.at("secret") : vector.at("secret_used_as_key")));
      settings.header = header;
      settings.encoding = DigestEncoding::kBase64;
      settings.event_id_field = "id";
      const HmacSource source = MakeSource(std::move(settings));
      auto result = source.Accept(
          Request(header, testing::Text(vector.at("expected_signature")), body).View());
      ++checked;
      if (vector.at("valid").as_bool()) {
        REQUIRE(result.ok());
        CHECK((*result)[0].external_id ==
              common::ScalarText(common::FindMember(boost::json::parse(body), "id")));
      } else {
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == ErrorCode::kUnauthenticated);
      }
    }
  }
  CHECK(checked == 6);
}

TEST_CASE("hmac: SHA-1 and SHA-512, hex and base64, ids from JSON fields", "[connectors][hmac]") {
  const std::string secret = "k";
  const std::string body = R"({"type":"order.paid","id":98765,"data":{}})";
  for (const HashAlgorithm algorithm : {HashAlgorithm::kSha1, HashAlgorithm::kSha512}) {
    for (const DigestEncoding encoding : {DigestEncoding::kHex, DigestEncoding::kBase64}) {
      HmacSettings settings;
      settings.secret = Secret(secret);
      settings.header = "X-Signature";
      settings.algorithm = algorithm;
      settings.encoding = encoding;
      settings.event_type_field = "type";
      settings.event_id_field = "id";
      settings.event_type_header = "X-Event";  // absent from the request: the field is used
      const HmacSource source = MakeSource(std::move(settings));
      const std::string digest = common::Hmac(algorithm, secret, {body});
      const std::string value = encoding == DigestEncoding::kHex ? common::HexEncode(digest)
                                                                 : common::Base64Encode(digest);
      auto result = source.Accept(Request("X-Signature", value, body).View());
      REQUIRE(result.ok());
      CHECK((*result)[0].event_type == "order.paid");
      CHECK((*result)[0].external_id == "98765");
      CHECK((*result)[0].headers.empty());
      // The same digest in the other encoding is not accepted.
      const std::string other = encoding == DigestEncoding::kHex ? common::Base64Encode(digest)
                                                                 : common::HexEncode(digest);
      CHECK_FALSE(source.Accept(Request("X-Signature", other, body).View()).ok());
    }
  }
}

TEST_CASE("hmac: a saved body says its type where the configured field does",
          "[connectors][hmac]") {
  const std::string secret = "k";
  const std::string body = R"({"type":"order.paid","id":98765,"data":{}})";
  const std::string signature = common::HexEncode(common::HmacSha256(secret, {body}));
  HmacSettings settings;
  settings.secret = Secret(secret);
  settings.header = "X-Signature";

  SECTION("a type field: the same answer as a delivery without a type header") {
    settings.event_type_field = "type";
    settings.event_type_header = "X-Event";
    const HmacSource source = MakeSource(std::move(settings));
    CHECK(source.EventTypes().empty());
    auto result = source.Accept(Request("X-Signature", signature, body).View());
    REQUIRE(result.ok());
    CHECK(source.EventTypeOf(boost::json::parse(body)) == (*result)[0].event_type);
    CHECK(source.EventTypeOf(boost::json::parse(body)) == "order.paid");
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"id":1})")));
    CHECK(source.EventTypeOf(boost::json::parse(R"({"type":7})")) == "7");
  }
  SECTION("a type header only: a saved body cannot say") {
    const HmacSource source = MakeSource(GitHubStyle(secret));
    CHECK(source.EventTypes().empty());
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(body)));
  }
}

TEST_CASE("hmac: the factory parses YAML, applies defaults and points at bad values",
          "[connectors][hmac]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const auto context = testing::MakeContext(clock, "github");
  const auto factory = MakeHmacFactory();
  CHECK(factory->type() == "hmac");

  auto good = testing::CreateFromYaml(*factory,
                                      "name: github\n"
                                      "type: hmac\n"
                                      "secret: s\n"
                                      "header: X-Signature\n",
                                      context);
  REQUIRE(good.source != nullptr);
  const std::string body = R"({"a":1})";
  // Defaults: sha256, hex, no prefix.
  CHECK(
      good.source
          ->Accept(Request("X-Signature", common::HexEncode(common::HmacSha256("s", {body})), body)
                       .View())
          .ok());

  auto bad = testing::CreateFromYaml(*factory,
                                     "name: github\n"
                                     "type: hmac\n"
                                     "secret: s\n"
                                     "header: X-Signature\n"
                                     "algorithm: sha265\n"
                                     "encoding: base32\n",
                                     context);
  CHECK(bad.source == nullptr);
  CHECK(bad.diag.error_count() == 2);
  auto first = testing::FirstError(bad.diag);
  REQUIRE(first);
  CHECK(first->kind == config::DiagnosticKind::kInvalidValue);
  CHECK(first->position.line == 5);
  CHECK(first->position.column == 12);
  CHECK(first->hint == "did you mean 'sha256'?");

  auto header = testing::CreateFromYaml(
      *factory, "name: github\ntype: hmac\nsecret: s\nheader: \"X Signature\"\nprefx: a\n",
      context);
  CHECK(header.source == nullptr);
  CHECK(header.diag.error_count() == 2);
  CHECK(header.diag.entries().back().hint == "did you mean 'prefix'?");
}

}  // namespace
}  // namespace journeyd::connectors::hmac
