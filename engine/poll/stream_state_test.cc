#include "engine/poll/stream_state.h"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <string>
#include <vector>

namespace journeyd::poll {
namespace {

namespace json = boost::json;

StreamState RoundTrip(const StreamState& state) {
  const std::string text = EncodeStreamState(state);
  INFO(text);
  // What is stored is a JSON object.
  CHECK(json::parse(text).is_object());
  auto decoded = DecodeStreamState(text);
  REQUIRE(decoded.ok());
  return *decoded;
}

TEST_CASE("stream state: encodes and decodes without a resume token", "[poll]") {
  const StreamState empty;
  CHECK(RoundTrip(empty) == empty);

  StreamState finished;
  finished.cursor = "2026-07-01T12:00:00Z";
  const StreamState back = RoundTrip(finished);
  CHECK(back == finished);
  CHECK_FALSE(back.resume.has_value());
  CHECK(json::parse(EncodeStreamState(finished)).as_object().if_contains("resume") == nullptr);
}

TEST_CASE("stream state: encodes and decodes a resume token of each kind", "[poll]") {
  for (const PageToken::Kind kind :
       {PageToken::Kind::kUrl, PageToken::Kind::kToken, PageToken::Kind::kNumber}) {
    StreamState state;
    state.cursor = "1782864000";
    state.pending = "1782867600";
    state.read_from = "2026-07-01T00:00:00.000Z";
    // Values with characters JSON must escape survive.
    state.resume = PageToken{kind, kind == PageToken::Kind::kNumber
                                       ? "300"
                                       : "https://x.test/a?page_info=\"q\\u\"&x=\xc3\xa9\n"};
    const StreamState back = RoundTrip(state);
    CHECK(back == state);
    REQUIRE(back.resume.has_value());
    CHECK(back.resume->kind == kind);
  }
}

TEST_CASE("stream state: missing members read as empty", "[poll]") {
  auto decoded = DecodeStreamState(R"({"cursor":"c"})");
  REQUIRE(decoded.ok());
  CHECK(decoded->cursor == "c");
  CHECK(decoded->pending.empty());
  CHECK(decoded->read_from.empty());
  CHECK_FALSE(decoded->resume.has_value());

  auto empty_object = DecodeStreamState("{}");
  REQUIRE(empty_object.ok());
  CHECK(*empty_object == StreamState{});
}

TEST_CASE("stream state: text this version did not write is corruption", "[poll]") {
  const std::vector<std::string> bad{
      "",
      "not json",
      "{\"cursor\": ",
      "[]",
      "\"cursor\"",
      "null",
      R"({"cursor": 5})",
      R"({"pending": true})",
      R"({"read_from": null})",
      R"({"resume": "https://x.test/next"})",
      R"({"resume": {"kind": 1, "value": "x"}})",
      R"({"resume": {"kind": "url", "value": 7}})",
      R"({"resume": {"kind": "bookmark", "value": "x"}})",
      R"({"resume": {"value": "x"}})",  // no kind: not one of the three
  };
  for (const std::string& text : bad) {
    INFO("'" << text << "'");
    auto decoded = DecodeStreamState(text);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::kCorruption);
  }
  auto unknown = DecodeStreamState(R"({"resume": {"kind": "bookmark", "value": "x"}})");
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.error().message, Catch::Contains("bookmark"));
}

}  // namespace
}  // namespace journeyd::poll
