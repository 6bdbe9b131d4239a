#include "engine/identity/survivorship.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

namespace journeyd::identity {
namespace {

using namespace std::chrono_literals;

// Minutes after 2026-01-01T00:00:00Z, so tests read as a timeline.
TimePoint At(int minutes) {
  return std::chrono::sys_days{std::chrono::year{2026} / 1 / 1} + std::chrono::minutes(minutes);
}

Contribution C(std::string field, std::string value, std::string source, std::string record_id,
               int minute) {
  return Contribution{std::move(field), std::move(value), std::move(source), std::move(record_id),
                      At(minute)};
}

SurvivorshipPolicy PolicyOf(SurvivorshipRule rule, std::vector<std::string> priority = {},
                            std::string owner = "") {
  SurvivorshipPolicy policy;
  policy.default_policy.rule = rule;
  policy.default_policy.source_priority = std::move(priority);
  policy.default_policy.owner = std::move(owner);
  return policy;
}

// The golden value of `field`, or "<none>" when the field did not survive.
std::string ValueOf(const std::map<std::string, GoldenField>& golden, const std::string& field) {
  auto it = golden.find(field);
  return it == golden.end() ? "<none>" : it->second.value;
}

TEST_CASE("rule names round-trip and unknown names are rejected", "[survivorship]") {
  for (auto rule : {SurvivorshipRule::kSourcePriority, SurvivorshipRule::kMostRecent,
                    SurvivorshipRule::kMostFrequent, SurvivorshipRule::kFirstSeen,
                    SurvivorshipRule::kLongest}) {
    CHECK(ParseSurvivorshipRule(SurvivorshipRuleName(rule)) == rule);
  }
  CHECK(SurvivorshipRuleName(SurvivorshipRule::kSourcePriority) == "source_priority");
  CHECK(SurvivorshipRuleName(SurvivorshipRule::kMostRecent) == "most_recent");
  CHECK(SurvivorshipRuleName(SurvivorshipRule::kMostFrequent) == "most_frequent");
  CHECK(SurvivorshipRuleName(SurvivorshipRule::kFirstSeen) == "first_seen");
  CHECK(SurvivorshipRuleName(SurvivorshipRule::kLongest) == "longest");
  for (const char* junk : {"", "Most_Recent", "most-recent", "newest", " longest"}) {
    CHECK_FALSE(ParseSurvivorshipRule(junk).has_value());
  }
}

TEST_CASE("a field's own policy, else the default", "[survivorship]") {
  SurvivorshipPolicy policy = PolicyOf(SurvivorshipRule::kLongest);
  policy.fields["email"].rule = SurvivorshipRule::kFirstSeen;
  CHECK(policy.For("email").rule == SurvivorshipRule::kFirstSeen);
  CHECK(policy.For("first_name").rule == SurvivorshipRule::kLongest);
  CHECK(&policy.For("custom.tier") == &policy.default_policy);
}

TEST_CASE("most_recent: the latest observed value, with provenance", "[survivorship]") {
  const std::vector<Contribution> in = {
      C("first_name", "Robert", "hubspot", "1", 10),
      C("first_name", "Bob", "shopify", "2", 30),
      C("first_name", "Rob", "zendesk", "3", 20),
  };
  const auto golden = ComputeGoldenRecord(in, PolicyOf(SurvivorshipRule::kMostRecent));
  REQUIRE(golden.size() == 1);
  const GoldenField& f = golden.at("first_name");
  CHECK(f.value == "Bob");
  CHECK(f.source == "shopify");
  CHECK(f.record_id == "2");
  CHECK(f.observed_at == At(30));
  CHECK(f.rule == SurvivorshipRule::kMostRecent);
  CHECK_FALSE(f.owned);
  CHECK(f.supporting == 1);
}

TEST_CASE("first_seen: the earliest observed value", "[survivorship]") {
  const std::vector<Contribution> in = {
      C("birth_date", "1980-02-03", "hubspot", "5", 50),
      C("birth_date", "1980-03-02", "shopify", "6", 5),
      C("birth_date", "1980-02-03", "zendesk", "7", 90),
  };
  const auto golden = ComputeGoldenRecord(in, PolicyOf(SurvivorshipRule::kFirstSeen));
  const GoldenField& f = golden.at("birth_date");
  CHECK(f.value == "1980-03-02");
  CHECK(f.source == "shopify");
  CHECK(f.observed_at == At(5));
  CHECK(f.rule == SurvivorshipRule::kFirstSeen);
}

TEST_CASE("most_frequent: exact text counts, provenance is its best contribution",
          "[survivorship]") {
  const std::vector<Contribution> in = {
      C("city", "Ottawa", "shopify", "1", 10),  C("city", "Ottawa", "hubspot", "2", 20),
      C("city", "ottawa", "square", "3", 30),   C("city", "ottawa", "zendesk", "4", 40),
      C("city", "OTTAWA", "stripe", "5", 50),   C("city", "Ottawa", "zendesk", "6", 5),
      C("city", "Toronto", "square", "7", 60),
  };
  SECTION("case-sensitive counting") {
    const auto golden = ComputeGoldenRecord(in, PolicyOf(SurvivorshipRule::kMostFrequent));
    const GoldenField& f = golden.at("city");
    CHECK(f.value == "Ottawa");
    CHECK(f.supporting == 3);
    // No priority list: the latest of the three agreeing contributions speaks for them.
    CHECK(f.source == "hubspot");
    CHECK(f.record_id == "2");
  }
  SECTION("provenance follows source priority") {
    const auto golden = ComputeGoldenRecord(
        in, PolicyOf(SurvivorshipRule::kMostFrequent, {"zendesk", "shopify"}));
    const GoldenField& f = golden.at("city");
    CHECK(f.value == "Ottawa");
    CHECK(f.source == "zendesk");
    CHECK(f.record_id == "6");
  }
}

TEST_CASE("longest: counted in code points, not bytes", "[survivorship]") {
  // "ÅÅÅÅ" is 8 bytes but 4 code points; "Anne5" is 5 of each.
  const std::vector<Contribution> in = {
      C("full_name", "\xC3\x85\xC3\x85\xC3\x85\xC3\x85", "hubspot", "1", 90),
      C("full_name", "Anne5", "shopify", "2", 10),
      C("full_name", "Ann", "square", "3", 99),
  };
  const auto golden = ComputeGoldenRecord(in, PolicyOf(SurvivorshipRule::kLongest));
  CHECK(golden.at("full_name").value == "Anne5");
  CHECK(golden.at("full_name").rule == SurvivorshipRule::kLongest);

  SECTION("equal lengths: source priority decides") {
    std::vector<Contribution> tied = {C("city", "Jürgen", "a", "1", 10),
                                      C("city", "Jurgen", "b", "2", 20)};
    CHECK(ValueOf(ComputeGoldenRecord(tied, PolicyOf(SurvivorshipRule::kLongest, {"a", "b"})),
                  "city") == "Jürgen");
    CHECK(ValueOf(ComputeGoldenRecord(tied, PolicyOf(SurvivorshipRule::kLongest, {"b", "a"})),
                  "city") == "Jurgen");
  }
}

TEST_CASE("source_priority: the most trusted source that has a value", "[survivorship]") {
  const std::vector<Contribution> in = {
      C("company", "Acme Corp", "hubspot", "1", 10),
      C("company", "ACME", "shopify", "2", 50),
      C("company", "Acme Corporation", "hubspot", "3", 20),  // hubspot's latest
      C("company", "acme inc", "zendesk", "4", 99),
      C("company", "Acme (old)", "square", "5", 98),
  };
  SECTION("a listed source beats more recent ones; its latest value is taken") {
    const auto golden = ComputeGoldenRecord(
        in, PolicyOf(SurvivorshipRule::kSourcePriority, {"hubspot", "shopify"}));
    const GoldenField& f = golden.at("company");
    CHECK(f.value == "Acme Corporation");
    CHECK(f.record_id == "3");
    CHECK(f.rule == SurvivorshipRule::kSourcePriority);
  }
  SECTION("a listed source without a value is skipped") {
    const auto golden = ComputeGoldenRecord(
        in, PolicyOf(SurvivorshipRule::kSourcePriority, {"stripe", "shopify", "hubspot"}));
    CHECK(golden.at("company").value == "ACME");
  }
  SECTION("unlisted sources rank below listed ones and fall back to most recent") {
    auto golden = ComputeGoldenRecord(in, PolicyOf(SurvivorshipRule::kSourcePriority, {"stripe"}));
    CHECK(golden.at("company").value == "acme inc");
    golden = ComputeGoldenRecord(in, PolicyOf(SurvivorshipRule::kSourcePriority));
    CHECK(golden.at("company").value == "acme inc");
  }
}

TEST_CASE("owner: its latest non-empty value wins over any rule", "[survivorship]") {
  const std::vector<Contribution> in = {
      C("postal_code", "K2P 2L8", "billing", "1", 10),
      C("postal_code", "K2P 2L9", "billing", "2", 20),  // the owner's latest
      C("postal_code", "K1A 0B1", "shopify", "3", 90),
      C("postal_code", "K1A 0B1", "hubspot", "4", 95),
      C("postal_code", "", "billing", "5", 99),  // empty: ignored, even from the owner
  };
  for (auto rule : {SurvivorshipRule::kSourcePriority, SurvivorshipRule::kMostRecent,
                    SurvivorshipRule::kMostFrequent, SurvivorshipRule::kFirstSeen,
                    SurvivorshipRule::kLongest}) {
    CAPTURE(SurvivorshipRuleName(rule));
    const auto golden = ComputeGoldenRecord(in, PolicyOf(rule, {"shopify"}, "billing"));
    const GoldenField& f = golden.at("postal_code");
    CHECK(f.value == "K2P 2L9");
    CHECK(f.source == "billing");
    CHECK(f.record_id == "2");
    CHECK(f.owned);
    CHECK(f.rule == rule);
    CHECK(f.supporting == 1);
  }

  SECTION("an owner that contributed nothing leaves the rule in charge") {
    const auto golden =
        ComputeGoldenRecord(in, PolicyOf(SurvivorshipRule::kMostFrequent, {}, "erp"));
    const GoldenField& f = golden.at("postal_code");
    CHECK(f.value == "K1A 0B1");
    CHECK_FALSE(f.owned);
    CHECK(f.supporting == 2);
  }
  SECTION("an owner that contributed only empty values leaves the rule in charge") {
    const std::vector<Contribution> only_empty = {C("city", "", "billing", "1", 99),
                                                  C("city", "Ottawa", "shopify", "2", 1)};
    const auto golden =
        ComputeGoldenRecord(only_empty, PolicyOf(SurvivorshipRule::kMostRecent, {}, "billing"));
    CHECK(golden.at("city").value == "Ottawa");
    CHECK_FALSE(golden.at("city").owned);
  }
  SECTION("per-field owners") {
    SurvivorshipPolicy policy = PolicyOf(SurvivorshipRule::kMostRecent);
    policy.fields["city"].owner = "shopify";
    const std::vector<Contribution> two = {
        C("city", "Ottawa", "shopify", "1", 1), C("city", "Toronto", "hubspot", "2", 2),
        C("region", "ON", "shopify", "1", 1), C("region", "QC", "hubspot", "2", 2)};
    const auto golden = ComputeGoldenRecord(two, policy);
    CHECK(golden.at("city").value == "Ottawa");
    CHECK(golden.at("city").owned);
    CHECK(golden.at("region").value == "QC");
    CHECK_FALSE(golden.at("region").owned);
  }
}

TEST_CASE("ties: source priority, then later observed_at, then record_id", "[survivorship]") {
  SECTION("same time: source priority") {
    const std::vector<Contribution> in = {C("locale", "en-CA", "shopify", "1", 10),
                                          C("locale", "fr-CA", "hubspot", "2", 10)};
    CHECK(ValueOf(ComputeGoldenRecord(
                      in, PolicyOf(SurvivorshipRule::kMostRecent, {"shopify", "hubspot"})),
                  "locale") == "en-CA");
    CHECK(ValueOf(ComputeGoldenRecord(
                      in, PolicyOf(SurvivorshipRule::kMostRecent, {"hubspot", "shopify"})),
                  "locale") == "fr-CA");
  }
  SECTION("equal counts: priority, then the later value") {
    const std::vector<Contribution> in = {
        C("gender", "f", "a", "1", 10), C("gender", "f", "a", "2", 11),
        C("gender", "x", "b", "3", 50), C("gender", "x", "c", "4", 12)};
    CHECK(ValueOf(ComputeGoldenRecord(in, PolicyOf(SurvivorshipRule::kMostFrequent, {"a"})),
                  "gender") == "f");
    CHECK(ValueOf(ComputeGoldenRecord(in, PolicyOf(SurvivorshipRule::kMostFrequent)),
                  "gender") == "x");
  }
  SECTION("same source and time: the larger record id, compared as a number") {
    const std::vector<Contribution> in = {C("timezone", "America/Toronto", "csv", "9", 10),
                                          C("timezone", "America/Vancouver", "csv", "10", 10)};
    for (auto rule : {SurvivorshipRule::kMostRecent, SurvivorshipRule::kFirstSeen,
                      SurvivorshipRule::kSourcePriority, SurvivorshipRule::kMostFrequent}) {
      CAPTURE(SurvivorshipRuleName(rule));
      const auto golden = ComputeGoldenRecord(in, PolicyOf(rule));
      CHECK(golden.at("timezone").value == "America/Vancouver");
      CHECK(golden.at("timezone").record_id == "10");
    }
  }
}

TEST_CASE("order-independent: shuffled contributions give the same golden record",
          "[survivorship]") {
  // Few distinct values, sources, times and record ids, so that ties are everywhere.
  std::mt19937 random(20260101);
  const std::vector<std::string> fields = {"first_name", "email", "city", "consent.sms",
                                           "custom.tier"};
  const std::vector<std::string> values = {"a", "bb", "B", "ccc", "dd", "é", ""};
  const std::vector<std::string> sources = {"shopify", "hubspot", "zendesk", "square"};
  std::vector<Contribution> in;
  for (int i = 0; i < 3000; ++i) {
    in.push_back(C(fields[random() % fields.size()], values[random() % values.size()],
                   sources[random() % sources.size()], std::to_string(random() % 40),
                   static_cast<int>(random() % 8)));
  }

  for (auto rule : {SurvivorshipRule::kSourcePriority, SurvivorshipRule::kMostRecent,
                    SurvivorshipRule::kMostFrequent, SurvivorshipRule::kFirstSeen,
                    SurvivorshipRule::kLongest}) {
    CAPTURE(SurvivorshipRuleName(rule));
    for (const std::string& owner : {std::string(), std::string("zendesk")}) {
      const SurvivorshipPolicy policy = PolicyOf(rule, {"hubspot", "shopify"}, owner);
      const auto expected = ComputeGoldenRecord(in, policy);
      REQUIRE(expected.size() == fields.size());
      std::vector<Contribution> shuffled = in;
      for (int round = 0; round < 5; ++round) {
        std::shuffle(shuffled.begin(), shuffled.end(), random);
        CHECK(ComputeGoldenRecord(shuffled, policy) == expected);
      }
      std::reverse(shuffled.begin(), shuffled.end());
      CHECK(ComputeGoldenRecord(shuffled, policy) == expected);
    }
  }
}

TEST_CASE("empty values never survive", "[survivorship]") {
  const std::vector<Contribution> in = {
      C("last_name", "Norman", "shopify", "1", 10),
      C("last_name", "", "hubspot", "2", 99),
      C("last_name", "", "hubspot", "3", 98),
      C("job_title", "", "hubspot", "2", 99),
  };
  for (auto rule : {SurvivorshipRule::kSourcePriority, SurvivorshipRule::kMostRecent,
                    SurvivorshipRule::kMostFrequent, SurvivorshipRule::kFirstSeen,
                    SurvivorshipRule::kLongest}) {
    CAPTURE(SurvivorshipRuleName(rule));
    const auto golden = ComputeGoldenRecord(in, PolicyOf(rule, {"hubspot"}));
    CHECK(ValueOf(golden, "last_name") == "Norman");
    CHECK(golden.at("last_name").supporting == 1);
    CHECK(golden.count("job_title") == 0);
  }
  CHECK(ComputeGoldenRecord({}, SurvivorshipPolicy{}).empty());
}

CanonicalRecord RecordFromJson(const char* text) {
  auto record = CanonicalRecordFromJson(boost::json::parse(text));
  REQUIRE(record.ok());
  return std::move(*record);
}

TEST_CASE("consent: the latest decision wins, timed by the consent itself", "[survivorship]") {
  // The shop re-sends an old opt-in with a later order; the help desk recorded an opt-out in
  // between. The opt-out is the customer's latest decision.
  const CanonicalRecord order = RecordFromJson(R"({
    "source": "shopify", "event_type": "orders/create", "external_id": "o-1",
    "occurred_at": "2026-03-01T12:00:00.000Z",
    "traits": {"consent": {"email_marketing": {"granted": true, "at": "2026-01-01T00:00:00.000Z"},
                           "sms_marketing": {"granted": true}}}
  })");
  const CanonicalRecord ticket = RecordFromJson(R"({
    "source": "zendesk", "event_type": "ticket.created", "external_id": "t-1",
    "occurred_at": "2026-02-01T12:00:00.000Z",
    "traits": {"consent": {"email_marketing": {"granted": false, "at": "2026-02-01T12:00:00.000Z"},
                           "sms_marketing": {"granted": false}}}
  })");
  std::vector<Contribution> in = ContributionsOf(order, "200");
  for (Contribution& c : ContributionsOf(ticket, "100")) in.push_back(std::move(c));

  // Even with the shop ranked first: most_recent compares times before priority.
  const auto golden = ComputeGoldenRecord(in, PolicyOf(SurvivorshipRule::kMostRecent, {"shopify"}));
  const GoldenField& email = golden.at("consent.email_marketing");
  CHECK(email.value == "denied");
  CHECK(email.source == "zendesk");
  CHECK(email.record_id == "100");
  // Without a consent time, the record's time stands in: the order is later.
  const GoldenField& sms = golden.at("consent.sms_marketing");
  CHECK(sms.value == "granted");
  CHECK(sms.source == "shopify");
  CHECK(sms.observed_at == order.occurred_at);
}

TEST_CASE("custom fields: JSON text, per-field policies", "[survivorship]") {
  CanonicalRecord a;
  a.source = "shopify";
  a.occurred_at = At(10);
  a.traits.custom["tier"] = "gold";
  a.traits.custom["orders"] = 12;
  a.traits.custom["tags"] = boost::json::array{"vip", "wholesale"};
  a.traits.custom["gone"] = nullptr;
  a.traits.custom["blank"] = "";
  CanonicalRecord b;
  b.source = "hubspot";
  b.occurred_at = At(20);
  b.traits.custom["tier"] = "silver";
  b.traits.custom["orders"] = "12";  // a string: not the same value as the number 12

  std::vector<Contribution> in = ContributionsOf(a, "1");
  for (Contribution& c : ContributionsOf(b, "2")) in.push_back(std::move(c));
  CHECK(std::none_of(in.begin(), in.end(), [](const Contribution& c) {
    return c.field == "custom.gone" || c.field == "custom.blank";
  }));

  SurvivorshipPolicy policy = PolicyOf(SurvivorshipRule::kMostRecent);
  policy.fields["custom.tier"].rule = SurvivorshipRule::kSourcePriority;
  policy.fields["custom.tier"].source_priority = {"shopify"};
  const auto golden = ComputeGoldenRecord(in, policy);
  CHECK(golden.at("custom.tier").value == R"("gold")");
  CHECK(golden.at("custom.tier").rule == SurvivorshipRule::kSourcePriority);
  CHECK(golden.at("custom.orders").value == R"("12")");
  CHECK(golden.at("custom.orders").supporting == 1);
  CHECK(golden.at("custom.tags").value == R"(["vip","wholesale"])");
  CHECK(boost::json::parse(golden.at("custom.tags").value) == a.traits.custom["tags"]);
  CHECK(golden.count("custom.gone") == 0);
  CHECK(golden.count("custom.blank") == 0);
}

TEST_CASE("ContributionsOf: identities and traits of a mapped record", "[survivorship]") {
  // The record of docs/mapping.md: a Shopify order.
  const CanonicalRecord record = RecordFromJson(R"({
    "source": "shopify",
    "event_type": "orders/create",
    "external_id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    "occurred_at": "2026-07-01T12:00:00.000Z",
    "identities": [
      {"type": "email", "value": "bob.norman@example.com"},
      {"type": "phone", "value": "+16135550135"},
      {"type": "shopify.customer_id", "value": "115310627314723954"}
    ],
    "traits": {
      "first_name": "Bob", "last_name": "Norman",
      "consent": {"email_marketing": {"granted": true, "at": "2026-07-01T11:00:00.000Z"}},
      "custom": {"tags": "vip"}
    },
    "touchpoints": [
      {"type": "order_placed", "channel": "web", "occurred_at": "2026-07-01T12:00:00.000Z",
       "value": "199.65", "currency": "USD", "reference": "shopify:order:820982911946154508"}
    ]
  })");
  const std::vector<Contribution> in = ContributionsOf(record, "42");

  std::map<std::string, Contribution> by_field;
  for (const Contribution& c : in) {
    CHECK(c.source == "shopify");
    CHECK(c.record_id == "42");
    CHECK_FALSE(c.value.empty());
    CHECK(by_field.emplace(c.field, c).second);
  }
  REQUIRE(by_field.size() == 7);
  CHECK(by_field.at("email").value == "bob.norman@example.com");
  CHECK(by_field.at("phone").value == "+16135550135");
  CHECK(by_field.at("shopify.customer_id").value == "115310627314723954");
  CHECK(by_field.at("first_name").value == "Bob");
  CHECK(by_field.at("last_name").value == "Norman");
  CHECK(by_field.at("consent.email_marketing").value == "granted");
  CHECK(by_field.at("consent.email_marketing").observed_at == record.occurred_at - 1h);
  CHECK(by_field.at("custom.tags").value == R"("vip")");
  CHECK(by_field.at("email").observed_at == record.occurred_at);

  // One record alone is its own golden record.
  const auto golden = ComputeGoldenRecord(in, SurvivorshipPolicy{});
  REQUIRE(golden.size() == 7);
  for (const auto& [field, value] : golden) {
    CAPTURE(field);
    CHECK(value.value == by_field.at(field).value);
    CHECK(value.record_id == "42");
    CHECK(value.supporting == 1);
  }
}

TEST_CASE("ContributionsOf: every shipped mapping's expected records", "[survivorship]") {
  const auto root = testing::SourceDir() / "mappings" / "tests";
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".expected.json")) continue;
    CAPTURE(entry.path().string());
    const boost::json::value json = boost::json::parse(testing::ReadFile(entry.path()));
    REQUIRE(json.is_array());
    std::vector<Contribution> all;
    for (const boost::json::value& r : json.get_array()) {
      auto record = CanonicalRecordFromJson(r);
      REQUIRE(record.ok());
      const auto in = ContributionsOf(*record, std::to_string(all.size()));
      size_t expected = record->traits.consent.size();
      for (const Identity& identity : record->identities) expected += !identity.value.empty();
      for (const auto& [field, value] : record->traits.fields) expected += !value.empty();
      for (const auto& [field, value] : record->traits.custom) {
        expected += !value.is_null() && !(value.is_string() && value.get_string().empty());
      }
      CHECK(in.size() == expected);
      all.insert(all.end(), in.begin(), in.end());
    }
    // Every field a record contributed has a golden value.
    const auto golden = ComputeGoldenRecord(all, SurvivorshipPolicy{});
    for (const Contribution& c : all) CHECK(golden.count(c.field) == 1);
    ++files;
  }
  CHECK(files > 0);
}

TEST_CASE("Explain: one line for journeyd explain", "[survivorship]") {
  GoldenField f;
  f.value = "Bob";
  f.source = "shopify";
  f.record_id = "42";
  f.observed_at = std::chrono::sys_days{std::chrono::year{2026} / 1 / 2} + 3h + 4min + 5s;
  f.rule = SurvivorshipRule::kMostRecent;
  f.supporting = 3;
  CHECK(Explain(f) == "most_recent: from shopify record 42 at 2026-01-02T03:04:05.000Z, "
                      "3 records agree");
  f.supporting = 1;
  f.rule = SurvivorshipRule::kLongest;
  CHECK(Explain(f) == "longest: from shopify record 42 at 2026-01-02T03:04:05.000Z, "
                      "no other record agrees");
  f.owned = true;
  CHECK(Explain(f) == "owned by shopify: from shopify record 42 at 2026-01-02T03:04:05.000Z, "
                      "no other record agrees");
}

TEST_CASE("thousands of contributions to one field stay fast", "[survivorship]") {
  // Distinct values defeat any per-value shortcut; a quadratic pass would take seconds.
  std::vector<Contribution> in;
  for (int i = 0; i < 50000; ++i) {
    in.push_back(C("email", "user" + std::to_string(i) + "@example.com",
                   i % 2 ? "shopify" : "hubspot", std::to_string(i), i % 1000));
  }
  for (auto rule : {SurvivorshipRule::kMostFrequent, SurvivorshipRule::kLongest}) {
    const auto start = std::chrono::steady_clock::now();
    const auto golden = ComputeGoldenRecord(in, PolicyOf(rule, {"shopify"}));
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(golden.at("email").supporting == 1);
  }
}

}  // namespace
}  // namespace journeyd::identity
