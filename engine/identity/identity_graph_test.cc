#include "engine/identity/identity_graph.h"

#include <catch2/catch.hpp>

#include "engine/config/config.h"

namespace journeyd::identity {
namespace {

config::IdentitySettings Settings() {
  config::IdentitySettings s;
  s.identifiers = {{"email", 2, false}, {"phone", 0, false}, {"shop.customer_id", 1, false}};
  s.blocked_values = {"test@test.com", "N/A"};
  s.blocked_patterns = {"^noreply@.*", "^0+$"};
  return s;
}

RecordInput Record(RecordId id, std::vector<Identity> identities) {
  return RecordInput{id, std::move(identities), {}};
}

Identity Email(std::string v) { return {"email", std::move(v)}; }
Identity Phone(std::string v) { return {"phone", std::move(v)}; }
Identity ShopId(std::string v) { return {"shop.customer_id", std::move(v)}; }

TEST_CASE("records sharing an identifier land on one profile, merges say why", "[identity]") {
  const config::IdentitySettings settings = Settings();
  IdentityRules rules(settings);
  IdentityGraph graph(rules, nullptr);

  const Resolution a = graph.Add(Record(1, {Email("ann@example.com")}));
  CHECK(a.created);
  const Resolution b = graph.Add(Record(2, {Phone("+14155550101")}));
  CHECK(b.created);
  CHECK(a.profile != b.profile);
  // The third record carries both: the two profiles become one, the older id survives.
  const Resolution c = graph.Add(Record(3, {Phone("+14155550101"), Email("ann@example.com")}));
  CHECK_FALSE(c.created);
  CHECK(c.profile == a.profile);
  REQUIRE(c.merges.size() == 1);
  CHECK(c.merges[0].into == a.profile);
  CHECK(c.merges[0].from == b.profile);
  CHECK(c.merges[0].rule == "identifier");
  CHECK(c.merges[0].record == 3);
  // Email outranks phone, so the email's profile was the anchor and the phone caused the merge.
  CHECK(c.merges[0].identifier == Phone("+14155550101"));
  CHECK(graph.ProfileOf(2) == a.profile);
  CHECK(graph.RecordsOf(a.profile) == std::vector<RecordId>{1, 2, 3});
  CHECK(graph.profile_count() == 1);
  CHECK(graph.OwnerOf(Phone("+14155550101")) == a.profile);
}

TEST_CASE("blocked values never link two customers", "[identity]") {
  const config::IdentitySettings settings = Settings();
  IdentityRules rules(settings);
  IdentityGraph graph(rules, nullptr);
  for (const std::string junk : {"test@test.com", " TEST@test.com", "noreply@shop.example", "0000000",
                                 "n/a"}) {
    CHECK(rules.IsBlocked(junk));
  }
  CHECK_FALSE(rules.IsBlocked("ann@example.com"));
  CHECK_FALSE(rules.IsBlocked("+14155550000"));

  const Resolution a = graph.Add(Record(1, {Email("test@test.com"), Phone("0000000")}));
  const Resolution b = graph.Add(Record(2, {Email("test@test.com")}));
  CHECK(a.profile != b.profile);
  REQUIRE(a.issues.size() == 2);
  CHECK(a.issues[0].kind == "identity_blocked_value");
  // No value in the message: issues are shown to read-only users.
  CHECK(a.issues[0].message.find("test@test.com") == std::string::npos);
  CHECK(graph.OwnerOf(Email("test@test.com")) == 0);
}

TEST_CASE("a unique identifier protects profiles from merging", "[identity]") {
  const config::IdentitySettings settings = Settings();
  IdentityRules rules(settings);
  IdentityGraph graph(rules, nullptr);
  const Resolution a = graph.Add(Record(1, {ShopId("100"), Email("family@example.com")}));
  const Resolution b = graph.Add(Record(2, {ShopId("200"), Phone("+14155550102")}));
  // A shared household address would join two shop accounts: refused, and said so.
  const Resolution c = graph.Add(Record(3, {Phone("+14155550102"), Email("family@example.com")}));
  CHECK(a.profile != b.profile);
  CHECK(c.profile == a.profile);  // the email outranks the phone
  CHECK(c.merges.empty());
  REQUIRE(c.issues.size() == 1);
  CHECK(c.issues[0].kind == "identity_merge_blocked");
  CHECK(c.issues[0].message.find("shop.customer_id") != std::string::npos);
  CHECK(graph.profile_count() == 2);
  CHECK(graph.OwnerOf(Phone("+14155550102")) == b.profile);
}

TEST_CASE("a per-profile limit stops an identifier, not the record", "[identity]") {
  const config::IdentitySettings settings = Settings();  // at most 2 emails
  IdentityRules rules(settings);
  IdentityGraph graph(rules, nullptr);
  const Resolution a = graph.Add(Record(1, {ShopId("7"), Email("a@x.io"), Email("b@x.io")}));
  CHECK(a.attached.size() == 3);
  const Resolution b = graph.Add(Record(2, {ShopId("7"), Email("c@x.io")}));
  CHECK(b.profile == a.profile);
  REQUIRE(b.issues.size() == 1);
  CHECK(b.issues[0].kind == "identity_limit");
  CHECK(graph.OwnerOf(Email("c@x.io")) == 0);
  // Two profiles whose emails together pass the limit do not merge either.
  const Resolution c = graph.Add(Record(3, {Email("d@x.io"), Email("e@x.io")}));
  const Resolution d = graph.Add(Record(4, {Email("d@x.io"), Email("a@x.io")}));
  CHECK(c.profile != a.profile);
  CHECK(d.merges.empty());
  CHECK(d.issues.size() == 1);
}

TEST_CASE("a split detaches records and keeps the halves apart", "[identity]") {
  const config::IdentitySettings settings = Settings();
  IdentityRules rules(settings);
  IdentityGraph graph(rules, nullptr);
  const Resolution a = graph.Add(Record(1, {Email("ann@example.com")}));
  graph.Add(Record(2, {Email("ann@example.com"), Phone("+14155550103")}));
  graph.Add(Record(3, {Phone("+14155550103")}));
  REQUIRE(graph.RecordsOf(a.profile).size() == 3);

  std::string why;
  CHECK_FALSE(graph.SplitProfile(a.profile, {1, 2, 3}, &why));
  CHECK(why.find("every record") != std::string::npos);
  CHECK_FALSE(graph.SplitProfile(a.profile, {99}, &why));

  auto split = graph.SplitProfile(a.profile, {3}, &why);
  REQUIRE(split);
  CHECK(graph.ProfileOf(3) == split->new_profile);
  // Record 2 stays and also carries the phone, so the phone stays.
  CHECK(split->moved_identifiers.empty());
  CHECK(graph.OwnerOf(Phone("+14155550103")) == a.profile);

  // A later record linking both halves does not undo the admin's decision.
  auto s2 = graph.SplitProfile(a.profile, {2}, &why);
  REQUIRE(s2);
  CHECK(s2->moved_identifiers == std::vector<Identity>{Phone("+14155550103")});
  const Resolution later = graph.Add(Record(4, {Email("ann@example.com"), Phone("+14155550103")}));
  CHECK(later.merges.empty());
  REQUIRE(later.issues.size() == 1);
  CHECK(later.issues[0].message.find("apart") != std::string::npos);
}

config::FuzzySettings Fuzzy() {
  config::FuzzySettings f;
  f.enabled = true;
  f.blocking = {{"soundex(last_name)"}, {"birth_date"}};
  f.fields = {{"first_name", ComparatorKind::kName, {}},
              {"last_name", ComparatorKind::kName, {}},
              {"birth_date", ComparatorKind::kDate, {}},
              {"postal_code", ComparatorKind::kPostcode, {}}};
  return f;
}

CanonicalRecord Person(std::string first, std::string last, std::string born,
                       std::string postcode) {
  CanonicalRecord r;
  r.traits.fields["first_name"] = std::move(first);
  r.traits.fields["last_name"] = std::move(last);
  r.traits.fields["birth_date"] = std::move(born);
  r.traits.fields["postal_code"] = std::move(postcode);
  return r;
}

TEST_CASE("fuzzy matching merges near-identical people and explains it", "[identity]") {
  config::IdentitySettings settings = Settings();
  settings.fuzzy = Fuzzy();
  IdentityRules rules(settings);
  MatchModel model(settings.fuzzy);
  IdentityGraph graph(rules, &model);
  const auto add = [&](RecordId id, const CanonicalRecord& r) {
    return graph.Add(RecordInput{id, r.identities, model.ValuesOf(r)});
  };
  const Resolution a = add(1, Person("Jonathan", "Smyth", "1987-03-04", "2602"));
  const Resolution other = add(2, Person("Maria", "Smith", "1990-07-01", "4000"));
  CHECK(other.profile != a.profile);
  CHECK(other.merges.empty());
  // A typo in the first name and day/month swapped: the same person.
  const Resolution b = add(3, Person("Jonathon", "Smyth", "1987-04-03", "2602"));
  CHECK(b.profile == a.profile);
  REQUIRE(b.merges.size() == 1);
  CHECK(b.merges[0].rule == "fuzzy");
  CHECK(b.merges[0].probability >= 0.99);
  CHECK(b.merges[0].details.find("first_name") != std::string::npos);
  CHECK(b.merges[0].details.find("compared with record 1") != std::string::npos);
  // Same surname only: nothing happens.
  const Resolution c = add(4, Person("Peter", "Smyth", "1950-01-01", "9999"));
  CHECK(c.profile != a.profile);
  CHECK(c.merges.empty());
  CHECK(c.reviews.empty());
}

TEST_CASE("a fuzzy match between the thresholds asks for a review, once", "[identity]") {
  config::IdentitySettings settings = Settings();
  settings.fuzzy = Fuzzy();
  settings.fuzzy.auto_merge = 0.999999;
  settings.fuzzy.review = 0.5;
  IdentityRules rules(settings);
  MatchModel model(settings.fuzzy);
  IdentityGraph graph(rules, &model);
  const auto add = [&](RecordId id, const CanonicalRecord& r) {
    return graph.Add(RecordInput{id, r.identities, model.ValuesOf(r)});
  };
  const Resolution a = add(1, Person("Ann", "Lee", "1970-05-05", ""));
  const Resolution b = add(2, Person("Anne", "Lee", "1970-05-05", ""));
  CHECK(b.profile != a.profile);
  REQUIRE(b.reviews.size() == 1);
  CHECK(b.reviews[0].other == a.profile);
  CHECK(b.reviews[0].probability >= 0.5);
  CHECK(b.reviews[0].probability < 0.999999);
  // The same pair again: no second review.
  const Resolution c = add(3, Person("Anne", "Lee", "1970-05-05", ""));
  CHECK(c.profile != a.profile);
  for (const auto& r : c.reviews) CHECK(std::minmax(r.profile, r.other) != std::minmax(a.profile, b.profile));
  // An admin rejected it: kept apart from then on.
  graph.Separate(a.profile, b.profile);
  Merge merge;
  CHECK(graph.MergeProfiles(a.profile, b.profile, &merge).has_value());
}

TEST_CASE("fuzzy merges respect unique identifiers", "[identity]") {
  config::IdentitySettings settings = Settings();
  settings.fuzzy = Fuzzy();
  IdentityRules rules(settings);
  MatchModel model(settings.fuzzy);
  IdentityGraph graph(rules, &model);
  CanonicalRecord one = Person("Jonathan", "Smyth", "1987-03-14", "2602");
  one.identities = {ShopId("1")};
  CanonicalRecord two = one;
  two.identities = {ShopId("2")};
  const Resolution a = graph.Add(RecordInput{1, one.identities, model.ValuesOf(one)});
  const Resolution b = graph.Add(RecordInput{2, two.identities, model.ValuesOf(two)});
  CHECK(a.profile != b.profile);
  CHECK(b.merges.empty());
}

}  // namespace
}  // namespace journeyd::identity

namespace journeyd::identity {
namespace {

TEST_CASE("a veto keeps housemates apart, verify stops a shared landline linking them",
          "[identity]") {
  config::IdentitySettings settings;
  settings.identifiers = {{"email", 0, false, false}, {"phone", 3, false, true}};
  settings.fuzzy.enabled = true;
  settings.fuzzy.blocking = {{"last_name"}};
  settings.fuzzy.fields = {{"first_name", ComparatorKind::kName, {}},
                           {"last_name", ComparatorKind::kName, {}},
                           {"birth_date", ComparatorKind::kDate, {}},
                           {"postal_code", ComparatorKind::kPostcode, {}},
                           {"address_line1", ComparatorKind::kAddress, {}}};
  settings.fuzzy.veto = {"first_name", "birth_date"};
  IdentityRules rules(settings);
  MatchModel model(settings.fuzzy);
  IdentityGraph graph(rules, &model);
  const auto person = [](std::string first, std::string born) {
    CanonicalRecord r;
    r.traits.fields = {{"first_name", std::move(first)}, {"last_name", "Okafor"},
                       {"birth_date", std::move(born)}, {"postal_code", "2602"},
                       {"address_line1", "12 Pinkerton Circuit"}};
    return r;
  };
  const auto add = [&](RecordId id, CanonicalRecord r, std::vector<Identity> ids) {
    r.identities = std::move(ids);
    return graph.Add(RecordInput{id, r.identities, model.ValuesOf(r)});
  };
  const Resolution mother = add(1, person("Ngozi", "1961-02-03"), {Phone("+61262000001")});
  // Same surname, address and landline; another first name and birth date: another person.
  const Resolution son = add(2, person("Chidi", "1994-11-30"), {Phone("+61262000001")});
  CHECK(son.profile != mother.profile);
  CHECK(son.merges.empty());
  REQUIRE(son.issues.size() == 1);
  CHECK(son.issues[0].kind == "identity_verify_failed");
  CHECK(graph.OwnerOf(Phone("+61262000001")) == mother.profile);
  // The mother again, nickname-free and with her email: joins by phone (verified) and fuzzily.
  const Resolution again = add(3, person("Ngozi", "1961-02-03"),
                               {Phone("+61262000001"), Email("ngozi@example.com")});
  CHECK(again.profile == mother.profile);
  CHECK(again.issues.empty());
  // A first name swapped with the surname but the same birth date is not vetoed.
  CanonicalRecord swapped = person("Okafor", "1961-02-03");
  swapped.traits.fields["last_name"] = "Ngozi";
  const MatchScore score = model.Score(model.ValuesOf(swapped), model.ValuesOf(person("Ngozi", "1961-02-03")));
  CHECK(model.Vetoed(score) == nullptr);
  CHECK(model.Vetoed(model.Score(model.ValuesOf(person("Chidi", "1994-11-30")),
                                 model.ValuesOf(person("Ngozi", "1961-02-03")))) != nullptr);
}

}  // namespace
}  // namespace journeyd::identity
