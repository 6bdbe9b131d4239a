#include "engine/mapping/mapping.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "engine/base/json_text.h"
#include "engine/mapping/expression_parser.h"

namespace journeyd::mapping {
namespace {

namespace json = boost::json;

std::shared_ptr<const Mapping> Compile(const std::string& yaml, config::Diagnostics& diag,
                                       MappingLoadOptions options = {}) {
  auto root = config::ConfigNode::LoadString(yaml, "m.yaml", diag);
  REQUIRE(root);
  return Mapping::Load(*root, options, diag);
}

std::shared_ptr<const Mapping> CompileOk(const std::string& yaml) {
  config::Diagnostics diag;
  auto m = Compile(yaml, diag);
  INFO(diag.Format());
  REQUIRE(m);
  return m;
}

std::string FirstError(const std::string& yaml, MappingLoadOptions options = {}) {
  config::Diagnostics diag;
  auto m = Compile(yaml, diag, std::move(options));
  CHECK(m == nullptr);
  REQUIRE(diag.has_errors());
  return diag.entries().front().ToString();
}

RawEvent Event(std::string type, std::string body) {
  RawEvent e;
  e.source = "shop";
  e.event_type = std::move(type);
  e.external_id = "ext-1";
  e.content_type = "application/json";
  e.body = std::move(body);
  e.received_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  return e;
}

json::value MapToJson(const Mapping& m, const RawEvent& e) {
  MapOutcome outcome = m.Map(e);
  INFO((outcome.issue ? outcome.issue->message : std::string()));
  REQUIRE(outcome.record);
  return ToJson(*outcome.record);
}

TEST_CASE("load errors name file, line and column of the culprit", "[mapping]") {
  // The column points at the function name inside the expression, not the start of the value.
  CHECK(FirstError("mapping: shop\nevents:\n  - on: a\n    traits:\n      first_name: lowr(x)\n") ==
        "m.yaml:5:19: error: unknown function 'lowr' (did you mean 'lower'?)");
  CHECK_THAT(FirstError("mapping: shop\nevents:\n  - on: a\n    traits:\n"
                        "      first_name: trim(x, y)\n"),
             Catch::StartsWith("m.yaml:5:19: error: trim() takes 1 argument, not 2"));
  CHECK_THAT(FirstError("mapping: shop\nevents:\n  - on: a\n    traits:\n"
                        "      first_name: regex_extract(x, \"(\")\n"),
             Catch::StartsWith("m.yaml:5:36: error: invalid regular expression"));
  CHECK_THAT(FirstError("mapping: shop\nevents:\n  - on: a\n    traits:\n"
                        "      first_name: lookup(x, \"nope\")\n"),
             Catch::Contains("no lookup table named 'nope'"));
  CHECK_THAT(FirstError("mapping: shop\nevents:\n  - on: a\n    traits:\n      frist_name: x\n"),
             Catch::Contains("m.yaml:5:7: error: unknown trait 'frist_name'") &&
                 Catch::Contains("did you mean 'first_name'?"));
  CHECK_THAT(FirstError("mapping: shop\nevents:\n  - on: a\n    identities:\n      Email: x\n"),
             Catch::Contains("identity type 'Email'"));
  CHECK_THAT(FirstError("mapping: shop\nevents:\n  - on: a\n    touchpoints:\n"
                        "      - channel: web\n"),
             Catch::Contains("missing `type:`"));
  CHECK_THAT(FirstError("mapping: shop\nevents:\n  - on: a\n    touchpoints:\n"
                        "      - type: x\n        value: $item.price\n"),
             Catch::Contains("$item exists only inside"));
  CHECK_THAT(FirstError("mapping: shop\nevents:\n  - on: a\n    when: x = 1\n"),
             Catch::Contains("m.yaml:4:13: error: '=' compares nothing"));
  CHECK_THAT(FirstError("mapping: shop\nevents:\n  - on: a\n    when: time(x, \"%Q\")\n"),
             Catch::Contains("not a time format"));
  CHECK_THAT(FirstError("mapping: shop\nphone_region: XX\nevents: []\n"),
             Catch::Contains("m.yaml:2:15: error: 'XX' is not a region code"));
}

TEST_CASE("an event selector the source type never sends is a load error", "[mapping]") {
  MappingLoadOptions options;
  options.known_event_types = {"orders/create", "orders/paid", "customers/*"};
  options.source_type = "shop";
  CHECK_THAT(FirstError("mapping: shop\nevents:\n  - on: [orders/create, order/paid]\n",
                        options),
             Catch::Contains("m.yaml:3:25: error: 'order/paid' matches no event type") &&
                 Catch::Contains("did you mean 'orders/paid'?"));
  // Globs on either side match.
  config::Diagnostics diag;
  CHECK(Compile("mapping: shop\nevents:\n  - on: [orders/*, customers/update]\n", diag,
                options));
  CHECK_FALSE(diag.has_errors());
  CHECK_THAT(FirstError("mapping: woo\nevents: []\n", options),
             Catch::Contains("maps source type 'woo', but the source using it is 'shop'"));
}

TEST_CASE("a mapping builds identities, traits and touchpoints from a payload", "[mapping]") {
  auto m = CompileOk(R"yaml(
mapping: shop
phone_region: US
tables:
  channels: {web: web, pos: pos}
events:
  - on: orders/*
    occurred_at: time(created_at)
    identities:
      email: coalesce(email, customer.email)
      phone: customer.phone
      shop.customer_id: customer.id
    traits:
      first_name: trim(customer.first_name)
      country: upper(address.country_code)
      custom.tags: split(tags, ",")
      consent.email_marketing:
        granted: customer.accepts_marketing
        at: time(customer.consent_at)
    touchpoints:
      - type: order_placed
        channel: lookup(source_name, "channels", "web")
        value: money(total)
        currency: currency
        reference: concat("order:", id)
        campaign:
          source: regex_extract(landing_site, "utm_source=([^&]+)", 1)
        attributes:
          skus: lines[*].sku
          items: count(lines)
      - type: item_bought
        each: lines
        when: $item.qty > 0
        value: money($item.price)
        reference: concat("line:", $item.sku)
)yaml");
  const json::value out = MapToJson(*m, Event("orders/create", R"({
    "id": 820982911946154508, "created_at": "2026-03-01T10:00:00-05:00",
    "email": "", "currency": "usd", "total": "199.650", "source_name": "pos",
    "tags": "vip, wholesale", "landing_site": "/?utm_source=google&utm_medium=cpc",
    "address": {"country_code": "ca"},
    "customer": {"id": 42, "email": " Bob.Norman@Example.COM ", "phone": "(613) 555-0135",
                 "first_name": "  Bob ", "accepts_marketing": true,
                 "consent_at": 1700000000},
    "lines": [{"sku": "A", "qty": 2, "price": 10}, {"sku": "B", "qty": 0, "price": 5},
              {"qty": 1, "price": 1.5}]
  })"));
  const json::value expected = json::parse(R"({
    "source": "shop", "event_type": "orders/create", "external_id": "ext-1",
    "occurred_at": "2026-03-01T15:00:00.000Z",
    "identities": [{"type": "email", "value": "bob.norman@example.com"},
                   {"type": "phone", "value": "+16135550135"},
                   {"type": "shop.customer_id", "value": "42"}],
    "traits": {"country": "CA", "first_name": "Bob",
               "consent": {"email_marketing": {"granted": true, "at": "2023-11-14T22:13:20.000Z"}},
               "custom": {"tags": ["vip", "wholesale"]}},
    "touchpoints": [
      {"type": "order_placed", "channel": "pos", "occurred_at": "2026-03-01T15:00:00.000Z",
       "value": "199.65", "currency": "USD", "reference": "order:820982911946154508",
       "campaign": {"source": "google"}, "attributes": {"skus": ["A", "B"], "items": 3}},
      {"type": "item_bought", "occurred_at": "2026-03-01T15:00:00.000Z", "value": "10.00",
       "reference": "line:A"},
      {"type": "item_bought", "occurred_at": "2026-03-01T15:00:00.000Z", "value": "1.50"}
    ]})");
  INFO(LineDiff(PrettyJson(expected), PrettyJson(out)));
  CHECK(out == expected);
}

TEST_CASE("missing fields are null, never a crash, required ones are an issue", "[mapping]") {
  auto m = CompileOk(R"(
mapping: shop
ignore: [app/*]
events:
  - on: customers/create
    required: [id, customer.email]
    identities:
      email: customer.email
  - on: customers/update
    identities:
      email: a.b[3].c.d
      shop.customer_id: lower(trim(nothing.here))
    traits:
      first_name: concat(x, y)
    touchpoints:
      - type: touched
        value: money(not_there)
)");
  SECTION("required") {
    MapOutcome outcome = m->Map(Event("customers/create", R"({"id": 1, "customer": {}})"));
    CHECK_FALSE(outcome.record);
    REQUIRE(outcome.issue);
    CHECK(outcome.issue->kind == kIssueMissingField);
    CHECK_THAT(outcome.issue->message, Catch::Contains("customer.email") &&
                                           !Catch::Contains("id,"));
  }
  SECTION("nulls all the way down") {
    MapOutcome outcome = m->Map(Event("customers/update", R"({"a": [1, "x"]})"));
    REQUIRE(outcome.record);
    CHECK(outcome.record->identities.empty());
    CHECK(outcome.record->traits.empty());
    REQUIRE(outcome.record->touchpoints.size() == 1);
    CHECK(outcome.record->touchpoints[0].value.empty());
    // No occurred_at in the mapping: the receive time.
    CHECK(outcome.record->occurred_at == Event("", "").received_at);
  }
  SECTION("unmapped and ignored event types") {
    MapOutcome unmapped = m->Map(Event("orders/create", "{}"));
    REQUIRE(unmapped.issue);
    CHECK(unmapped.issue->kind == kIssueUnmappedEvent);
    MapOutcome ignored = m->Map(Event("app/uninstalled", "{}"));
    CHECK(ignored.ignored);
    CHECK_FALSE(ignored.issue);
    CHECK_FALSE(ignored.record);
  }
  SECTION("a body that is not JSON") {
    MapOutcome outcome = m->Map(Event("customers/update", "{not json"));
    REQUIRE(outcome.issue);
    CHECK(outcome.issue->kind == kIssueBadPayload);
  }
}

TEST_CASE("bad emails and phones are left out with a note, not an error", "[mapping]") {
  auto m = CompileOk(R"(
mapping: shop
events:
  - on: x
    identities:
      email: [a, b]
      phone: p
)");
  MapOutcome outcome =
      m->Map(Event("x", R"({"a": "not-an-email", "b": "ok@example.org", "p": "12"})"));
  REQUIRE(outcome.record);
  REQUIRE(outcome.record->identities.size() == 1);
  CHECK(outcome.record->identities[0] == Identity{"email", "ok@example.org"});
  CHECK(outcome.notes.size() == 2);
  for (const auto& note : outcome.notes) {
    // Notes never repeat the rejected value: it may be personal data.
    CHECK_THAT(note, !Catch::Contains("not-an-email") && !Catch::Contains("12"));
  }
}

TEST_CASE("operators, literals and quoted values", "[mapping]") {
  auto m = CompileOk(R"(
mapping: shop
events:
  - on: x
    when: status == "paid" and (total >= 10 or vip) and not test
    traits:
      company: "ACME"
      city: {expr: 'concat("a: ", code)'}
      custom.big: total > "9"
      custom.header: header("X-Shop-Domain")
      custom.event: $event_type
)");
  RawEvent e = Event("x", R"({"status": "paid", "total": "12.5", "code": 7, "test": false})");
  e.headers = {{"x-shop-domain", "shop.example"}};
  MapOutcome paid = m->Map(e);
  REQUIRE(paid.record);
  CHECK(paid.record->traits.fields.at("company") == "ACME");
  CHECK(paid.record->traits.fields.at("city") == "a: 7");
  CHECK(paid.record->traits.custom.at("big") == true);
  CHECK(paid.record->traits.custom.at("header") == "shop.example");
  CHECK(paid.record->traits.custom.at("event") == "x");
  CHECK(m->Map(Event("x", R"({"status": "paid", "total": 5})")).ignored);
  CHECK(m->Map(Event("x", R"({"status": "paid", "total": 5, "vip": 1})")).record);
  CHECK(m->Map(Event("x", R"({"status": "open", "total": 50})")).ignored);
}

TEST_CASE("money in minor units, dates and form bodies", "[mapping]") {
  auto m = CompileOk(R"(
mapping: shop
events:
  - on: x
    traits:
      birth_date: date(dob, "%d/%m/%Y")
      first_name: data.merges.FNAME
    touchpoints:
      - type: paid
        value: money(amount, 2)
        occurred_at: time(fired_at)
)");
  RawEvent e = Event("x", "dob=31%2F12%2F1990&data%5Bmerges%5D%5BFNAME%5D=Ann&amount=1999"
                          "&fired_at=2009-03-26+21%3A35%3A57");
  e.content_type = "application/x-www-form-urlencoded";
  MapOutcome outcome = m->Map(e);
  REQUIRE(outcome.record);
  CHECK(outcome.record->traits.fields.at("birth_date") == "1990-12-31");
  CHECK(outcome.record->traits.fields.at("first_name") == "Ann");
  REQUIRE(outcome.record->touchpoints.size() == 1);
  CHECK(outcome.record->touchpoints[0].value == "19.99");
  CHECK(ToJson(*outcome.record).at("touchpoints").at(0).at("occurred_at") ==
        "2009-03-26T21:35:57.000Z");
}

TEST_CASE("canonical records survive a JSON round trip", "[mapping]") {
  auto m = CompileOk(R"(
mapping: shop
events:
  - on: x
    identities: {email: e}
    traits:
      last_name: n
      consent.sms: {granted: true}
      custom.n: 5
    touchpoints:
      - {type: t, channel: '"web"', value: '"3.5"', campaign: {medium: '"cpc"'}, attributes: {k: n}}
)");
  MapOutcome outcome = m->Map(Event("x", R"({"e": "a@b.co", "n": "Li"})"));
  REQUIRE(outcome.record);
  const json::value once = ToJson(*outcome.record);
  auto back = CanonicalRecordFromJson(once);
  REQUIRE(back.ok());
  CHECK(ToJson(*back) == once);
}

// Found with tests/fuzz/fuzz_expression: a hundred thousand '(' (or a few thousand nested calls,
// or a chain of `or`s) overflowed the stack while compiling or evaluating the expression, which
// crashed `journeyd check` and would crash the daemon loading such a mapping.
TEST_CASE("an expression nested past the limit is a load error, not a stack overflow",
          "[mapping]") {
  const CompileEnv env;
  std::string chain = "x";
  for (int i = 0; i < 30000; ++i) chain += " or x";
  std::string calls;
  for (int i = 0; i < 5000; ++i) calls += "concat(";
  calls += "x" + std::string(5000, ')');
  std::string nots;
  for (int i = 0; i < 100000; ++i) nots += "not ";
  nots += "x";
  for (const std::string& text :
       {std::string(100000, '(') + "x" + std::string(100000, ')'), chain, calls, nots}) {
    const ParseResult parsed = ParseExpression(text, env);
    CHECK(parsed.expression == nullptr);
    REQUIRE(parsed.error);
    CHECK_THAT(parsed.error->message, Catch::StartsWith("the expression is too complex"));
  }
  CHECK_THAT(FirstError("mapping: shop\nevents:\n  - on: a\n    when: " + chain + "\n"),
             Catch::Contains("m.yaml:4:") && Catch::Contains("too complex"));

  // The limit is far above real expressions: a thousand operators still compile and evaluate.
  std::string long_chain = "x";
  for (int i = 0; i < 999; ++i) long_chain += " or x";
  const ParseResult parsed = ParseExpression(long_chain, env);
  REQUIRE(parsed.expression);
  const json::value payload = json::parse(R"({"x": 0})");
  EvalContext context;
  context.payload = &payload;
  json::value scratch;
  const json::value* result = parsed.expression->Eval(context, scratch);
  REQUIRE(result);
  CHECK(*result == false);
}

// Found with tests/fuzz/fuzz_expression: Boost.Regex throws rather than backtrack for ever, and
// the exception escaped Map(), which ends the mapping stage's thread (and so the daemon), while
// the event stayed in the inbox to do it again after a restart.
TEST_CASE("a regex too complex to match a payload's text gives null, never an exception",
          "[mapping]") {
  auto m = CompileOk(R"(
mapping: shop
events:
  - on: x
    traits:
      first_name: regex_extract(name, "^(a+)+b", 1)
      last_name: regex_replace(name, "(a|aa)+c", "-")
      company: regex_extract(company, "^(a+)+b", 1)
)");
  const std::string long_run(64, 'a');
  MapOutcome outcome;
  REQUIRE_NOTHROW(outcome = m->Map(Event(
                      "x", R"({"name": ")" + long_run + R"(x", "company": "aaab"})")));
  REQUIRE(outcome.record);
  CHECK_FALSE(outcome.record->traits.fields.count("first_name"));
  CHECK_FALSE(outcome.record->traits.fields.count("last_name"));
  CHECK(outcome.record->traits.fields.at("company") == "aaa");  // a text it can match still does
}

TEST_CASE("glob matching", "[mapping]") {
  CHECK(GlobMatch("order.*", "order.created"));
  CHECK(GlobMatch("*", ""));
  CHECK(GlobMatch("a*b*c", "aXXbYYc"));
  CHECK_FALSE(GlobMatch("order.*", "orders.created"));
  CHECK_FALSE(GlobMatch("a*b", "aXbY"));
  CHECK(GlobMatch("customers/create", "customers/create"));
}

}  // namespace
}  // namespace journeyd::mapping

namespace journeyd::mapping {
namespace {

TEST_CASE("a touchpoint type may be computed, and must come out a name", "[mapping]") {
  config::Diagnostics diag;
  auto root = config::ConfigNode::LoadString(R"(
mapping: seg
tables:
  events: {"Order Completed": order_placed, "Weird": "Not A Name"}
events:
  - on: track
    touchpoints:
      - type: lookup(event, "events")
        reference: event
)",
                                             "m.yaml", diag);
  REQUIRE(root);
  auto m = Mapping::Load(*root, {}, diag);
  INFO(diag.Format());
  REQUIRE(m);
  RawEvent e;
  e.event_type = "track";
  e.content_type = "application/json";
  e.body = R"({"event": "Order Completed"})";
  auto placed = m->Map(e);
  REQUIRE(placed.record);
  REQUIRE(placed.record->touchpoints.size() == 1);
  CHECK(placed.record->touchpoints[0].type == "order_placed");
  e.body = R"({"event": "Weird"})";
  auto weird = m->Map(e);
  REQUIRE(weird.record);
  CHECK(weird.record->touchpoints.empty());
  CHECK(weird.notes.size() == 1);
  // A quoted type that is not a name is a load-time error.
  config::Diagnostics bad;
  auto bad_root = config::ConfigNode::LoadString(
      "mapping: seg\nevents:\n  - on: x\n    touchpoints:\n      - type: \"Order Placed\"\n",
      "m.yaml", bad);
  REQUIRE(bad_root);
  CHECK_FALSE(Mapping::Load(*bad_root, {}, bad));
  CHECK_THAT(bad.Format(), Catch::Contains("m.yaml:5:15: error: a touchpoint type is a snake_case"));
}

}  // namespace
}  // namespace journeyd::mapping
