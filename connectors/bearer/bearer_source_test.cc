#include "connectors/bearer/bearer_source.h"

#include <catch2/catch.hpp>

#include "connectors/common/webhook_test_util.h"

namespace journeyd::connectors::bearer {
namespace {

using testing::FakeRequest;

constexpr std::string_view kToken = "tok_4f8a1c2e9b";

BearerSource MakeSource(std::string header = "Authorization") {
  static const ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  BearerSettings settings;
  settings.token = Secret(std::string(kToken));
  settings.header = std::move(header);
  settings.event_type_field = "event";
  settings.event_id_header = "X-Delivery-Id";
  settings.event_id_field = "id";
  return BearerSource(std::move(settings), testing::MakeContext(clock, "forms"));
}

FakeRequest Request(std::string header, std::string value, std::string body) {
  FakeRequest request;
  request.headers.Add(std::move(header), std::move(value));
  request.body = std::move(body);
  return request;
}

const std::string kBody = R"({"event":"form.submitted","id":"sub_1","email":"a@example.com"})";

TEST_CASE("bearer: Authorization: Bearer <token>", "[connectors][bearer]") {
  const BearerSource source = MakeSource();
  FakeRequest request = Request("Authorization", "Bearer " + std::string(kToken), kBody);
  auto result = source.Accept(request.View());
  REQUIRE(result.ok());
  REQUIRE(result->size() == 1);
  const RawEvent& event = (*result)[0];
  CHECK(event.event_type == "form.submitted");
  CHECK(event.external_id == "sub_1");  // no X-Delivery-Id header: the field is used
  CHECK(event.body == kBody);
  CHECK(event.source == "forms");
  CHECK(event.headers.empty());

  request.headers.Add("X-Delivery-Id", "dlv_9");
  auto with_header = source.Accept(request.View());
  REQUIRE(with_header.ok());
  CHECK((*with_header)[0].external_id == "dlv_9");
  REQUIRE((*with_header)[0].headers.size() == 1);
  CHECK((*with_header)[0].headers[0].first == "X-Delivery-Id");

  CHECK(
      source.Accept(Request("authorization", "bearer  " + std::string(kToken), kBody).View()).ok());
}

TEST_CASE("bearer: a saved body says its type where the configured field does",
          "[connectors][bearer]") {
  const BearerSource source = MakeSource();
  CHECK(source.EventTypes().empty());
  auto result =
      source.Accept(Request("Authorization", "Bearer " + std::string(kToken), kBody).View());
  REQUIRE(result.ok());
  CHECK(source.EventTypeOf(boost::json::parse(kBody)) == (*result)[0].event_type);
  CHECK(source.EventTypeOf(boost::json::parse(kBody)) == "form.submitted");
  CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"id":"sub_2"})")));
  CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"event":{"name":"x"}})")));

  SECTION("without a type field, a saved body cannot say") {
    static const ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
    BearerSettings settings;
    settings.token = Secret(std::string(kToken));
    settings.event_type_header = "X-Event-Type";
    const BearerSource by_header(std::move(settings), testing::MakeContext(clock, "forms"));
    CHECK_FALSE(by_header.EventTypeOf(boost::json::parse(kBody)));
  }
}

TEST_CASE("bearer: wrong, missing or differently presented tokens are refused",
          "[connectors][bearer]") {
  const BearerSource source = MakeSource();
  for (std::string value : {std::string(kToken),                        // no scheme
                            "Basic " + std::string(kToken),             // another scheme
                            "Bearer " + std::string(kToken) + "x",      // longer
                            "Bearer " + std::string(kToken).substr(1),  // shorter
                            std::string("Bearer ")}) {
    INFO(value);
    auto result = source.Accept(Request("Authorization", value, kBody).View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
  }
  FakeRequest none;
  none.body = kBody;
  auto missing = source.Accept(none.View());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "missing Authorization header");

  auto not_json =
      source.Accept(Request("Authorization", "Bearer " + std::string(kToken), "a=b").View());
  REQUIRE_FALSE(not_json.ok());
  CHECK(not_json.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("bearer: a custom header carries the bare token", "[connectors][bearer]") {
  const BearerSource source = MakeSource("X-Webhook-Token");
  CHECK(source.Accept(Request("X-Webhook-Token", std::string(kToken), kBody).View()).ok());
  CHECK(source.Accept(Request("X-Webhook-Token", "Bearer " + std::string(kToken), kBody).View())
            .ok());
  CHECK_FALSE(source.Accept(Request("X-Webhook-Token", "nope", kBody).View()).ok());
  auto elsewhere =
      source.Accept(Request("Authorization", "Bearer " + std::string(kToken), kBody).View());
  REQUIRE_FALSE(elsewhere.ok());
  CHECK(elsewhere.error().code == ErrorCode::kUnauthenticated);
}

TEST_CASE("bearer: the credential header is never kept, even if configured as an event header",
          "[connectors][bearer]") {
  static const ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  BearerSettings settings;
  settings.token = Secret(std::string(kToken));
  settings.event_type_header = "Authorization";
  const BearerSource source(std::move(settings), testing::MakeContext(clock));
  auto result =
      source.Accept(Request("Authorization", "Bearer " + std::string(kToken), kBody).View());
  REQUIRE(result.ok());
  CHECK((*result)[0].headers.empty());
}

TEST_CASE("bearer: the factory parses YAML and points at bad settings", "[connectors][bearer]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const auto context = testing::MakeContext(clock, "forms");
  const auto factory = MakeBearerFactory();
  CHECK(factory->type() == "bearer");

  auto good = testing::CreateFromYaml(*factory,
                                      "name: forms\n"
                                      "type: bearer\n"
                                      "token: tok_4f8a1c2e9b\n"
                                      "event_type_field: event\n",
                                      context);
  REQUIRE(good.source != nullptr);
  auto result =
      good.source->Accept(Request("Authorization", "Bearer " + std::string(kToken), kBody).View());
  REQUIRE(result.ok());
  CHECK((*result)[0].event_type == "form.submitted");
  CHECK((*result)[0].external_id.empty());

  auto bad = testing::CreateFromYaml(*factory,
                                     "name: forms\n"
                                     "type: bearer\n"
                                     "token: t\n"
                                     "header: \"X Token\"\n"
                                     "event_type_feild: event\n",
                                     context);
  CHECK(bad.source == nullptr);
  CHECK(bad.diag.error_count() == 2);
  auto first = testing::FirstError(bad.diag);
  REQUIRE(first);
  CHECK(first->kind == config::DiagnosticKind::kInvalidValue);
  CHECK(first->position.line == 4);
  CHECK(first->position.column == 9);
  CHECK(bad.diag.entries().back().hint == "did you mean 'event_type_field'?");
}

}  // namespace
}  // namespace journeyd::connectors::bearer
