#include "connectors/mailchimp/mailchimp_source.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "connectors/common/webhook_test_util.h"
#include "connectors/poll_presets.h"
#include "engine/mapping/mapping.h"
#include "engine/mapping/payload.h"
#include "engine/poll/poll_settings.h"

namespace journeyd::connectors::mailchimp {
namespace {

using testing::FakeRequest;

constexpr std::string_view kSecret = "mc-callback-key+/=";
// kSecret as it appears in the callback URL.
constexpr std::string_view kQuery = "key=mc-callback-key%2B%2F%3D";

MailchimpSource MakeSource(std::string_view secret = kSecret) {
  static const ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  MailchimpSettings settings;
  settings.secret = Secret(std::string(secret));
  return MailchimpSource(std::move(settings), testing::MakeContext(clock, "mailchimp"));
}

FakeRequest FormRequest(std::string body, std::string query = std::string(kQuery)) {
  FakeRequest request;
  request.path = "/webhooks/mailchimp";
  request.query = std::move(query);
  request.headers.Add("User-Agent", "MailChimp");
  request.body = std::move(body);
  return request;
}

std::string Fixture(std::string_view name) {
  return journeyd::testing::ReadFile(testing::WebhookFixtures("mailchimp") / name);
}

TEST_CASE("mailchimp: every docs sample and the captured form become one JSON event",
          "[connectors][mailchimp]") {
  const MailchimpSource source = MakeSource();
  int forms = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::WebhookFixtures("mailchimp"))) {
    const std::string file = entry.path().filename().string();
    INFO(file);
    ++forms;
    const std::string body = journeyd::testing::ReadFile(entry.path());
    auto result = source.Accept(FormRequest(body).View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    const RawEvent& event = (*result)[0];
    // Files are named after the event type ("upemail.docs_sample.form.txt").
    CHECK(event.event_type == file.substr(0, file.find('.')));
    CHECK(event.external_id == "sha256:" + common::HexEncode(common::Sha256(body)));
    CHECK(event.content_type == "application/json");
    CHECK(event.source == "mailchimp");
    CHECK(event.headers.empty());
    const auto json = boost::json::parse(event.body).as_object();
    CHECK(json.at("type") == event.event_type.c_str());
    CHECK(json.at("fired_at").as_string().size() == 19);  // "YYYY-MM-DD HH:MM:SS"
    CHECK(json.at("data").as_object().contains("list_id"));
  }
  CHECK(forms == 7);
}

TEST_CASE("mailchimp: the subscribe sample, field by field", "[connectors][mailchimp]") {
  const std::string body = Fixture("subscribe.docs_sample.form.txt");
  auto result = MakeSource().Accept(FormRequest(body).View());
  REQUIRE(result.ok());
  const auto json = boost::json::parse((*result)[0].body).as_object();
  CHECK(json.size() == 3);  // type, fired_at, data
  CHECK(json.at("data").as_object().size() == 7);  // id, list_id, email, email_type, merges, ip_opt, ip_signup
  CHECK(json.at("type") == "subscribe");
  CHECK(json.at("fired_at") == "2009-03-26 21:35:57");
  CHECK(json.at("data").at("id") == "8a25ff1d98");
  CHECK(json.at("data").at("email") == "api@mailchimp.com");
  CHECK(json.at("data").at("merges").at("FNAME") == "Mailchimp");
  CHECK(json.at("data").at("merges").at("INTERESTS") == "Group1,Group2");
  CHECK(json.at("data").at("ip_signup") == "10.20.10.30");

  const std::string upemail = Fixture("upemail.docs_sample.form.txt");
  auto changed = MakeSource().Accept(FormRequest(upemail).View());
  REQUIRE(changed.ok());
  const auto fields = boost::json::parse((*changed)[0].body).as_object();
  CHECK(fields.at("data").at("new_email") == "api+new@mailchimp.com");
  CHECK(fields.at("data").at("old_email") == "api+old@mailchimp.com");
}

TEST_CASE("mailchimp: a redelivery has the same id, another event another one",
          "[connectors][mailchimp]") {
  const MailchimpSource source = MakeSource();
  const std::string docs = Fixture("unsubscribe.docs_sample.form.txt");
  const std::string captured = Fixture("unsubscribe.captured.form.txt");
  auto first = source.Accept(FormRequest(docs).View());
  auto again = source.Accept(FormRequest(docs).View());
  auto other = source.Accept(FormRequest(captured).View());
  REQUIRE(first.ok());
  REQUIRE(again.ok());
  REQUIRE(other.ok());
  CHECK((*first)[0].external_id == (*again)[0].external_id);
  CHECK((*first)[0].external_id != (*other)[0].external_id);
  CHECK((*first)[0].external_id.size() == 7 + 64);
}

TEST_CASE("mailchimp: the key in the callback URL is required and must match",
          "[connectors][mailchimp]") {
  const MailchimpSource source = MakeSource();
  const std::string body = Fixture("cleaned.docs_sample.form.txt");
  CHECK(source.Accept(FormRequest(body, "list=a6b5da1054&" + std::string(kQuery)).View()).ok());

  for (std::string query : {std::string(), std::string("key="), std::string("key=wrong"),
                            std::string("secret=mc-callback-key%2B%2F%3D"),
                            std::string("key=mc-callback-key+/="),  // '+' decodes to a space
                            std::string("key=%zz")}) {
    INFO(query);
    auto result = source.Accept(FormRequest(body, query).View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
  }
  auto missing = source.Accept(FormRequest(body, "").View());
  CHECK(missing.error().message == "missing key query parameter");
}

TEST_CASE("mailchimp: media type, GET probe and malformed forms", "[connectors][mailchimp]") {
  const MailchimpSource source = MakeSource();
  CHECK(source.AcceptsMediaType("application/x-www-form-urlencoded"));
  CHECK_FALSE(source.AcceptsMediaType("application/json"));
  CHECK(source.AnswersGetProbe());

  auto broken = source.Accept(FormRequest("type=subscribe&data%5Bemail%5D=%E").View());
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().code == ErrorCode::kInvalidArgument);
  auto untyped = source.Accept(FormRequest("fired_at=2009-03-26+21%3A35%3A57").View());
  REQUIRE_FALSE(untyped.ok());
  CHECK(untyped.error().code == ErrorCode::kInvalidArgument);
}

// Found by tests/fuzz/fuzz_webhook: %FF decoded into a field was stored as a "JSON" body that
// no parser accepts, so the event was taken (200) and then failed its mapping.
TEST_CASE("mailchimp: a form that is not UTF-8 is refused, never stored as broken JSON",
          "[connectors][mailchimp]") {
  const MailchimpSource source = MakeSource();
  const std::vector<std::string> bodies = {
      "type=subscribe&data%5Bmerges%5D%5BFNAME%5D=Bj%F6rn",  // Latin-1
      "type=subscribe&data%5B%FF%5D=x",                       // in a key
      "type=subscribe&data%5Bemail%5D=a%C0%AF%40example.com",  // overlong '/'
      "type=subscribe&data%5Bmerges%5D%5BLNAME%5D=\xFF",       // raw, not %-escaped
  };
  for (const std::string& body : bodies) {
    INFO(body);
    auto result = source.Accept(FormRequest(body).View());
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kInvalidArgument);
  }
  auto utf8 =
      source.Accept(FormRequest("type=subscribe&data%5Bmerges%5D%5BFNAME%5D=Bj%C3%B6rn").View());
  REQUIRE(utf8.ok());
  REQUIRE(mapping::DecodePayload((*utf8)[0].content_type, (*utf8)[0].body).ok());
}

TEST_CASE("mailchimp: a saved form says its type exactly as a delivery does",
          "[connectors][mailchimp]") {
  const MailchimpSource source = MakeSource();
  int forms = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::WebhookFixtures("mailchimp"))) {
    INFO(entry.path().filename().string());
    ++forms;
    const std::string body = journeyd::testing::ReadFile(entry.path());
    auto result = source.Accept(FormRequest(body).View());
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    // The form as `journeyd map` decodes a saved body, and the JSON the inbox stored.
    auto decoded = mapping::DecodePayload("application/x-www-form-urlencoded", body);
    REQUIRE(decoded.ok());
    const auto type = source.EventTypeOf(*decoded);
    REQUIRE(type.has_value());
    CHECK(*type == (*result)[0].event_type);
    CHECK(source.EventTypeOf(boost::json::parse((*result)[0].body)) == *type);
  }
  CHECK(forms == 7);

  SECTION("a repeated type: the one the stored body shows") {
    const std::string body = "type=subscribe&type=unsubscribe&data%5Bemail%5D=a%40example.com";
    auto result = source.Accept(FormRequest(body).View());
    REQUIRE(result.ok());
    CHECK((*result)[0].event_type == "unsubscribe");
    CHECK(boost::json::parse((*result)[0].body).at("type") == "unsubscribe");
    auto decoded = mapping::DecodePayload("application/x-www-form-urlencoded", body);
    REQUIRE(decoded.ok());
    CHECK(source.EventTypeOf(*decoded) == "unsubscribe");
  }
  SECTION("nothing to go on") {
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"data":{"email":"a@example.com"}})")));
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"type":{"x":"1"}})")));
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"({"type":""})")));
    CHECK_FALSE(source.EventTypeOf(boost::json::parse(R"(["subscribe"])")));
    // A type nested away by brackets is no type, for Accept too.
    auto nested = source.Accept(FormRequest("type%5Bx%5D=subscribe").View());
    REQUIRE_FALSE(nested.ok());
    CHECK(nested.error().message == "Mailchimp form has no 'type' field");
  }
}

TEST_CASE("mailchimp: mappings may name Mailchimp's six event types, its polled ones and nothing else",
          "[connectors][mailchimp]") {
  const MailchimpSource source = MakeSource();
  CHECK(source.EventTypes() == std::vector<std::string>{"subscribe", "unsubscribe", "profile",
                                                        "upemail", "cleaned", "campaign"});
  const auto load = [&](const std::string& selector) {
    config::Diagnostics diag;
    auto root = config::ConfigNode::LoadString(
        "mapping: mailchimp\nevents:\n  - on: '" + selector + "'\n", "m.yaml", diag);
    REQUIRE(root);
    mapping::MappingLoadOptions options;
    options.known_event_types = source.EventTypes();
    mapping::Mapping::Load(*root, options, diag);
    const auto first = testing::FirstError(diag);
    return first ? first->ToString() : "";
  };
  for (const std::string& type : source.EventTypes()) CHECK(load(type).empty());
  CHECK_THAT(load("unsubscribed"), Catch::Contains("'unsubscribed' matches no event type") &&
                                       Catch::Contains("did you mean 'unsubscribe'?"));
  CHECK_THAT(load("email_changed"), Catch::Contains("matches no event type"));

  // The shipped mapping also handles what the mailchimp poll preset fetches (poll:member).
  mapping::MappingLoadOptions options;
  options.known_event_types = source.EventTypes();
  for (const auto& [name, yaml] : connectors::PollPresets()) {
    if (name != "mailchimp") continue;
    for (std::string& type : poll::PresetEventTypes(yaml)) {
      options.known_event_types.push_back(std::move(type));
    }
  }
  CHECK(std::find(options.known_event_types.begin(), options.known_event_types.end(),
                  "poll:member") != options.known_event_types.end());
  options.source_type = "mailchimp";
  config::Diagnostics diag;
  CHECK(mapping::Mapping::LoadFile(journeyd::testing::SourceDir() / "mappings" / "mailchimp.yaml",
                                   options, diag) != nullptr);
  for (const auto& entry : diag.entries()) UNSCOPED_INFO(entry.ToString());
  CHECK_FALSE(diag.has_errors());
}

TEST_CASE("mailchimp: the factory parses YAML and points at bad keys", "[connectors][mailchimp]") {
  ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const auto context = testing::MakeContext(clock, "mailchimp");
  const auto factory = MakeMailchimpFactory();
  CHECK(factory->type() == "mailchimp");

  auto good = testing::CreateFromYaml(
      *factory, "name: mailchimp\ntype: mailchimp\nsecret: \"mc-callback-key+/=\"\n", context);
  REQUIRE(good.source != nullptr);
  CHECK(good.source->AnswersGetProbe());
  CHECK(good.source->Accept(FormRequest("type=profile").View()).ok());

  auto bad = testing::CreateFromYaml(*factory,
                                     "name: mailchimp\n"
                                     "type: mailchimp\n"
                                     "key: abc\n",
                                     context);
  CHECK(bad.source == nullptr);
  auto first = testing::FirstError(bad.diag);
  REQUIRE(first);
  CHECK(first->kind == config::DiagnosticKind::kUnknownKey);
  CHECK(first->position.line == 3);
  CHECK(first->position.column == 1);
  CHECK(bad.diag.entries().back().kind == config::DiagnosticKind::kMissingKey);
}

}  // namespace
}  // namespace journeyd::connectors::mailchimp
