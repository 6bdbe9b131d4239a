#include "engine/pipeline/identity_stage.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <map>

#include "engine/config/config.h"
#include "engine/storage/sqlite/sqlite_store.h"
#include "tests/support/inbox.h"
#include "tests/support/temp_dir.h"

namespace journeyd::pipeline {
namespace {

using std::chrono::system_clock;

CanonicalRecord Customer(std::string source, std::string id, std::vector<Identity> identities,
                         std::string first = "", std::string last = "") {
  CanonicalRecord r;
  r.source = std::move(source);
  r.event_type = "row";
  r.external_id = std::move(id);
  r.occurred_at = system_clock::time_point(std::chrono::seconds(1'700'000'000));
  r.identities = std::move(identities);
  if (!first.empty()) r.traits.fields["first_name"] = first;
  if (!last.empty()) r.traits.fields["last_name"] = last;
  r.traits.fields["birth_date"] = "1980-01-02";
  return r;
}

std::map<std::string, int64_t> Placements(storage::Store& store) {
  std::map<std::string, int64_t> out;
  REQUIRE(store.ScanProfileRecords([&](const storage::ProfileRecordRow& row) {
    out[row.source + ":" + row.external_id] = row.profile_id;
  }).ok());
  return out;
}

config::IdentitySettings Settings() {
  config::IdentitySettings s;
  s.identifiers = {{"email", 0, false}, {"crm.id", 1, false}};
  s.fuzzy.enabled = true;
  s.fuzzy.blocking = {{"last_name"}};
  s.fuzzy.fields = {{"first_name", identity::ComparatorKind::kName, {}},
                    {"last_name", identity::ComparatorKind::kName, {}},
                    {"birth_date", identity::ComparatorKind::kDate, {}}};
  return s;
}

TEST_CASE("the identity stage stores its decisions and survives a restart", "[pipeline][identity]") {
  testing::TempDir dir;
  auto store = storage::SqliteStore::Open(dir.path() / "j.db", std::chrono::seconds(1));
  REQUIRE(store.ok());
  ManualClock clock(system_clock::time_point(std::chrono::seconds(1'800'000'000)));
  const config::IdentitySettings settings = Settings();
  testing::CommitMappedRecords(**store,
             {Customer("shop", "s1", {{"email", "ann@example.com"}}, "Ann", "Lee"),
              Customer("crm", "c1", {{"crm.id", "42"}}, "Bob", "Ray"),
              Customer("crm", "c2", {{"crm.id", "42"}, {"email", "ann@example.com"}})});
  {
    IdentityStage stage(**store, settings, clock, {.batch = 2, .gate = {}});
    REQUIRE(stage.Load().ok());
    auto first = stage.RunOnce();
    REQUIRE(first.ok());
    CHECK(*first == 2);
    auto second = stage.RunOnce();
    REQUIRE(second.ok());
    CHECK(*second == 1);
    CHECK(*stage.RunOnce() == 0);
    CHECK(stage.counters().merges == 1);
  }
  auto placed = Placements(**store);
  REQUIRE(placed.size() == 3);
  CHECK(placed["shop:s1"] == placed["crm:c1"]);
  CHECK(placed["crm:c2"] == placed["shop:s1"]);
  const int64_t profile = placed["shop:s1"];

  auto detail = (*store)->ReadProfile(profile);
  REQUIRE(detail.ok());
  CHECK(detail->records.size() == 3);
  CHECK(detail->identifiers.size() == 2);
  REQUIRE(detail->merges.size() == 1);
  CHECK(detail->merges[0].rule == "identifier");
  CHECK(detail->merges[0].identifier_type == "crm.id");
  CHECK(detail->absorbed.size() == 1);
  // The retired id still leads to the profile.
  auto resolved = (*store)->ResolveProfile(detail->absorbed[0]);
  REQUIRE(resolved.ok());
  CHECK(*resolved == profile);
  auto by_email = (*store)->FindProfileByIdentifier("email", "ann@example.com");
  REQUIRE(by_email.ok());
  CHECK(*by_email == profile);

  // A new process: the graph comes back from the store, and new records join old profiles
  // (by identifier, and by fuzzy match on the restored blocking index).
  testing::CommitMappedRecords(**store,
             {Customer("pos", "p1", {{"crm.id", "42"}}),
              Customer("pos", "p2", {}, "Bob", "Ray"),
              Customer("pos", "p3", {}, "Zed", "Ray")});
  {
    IdentityStage stage(**store, settings, clock, {});
    REQUIRE(stage.Load().ok());
    CHECK(stage.counters().profiles == 1);
    auto taken = stage.RunOnce();
    REQUIRE(taken.ok());
    CHECK(*taken == 3);  // the first three were not taken again
  }
  placed = Placements(**store);
  CHECK(placed["pos:p1"] == profile);
  CHECK(placed["pos:p2"] == profile);  // Bob Ray, same birth date: fuzzy
  CHECK(placed["pos:p3"] != profile);  // same surname only
}

}  // namespace
}  // namespace journeyd::pipeline
