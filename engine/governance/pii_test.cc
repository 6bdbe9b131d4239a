#include <map>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

#include "engine/governance/disclosure_policy.h"
#include "engine/governance/masking.h"
#include "engine/governance/pii_classifier.h"
#include "engine/mapping/normalize.h"

namespace journeyd::governance {
namespace {

// A record with something of every kind: personal and non-personal identities, traits and custom
// traits, consent and a touchpoint.
CanonicalRecord FullRecord() {
  CanonicalRecord record;
  record.source = "shop";
  record.event_type = "order_placed";
  record.external_id = "order-1001";
  record.identities = {{"email", "jane.doe@example.com"},
                       {"phone", "+14155552671"},
                       {"shopify.customer_id", "7781"}};
  record.traits.fields = {{"first_name", "Émile"},      {"last_name", "Zola"},
                          {"address_line1", "1 Rue X"}, {"postal_code", "75001"},
                          {"birth_date", "1990-04-02"}, {"city", "Paris"},
                          {"country", "FR"},            {"company", "Acme"}};
  record.traits.consent["email_marketing"] = Consent{true, std::nullopt};
  record.traits.custom = boost::json::parse(R"({"nickname": "Mimi", "tags": ["vip", "early"],
                                                "shoe_size": 42, "spouse": null,
                                                "favourite_colour": "blue"})")
                             .as_object();
  Touchpoint order;
  order.type = "order_placed";
  order.value = "19.99";
  order.currency = "EUR";
  order.attributes = boost::json::parse(R"({"email": "jane.doe@example.com"})").as_object();
  record.touchpoints.push_back(order);
  return record;
}

PiiClassifier ClassifierWithCustomTraits() {
  return PiiClassifier({{"custom.nickname", "pii.name"},
                        {"custom.tags", "marketing.segments"},
                        {"custom.shoe_size", "sensitive"},
                        {"custom.spouse", "pii.name"}});
}

// A golden record as the profiles API builds it: field -> value with provenance.
boost::json::object GoldenRecord() {
  return boost::json::parse(R"({
    "city": {"value": "Paris", "source": "shop", "record_id": "12",
             "observed_at": "2026-01-01T00:00:00Z"},
    "email": {"value": "jane.doe@example.com", "source": "shop", "record_id": "12",
              "observed_at": "2026-01-01T00:00:00Z"},
    "first_name": {"value": "Jane", "source": "crm", "record_id": "9",
                   "observed_at": "2025-12-01T00:00:00Z"},
    "phone": "+14155552671",
    "custom.shoe_size": 42
  })")
      .as_object();
}

std::string Sha(std::string_view value) { return "sha256:" + mapping::Sha256Hex(value); }

const Identity* FindIdentity(const CanonicalRecord& record, std::string_view type) {
  for (const auto& identity : record.identities) {
    if (identity.type == type) return &identity;
  }
  return nullptr;
}

TEST_CASE("the default classes cover the canonical personal fields", "[governance]") {
  PiiClassifier classifier;
  CHECK(classifier.ClassOf("email") == "pii.email");
  CHECK(classifier.ClassOf("phone") == "pii.phone");
  for (const char* field : {"first_name", "last_name", "full_name"}) {
    CHECK(classifier.ClassOf(field) == "pii.name");
  }
  for (const char* field : {"address_line1", "address_line2", "postal_code"}) {
    CHECK(classifier.ClassOf(field) == "pii.address");
  }
  CHECK(classifier.ClassOf("birth_date") == "sensitive");
  CHECK(classifier.ClassOf("gender") == "sensitive");
  for (const char* field : {"city", "region", "country", "company", "job_title", "locale",
                            "timezone", "shopify.customer_id", "custom.nickname", "", "Email"}) {
    CHECK(classifier.ClassOf(field).empty());
    CHECK_FALSE(classifier.IsPersonal(field));
  }
  CHECK(classifier.IsPersonal("email"));
  CHECK(classifier.IsPersonal("gender"));
}

TEST_CASE("overrides extend and correct the defaults, and none declassifies", "[governance]") {
  PiiClassifier classifier({{"custom.nickname", "pii.name"},
                            {"city", "pii.address"},
                            {"gender", "none"},
                            {"birth_date", ""},
                            {"email", "contact.primary"},
                            {"custom.unused", "none"}});
  CHECK(classifier.ClassOf("custom.nickname") == "pii.name");
  CHECK(classifier.ClassOf("city") == "pii.address");
  CHECK(classifier.ClassOf("email") == "contact.primary");
  CHECK_FALSE(classifier.IsPersonal("gender"));
  CHECK_FALSE(classifier.IsPersonal("birth_date"));
  CHECK_FALSE(classifier.IsPersonal("custom.unused"));
  // Fields the overrides do not name keep their defaults.
  CHECK(classifier.ClassOf("phone") == "pii.phone");
  CHECK(classifier.ClassOf("last_name") == "pii.name");
}

TEST_CASE("class names are lower-case letters, digits, dots and underscores", "[governance]") {
  for (const char* good : {"pii.email", "sensitive", "none", "health_2", "a", "pii.name.legal"}) {
    CHECK(PiiClassifier::IsValidClassName(good));
  }
  for (const char* bad : {"", "PII.email", "pii-email", "pii email", "pii/email", "é"}) {
    CHECK_FALSE(PiiClassifier::IsValidClassName(bad));
  }
}

TEST_CASE("custom trait fields are named custom.<name>", "[governance]") {
  CHECK(CustomTraitField("nickname") == "custom.nickname");
}

TEST_CASE("text keeps only its first code point, whole", "[governance]") {
  CHECK(MaskText("Jane") == "J***");
  CHECK(MaskText("J") == "J***");
  CHECK(MaskText("") == "");
  CHECK(MaskText("Émile") == "É***");           // two bytes
  CHECK(MaskText("渡辺") == "渡***");            // three bytes
  CHECK(MaskText("\xF0\x9F\x98\x80x") == "\xF0\x9F\x98\x80***");  // four bytes (an emoji)
  // Malformed starts reveal nothing rather than half a character.
  CHECK(MaskText("\xC3") == "***");            // truncated sequence
  CHECK(MaskText("\xA9tude") == "***");        // stray continuation byte
  CHECK(MaskText("\xC0\xAFx") == "***");       // overlong encoding
  CHECK(MaskText("\xED\xA0\x80x") == "***");   // UTF-16 surrogate
  CHECK(MaskText("\xFF") == "***");
}

TEST_CASE("emails keep their first letters and top-level domain", "[governance]") {
  CHECK(MaskEmail("jane.doe@example.com") == "j***@e***.com");
  CHECK(MaskEmail("jane@mail.example.co.uk") == "j***@m***.uk");
  CHECK(MaskEmail("élodie@exemple.fr") == "é***@e***.fr");
  CHECK(MaskEmail("root@localhost") == "r***@l***");
  CHECK(MaskEmail("\"a@b\"@example.org") == "\"***@e***.org");
  // Not addresses: masked as text.
  CHECK(MaskEmail("jane.doe") == "j***");
  CHECK(MaskEmail("@example.com") == "@***");
  CHECK(MaskEmail("jane@") == "j***");
  CHECK(MaskEmail("") == "");
}

TEST_CASE("phones keep their plus and last two digits", "[governance]") {
  CHECK(MaskPhone("+14155552671") == "+*********71");
  CHECK(MaskPhone("+447911123456") == "+**********56");
  CHECK(MaskPhone("(415) 555-2671") == "(***) ***-**71");
  CHECK(MaskPhone("4155552671") == "********71");
  CHECK(MaskPhone("1234") == "****");  // too short to give two digits away
  // Not phone numbers: masked as text.
  CHECK(MaskPhone("call me") == "c***");
  CHECK(MaskPhone("+1 415 EXAMPLE") == "+***");
  CHECK(MaskPhone("1+2") == "1***");
  CHECK(MaskPhone("") == "");
}

TEST_CASE("Mask picks the mask by class and leaves non-personal values alone", "[governance]") {
  CHECK(Mask("pii.email", "jane.doe@example.com") == "j***@e***.com");
  CHECK(Mask("pii.phone", "+14155552671") == "+*********71");
  CHECK(Mask("pii.name", "Jane") == "J***");
  CHECK(Mask("pii.address", "1 Main St") == "1***");
  CHECK(Mask("sensitive", "1990-04-02") == "1***");
  CHECK(Mask("loyalty.tier", "gold") == "g***");
  CHECK(Mask("", "Paris") == "Paris");
}

TEST_CASE("MaskRecord masks every personal part of a record and nothing else", "[governance]") {
  CanonicalRecord record = FullRecord();
  const CanonicalRecord original = record;
  MaskRecord(ClassifierWithCustomTraits(), record);

  REQUIRE(record.identities.size() == 3);
  CHECK(record.identities[0] == Identity{"email", "j***@e***.com"});
  CHECK(record.identities[1] == Identity{"phone", "+*********71"});
  CHECK(record.identities[2] == Identity{"shopify.customer_id", "7781"});

  const std::map<std::string, std::string> expected_traits = {
      {"first_name", "É***"},  {"last_name", "Z***"},  {"address_line1", "1***"},
      {"postal_code", "7***"}, {"birth_date", "1***"}, {"city", "Paris"},
      {"country", "FR"},       {"company", "Acme"}};
  CHECK(record.traits.fields == expected_traits);

  CHECK(boost::json::value(record.traits.custom) ==
        boost::json::parse(R"({"nickname": "M***", "tags": "***", "shoe_size": "***",
                               "spouse": null, "favourite_colour": "blue"})"));

  CHECK(record.traits.consent == original.traits.consent);
  CHECK(record.source == "shop");
  CHECK(record.external_id == "order-1001");
  REQUIRE(record.touchpoints.size() == 1);
  // Attributes are unclassified (this one holds an email): left out; the rest stays.
  CHECK(record.touchpoints[0].attributes.empty());
  CHECK(record.touchpoints[0].type == original.touchpoints[0].type);
  CHECK(record.touchpoints[0].occurred_at == original.touchpoints[0].occurred_at);
}

TEST_CASE("MaskFields masks golden-record values and keeps their provenance", "[governance]") {
  boost::json::object golden = GoldenRecord();
  MaskFields(ClassifierWithCustomTraits(), golden);
  CHECK(boost::json::value(golden) == boost::json::parse(R"({
    "city": {"value": "Paris", "source": "shop", "record_id": "12",
             "observed_at": "2026-01-01T00:00:00Z"},
    "email": {"value": "j***@e***.com", "source": "shop", "record_id": "12",
              "observed_at": "2026-01-01T00:00:00Z"},
    "first_name": {"value": "J***", "source": "crm", "record_id": "9",
                   "observed_at": "2025-12-01T00:00:00Z"},
    "phone": "+*********71",
    "custom.shoe_size": "***"
  })"));
}

TEST_CASE("disclosure names round-trip and unknown names are rejected", "[governance]") {
  for (auto disclosure : {Disclosure::kAllow, Disclosure::kHash, Disclosure::kDrop}) {
    CHECK(ParseDisclosure(DisclosureName(disclosure)) == disclosure);
  }
  CHECK(DisclosureName(Disclosure::kAllow) == "allow");
  CHECK(DisclosureName(Disclosure::kHash) == "hash");
  CHECK(DisclosureName(Disclosure::kDrop) == "drop");
  for (const char* junk : {"", "Allow", "HASH", "remove", " drop"}) {
    CHECK_FALSE(ParseDisclosure(junk).has_value());
  }
}

TEST_CASE("a policy decides by field, then by class, then by its personal default",
          "[governance]") {
  PiiClassifier classifier;
  DisclosurePolicy policy;
  policy.classes = {{"pii.email", Disclosure::kHash}, {"pii.name", Disclosure::kDrop}};
  policy.fields = {{"first_name", Disclosure::kAllow}, {"city", Disclosure::kDrop}};
  policy.personal_default = Disclosure::kHash;

  CHECK(policy.For(classifier, "email") == Disclosure::kHash);        // by class
  CHECK(policy.For(classifier, "last_name") == Disclosure::kDrop);    // by class
  CHECK(policy.For(classifier, "first_name") == Disclosure::kAllow);  // the field wins
  CHECK(policy.For(classifier, "city") == Disclosure::kDrop);         // non-personal, by field
  CHECK(policy.For(classifier, "phone") == Disclosure::kHash);        // class not listed
  CHECK(policy.For(classifier, "gender") == Disclosure::kHash);       // class not listed
  CHECK(policy.For(classifier, "country") == Disclosure::kAllow);     // not personal
  CHECK(policy.For(classifier, "shopify.customer_id") == Disclosure::kAllow);

  DisclosurePolicy empty;
  CHECK(empty.For(classifier, "email") == Disclosure::kAllow);
}

TEST_CASE("hashed values are sha256 of the normalised value", "[governance]") {
  CHECK(HashForDisclosure("jane.doe@example.com") ==
        "sha256:86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d");
  CHECK(HashForDisclosure("+14155552671") == Sha("+14155552671"));
}

TEST_CASE("ApplyDisclosure hashes and drops a record's personal data", "[governance]") {
  PiiClassifier classifier = ClassifierWithCustomTraits();
  DisclosurePolicy policy;
  policy.classes = {{"pii.email", Disclosure::kHash},   {"pii.phone", Disclosure::kDrop},
                    {"pii.name", Disclosure::kDrop},    {"pii.address", Disclosure::kHash},
                    {"marketing.segments", Disclosure::kHash}};
  policy.fields = {{"last_name", Disclosure::kHash},
                   {"custom.spouse", Disclosure::kHash},
                   {"company", Disclosure::kDrop}};
  policy.personal_default = Disclosure::kDrop;  // "sensitive": birth_date, custom.shoe_size

  CanonicalRecord record = FullRecord();
  const CanonicalRecord original = record;
  ApplyDisclosure(policy, classifier, record);

  REQUIRE(record.identities.size() == 2);
  CHECK(record.identities[0] == Identity{"email", Sha("jane.doe@example.com")});
  CHECK(record.identities[1] == Identity{"shopify.customer_id", "7781"});
  CHECK(FindIdentity(record, "phone") == nullptr);

  const std::map<std::string, std::string> expected_traits = {
      {"last_name", Sha("Zola")},  // the field's hash wins over pii.name's drop
      {"address_line1", Sha("1 Rue X")},
      {"postal_code", Sha("75001")},
      {"city", "Paris"},
      {"country", "FR"}};
  CHECK(record.traits.fields == expected_traits);

  // Non-string custom values are hashed in their compact JSON text; nulls stay null; the order
  // of the remaining custom traits is kept.
  CHECK(boost::json::serialize(record.traits.custom) ==
        boost::json::serialize(boost::json::object{
            {"tags", "sha256:9094334430d17f0344eebdd104573361da8204c7768ede1da36c882ed5349493"},
            {"spouse", nullptr},
            {"favourite_colour", "blue"}}));

  CHECK(record.traits.consent == original.traits.consent);
  REQUIRE(record.touchpoints.size() == 1);
  CHECK(record.touchpoints[0].attributes == original.touchpoints[0].attributes);
}

TEST_CASE("an allow-everything policy leaves a record as it is", "[governance]") {
  CanonicalRecord record = FullRecord();
  ApplyDisclosure(DisclosurePolicy{}, ClassifierWithCustomTraits(), record);
  CHECK(ToJson(record) == ToJson(FullRecord()));
}

TEST_CASE("empty values are not hashed", "[governance]") {
  CanonicalRecord record;
  record.identities = {{"email", ""}};
  record.traits.fields = {{"first_name", ""}};
  record.traits.custom["nickname"] = "";
  DisclosurePolicy policy;
  policy.personal_default = Disclosure::kHash;
  ApplyDisclosure(policy, ClassifierWithCustomTraits(), record);
  CHECK(record.identities[0].value.empty());
  CHECK(record.traits.fields.at("first_name").empty());
  CHECK(record.traits.custom.at("nickname").as_string().empty());
}

TEST_CASE("ApplyDisclosure on a golden record keeps provenance and field order",
          "[governance]") {
  DisclosurePolicy policy;
  policy.classes = {{"pii.email", Disclosure::kHash}, {"pii.name", Disclosure::kDrop}};
  policy.fields = {{"phone", Disclosure::kHash}};
  policy.personal_default = Disclosure::kDrop;

  boost::json::object golden = GoldenRecord();
  ApplyDisclosure(policy, ClassifierWithCustomTraits(), golden);

  const std::string expected = boost::json::serialize(boost::json::parse(R"({
    "city": {"value": "Paris", "source": "shop", "record_id": "12",
             "observed_at": "2026-01-01T00:00:00Z"},
    "email": {"value": ")" + Sha("jane.doe@example.com") + R"(", "source": "shop",
              "record_id": "12", "observed_at": "2026-01-01T00:00:00Z"},
    "phone": ")" + Sha("+14155552671") + R"("
  })"));
  CHECK(boost::json::serialize(golden) == expected);
}

}  // namespace
}  // namespace journeyd::governance
