#include "connectors/stripe/stripe_source.h"

#include <catch2/catch.hpp>

#include "connectors/common/webhook_test_util.h"
#include "engine/mapping/mapping.h"

namespace journeyd::connectors::stripe {
namespace {

using std::chrono::seconds;
using testing::FakeRequest;

constexpr std::string_view kSecret = "whsec_test_secret";
constexpr int64_t kSignedAt = 1700000000;

std::chrono::system_clock::time_point At(int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(seconds(unix_seconds));
}

StripeSource MakeSource(const Clock& clock, std::string_view secret = kSecret) {
  StripeSettings settings;
  settings.secret = Secret(std::string(secret));
  return StripeSource(std::move(settings), testing::MakeContext(clock, "stripe"));
}

std::string V1(std::string_view body, int64_t t = kSignedAt, std::string_view secret = kSecret) {
  const std::string ts = std::to_string(t);
  return common::HexEncode(common::HmacSha256(secret, {ts, ".", body}));
}

FakeRequest WithHeader(std::string body, std::string header) {
  FakeRequest request;
  request.headers.Add("Stripe-Signature", std::move(header));
  request.body = std::move(body);
  return request;
}

FakeRequest SignedRequest(std::string body, int64_t t = kSignedAt) {
  std::string header = "t=" + std::to_string(t) + ",v1=" + V1(body, t);
  return WithHeader(std::move(body), std::move(header));
}

TEST_CASE("stripe: every library-computed signature vector", "[connectors][stripe]") {
  ManualClock clock(At(kSignedAt) + seconds(10));
  const auto dir = testing::WebhookFixtures("stripe");
  const auto vectors = testing::ReadJson(dir / "signature_test_vectors.json");
  REQUIRE(testing::Text(vectors.at("header")) == "Stripe-Signature");
  testing::VectorVerdicts verdicts;
  for (const auto& item : vectors.at("vectors").as_array()) {
    const auto& vector = item.as_object();
    INFO(testing::Text(vector.at("name")));
    REQUIRE(vector.at("timestamp").as_int64() == kSignedAt);
    const StripeSource source = MakeSource(clock, testing::Text(vector.at("secret")));
    const FakeRequest request = WithHeader(testing::VectorBody(vector, dir),
                                           testing::Text(vector.at("expected_Stripe-Signature")));
    auto result = source.Accept(request.View());
    verdicts.Check(vector, result, request.body);
  }
  CHECK(verdicts.valid == 2);
  CHECK(verdicts.invalid == 1);
}

TEST_CASE("stripe: type and id from the real event envelopes", "[connectors][stripe]") {
  ManualClock clock(At(kSignedAt));
  const StripeSource source = MakeSource(clock);
  const auto dir = testing::WebhookFixtures("stripe");
  for (const auto& [file, type] : std::vector<std::pair<std::string, std::string>>{
           {"customer_created.assembled.json", "customer.created"},
           {"charge_succeeded.assembled.json", "charge.succeeded"},
           {"checkout_session_completed.assembled.json", "checkout.session.completed"}}) {
    INFO(file);
    const std::string body = journeyd::testing::ReadFile(dir / file);
    auto result = source.Accept(SignedRequest(body).View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    const RawEvent& event = (*result)[0];
    CHECK(event.event_type == type);
    CHECK(event.external_id == "evt_1Pgc76B7WZ01zgkWwyRHS12y");
    CHECK(event.body == body);
    CHECK(event.source == "stripe");
    CHECK(event.headers.empty());  // the signature header is never kept
  }
}

// What `journeyd check` says of a mapping block `on: <selector>` for this source: "" when the
// selector names an event type the source declares, else the error and its did-you-mean hint.
std::string SelectorProblem(const WebhookSource& source, std::string_view selector) {
  config::Diagnostics diag;
  auto root = config::ConfigNode::LoadString(
      "mapping: stripe\nevents:\n  - on: '" + std::string(selector) + "'\n", "m.yaml", diag);
  REQUIRE(root);
  mapping::MappingLoadOptions options;
  options.known_event_types = source.EventTypes();
  mapping::Mapping::Load(*root, options, diag);
  const auto first = testing::FirstError(diag);
  return first ? first->ToString() : "";
}

TEST_CASE("stripe: a saved event says its type exactly as a delivery does",
          "[connectors][stripe]") {
  ManualClock clock(At(kSignedAt));
  const StripeSource source = MakeSource(clock);
  const auto dir = testing::WebhookFixtures("stripe");
  for (const char* file : {"customer_created.assembled.json", "charge_succeeded.assembled.json",
                           "checkout_session_completed.assembled.json"}) {
    INFO(file);
    const std::string body = journeyd::testing::ReadFile(dir / file);
    auto result = source.Accept(SignedRequest(body).View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    const auto type = source.EventTypeOf(boost::json::parse(body));
    REQUIRE(type.has_value());
    CHECK(*type == (*result)[0].event_type);
    CHECK(SelectorProblem(source, *type).empty());
  }
  CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"id":"evt_1","object":"event"})")));
  CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"type":null})")));
  CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"("customer.created")")));
}

TEST_CASE("stripe: mappings may name events of Stripe's families and nothing else",
          "[connectors][stripe]") {
  ManualClock clock(At(kSignedAt));
  const StripeSource source = MakeSource(clock);
  for (const char* selector :
       {"customer.created", "customer.updated", "customer.deleted",
        "customer.subscription.trial_will_end", "checkout.session.completed",
        "checkout.session.async_payment_succeeded", "charge.succeeded", "charge.refunded",
        "charge.dispute.created", "invoice.paid", "invoice.payment_failed",
        "payment_intent.succeeded", "refund.created", "customer_cash_balance_transaction.created",
        "customer.*", "invoice.*", "checkout.*"}) {
    INFO(selector);
    CHECK(SelectorProblem(source, selector).empty());
  }
  CHECK_THAT(SelectorProblem(source, "customers.created"),
             Catch::Contains("'customers.created' matches no event type"));
  CHECK_THAT(SelectorProblem(source, "checkout.completed"),
             Catch::Contains("matches no event type"));
  CHECK_THAT(SelectorProblem(source, "payment_intents.succeeded"),
             Catch::Contains("matches no event type"));
  CHECK_THAT(SelectorProblem(source, "orders/create"), Catch::Contains("matches no event type"));
}

TEST_CASE("stripe: any v1 may match while a secret is rolled, v0 never counts",
          "[connectors][stripe]") {
  ManualClock clock(At(kSignedAt));
  const StripeSource source = MakeSource(clock);
  const std::string body = R"({"id":"evt_1","type":"customer.updated"})";
  const std::string t = "t=" + std::to_string(kSignedAt);
  const std::string old_v1 = V1(body, kSignedAt, "whsec_old_secret");

  CHECK(source.Accept(WithHeader(body, t + ",v1=" + old_v1 + ",v1=" + V1(body)).View()).ok());
  CHECK(source.Accept(WithHeader(body, "v1=" + V1(body) + ", " + t + ",v0=abc").View()).ok());

  auto only_old = source.Accept(WithHeader(body, t + ",v1=" + old_v1).View());
  REQUIRE_FALSE(only_old.ok());
  CHECK(only_old.error().message == "signature mismatch");

  auto only_v0 = source.Accept(WithHeader(body, t + ",v0=" + V1(body)).View());
  REQUIRE_FALSE(only_v0.ok());
  CHECK(only_v0.error().code == ErrorCode::kUnauthenticated);
  CHECK(only_v0.error().message == "Stripe-Signature has no v1 signature");
}

TEST_CASE("stripe: stale, tampered and incomplete requests are refused", "[connectors][stripe]") {
  const std::string body = R"({"id":"evt_1","type":"customer.created"})";

  SECTION("the timestamp is 301 seconds old") {
    ManualClock clock(At(kSignedAt) + seconds(300));
    CHECK(MakeSource(clock).Accept(SignedRequest(body).View()).ok());
    clock.Advance(seconds(1));
    auto result = MakeSource(clock).Accept(SignedRequest(body).View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
    CHECK(result.error().message == "timestamp outside tolerance (301s old)");
  }
  SECTION("a replay with a fresh t= but the old signature") {
    ManualClock clock(At(kSignedAt + 3600));
    const FakeRequest replay =
        WithHeader(body, "t=" + std::to_string(kSignedAt + 3600) + ",v1=" + V1(body));
    auto result = MakeSource(clock).Accept(replay.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message == "signature mismatch");
  }
  SECTION("one changed byte") {
    ManualClock clock(At(kSignedAt));
    FakeRequest request = SignedRequest(body);
    request.body[3] ^= 1;
    auto result = MakeSource(clock).Accept(request.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("no header, no t=, a non-numeric t=") {
    ManualClock clock(At(kSignedAt));
    FakeRequest none;
    none.body = body;
    auto missing = MakeSource(clock).Accept(none.View());
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ErrorCode::kUnauthenticated);
    CHECK(missing.error().message == "missing Stripe-Signature header");
    for (std::string header : {"v1=" + V1(body), "t=abc,v1=" + V1(body), std::string()}) {
      INFO(header);
      auto result = MakeSource(clock).Accept(WithHeader(body, header).View());
      REQUIRE_FALSE(result.ok());
      CHECK(result.error().code == ErrorCode::kUnauthenticated);
    }
  }
  SECTION("a signed t= too far ahead for the clock (found by tests/fuzz/fuzz_webhook)") {
    ManualClock clock(At(kSignedAt));
    for (int64_t t : {int64_t{99999999999}, int64_t{9223372037}, INT64_MAX}) {
      INFO(t);
      auto result = MakeSource(clock).Accept(SignedRequest(body, t).View());
      REQUIRE_FALSE(result.ok());
      CHECK(result.error().code == ErrorCode::kUnauthenticated);
      CHECK(result.error().message.rfind("timestamp outside tolerance", 0) == 0);
    }
  }
  SECTION("signed but not JSON") {
    ManualClock clock(At(kSignedAt));
    auto result = MakeSource(clock).Accept(SignedRequest("id=evt_1").View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("stripe: the factory parses YAML and points at bad settings", "[connectors][stripe]") {
  ManualClock clock(At(kSignedAt));
  const auto context = testing::MakeContext(clock, "stripe");
  const auto factory = MakeStripeFactory();
  CHECK(factory->type() == "stripe");

  auto good = testing::CreateFromYaml(
      *factory, "name: stripe\ntype: stripe\nsecret: whsec_test_secret\ntolerance: 2m\n", context);
  REQUIRE(good.source != nullptr);
  CHECK(good.source->Accept(SignedRequest(R"({"id":"evt_2"})").View()).ok());

  auto bad = testing::CreateFromYaml(*factory,
                                     "name: stripe\n"
                                     "type: stripe\n"
                                     "secret: whsec_x\n"
                                     "tolerance: 0s\n"
                                     "signing_secret: whsec_x\n",
                                     context);
  CHECK(bad.source == nullptr);
  CHECK(bad.diag.error_count() == 2);
  auto first = testing::FirstError(bad.diag);
  REQUIRE(first);
  CHECK(first->kind == config::DiagnosticKind::kInvalidValue);
  CHECK(first->message == "must be more than 0s");
  CHECK(first->position.line == 4);
  CHECK(first->position.column == 12);
}

}  // namespace
}  // namespace journeyd::connectors::stripe
