#include "engine/poll/template.h"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <string>

namespace journeyd::poll {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using std::chrono::system_clock;

// 2026-07-01T00:00:00Z, worked out with `date -u -d 2026-07-01T00:00:00Z +%s`.
constexpr int64_t kJuly1 = 1782864000;
const TimePoint kJuly1Time = TimePoint(std::chrono::seconds(kJuly1));

const std::map<std::string, std::string>& Params() {
  static const std::map<std::string, std::string> params{{"shop", "acme"},
                                                         {"location_id", "L-42"}};
  return params;
}

TemplateContext Context(std::string cursor = "", int page_size = 50) {
  TemplateContext context;
  context.cursor = std::move(cursor);
  context.page_size = page_size;
  context.params = &Params();
  return context;
}

std::string RenderOk(std::string_view text, const TemplateContext& context) {
  auto rendered = Render(text, context);
  INFO(text);
  REQUIRE(rendered.ok());
  return *rendered;
}

json::value RenderJsonOk(std::string_view body_text, const TemplateContext& context) {
  auto rendered = RenderJson(json::parse(body_text), context);
  INFO(body_text);
  REQUIRE(rendered.ok());
  return *rendered;
}

TEST_CASE("template: Render fills cursor, page_size and params", "[poll]") {
  const TemplateContext context = Context("2026-07-01T00:00:00.000Z", 25);
  CHECK(RenderOk("/shops/{{param.shop}}/orders", context) == "/shops/acme/orders");
  CHECK(RenderOk("since={{cursor}}&limit={{page_size}}", context) ==
        "since=2026-07-01T00:00:00.000Z&limit=25");
  // Spaces inside the braces are allowed.
  CHECK(RenderOk("{{ page_size }}/{{ param.location_id }}", context) == "25/L-42");
  // Text without placeholders is unchanged; so is a lone brace.
  CHECK(RenderOk("plain { text }", context) == "plain { text }");
  CHECK(RenderOk("", context).empty());
  // Before the first run the cursor is empty.
  CHECK(RenderOk("updated_at_min={{cursor}}", Context()) == "updated_at_min=");
}

TEST_CASE("template: Render reads {{record.x}} from the record", "[poll]") {
  const json::value record = json::parse(R"({"type":"customer.updated","data":{"kind":"vip"},
                                             "tags":["a","b"],"n":7})");
  TemplateContext context = Context();
  context.record = &record;
  CHECK(RenderOk("stripe.{{record.type}}", context) == "stripe.customer.updated");
  CHECK(RenderOk("{{record.data.kind}}-{{record.tags.1}}-{{record.n}}", context) == "vip-b-7");
  // A missing field renders empty (the stream reader then reports the record).
  CHECK(RenderOk("x{{record.nope}}", context) == "x");
}

TEST_CASE("template: Render reads {{parent.x}} from a child stream's parent fields", "[poll]") {
  const std::map<std::string, std::string> parent{{"member_id", "eb07"}, {"email", "a@b.c"}};
  TemplateContext context = Context();
  context.parent = &parent;
  CHECK(RenderOk("/lists/{{param.shop}}/members/{{parent.member_id}}/activity", context) ==
        "/lists/acme/members/eb07/activity");
  // A field the parent record lacked is an error naming it, not an empty path segment.
  auto missing = Render("/m/{{parent.contact_id}}", context);
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().message, Catch::Contains("contact_id"));
  CHECK_THAT(missing.error().message, Catch::Contains("parent_fields"));
  // Outside a child stream there is no parent.
  auto none = Render("{{parent.member_id}}", Context());
  REQUIRE_FALSE(none.ok());
}

TEST_CASE("template: Render refuses unknown placeholders, missing params and unclosed braces",
          "[poll]") {
  const TemplateContext context = Context();

  auto unknown = Render("/x/{{curser}}", context);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(unknown.error().message, Catch::Contains("{{curser}}"));

  auto missing = Render("/stores/{{param.store_id}}", context);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(missing.error().message, Catch::Contains("store_id"));
  CHECK_THAT(missing.error().message, Catch::Contains("poll.params"));

  // Without params at all, a param is missing too.
  TemplateContext no_params = context;
  no_params.params = nullptr;
  auto none = Render("{{param.shop}}", no_params);
  REQUIRE_FALSE(none.ok());
  CHECK_THAT(none.error().message, Catch::Contains("shop"));

  auto unclosed = Render("since={{cursor", context);
  REQUIRE_FALSE(unclosed.ok());
  CHECK(unclosed.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(unclosed.error().message, Catch::Contains("unclosed"));

  // {{record.x}} means nothing where no record is in play (request templates).
  auto record = Render("{{record.id}}", context);
  REQUIRE_FALSE(record.ok());
  CHECK_THAT(record.error().message, Catch::Contains("record.id"));
}

TEST_CASE("template: RenderJson types page_size, renders strings and drops empty members",
          "[poll]") {
  const std::string body = R"({
      "limit": "{{page_size}}",
      "spaced_limit": "{{ page_size }}",
      "label": "size {{page_size}}",
      "begin_time": "{{cursor}}",
      "location_ids": ["{{param.location_id}}", "fixed"],
      "query": {"filter": {"updated_at": {"start_at": "{{cursor}}"}}},
      "literal_empty": "",
      "empty_object": {},
      "n": 5, "flag": true, "nothing": null
    })";

  SECTION("first run: no cursor") {
    const json::value out = RenderJsonOk(body, Context("", 100));
    const json::object& o = out.as_object();
    REQUIRE(o.if_contains("limit") != nullptr);
    CHECK(o.at("limit").is_int64());
    CHECK(o.at("limit").as_int64() == 100);
    CHECK(o.at("spaced_limit").is_int64());
    CHECK(o.at("spaced_limit").as_int64() == 100);
    // Only a string that is exactly the placeholder becomes a number.
    CHECK(o.at("label") == json::value("size 100"));
    // A member that rendered empty is left out, so a first run sends no cursor...
    CHECK(o.if_contains("begin_time") == nullptr);
    // ...and an object everything in which rendered empty goes too, at every level.
    CHECK(o.if_contains("query") == nullptr);
    // Arrays are rendered element by element.
    CHECK(o.at("location_ids") == json::parse(R"(["L-42","fixed"])"));
    // What was empty in the template itself stays, as do other JSON types.
    CHECK(o.at("literal_empty") == json::value(""));
    CHECK(o.at("empty_object") == json::object());
    CHECK(o.at("n") == json::value(5));
    CHECK(o.at("flag") == json::value(true));
    REQUIRE(o.if_contains("nothing") != nullptr);
    CHECK(o.at("nothing").is_null());
  }

  SECTION("later run: the cursor is filled in") {
    const json::value out = RenderJsonOk(body, Context("2026-07-01T00:00:00.000Z", 100));
    CHECK(out.at("begin_time") == json::value("2026-07-01T00:00:00.000Z"));
    CHECK(out.at("query") ==
          json::parse(R"({"filter":{"updated_at":{"start_at":"2026-07-01T00:00:00.000Z"}}})"));
  }

  SECTION("a sibling that stays keeps its object") {
    const json::value out = RenderJsonOk(
        R"({"filter": {"start_at": "{{cursor}}", "sort": "asc"}})", Context());
    CHECK(out == json::parse(R"({"filter":{"sort":"asc"}})"));
  }

  SECTION("a top-level array") {
    const json::value out = RenderJsonOk(R"([{"a":"{{page_size}}"}, "{{param.shop}}", 3])",
                                         Context("", 7));
    CHECK(out == json::parse(R"([{"a":7},"acme",3])"));
  }

  SECTION("an error inside is reported") {
    auto out = RenderJson(json::parse(R"({"a":{"b":["{{param.nope}}"]}})"), Context());
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(out.error().message, Catch::Contains("nope"));
  }
}

TEST_CASE("template: FindPath walks objects and array indexes", "[poll]") {
  const json::value root = json::parse(R"({
      "data": {"items": [{"id": 1}, {"id": "two", "tags": ["x", "y"]}]},
      "has_more": false, "empty": {}
    })");
  const json::value* found = FindPath(root, "data.items.1.id");
  REQUIRE(found != nullptr);
  CHECK(*found == json::value("two"));
  REQUIRE(FindPath(root, "data.items.1.tags.0") != nullptr);
  CHECK(*FindPath(root, "data.items.1.tags.0") == json::value("x"));
  REQUIRE(FindPath(root, "has_more") != nullptr);
  CHECK(*FindPath(root, "has_more") == json::value(false));
  // An empty path is the root itself.
  CHECK(FindPath(root, "") == &root);
  CHECK(FindPath(root, "empty") != nullptr);

  // Missing keys, indexes out of range or not numbers, paths through scalars.
  CHECK(FindPath(root, "nope") == nullptr);
  CHECK(FindPath(root, "data.nope.id") == nullptr);
  CHECK(FindPath(root, "data.items.2") == nullptr);
  CHECK(FindPath(root, "data.items.x") == nullptr);
  CHECK(FindPath(root, "data.items.-1") == nullptr);
  CHECK(FindPath(root, "data.items.1x") == nullptr);
  CHECK(FindPath(root, "data.items.0.id.deeper") == nullptr);
  CHECK(FindPath(root, "has_more.x") == nullptr);

  // The root may be an array.
  const json::value list = json::parse(R"([{"id": "a"}, {"id": "b"}])");
  REQUIRE(FindPath(list, "1.id") != nullptr);
  CHECK(*FindPath(list, "1.id") == json::value("b"));
}

TEST_CASE("template: ScalarText", "[poll]") {
  CHECK(ScalarText(json::value("cus_123")) == "cus_123");
  CHECK(ScalarText(json::value("")).empty());
  CHECK(ScalarText(json::value(42)) == "42");
  CHECK(ScalarText(json::value(-7)) == "-7");
  CHECK(ScalarText(json::value(uint64_t{18446744073709551615ULL})) == "18446744073709551615");
  // Fractions as the vendor wrote them, not in boost.json's exponent form ("1.7828640005E9").
  CHECK(ScalarText(json::value(1.5)) == "1.5");
  CHECK(ScalarText(json::value(1782864000.5)) == "1782864000.5");
  CHECK(ScalarText(json::value(true)) == "true");
  CHECK(ScalarText(json::value(false)) == "false");
  CHECK(ScalarText(json::value(nullptr)).empty());
  CHECK(ScalarText(json::parse(R"({"a":1})")).empty());
  CHECK(ScalarText(json::parse(R"([1,2])")).empty());
}

TEST_CASE("template: FormatCursor writes a cursor in each format, less the lookback", "[poll]") {
  const std::string july1 = "2026-07-01T00:00:00Z";
  CHECK(FormatCursor(july1, CursorFormat::kRfc3339, 0ms) == "2026-07-01T00:00:00.000Z");
  CHECK(FormatCursor(july1, CursorFormat::kUnix, 0ms) == std::to_string(kJuly1));
  CHECK(FormatCursor(july1, CursorFormat::kUnixMillis, 0ms) == std::to_string(kJuly1 * 1000));

  // Offsets are converted to UTC.
  CHECK(FormatCursor("2026-06-30T20:00:00-04:00", CursorFormat::kRfc3339, 0ms) ==
        "2026-07-01T00:00:00.000Z");
  CHECK(FormatCursor("2026-07-01T02:00:00+02:00", CursorFormat::kUnix, 0ms) ==
        std::to_string(kJuly1));

  // The lookback is subtracted in every time format.
  CHECK(FormatCursor(july1, CursorFormat::kRfc3339, 5min) == "2026-06-30T23:55:00.000Z");
  CHECK(FormatCursor(july1, CursorFormat::kUnix, 1h) == std::to_string(kJuly1 - 3600));
  CHECK(FormatCursor(july1, CursorFormat::kUnixMillis, 1500ms) ==
        std::to_string(kJuly1 * 1000 - 1500));

  // Epoch values read from records (seconds, or milliseconds) are times too.
  CHECK(FormatCursor(std::to_string(kJuly1), CursorFormat::kRfc3339, 0ms) ==
        "2026-07-01T00:00:00.000Z");
  CHECK(FormatCursor(std::to_string(kJuly1 * 1000 + 250), CursorFormat::kRfc3339, 0ms) ==
        "2026-07-01T00:00:00.250Z");
  CHECK(FormatCursor(std::to_string(kJuly1), CursorFormat::kUnix, 10s) ==
        std::to_string(kJuly1 - 10));

  // raw: unchanged, whatever it is, and no lookback.
  CHECK(FormatCursor("cus_123", CursorFormat::kRaw, 5min) == "cus_123");
  CHECK(FormatCursor(july1, CursorFormat::kRaw, 5min) == july1);

  // A time format of a value that is no time.
  CHECK_FALSE(FormatCursor("cus_123", CursorFormat::kRfc3339, 0ms).has_value());
  CHECK_FALSE(FormatCursor("cus_123", CursorFormat::kUnix, 0ms).has_value());
  CHECK_FALSE(FormatCursor("2026-13-01T00:00:00Z", CursorFormat::kUnixMillis, 0ms).has_value());
}

TEST_CASE("template: CursorAfter compares times, then numbers, then text", "[poll]") {
  // 12:00 at -04:00 is 16:00 UTC: after 15:00 UTC, although it sorts before it as text.
  CHECK(CursorAfter("2026-07-01T12:00:00-04:00", "2026-07-01T15:00:00Z"));
  CHECK_FALSE(CursorAfter("2026-07-01T15:00:00Z", "2026-07-01T12:00:00-04:00"));
  // The same instant written two ways is not after itself.
  CHECK_FALSE(CursorAfter("2026-07-01T12:00:00-04:00", "2026-07-01T16:00:00Z"));
  CHECK_FALSE(CursorAfter("2026-07-01T16:00:00Z", "2026-07-01T12:00:00-04:00"));
  // Fractions count.
  CHECK(CursorAfter("2026-07-01T00:00:00.001Z", "2026-07-01T00:00:00Z"));

  // Epoch numbers compare as numbers, not as text ("999..." > "1000..." as text).
  CHECK(CursorAfter("1000000000", "999999999"));
  CHECK_FALSE(CursorAfter("999999999", "1000000000"));
  // Seconds and milliseconds both read as times.
  CHECK(CursorAfter(std::to_string(kJuly1 * 1000 + 1), std::to_string(kJuly1)));
  CHECK_FALSE(CursorAfter(std::to_string(kJuly1 * 1000), std::to_string(kJuly1)));
  // A time and an epoch number of the same instant.
  CHECK(CursorAfter("2026-07-01T00:00:01Z", std::to_string(kJuly1)));
  CHECK_FALSE(CursorAfter(std::to_string(kJuly1), "2026-07-01T00:00:01Z"));

  // Decimal numbers that are no times.
  CHECK(CursorAfter("10.5", "9"));
  CHECK_FALSE(CursorAfter("9", "10.5"));

  // Anything else as text.
  CHECK(CursorAfter("cus_b", "cus_a"));
  CHECK_FALSE(CursorAfter("cus_a", "cus_b"));
  CHECK_FALSE(CursorAfter("cus_a", "cus_a"));
}

TEST_CASE("template: ResolveStart reads durations before now and RFC 3339 times", "[poll]") {
  const TimePoint now = kJuly1Time + 12h;
  CHECK(ResolveStart("30d", now) == now - std::chrono::hours(24 * 30));
  CHECK(ResolveStart("12h", now) == kJuly1Time);
  CHECK(ResolveStart("1h30m", now) == now - 90min);
  CHECK(ResolveStart("2026-07-01T00:00:00Z", now) == kJuly1Time);
  CHECK(ResolveStart("2026-07-01T02:00:00+02:00", now) == kJuly1Time);
  CHECK(ResolveStart("2026-07-01", now) == kJuly1Time);

  CHECK_FALSE(ResolveStart("junk", now).has_value());
  CHECK_FALSE(ResolveStart("", now).has_value());
  CHECK_FALSE(ResolveStart("30x", now).has_value());
  CHECK_FALSE(ResolveStart("not-a-time", now).has_value());
  CHECK_FALSE(ResolveStart("2026-02-30T00:00:00Z", now).has_value());
  // A bare number is more likely a forgotten unit than epoch seconds.
  CHECK_FALSE(ResolveStart("30", now).has_value());
  CHECK_FALSE(ResolveStart(std::to_string(kJuly1), now).has_value());
}

}  // namespace
}  // namespace journeyd::poll
