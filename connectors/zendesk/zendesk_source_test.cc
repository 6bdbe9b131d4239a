#include "connectors/zendesk/zendesk_source.h"

#include <catch2/catch.hpp>

#include "connectors/common/timestamp.h"
#include "connectors/common/webhook_test_util.h"
#include "engine/mapping/mapping.h"

namespace journeyd::connectors::zendesk {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing::FakeRequest;

// Zendesk's published static test secret (it signs the test deliveries sent from the admin UI).
constexpr std::string_view kSecret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
constexpr std::string_view kTimestamp = "2025-01-08T10:12:08Z";

std::chrono::system_clock::time_point At(std::string_view iso) {
  auto t = common::ParseIso8601(iso);
  if (!t) throw std::runtime_error("bad test timestamp");
  return *t;
}

ZendeskSource MakeSource(const Clock& clock, std::string_view secret = kSecret,
                         config::Duration tolerance = minutes(5)) {
  ZendeskSettings settings;
  settings.secret = Secret(std::string(secret));
  settings.tolerance = tolerance;
  return ZendeskSource(std::move(settings), testing::MakeContext(clock, "zendesk"));
}

FakeRequest SignedRequest(std::string body, std::string_view timestamp = kTimestamp) {
  FakeRequest request;
  request.headers.Add("X-Zendesk-Webhook-Signature",
                      common::Base64Encode(common::HmacSha256(kSecret, {timestamp, body})));
  request.headers.Add("X-Zendesk-Webhook-Signature-Timestamp", std::string(timestamp));
  request.headers.Add("X-Zendesk-Webhook-Id", "01GZ4Y0X5N0ZZ8E1R2S3T4V5W6");
  request.body = std::move(body);
  return request;
}

TEST_CASE("zendesk: every derived signature vector, with the key used verbatim",
          "[connectors][zendesk]") {
  const auto dir = testing::WebhookFixtures("zendesk");
  const auto vectors = testing::ReadJson(dir / "signature_test_vectors.json");
  CHECK(testing::Text(vectors.at("static_test_secret").at("value")) == kSecret);
  testing::VectorVerdicts verdicts;
  for (const auto& item : vectors.at("vectors").as_array()) {
    const auto& vector = item.as_object();
    INFO(testing::Text(vector.at("name")));
    const std::string timestamp = testing::Text(vector.at("timestamp"));
    // A minute after signing: inside the default window.
    ManualClock clock(At(timestamp) + minutes(1));
    const ZendeskSource source = MakeSource(clock, testing::Text(vector.at("secret")));
    FakeRequest request;
    request.body = testing::VectorBody(vector, dir);
    request.headers.Add("X-Zendesk-Webhook-Signature",
                        testing::Text(vector.at("expected_signature")));
    request.headers.Add("X-Zendesk-Webhook-Signature-Timestamp", timestamp);
    auto result = source.Accept(request.View());
    verdicts.Check(vector, result, request.body);
  }
  CHECK(verdicts.valid == 2);
  CHECK(verdicts.invalid == 1);
}

TEST_CASE("zendesk: type and id from real event payloads", "[connectors][zendesk]") {
  ManualClock clock(At(kTimestamp));
  const ZendeskSource source = MakeSource(clock);
  const auto dir = testing::WebhookFixtures("zendesk");

  SECTION("ticket.created, captured from a real delivery") {
    const std::string body = journeyd::testing::ReadFile(dir / "ticket_created.captured.json");
    auto result = source.Accept(SignedRequest(body).View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    const RawEvent& event = (*result)[0];
    CHECK(event.event_type == "zen:event-type:ticket.created");
    CHECK(event.external_id == "cbe4028c-7239-495d-b020-f22348516046");
    CHECK(event.body == body);
    CHECK(event.source == "zendesk");
    CHECK(event.content_type == "application/json");
    REQUIRE(event.headers.size() == 1);
    CHECK(event.headers[0].first == "X-Zendesk-Webhook-Id");
  }
  SECTION("user.group_membership_created") {
    const std::string body =
        journeyd::testing::ReadFile(dir / "user_group_membership_created.json");
    auto result = source.Accept(SignedRequest(body).View());
    REQUIRE(result.ok());
    CHECK((*result)[0].event_type == "zen:event-type:user.group_membership_created");
    CHECK((*result)[0].external_id == "6b9bbadf-5725-4e92-bebe-7b71011bf5f1");
  }
  SECTION("a trigger's admin-defined body has no event id") {
    const std::string body =
        journeyd::testing::ReadFile(dir / "ticket_updated.trigger_custom_body.json");
    auto result = source.Accept(SignedRequest(body).View());
    REQUIRE(result.ok());
    CHECK((*result)[0].event_type == "End User Comment");
    CHECK((*result)[0].external_id.empty());
  }
}

TEST_CASE("zendesk: a saved body says its type exactly as a delivery does",
          "[connectors][zendesk]") {
  ManualClock clock(At(kTimestamp));
  const ZendeskSource source = MakeSource(clock);
  const auto dir = testing::WebhookFixtures("zendesk");
  for (const char* file : {"ticket_created.captured.json", "user_group_membership_created.json",
                           "ticket_updated.trigger_custom_body.json"}) {
    INFO(file);
    const std::string body = journeyd::testing::ReadFile(dir / file);
    auto result = source.Accept(SignedRequest(body).View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    const auto type = source.EventTypeOf(boost::json::parse(body));
    REQUIRE(type.has_value());
    CHECK(*type == (*result)[0].event_type);
  }
  CHECK(source.EventTypeOf(boost::json::parse(
            journeyd::testing::ReadFile(dir / "ticket_created.captured.json"))) ==
        "zen:event-type:ticket.created");
  // A trigger body the admin wrote without a `type`: nothing to go on.
  CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"ticket_id":"5158"})")));
  CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"(["zen:event-type:ticket.created"])")));
}

TEST_CASE("zendesk: any event type may be mapped, since triggers name their own",
          "[connectors][zendesk]") {
  ManualClock clock(At(kTimestamp));
  const ZendeskSource source = MakeSource(clock);
  CHECK(source.EventTypes().empty());
  // The shipped mapping maps zen:event-type:* events and the "satisfaction_rated" type of a
  // trigger body; it must load against what the source declares.
  mapping::MappingLoadOptions options;
  options.known_event_types = source.EventTypes();
  options.source_type = "zendesk";
  config::Diagnostics diag;
  CHECK(mapping::Mapping::LoadFile(journeyd::testing::SourceDir() / "mappings" / "zendesk.yaml",
                                   options, diag) != nullptr);
  for (const auto& entry : diag.entries()) UNSCOPED_INFO(entry.ToString());
  CHECK_FALSE(diag.has_errors());
}

TEST_CASE("zendesk: stale, tampered and incomplete requests are refused", "[connectors][zendesk]") {
  const std::string body = R"({"type":"zen:event-type:ticket.created","id":"e1"})";

  SECTION("signed six minutes ago") {
    ManualClock clock(At(kTimestamp) + minutes(6));
    auto result = MakeSource(clock).Accept(SignedRequest(body).View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
    CHECK(result.error().message == "timestamp outside tolerance (360s old)");
    // A wider configured window lets the same delivery in.
    CHECK(MakeSource(clock, kSecret, minutes(10)).Accept(SignedRequest(body).View()).ok());
  }
  SECTION("signed six minutes in the future") {
    ManualClock clock(At(kTimestamp) - minutes(6));
    auto result = MakeSource(clock).Accept(SignedRequest(body).View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("the timestamp header changed after signing") {
    ManualClock clock(At(kTimestamp));
    FakeRequest request = SignedRequest(body);
    FakeRequest moved;
    moved.headers.Add("X-Zendesk-Webhook-Signature",
                      std::string(*request.headers.Get("X-Zendesk-Webhook-Signature")));
    moved.headers.Add("X-Zendesk-Webhook-Signature-Timestamp", "2025-01-08T10:12:09Z");
    moved.body = body;
    auto result = MakeSource(clock).Accept(moved.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message == "signature mismatch");
  }
  SECTION("one changed byte in the body") {
    ManualClock clock(At(kTimestamp));
    FakeRequest request = SignedRequest(body);
    request.body[5] ^= 1;
    auto result = MakeSource(clock).Accept(request.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("no timestamp header") {
    ManualClock clock(At(kTimestamp));
    FakeRequest request;
    request.headers.Add("X-Zendesk-Webhook-Signature",
                        "S/RDdU2ERmj7LHDDoWJ2onPYH+t7/f2+LTM4dL7UiLM=");
    request.body = body;
    auto result = MakeSource(clock).Accept(request.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
    CHECK(result.error().message == "missing X-Zendesk-Webhook-Signature-Timestamp header");
  }
  SECTION("no signature header") {
    ManualClock clock(At(kTimestamp));
    FakeRequest request;
    request.headers.Add("X-Zendesk-Webhook-Signature-Timestamp", std::string(kTimestamp));
    request.body = body;
    auto result = MakeSource(clock).Accept(request.View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("a timestamp that is not ISO 8601") {
    ManualClock clock(At(kTimestamp));
    auto result = MakeSource(clock).Accept(SignedRequest(body, "1736331128").View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
    CHECK(result.error().message == "malformed signature timestamp");
  }
  SECTION("signed but not JSON") {
    ManualClock clock(At(kTimestamp));
    auto result = MakeSource(clock).Accept(SignedRequest("<ticket/>").View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kInvalidArgument);
  }
}

// Found by tests/fuzz/fuzz_webhook: the timestamp is read before the signature is checked, and
// a year past 2262 overflowed the clock's nanoseconds (undefined behaviour) for anyone.
TEST_CASE("zendesk: a timestamp the clock cannot hold is malformed, signed or not",
          "[connectors][zendesk]") {
  const ManualClock clock(At(kTimestamp));
  const ZendeskSource source = MakeSource(clock);
  const std::string body = R"({"type":"zen:event-type:ticket.created","id":"1"})";
  for (std::string_view timestamp : {"4046-11-14T22:13:20Z", "9999-12-31T23:59:59Z",
                                     "1000-01-01T00:00:00Z"}) {
    INFO(timestamp);
    auto result = source.Accept(SignedRequest(body, timestamp).View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
    CHECK(result.error().message == "malformed signature timestamp");
  }
}

TEST_CASE("zendesk: the factory parses YAML and points at bad settings", "[connectors][zendesk]") {
  ManualClock clock(At(kTimestamp) + minutes(8));
  const auto context = testing::MakeContext(clock, "zendesk");
  const auto factory = MakeZendeskFactory();
  CHECK(factory->type() == "zendesk");

  auto good = testing::CreateFromYaml(
      *factory,
      "name: zendesk\ntype: zendesk\nsecret: " + std::string(kSecret) + "\ntolerance: 10m\n",
      context);
  REQUIRE(good.source != nullptr);
  // Eight minutes late: only accepted because of the configured 10m.
  CHECK(good.source->Accept(SignedRequest(R"({"id":"1"})").View()).ok());

  auto bad = testing::CreateFromYaml(*factory,
                                     "name: zendesk\n"
                                     "type: zendesk\n"
                                     "secret: abc\n"
                                     "tolerance: 300\n"
                                     "tolerence: 5m\n",
                                     context);
  CHECK(bad.source == nullptr);
  CHECK(bad.diag.error_count() == 2);
  auto first = testing::FirstError(bad.diag);
  REQUIRE(first);
  CHECK(first->position.line == 4);
  CHECK(first->position.column == 12);
  bool hinted = false;
  for (const auto& entry : bad.diag.entries()) {
    if (entry.kind == config::DiagnosticKind::kUnknownKey) {
      hinted = entry.hint == "did you mean 'tolerance'?" && entry.position.line == 5;
    }
  }
  CHECK(hinted);
}

}  // namespace
}  // namespace journeyd::connectors::zendesk
