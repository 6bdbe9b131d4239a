#include "connectors/segment/segment_source.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "connectors/common/webhook_test_util.h"
#include "engine/mapping/mapping.h"

namespace journeyd::connectors::segment {
namespace {

using testing::FakeRequest;

// The write key in every example of Segment's docs.
constexpr std::string_view kDocsKey = "YOUR_WRITE_KEY";

std::filesystem::path Examples() {
  return journeyd::testing::FixturesDir() / "tracking" / "segment" / "examples";
}

SegmentSource MakeSource(std::string_view write_key = kDocsKey) {
  static const ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  SegmentSettings settings;
  settings.write_key = Secret(std::string(write_key));
  return SegmentSource(std::move(settings), testing::MakeContext(clock, "web"));
}

FakeRequest Call(std::string call, std::string body, std::string authorization = "") {
  FakeRequest request;
  request.path = "/webhooks/web/v1/" + call;
  if (!authorization.empty()) request.headers.Add("Authorization", std::move(authorization));
  request.headers.Add("Content-Type", "application/json");
  request.body = std::move(body);
  return request;
}

std::string Basic(std::string_view user_and_password) {
  return "Basic " + common::Base64Encode(user_and_password);
}

TEST_CASE("segment: every HTTP API example call, authenticated by writeKey in the body",
          "[connectors][segment]") {
  const SegmentSource source = MakeSource();
  int calls = 0;
  for (const auto& entry : std::filesystem::directory_iterator(Examples())) {
    const std::string file = entry.path().filename().string();
    // http-api.02.track_POST_v1_track.json: the call type follows the second '.'.
    if (!file.starts_with("http-api.") || file.find("batch") != std::string::npos) continue;
    INFO(file);
    ++calls;
    const size_t type_at = file.find('.', 9) + 1;
    const std::string type = file.substr(type_at, file.find('_', type_at) - type_at);
    const std::string body = journeyd::testing::ReadFile(entry.path());
    auto result = source.Accept(Call(type, body).View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    const RawEvent& event = (*result)[0];
    CHECK(event.event_type == type);
    CHECK(event.external_id.empty());  // the docs' examples carry no messageId
    CHECK(event.source == "web");
    CHECK(event.content_type == "application/json");
    CHECK(event.headers.empty());
    // Everything but the credential is kept.
    auto expected = boost::json::parse(body).as_object();
    expected.erase("writeKey");
    CHECK(boost::json::parse(event.body) == expected);
    CHECK(event.body.find("YOUR_WRITE_KEY") == std::string::npos);
  }
  CHECK(calls == 7);
}

TEST_CASE("segment: HTTP Basic with the write key as user keeps the body byte for byte",
          "[connectors][segment]") {
  const SegmentSource source = MakeSource("abc123");
  const std::string body = journeyd::testing::ReadFile(Examples() / "spec-track.02.track.json");

  // The docs' own example header: "abc123:" -> YWJjMTIzOg==.
  auto result = source.Accept(Call("track", body, "Basic YWJjMTIzOg==").View());
  REQUIRE(result.ok());
  REQUIRE(result->size() == 1);
  CHECK((*result)[0].body == body);
  CHECK((*result)[0].external_id == "ajs-f8ca1e4de5024d9430b3928bd8ac6b96");
  CHECK((*result)[0].event_type == "track");

  CHECK(source.Accept(Call("track", body, Basic("abc123")).View()).ok());  // legacy, no colon
  CHECK(source.Accept(Call("track", body, "basic  YWJjMTIzOg== ").View()).ok());
  for (std::string header :
       {Basic("abc123:password"), Basic("abc124:"), Basic(":abc123"), std::string("Basic !!!")}) {
    INFO(header);
    auto refused = source.Accept(Call("track", body, header).View());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::kUnauthenticated);
  }
  // Wrong Basic credentials are not rescued by a right writeKey in the body.
  auto both = source.Accept(
      Call("identify", R"({"userId":"u1","writeKey":"abc123"})", Basic("nope:")).View());
  REQUIRE_FALSE(both.ok());
  CHECK(both.error().code == ErrorCode::kUnauthenticated);
}

TEST_CASE("segment: requests without the right write key are refused", "[connectors][segment]") {
  const SegmentSource source = MakeSource("abc123");
  const std::string anonymous = R"({"userId":"u1","event":"Signed Up"})";
  auto missing = source.Accept(Call("track", anonymous).View());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kUnauthenticated);
  CHECK(missing.error().message == "missing write key");

  auto wrong = source.Accept(Call("track", R"({"userId":"u1","writeKey":"abc12"})").View());
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == ErrorCode::kUnauthenticated);

  auto not_json = source.Accept(Call("track", "userId=u1&writeKey=abc123").View());
  REQUIRE_FALSE(not_json.ok());
  CHECK(not_json.error().code == ErrorCode::kUnauthenticated);

  // Segment's OAuth form: a bearer token plus the write key in the body.
  auto oauth = source.Accept(
      Call("track", R"({"userId":"u1","event":"x","writeKey":"abc123"})", "Bearer eyJ0eXAi")
          .View());
  CHECK(oauth.ok());
}

TEST_CASE("segment: the docs' batch splits into its four calls with the batch context",
          "[connectors][segment]") {
  const SegmentSource source = MakeSource();
  const std::string body =
      journeyd::testing::ReadFile(Examples() / "http-api.07.batch_POST_v1_batch.json");
  auto result = source.Accept(Call("batch", body).View());
  REQUIRE(result.ok());
  REQUIRE(result->size() == 4);
  const std::vector<std::string> types = {"identify", "track", "identify", "track"};
  const auto batch = boost::json::parse(body).at("batch").as_array();
  for (size_t i = 0; i < types.size(); ++i) {
    INFO(i);
    const RawEvent& event = (*result)[i];
    CHECK(event.event_type == types[i]);
    CHECK(event.external_id.empty());
    const auto item = boost::json::parse(event.body).as_object();
    CHECK(item.at("userId") == batch[i].at("userId"));
    CHECK(item.at("context").at("device").at("name") == "Apple iPhone 6");
    CHECK_FALSE(item.contains("writeKey"));
    CHECK_FALSE(item.contains("batch"));
  }
}

TEST_CASE("segment: a batch of every spec example keeps each messageId and own context",
          "[connectors][segment]") {
  boost::json::array batch;
  for (const auto& entry : std::filesystem::directory_iterator(Examples())) {
    if (!entry.path().filename().string().starts_with("spec-")) continue;
    batch.push_back(boost::json::parse(journeyd::testing::ReadFile(entry.path())));
  }
  REQUIRE(batch.size() == 13);
  boost::json::object body;
  body["batch"] = batch;
  body["context"] = {{"library", {{"name", "batch-level"}}}, {"ip", "203.0.113.9"}};
  body["integrations"] = {{"All", false}};

  auto result = MakeSource("abc123").Accept(
      Call("batch", boost::json::serialize(body), "Basic YWJjMTIzOg==").View());
  REQUIRE(result.ok());
  REQUIRE(result->size() == 13);
  int with_id = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& original = batch[i].as_object();
    const RawEvent& event = (*result)[i];
    INFO(event.body);
    CHECK(event.event_type == testing::Text(original.at("type")));
    if (const auto* id = original.if_contains("messageId")) {
      ++with_id;
      CHECK(event.external_id == testing::Text(*id));
    } else {
      CHECK(event.external_id.empty());
    }
    const auto item = boost::json::parse(event.body).as_object();
    const auto& context = item.at("context").as_object();
    CHECK(context.at("ip") ==
          (original.contains("context") && original.at("context").as_object().contains("ip")
               ? original.at("context").at("ip")
               : boost::json::value("203.0.113.9")));
    if (original.contains("context") && original.at("context").as_object().contains("library")) {
      CHECK(context.at("library") == original.at("context").at("library"));
    } else {
      CHECK(context.at("library").at("name") == "batch-level");
    }
    if (original.contains("integrations")) {
      CHECK(item.at("integrations").as_object().size() >=
            original.at("integrations").as_object().size());
    } else {
      CHECK(item.at("integrations") == boost::json::object{{"All", false}});
    }
  }
  CHECK(with_id == 7);
}

TEST_CASE("segment: a saved message says its type exactly as a delivery does",
          "[connectors][segment]") {
  const SegmentSource source = MakeSource();
  SECTION("each spec example, as an element of a batch") {
    boost::json::array batch;
    for (const auto& entry : std::filesystem::directory_iterator(Examples())) {
      if (!entry.path().filename().string().starts_with("spec-")) continue;
      batch.push_back(boost::json::parse(journeyd::testing::ReadFile(entry.path())));
    }
    REQUIRE(batch.size() == 13);
    boost::json::object body;
    body["batch"] = batch;
    auto result = source.Accept(
        Call("batch", boost::json::serialize(body), Basic("YOUR_WRITE_KEY:")).View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      INFO((*result)[i].body);
      const auto type = source.EventTypeOf(batch[i]);
      REQUIRE(type.has_value());
      CHECK(*type == (*result)[i].event_type);
      // What the inbox stored reads the same.
      CHECK(source.EventTypeOf(boost::json::parse((*result)[i].body)) == *type);
    }
    // The whole batch body has no one type.
    CHECK_FALSE(source.EventTypeOf(body));
  }
  SECTION("an HTTP API call body leaves its type in the path") {
    const std::string body =
        journeyd::testing::ReadFile(Examples() / "http-api.02.track_POST_v1_track.json");
    auto result = source.Accept(Call("track", body).View());
    REQUIRE(result.ok());
    CHECK((*result)[0].event_type == "track");
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(body)));
  }
  SECTION("a type that is no Segment call") {
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"type":"Order Completed"})")));
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"type":"b"})")));
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"type":["track"]})")));
  }
}

TEST_CASE("segment: mappings may name the six calls and nothing else", "[connectors][segment]") {
  const SegmentSource source = MakeSource();
  CHECK(source.EventTypes() ==
        std::vector<std::string>{"identify", "track", "page", "screen", "group", "alias"});

  const auto load = [&](const std::string& yaml) {
    config::Diagnostics diag;
    auto root = config::ConfigNode::LoadString(yaml, "m.yaml", diag);
    REQUIRE(root);
    mapping::MappingLoadOptions options;
    options.known_event_types = source.EventTypes();
    mapping::Mapping::Load(*root, options, diag);
    const auto first = testing::FirstError(diag);
    return first ? first->ToString() : "";
  };
  CHECK(load("mapping: segment\nevents:\n  - on: [identify, track, page, screen, group, "
             "alias]\n")
            .empty());
  CHECK_THAT(load("mapping: segment\nevents:\n  - on: identity\n"),
             Catch::Contains("'identity' matches no event type") &&
                 Catch::Contains("did you mean 'identify'?"));
  // A track call's event name is not an event type: select `track` and look at `event`.
  CHECK_THAT(load("mapping: segment\nevents:\n  - on: Order Completed\n"),
             Catch::Contains("matches no event type"));

  mapping::MappingLoadOptions options;
  options.known_event_types = source.EventTypes();
  options.source_type = "segment";
  config::Diagnostics diag;
  CHECK(mapping::Mapping::LoadFile(journeyd::testing::SourceDir() / "mappings" / "segment.yaml",
                                   options, diag) != nullptr);
  for (const auto& entry : diag.entries()) UNSCOPED_INFO(entry.ToString());
  CHECK_FALSE(diag.has_errors());
}

TEST_CASE("segment: Segment's size limits and call types", "[connectors][segment]") {
  const SegmentSource source = MakeSource();
  const auto padded = [](size_t bytes) {
    std::string body = R"({"userId":"u1","writeKey":"YOUR_WRITE_KEY","p":")";
    body += std::string(bytes - body.size() - 2, 'x');
    body += "\"}";
    return body;
  };

  SECTION("32KB per call") {
    CHECK(source.Accept(Call("track", padded(kMaxCallBytes)).View()).ok());
    auto big = source.Accept(Call("track", padded(kMaxCallBytes + 1)).View());
    REQUIRE_FALSE(big.ok());
    CHECK(big.error().code == ErrorCode::kInvalidArgument);
    CHECK(big.error().message == "Segment call of 32769 bytes exceeds the 32KB limit");
  }
  SECTION("500KB per batch, 32KB per batched event, 2500 events") {
    const std::string item = R"({"type":"track","event":"e","userId":"u"})";
    std::string body = R"({"writeKey":"YOUR_WRITE_KEY","batch":[)";
    for (size_t i = 0; i < kMaxBatchEvents; ++i) body += (i ? "," : "") + item;
    body += "]}";
    REQUIRE(body.size() < kMaxBatchBytes);
    auto full = source.Accept(Call("batch", body).View());
    REQUIRE(full.ok());
    CHECK(full->size() == kMaxBatchEvents);

    std::string over = body.substr(0, body.size() - 2) + "," + item + "]}";
    auto too_many = source.Accept(Call("batch", over).View());
    REQUIRE_FALSE(too_many.ok());
    CHECK(too_many.error().code == ErrorCode::kInvalidArgument);

    std::string huge = R"({"writeKey":"YOUR_WRITE_KEY","batch":[{"type":"track","p":")" +
                       std::string(kMaxBatchBytes, 'x') + "\"}]}";
    auto too_big = source.Accept(Call("batch", huge).View());
    REQUIRE_FALSE(too_big.ok());
    CHECK(too_big.error().code == ErrorCode::kInvalidArgument);
    CHECK(too_big.error().message.find("500KB") != std::string::npos);

    std::string fat_event = R"({"writeKey":"YOUR_WRITE_KEY","batch":[{"type":"track","p":")" +
                            std::string(kMaxCallBytes, 'x') + "\"}]}";
    auto one_too_big = source.Accept(Call("batch", fat_event).View());
    REQUIRE_FALSE(one_too_big.ok());
    CHECK(one_too_big.error().code == ErrorCode::kInvalidArgument);
    CHECK(one_too_big.error().message == "Segment batch[0] exceeds the 32KB per-event limit");
  }
  SECTION("the call type comes from the path") {
    const std::string body = R"({"userId":"u1","writeKey":"YOUR_WRITE_KEY"})";
    auto short_alias = source.Accept(Call("p", body).View());
    REQUIRE(short_alias.ok());
    CHECK((*short_alias)[0].event_type == "page");
    auto unknown = source.Accept(Call("purchase", body).View());
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().code == ErrorCode::kInvalidArgument);
    auto untyped = source.Accept(
        Call("batch", R"({"writeKey":"YOUR_WRITE_KEY","batch":[{"userId":"u1"}]})").View());
    REQUIRE_FALSE(untyped.ok());
    CHECK(untyped.error().code == ErrorCode::kInvalidArgument);
    auto nested = source.Accept(
        Call("batch", R"({"writeKey":"YOUR_WRITE_KEY","batch":[{"type":"batch"}]})").View());
    REQUIRE_FALSE(nested.ok());
    CHECK(nested.error().code == ErrorCode::kInvalidArgument);
    auto no_array = source.Accept(Call("batch", R"({"writeKey":"YOUR_WRITE_KEY"})").View());
    REQUIRE_FALSE(no_array.ok());
    CHECK(no_array.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("segment: the factory parses YAML and points at bad keys", "[connectors][segment]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const auto context = testing::MakeContext(clock, "web");
  const auto factory = MakeSegmentFactory();
  CHECK(factory->type() == "segment");

  auto good =
      testing::CreateFromYaml(*factory, "name: web\ntype: segment\nwrite_key: abc123\n", context);
  REQUIRE(good.source != nullptr);
  CHECK(
      good.source->Accept(Call("identify", R"({"userId":"u"})", "Basic YWJjMTIzOg==").View()).ok());

  auto bad =
      testing::CreateFromYaml(*factory, "name: web\ntype: segment\nwriteKey: abc123\n", context);
  CHECK(bad.source == nullptr);
  auto first = testing::FirstError(bad.diag);
  REQUIRE(first);
  CHECK(first->kind == config::DiagnosticKind::kUnknownKey);
  CHECK(first->position.line == 3);
  CHECK(first->hint == "did you mean 'write_key'?");
}

}  // namespace
}  // namespace journeyd::connectors::segment
