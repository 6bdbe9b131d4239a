#include "connectors/standard_webhooks/standard_webhooks_source.h"

#include <catch2/catch.hpp>

#include "connectors/common/timestamp.h"
#include "connectors/common/webhook_test_util.h"

namespace journeyd::connectors::standard_webhooks {
namespace {

using std::chrono::seconds;
using testing::FakeRequest;

constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kOtherSecret = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24=";

std::chrono::system_clock::time_point At(int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(seconds(unix_seconds));
}

StandardWebhooksSource MakeSource(const Clock& clock, std::vector<std::string_view> secrets) {
  StandardWebhooksSettings settings;
  for (std::string_view s : secrets) settings.secrets.emplace_back(std::string(s));
  return StandardWebhooksSource(std::move(settings), testing::MakeContext(clock, "svix"));
}

std::string V1(std::string_view secret, std::string_view id, std::string_view ts,
               std::string_view body) {
  const auto key = DecodeSigningSecret(secret);
  if (!key) throw std::runtime_error("bad test secret");
  return "v1," + common::Base64Encode(common::HmacSha256(*key, {id, ".", ts, ".", body}));
}

FakeRequest Request(std::string id, std::string ts, std::string signature, std::string body) {
  FakeRequest request;
  request.headers.Add("webhook-id", std::move(id));
  request.headers.Add("webhook-timestamp", std::move(ts));
  request.headers.Add("webhook-signature", std::move(signature));
  request.body = std::move(body);
  return request;
}

TEST_CASE("standard_webhooks: the official library vectors", "[connectors][standard_webhooks]") {
  const auto vectors =
      testing::ReadJson(testing::WebhookFixtures("standard-webhooks") / "test_vectors.json");
  testing::VectorVerdicts verdicts;
  for (const auto& item : vectors.at("vectors").as_array()) {
    const auto& vector = item.as_object();
    INFO(testing::Text(vector.at("name")));
    const std::string id = testing::Text(vector.at("webhook-id"));
    const std::string ts = testing::Text(vector.at("webhook-timestamp"));
    const std::string body = testing::Text(vector.at("body"));
    if (const auto* content = vector.if_contains("signed_content")) {
      CHECK(testing::Text(*content) == id + "." + ts + "." + body);
    }
    ManualClock clock(At(*common::ParseDecimal(ts)) + seconds(30));
    const auto source = MakeSource(clock, {testing::Text(vector.at("secret"))});
    const FakeRequest request =
        Request(id, ts, testing::Text(vector.at("expected_webhook-signature")), body);
    auto result = source.Accept(request.View());
    if (const RawEvent* event = verdicts.Check(vector, result, body)) {
      CHECK(event->external_id == id);
    }
  }
  CHECK(verdicts.valid == 1);
  CHECK(verdicts.invalid == 1);
}

TEST_CASE("standard_webhooks: the spec's example message, next to a v1a signature",
          "[connectors][standard_webhooks]") {
  const auto vectors =
      testing::ReadJson(testing::WebhookFixtures("standard-webhooks") / "test_vectors.json");
  const auto& headers = vectors.at("spec_example_headers");
  const std::string id = testing::Text(headers.at("webhook-id"));
  const std::string ts = testing::Text(headers.at("webhook-timestamp"));
  const std::string content = testing::Text(vectors.at("spec_example_signed_content"));
  const std::string prefix = id + "." + ts + ".";
  REQUIRE(content.starts_with(prefix));
  const std::string body = content.substr(prefix.size());
  // The example header's own v1 was made with an unpublished secret: replace only that entry.
  const std::string example = testing::Text(headers.at("webhook-signature"));
  const std::string v1a = example.substr(example.find(" v1a,"));

  ManualClock clock(At(*common::ParseDecimal(ts)));
  const auto source = MakeSource(clock, {kSecret});
  auto result = source.Accept(Request(id, ts, V1(kSecret, id, ts, body) + v1a, body).View());
  REQUIRE(result.ok());
  REQUIRE(result->size() == 1);
  const RawEvent& event = (*result)[0];
  CHECK(event.event_type == "contact.created");
  CHECK(event.external_id == "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");
  CHECK(event.source == "svix");
  CHECK(event.headers.size() == 2);
  for (const auto& [name, value] : event.headers) CHECK(name != "webhook-signature");

  auto unverified = source.Accept(Request(id, ts, example, body).View());
  REQUIRE_FALSE(unverified.ok());
  CHECK(unverified.error().code == ErrorCode::kUnauthenticated);
  auto only_v1a = source.Accept(Request(id, ts, v1a.substr(1), body).View());
  REQUIRE_FALSE(only_v1a.ok());
  CHECK(only_v1a.error().message == "webhook-signature has no v1 signature");
}

TEST_CASE("standard_webhooks: a saved payload says its type exactly as a delivery does",
          "[connectors][standard_webhooks]") {
  const auto vectors =
      testing::ReadJson(testing::WebhookFixtures("standard-webhooks") / "test_vectors.json");
  ManualClock clock(At(1674087231));
  const auto source = MakeSource(clock, {kSecret});
  // Each sender has its own types: nothing to rule out.
  CHECK(source.EventTypes().empty());

  // The spec's example message ("type": "contact.created"), and the official vector's body,
  // which has no type at all.
  const std::string content = testing::Text(vectors.at("spec_example_signed_content"));
  const std::string example = content.substr(content.find(".{") + 1);
  const std::string untyped = testing::Text(vectors.at("vectors").at(0).at("body"));
  for (const std::string& body : {example, untyped}) {
    INFO(body);
    const std::string id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const std::string ts = "1674087231";
    auto result = source.Accept(Request(id, ts, V1(kSecret, id, ts, body), body).View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    CHECK(source.EventTypeOf(boost::json::parse(body)).value_or("") == (*result)[0].event_type);
  }
  CHECK(source.EventTypeOf(boost::json::parse(example)) == "contact.created");
  CHECK_FALSE(source.EventTypeOf(boost::json::parse(untyped)));
}

TEST_CASE("standard_webhooks: secrets rotate and several signatures may be sent",
          "[connectors][standard_webhooks]") {
  ManualClock clock(At(1700000000));
  const std::string body = R"({"type":"invoice.paid","data":{}})";
  const std::string ts = "1700000000";
  const auto both = MakeSource(clock, {kSecret, kOtherSecret});
  const auto old_only = MakeSource(clock, {kSecret});

  const FakeRequest by_new = Request("msg_1", ts, V1(kOtherSecret, "msg_1", ts, body), body);
  CHECK(both.Accept(by_new.View()).ok());
  CHECK_FALSE(old_only.Accept(by_new.View()).ok());

  const std::string two =
      V1(kOtherSecret, "msg_1", ts, body) + " " + V1(kSecret, "msg_1", ts, body);
  CHECK(old_only.Accept(Request("msg_1", ts, two, body).View()).ok());
  CHECK(DecodeSigningSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == DecodeSigningSecret(kSecret));
  CHECK_FALSE(DecodeSigningSecret("whsec_not base64!"));
}

TEST_CASE("standard_webhooks: stale, tampered and incomplete messages are refused",
          "[connectors][standard_webhooks]") {
  const std::string body = R"({"type":"user.created"})";
  const std::string ts = "1700000000";
  const std::string sig = V1(kSecret, "msg_1", ts, body);

  SECTION("signed five minutes and one second ago") {
    ManualClock clock(At(1700000000 + 301));
    auto result = MakeSource(clock, {kSecret}).Accept(Request("msg_1", ts, sig, body).View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
    CHECK(result.error().message == "timestamp outside tolerance (301s old)");
  }
  SECTION("the id, the timestamp or the body changed") {
    ManualClock clock(At(1700000000));
    const auto source = MakeSource(clock, {kSecret});
    CHECK(source.Accept(Request("msg_1", ts, sig, body).View()).ok());
    CHECK_FALSE(source.Accept(Request("msg_2", ts, sig, body).View()).ok());
    CHECK_FALSE(source.Accept(Request("msg_1", "1700000001", sig, body).View()).ok());
    std::string tampered = body;
    tampered[3] ^= 1;
    auto result = source.Accept(Request("msg_1", ts, sig, tampered).View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("a missing header") {
    ManualClock clock(At(1700000000));
    const auto source = MakeSource(clock, {kSecret});
    for (std::string_view drop : {"webhook-id", "webhook-timestamp", "webhook-signature"}) {
      INFO(drop);
      FakeRequest request;
      if (drop != "webhook-id") request.headers.Add("webhook-id", "msg_1");
      if (drop != "webhook-timestamp") request.headers.Add("webhook-timestamp", ts);
      if (drop != "webhook-signature") request.headers.Add("webhook-signature", sig);
      request.body = body;
      auto result = source.Accept(request.View());
      REQUIRE_FALSE(result.ok());
      CHECK(result.error().code == ErrorCode::kUnauthenticated);
      CHECK(result.error().message == "missing " + std::string(drop) + " header");
    }
  }
  SECTION("signed but not JSON") {
    ManualClock clock(At(1700000000));
    const std::string text = "hello";
    auto result = MakeSource(clock, {kSecret})
                      .Accept(Request("msg_1", ts, V1(kSecret, "msg_1", ts, text), text).View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("standard_webhooks: the factory parses YAML and points at bad secrets",
          "[connectors][standard_webhooks]") {
  ManualClock clock(At(1700000000));
  const auto context = testing::MakeContext(clock, "svix");
  const auto factory = MakeStandardWebhooksFactory();
  CHECK(factory->type() == "standard_webhooks");

  auto good = testing::CreateFromYaml(*factory,
                                      "name: svix\n"
                                      "type: standard_webhooks\n"
                                      "secrets:\n"
                                      "  - " +
                                          std::string(kSecret) +
                                          "\n"
                                          "  - " +
                                          std::string(kOtherSecret) + "\n",
                                      context);
  REQUIRE(good.source != nullptr);
  const std::string body = R"({"type":"a"})";
  CHECK(good.source
            ->Accept(
                Request("m", "1700000000", V1(kOtherSecret, "m", "1700000000", body), body).View())
            .ok());

  auto bad = testing::CreateFromYaml(*factory,
                                     "name: svix\n"
                                     "type: standard_webhooks\n"
                                     "secrets:\n"
                                     "  - whsec_%%%\n"
                                     "tolerance: 1h\n",
                                     context);
  CHECK(bad.source == nullptr);
  auto first = testing::FirstError(bad.diag);
  REQUIRE(first);
  CHECK(first->kind == config::DiagnosticKind::kInvalidValue);
  CHECK(first->message == "secret 1 is not whsec_ followed by base64");
  CHECK(first->position.line == 4);

  auto typo = testing::CreateFromYaml(
      *factory, "name: svix\ntype: standard_webhooks\nsecret: " + std::string(kSecret) + "\n",
      context);
  CHECK(typo.source == nullptr);
  auto unknown = testing::FirstError(typo.diag);
  REQUIRE(unknown);
  CHECK(unknown->kind == config::DiagnosticKind::kUnknownKey);
  CHECK(unknown->position.line == 3);
  CHECK(unknown->hint == "did you mean 'secrets'?");
}

}  // namespace
}  // namespace journeyd::connectors::standard_webhooks
