// ProfileSummaryCache: incremental inputs add to the kept summary, full inputs start it over,
// and the least recently used profiles go past the capacity.
#include "engine/delivery/profile_summary_cache.h"

#include <chrono>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "engine/record/canonical_record.h"

namespace journeyd::delivery {
namespace {

storage::StoredRecord Stored(int64_t id, const std::string& email, const std::string& first,
                             int minute, std::optional<bool> marketing = std::nullopt) {
  CanonicalRecord r;
  r.source = "shop";
  r.event_type = "order";
  r.external_id = "o" + std::to_string(id);
  r.occurred_at = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1} +
                  std::chrono::minutes(minute);
  r.identities = {{"email", email}};
  if (!first.empty()) r.traits.fields["first_name"] = first;
  if (marketing) r.traits.consent["email_marketing"] = Consent{*marketing, std::nullopt};
  storage::StoredRecord s;
  s.id = id;
  s.source = r.source;
  s.event_type = r.event_type;
  s.json = boost::json::serialize(ToJson(r));
  return s;
}

storage::DeliveryInputs::Profile Inputs(std::vector<storage::StoredRecord> records,
                                        bool incremental, storage::RecordWatermark watermark) {
  storage::DeliveryInputs::Profile p;
  p.records = std::move(records);
  p.incremental = incremental;
  p.watermark = watermark;
  return p;
}

storage::RecordWatermark Of(std::initializer_list<int64_t> ids) {
  storage::RecordWatermark w;
  for (int64_t id : ids) w.Add(id);
  return w;
}

TEST_CASE("a profile summary takes new records on top and starts over when told",
          "[delivery]") {
  ProfileSummaryCache cache(8);
  identity::SurvivorshipPolicy recent;

  const auto& first = *cache.Update(
      7, Inputs({Stored(1, "ann@example.com", "Ann", 1, true), Stored(2, "ann@example.com", "", 2)},
                false, Of({1, 2})));
  CHECK(first.contributions.Golden(recent).at("first_name").value == "Ann");
  CHECK(first.consent.at("email_marketing").granted);
  CHECK(cache.records_parsed() == 2);
  REQUIRE(cache.watermarks().at(7) == Of({1, 2}));

  // Incremental: only record 3 arrives, the summary keeps 1 and 2.
  const auto& more =
      *cache.Update(7, Inputs({Stored(3, "ann@example.com", "Annie", 3, false)}, true,
                             Of({1, 2, 3})));
  const auto golden = more.contributions.Golden(recent);
  CHECK(golden.at("first_name").value == "Annie");
  CHECK(golden.at("email").supporting == 3);  // all three records, though one was read
  CHECK_FALSE(more.consent.at("email_marketing").granted);
  CHECK(cache.records_parsed() == 3);

  // Not incremental (say a split took record 3 away): everything again, from what is given.
  const auto& again =
      *cache.Update(7, Inputs({Stored(1, "ann@example.com", "Ann", 1, true)}, false, Of({1})));
  CHECK(again.contributions.Golden(recent).at("first_name").value == "Ann");
  CHECK(again.contributions.Golden(recent).at("email").supporting == 1);
  CHECK(again.consent.at("email_marketing").granted);
  CHECK(cache.watermarks().at(7) == Of({1}));

  cache.Forget(7);
  CHECK(cache.size() == 0);
  CHECK(cache.watermarks().empty());
}

TEST_CASE("records that do not parse contribute nothing", "[delivery]") {
  ProfileSummaryCache cache(4);
  storage::StoredRecord broken;
  broken.id = 1;
  broken.json = "{not json";
  const auto& summary = *cache.Update(1, Inputs({broken}, false, Of({1})));
  CHECK(summary.contributions.empty());
  CHECK(cache.records_parsed() == 0);
}

TEST_CASE("the least recently used profiles leave the cache when trimmed, never during a round",
          "[delivery]") {
  ProfileSummaryCache cache(3);
  for (int64_t id = 1; id <= 3; ++id) {
    REQUIRE(cache.Update(id, Inputs({Stored(id, "p" + std::to_string(id) + "@example.com", "", 1)},
                                    false, Of({id}))) != nullptr);
  }
  REQUIRE(cache.Update(1, Inputs({}, true, Of({1}))) != nullptr);  // 1 now the most recent
  REQUIRE(cache.Update(4, Inputs({Stored(4, "p4@example.com", "", 1)}, false, Of({4}))) !=
          nullptr);
  // Within a round nothing goes: 2 was read with its watermark and may still be updated.
  CHECK(cache.size() == 4);
  const auto* two = cache.Update(2, Inputs({}, true, Of({2})));
  REQUIRE(two != nullptr);
  CHECK(two->contributions.Golden(identity::SurvivorshipPolicy{}).at("email").value ==
        "p2@example.com");

  cache.Trim();  // 3 is now the coldest
  CHECK(cache.size() == 3);
  CHECK(cache.watermarks().count(3) == 0);
  CHECK(cache.watermarks().count(1) == 1);
  CHECK(cache.watermarks().count(2) == 1);
  CHECK(cache.watermarks().count(4) == 1);
}

TEST_CASE("an incremental read of a profile the cache does not hold is refused", "[delivery]") {
  ProfileSummaryCache cache(4);
  // Only the new record: summarizing it alone would lose everything older.
  CHECK(cache.Update(9, Inputs({Stored(5, "x@example.com", "", 1)}, true, Of({1, 5}))) ==
        nullptr);
  CHECK(cache.size() == 0);
  CHECK(cache.records_parsed() == 0);
}

TEST_CASE("a watermark tells a changed set of older ids from the same one", "[delivery]") {
  CHECK(Of({1, 2, 3}) == Of({3, 1, 2}));
  CHECK_FALSE(Of({1, 4}) == Of({2, 3}));        // same count, same sum, same max
  CHECK_FALSE(Of({1, 2, 3}) == Of({1, 3}));     // one taken away
  CHECK_FALSE(Of({2, 3}) == Of({1, 2, 3}));     // an older one merged in
  CHECK(Of({5}).through_id == 5);
}

}  // namespace
}  // namespace journeyd::delivery
