#include "engine/mapping/payload.h"

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

namespace journeyd::mapping {
namespace {

using journeyd::testing::FixturesDir;
using journeyd::testing::ReadFile;

constexpr std::string_view kForm = "application/x-www-form-urlencoded";

boost::json::value Decode(std::string_view content_type, std::string_view body) {
  auto decoded = DecodePayload(content_type, body);
  INFO(content_type << " " << body);
  REQUIRE(decoded.ok());
  return *decoded;
}

std::string Json(const boost::json::value& value) { return boost::json::serialize(value); }

TEST_CASE("payload: JSON bodies by media type", "[normalize]") {
  const std::string body = ReadFile(FixturesDir() / "webhooks/shopify/orders_create.json");
  for (const char* type : {"application/json", "Application/JSON; charset=utf-8", "",
                           "application/vnd.api+json", "application/cloudevents+json"}) {
    const auto value = Decode(type, body);
    CHECK(value.at("id").as_int64() == 820982911946154508);
    CHECK(value.at("total_price").as_string() == "404.95");
  }
  CHECK(Json(Decode("application/json", R"([1,"a",null])")) == R"([1,"a",null])");

  // Values live in the caller's arena (mapping.cc maps each event in one).
  boost::json::monotonic_resource arena;
  auto in_arena = DecodePayload("application/json", R"({"a":{"b":"c"}})", &arena);
  REQUIRE(in_arena.ok());
  CHECK(in_arena->at("a").at("b").as_string() == "c");
  CHECK(in_arena->storage().get() == boost::json::storage_ptr(&arena).get());
}

TEST_CASE("payload: bad JSON names the offset", "[normalize]") {
  auto truncated = DecodePayload("application/json", R"({"a": [1, 2)");
  REQUIRE_FALSE(truncated.ok());
  CHECK(truncated.error().code == ErrorCode::kInvalidArgument);
  CHECK(truncated.error().message.find("invalid JSON at byte") == 0);

  auto garbage = DecodePayload("application/json", R"({"a": 1, x})");
  REQUIRE_FALSE(garbage.ok());
  INFO(garbage.error().message);
  CHECK(garbage.error().message.find("at byte 9:") != std::string::npos);

  auto trailing = DecodePayload("application/json", R"({"a": 1} {"b": 2})");
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.error().code == ErrorCode::kInvalidArgument);

  CHECK_FALSE(DecodePayload("application/json", "").ok());
}

TEST_CASE("payload: numbers a double cannot hold exactly are kept as their text",
          "[normalize]") {
  // A Shopify customer id past 64-bit integers would otherwise become a rounded id that another
  // customer may share (98765432109876543210 -> 98765432109876543488), and 1e400 "inf".
  const auto value = Decode("application/json", R"({"id": 98765432109876543210,
      "neg": -98765432109876543210, "huge": 1e400, "tiny": 1e-400, "long": 0.12345678901234567891,
      "max": 18446744073709551615, "min": -9223372036854775808, "price": 404.95, "e": 1.5E3,
      "zero": -0.0, "sub": 5e-324, "big": 1e308, "round": 12345678901234567890.0})");
  CHECK(value.at("id") == "98765432109876543210");
  CHECK(value.at("neg") == "-98765432109876543210");
  CHECK(value.at("huge") == "1e400");
  CHECK(value.at("tiny") == "1e-400");
  CHECK(value.at("long") == "0.12345678901234567891");
  CHECK(value.at("round") == "12345678901234567890.0");
  // Numbers that fit stay numbers.
  CHECK(value.at("max").as_uint64() == 18446744073709551615u);
  CHECK(value.at("min").as_int64() == INT64_MIN);
  CHECK(value.at("price").as_double() == 404.95);
  CHECK(value.at("e").as_double() == 1500.0);
  CHECK(value.at("zero").as_double() == 0.0);
  CHECK(value.at("sub").as_double() == 5e-324);
  CHECK(value.at("big").as_double() == 1e308);
  // In arrays and in an arena too.
  boost::json::monotonic_resource arena;
  auto listed = DecodePayload("application/json", "[1e400, 2.5]", &arena);
  REQUIRE(listed.ok());
  CHECK(Json(*listed) == R"(["1e400",2.5E0])");
}

TEST_CASE("payload: JSON nests as deep as intake accepts, and no deeper", "[normalize]") {
  const auto nested = [](int depth) {
    return "{\"a\": " + std::string(static_cast<size_t>(depth - 1), '[') + "1" +
           std::string(static_cast<size_t>(depth - 1), ']') + "}";
  };
  CHECK(DecodePayload("application/json", nested(64)).ok());
  auto deeper = DecodePayload("application/json", nested(65));
  REQUIRE_FALSE(deeper.ok());
  CHECK(deeper.error().message.find("too deep") != std::string::npos);
  // 100,000 levels: an error, not a stack overflow.
  auto absurd = DecodePayload("application/json", std::string(100000, '[') +
                                                      std::string(100000, ']'));
  REQUIRE_FALSE(absurd.ok());
  CHECK(absurd.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("payload: other media types are refused", "[normalize]") {
  for (const char* type : {"text/plain", "text/csv", "multipart/form-data; boundary=x",
                           "application/xml", "application/jsonx", "+json"}) {
    auto decoded = DecodePayload(type, "{}");
    INFO(type);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::kInvalidArgument);
    CHECK(decoded.error().message.find("unsupported content type") == 0);
  }
}

TEST_CASE("payload: form bodies nest bracketed keys", "[normalize]") {
  CHECK(Json(Decode(kForm, "data%5Bmerges%5D%5BFNAME%5D=Bob&data[merges][LNAME]=Norman")) ==
        R"({"data":{"merges":{"FNAME":"Bob","LNAME":"Norman"}}})");
  CHECK(Json(Decode(kForm, "a[]=1&a[]=2&b=x")) == R"({"a":["1","2"],"b":"x"})");
  CHECK(Json(Decode(kForm, "k=1&k=2")) == R"({"k":"2"})");  // the last value wins
  CHECK(Json(Decode(kForm, "list[][id]=1&list[][id]=2")) == R"({"list":[{"id":"1"},{"id":"2"}]})");
  CHECK(Json(Decode(kForm, "g[0][id]=7&g[0][name]=VIP")) == R"({"g":{"0":{"id":"7","name":"VIP"}}})");
  // A later key of another shape replaces the earlier value.
  CHECK(Json(Decode(kForm, "a=1&a[b]=2")) == R"({"a":{"b":"2"}})");
  CHECK(Json(Decode(kForm, "a[b]=2&a=1")) == R"({"a":"1"})");
  CHECK(Json(Decode(kForm, "a[]=1&a[x]=2")) == R"({"a":{"x":"2"}})");
  // Keys that are not name[...] exactly stay verbatim.
  CHECK(Json(Decode(kForm, "a[b=1&[x]=2&c]d=3&e[f]g=4")) ==
        R"({"a[b":"1","[x]":"2","c]d":"3","e[f]g":"4"})");
  CHECK(Json(Decode(kForm, "flag&empty=&sp=a+b%2Bc")) == R"({"flag":"","empty":"","sp":"a b+c"})");
  CHECK(Json(Decode(kForm, "")) == "{}");

  std::string deep = "a";
  for (int i = 0; i < 32; ++i) deep += "[x]";
  CHECK(Decode(kForm, deep + "=1").at("a").is_object());
  auto too_deep = DecodePayload(kForm, deep + "[x]=1");
  REQUIRE_FALSE(too_deep.ok());
  CHECK(too_deep.error().code == ErrorCode::kInvalidArgument);

  auto broken = DecodePayload(kForm, "a=%zz");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("payload: every Mailchimp fixture decodes to nested fields", "[normalize]") {
  std::set<std::string> seen;
  for (const auto& entry :
       std::filesystem::directory_iterator(FixturesDir() / "webhooks" / "mailchimp")) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 10 || name.substr(name.size() - 9) != ".form.txt") continue;
    INFO(name);
    const auto value = Decode("application/x-www-form-urlencoded; charset=UTF-8",
                              ReadFile(entry.path()));
    const auto& root = value.as_object();
    const std::string type(root.at("type").as_string());
    CHECK(name.rfind(type + ".", 0) == 0);  // files are named after their event type
    // fired_at: '+' decoded as a space, %3A as ':'.
    CHECK(root.at("fired_at").as_string().size() == 19);
    CHECK(root.at("fired_at").as_string()[10] == ' ');
    const auto& data = root.at("data").as_object();
    CHECK(data.at("list_id").as_string().size() == 10);
    // No flat bracketed key survives.
    for (const auto& field : root) CHECK(std::string_view(field.key()).find('[') == std::string::npos);
    seen.insert(name);
  }
  CHECK(seen.size() == 7);

  const auto subscribe = Decode(
      kForm, ReadFile(FixturesDir() / "webhooks/mailchimp/subscribe.docs_sample.form.txt"));
  CHECK(subscribe.at("fired_at").as_string() == "2009-03-26 21:35:57");
  CHECK(subscribe.at("data").at("email").as_string() == "api@mailchimp.com");
  CHECK(subscribe.at("data").at("merges").at("FNAME").as_string() == "Mailchimp");
  CHECK(subscribe.at("data").at("merges").at("INTERESTS").as_string() == "Group1,Group2");
  CHECK(subscribe.at("data").at("ip_signup").as_string() == "10.20.10.30");

  const auto unsubscribe = Decode(
      kForm, ReadFile(FixturesDir() / "webhooks/mailchimp/unsubscribe.captured.form.txt"));
  CHECK(unsubscribe.at("data").at("action").as_string() == "unsub");
  CHECK(unsubscribe.at("data").at("email").as_string() == "josh@snowplowanalytics.com");
  CHECK(unsubscribe.at("data").at("merges").at("LNAME").as_string() == "Beemster");
  CHECK(unsubscribe.at("data").at("web_id").as_string() == "203740265");  // text, not a number

  const auto upemail = Decode(
      kForm, ReadFile(FixturesDir() / "webhooks/mailchimp/upemail.docs_sample.form.txt"));
  CHECK(upemail.at("data").at("new_email").as_string() == "api+new@mailchimp.com");
  CHECK(upemail.at("data").at("old_email").as_string() == "api+old@mailchimp.com");

  const auto cleaned = Decode(
      kForm, ReadFile(FixturesDir() / "webhooks/mailchimp/cleaned.docs_sample.form.txt"));
  CHECK(cleaned.at("data").at("reason").as_string() == "hard");

  const auto campaign = Decode(
      kForm, ReadFile(FixturesDir() / "webhooks/mailchimp/campaign.docs_sample.form.txt"));
  CHECK(campaign.at("data").at("subject").as_string() == "Test Campaign Subject");
  CHECK(campaign.at("data").at("reason").as_string() == "");
}

}  // namespace
}  // namespace journeyd::mapping
