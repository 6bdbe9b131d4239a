// The Store contract for identity: the identity stage's batches (profiles, identifiers, merges,
// reviews, issues, its cursor), the start-up scans, the reads behind explain and export, and the
// admin's identity actions (accept, reject, split) queued and carried out.
#include <algorithm>
#include <set>

#include "tests/store/contract_helpers.h"

namespace journeyd::storage::contract {
namespace {

using Identifiers = std::vector<std::pair<std::string, std::string>>;

// Four records of two people: bob (r0, r1), jon (r2), and an unreadable one (r3).
std::vector<StoredRecord> SeedPeople(Store& store) {
  return SeedRecords(
      store, {Spec("evt-6001", T(-400), {{"email", "bob@example.com"}},
                   {OrderPlaced("820982911946154508", "199.65", T(-400))}),
              Spec("evt-6002", T(-300), {{"email", "bob@example.com"}, {"phone", "+16135551212"}}),
              Spec("evt-6003", T(-200), {{"email", "jon@example.com"}}),
              Spec("evt-6004", T(-100))});
}

// The identity stage's first batch over SeedPeople: bob is profile 1, jon profile 2, a review
// asks whether they are one, and the last record is placed nowhere.
IdentityBatch FirstBatch(const std::vector<StoredRecord>& r) {
  IdentityBatch batch;
  batch.at = T(100);
  batch.steps.push_back(NewProfileStep(r[0], 1, {{"email", "bob@example.com"}}));
  batch.steps.push_back(JoinStep(r[1], 1, {{"phone", "+16135551212"}}));
  IdentityBatch::Step jon = NewProfileStep(r[2], 2, {{"email", "jon@example.com"}});
  jon.reviews.push_back({1, 2, 0.82, R"({"first_name":0.91,"last_name":0.55})"});
  batch.steps.push_back(jon);
  IdentityBatch::Step unreadable;
  unreadable.record_id = r[3].id;
  unreadable.inbox_id = r[3].inbox_id;
  unreadable.source = r[3].source;
  unreadable.issues.push_back({"unreadable_record", "record has no identities"});
  batch.steps.push_back(unreadable);
  batch.cursor = r[3].id;
  return batch;
}

TEST_CASE("identity: a batch places records, owns identifiers and moves the cursor",
          "[store][identity]") {
  FOR_EACH_STORE_BACKEND(store) {
    CHECK(Must(store.ReadStageCursor("identity")) == 0);
    CHECK(Must(store.MaxProfileId()) == 0);
    const auto r = SeedPeople(store);
    RequireOk(store.CommitIdentity(FirstBatch(r)));

    SECTION("the cursor and the largest profile id") {
      CHECK(Must(store.ReadStageCursor("identity")) == r[3].id);
      CHECK(Must(store.ReadStageCursor("journey")) == 0);
      CHECK(Must(store.MaxProfileId()) == 2);
    }
    SECTION("identifiers find their profile, unknown ones are not found") {
      CHECK(Must(store.FindProfileByIdentifier("email", "bob@example.com")) == 1);
      CHECK(Must(store.FindProfileByIdentifier("phone", "+16135551212")) == 1);
      CHECK(Must(store.FindProfileByIdentifier("email", "jon@example.com")) == 2);
      auto missing = store.FindProfileByIdentifier("email", "nobody@example.com");
      REQUIRE_FALSE(missing.ok());
      CHECK(missing.error().code == ErrorCode::kNotFound);
      // Types are distinct namespaces.
      auto wrong_type = store.FindProfileByIdentifier("phone", "bob@example.com");
      REQUIRE_FALSE(wrong_type.ok());
      CHECK(wrong_type.error().code == ErrorCode::kNotFound);
    }
    SECTION("profiles resolve to themselves, unknown ids are not found") {
      CHECK(Must(store.ResolveProfile(1)) == 1);
      CHECK(Must(store.ResolveProfile(2)) == 2);
      auto missing = store.ResolveProfile(99);
      REQUIRE_FALSE(missing.ok());
      CHECK(missing.error().code == ErrorCode::kNotFound);
    }
    SECTION("ReadProfile: times, identifiers by type and value, records, reviews") {
      auto p = Must(store.ReadProfile(1));
      CHECK(p.id == 1);
      CHECK(p.created_at == T(100));
      CHECK(p.updated_at == T(100));
      CHECK(p.absorbed.empty());
      CHECK(p.identifiers ==
            Identifiers{{"email", "bob@example.com"}, {"phone", "+16135551212"}});
      REQUIRE(p.records.size() == 2);
      CHECK(p.records[0].profile_id == 1);
      CHECK(p.records[0].record_id == r[0].id);
      CHECK(p.records[0].source == "shopify");
      CHECK(p.records[0].external_id == "evt-6001");
      CHECK(p.records[0].event_type == "orders/create");
      CHECK(p.records[0].occurred_at == T(-400));
      CHECK(p.records[1].record_id == r[1].id);
      CHECK(p.records[1].external_id == "evt-6002");
      CHECK(p.merges.empty());
      REQUIRE(p.reviews.size() == 1);
      CHECK(p.reviews[0].profile_a == 1);
      CHECK(p.reviews[0].profile_b == 2);
      auto missing = store.ReadProfile(42);
      REQUIRE_FALSE(missing.ok());
      CHECK(missing.error().code == ErrorCode::kNotFound);
    }
    SECTION("ReadProfileRecords: the canonical records in id order") {
      auto records = Must(store.ReadProfileRecords(1));
      REQUIRE(records.size() == 2);
      CHECK(records[0].id == r[0].id);
      CHECK(records[0].inbox_id == r[0].inbox_id);
      CHECK(records[0].json == r[0].json);
      CHECK(records[1].id == r[1].id);
      CHECK(records[1].json == r[1].json);
      CHECK(Must(store.ReadProfileRecords(2)).size() == 1);
      CHECK(Must(store.ReadProfileRecords(77)).empty());
    }
    SECTION("the start-up scans see what the batch wrote") {
      std::vector<PlacedRecord> placed;
      RequireOk(store.ScanPlacedRecords([&](PlacedRecord&& p) { placed.push_back(p); }));
      REQUIRE(placed.size() == 3);  // the unreadable record is placed nowhere
      CHECK(placed[0].record_id == r[0].id);
      CHECK(placed[0].profile_id == 1);
      CHECK(placed[0].json == r[0].json);
      CHECK(placed[1].record_id == r[1].id);
      CHECK(placed[2].record_id == r[2].id);
      CHECK(placed[2].profile_id == 2);
      std::set<std::tuple<std::string, std::string, int64_t>> identifiers;
      RequireOk(store.ScanIdentifiers([&](std::string type, std::string value, int64_t profile) {
        identifiers.emplace(type, value, profile);
      }));
      CHECK(identifiers == std::set<std::tuple<std::string, std::string, int64_t>>{
                               {"email", "bob@example.com", 1},
                               {"email", "jon@example.com", 2},
                               {"phone", "+16135551212", 1}});
      int separations = 0;
      RequireOk(store.ScanSeparations([&](int64_t, int64_t) { ++separations; }));
      CHECK(separations == 0);
      std::vector<ProfileRecordRow> rows;
      RequireOk(store.ScanProfileRecords([&](const ProfileRecordRow& row) { rows.push_back(row); }));
      REQUIRE(rows.size() == 3);
      CHECK(rows[0].profile_id == 1);
      CHECK(rows[0].record_id == r[0].id);
      CHECK(rows[1].profile_id == 1);
      CHECK(rows[1].record_id == r[1].id);
      CHECK(rows[2].profile_id == 2);
      CHECK(rows[2].external_id == "evt-6003");
      CHECK(rows[2].occurred_at == T(-200));
    }
    SECTION("reviews: open, listed newest first, counted as open work") {
      auto open = Must(store.ListReviews("open", 0, 10));
      REQUIRE(open.size() == 1);
      CHECK(open[0].profile_a == 1);
      CHECK(open[0].profile_b == 2);
      CHECK(open[0].record_id == r[2].id);
      CHECK(open[0].probability == Approx(0.82));
      CHECK(open[0].details == R"({"first_name":0.91,"last_name":0.55})");
      CHECK(open[0].status == "open");
      CHECK(open[0].created_at == T(100));
      auto read = Must(store.ReadReview(open[0].id));
      CHECK(read.id == open[0].id);
      CHECK(read.status == "open");
      CHECK(Must(store.ListReviews("", 0, 10)).size() == 1);
      CHECK(Must(store.ListReviews("accepted", 0, 10)).empty());
      CHECK(Must(store.ListReviews("", open[0].id, 10)).empty());
      CHECK(Must(store.CountOpenWork()).reviews_open == 1);
      auto missing = store.ReadReview(open[0].id + 100);
      REQUIRE_FALSE(missing.ok());
      CHECK(missing.error().code == ErrorCode::kNotFound);
    }
    SECTION("a step's issue is raised for its source and inbox row at the batch's time") {
      auto issues = Must(store.ListIssues(Issues("unreadable_record")));
      REQUIRE(issues.size() == 1);
      CHECK(issues[0].source == "shopify");
      CHECK(issues[0].message == "record has no identities");
      CHECK(issues[0].inbox_id == r[3].inbox_id);
      CHECK(issues[0].created_at == T(100));
    }
    SECTION("the journey reads placed records up to the identity cursor, with profiles") {
      auto records = Must(store.ReadJourneyRecords(0, 10));
      REQUIRE(records.size() == 3);
      CHECK(records[0].record_id == r[0].id);
      CHECK(records[0].profile_id == 1);
      CHECK(records[0].source == "shopify");
      CHECK(records[0].external_id == "evt-6001");
      CHECK(records[0].json == r[0].json);
      CHECK(records[2].record_id == r[2].id);
      CHECK(records[2].profile_id == 2);
      auto after = Must(store.ReadJourneyRecords(r[0].id, 1));
      REQUIRE(after.size() == 1);
      CHECK(after[0].record_id == r[1].id);
    }
    SECTION("new profiles are announced in the outbox to every target") {
      std::set<int64_t> announced;
      for (const OutboxRow& row : Must(store.ReadOutbox("hubspot", 0, 100))) {
        CHECK(row.kind == "profile");
        CHECK(row.target.empty());
        CHECK(row.item_id == 0);
        CHECK(row.created_at == T(100));
        announced.insert(row.profile_id);
      }
      CHECK(announced == std::set<int64_t>{1, 2});
    }
  }
}

TEST_CASE("identity: records beyond the identity cursor are not the journey's yet",
          "[store][identity]") {
  FOR_EACH_STORE_BACKEND(store) {
    const auto r = SeedPeople(store);
    CHECK(Must(store.ReadJourneyRecords(0, 10)).empty());
    IdentityBatch batch;
    batch.at = T(100);
    batch.steps.push_back(NewProfileStep(r[0], 1, {{"email", "bob@example.com"}}));
    batch.cursor = r[0].id;
    RequireOk(store.CommitIdentity(batch));
    auto records = Must(store.ReadJourneyRecords(0, 10));
    REQUIRE(records.size() == 1);
    CHECK(records[0].record_id == r[0].id);
    CHECK(Must(store.ReadStageCursor("identity")) == r[0].id);
  }
}

TEST_CASE("identity: merges retire profiles that still resolve, closing their reviews",
          "[store][identity]") {
  FOR_EACH_STORE_BACKEND(store) {
    const auto r = SeedPeople(store);
    RequireOk(store.CommitIdentity(FirstBatch(r)));
    const auto more = SeedRecords(
        store, {Spec("evt-6005", T(-50), {{"email", "jane@example.com"}}),
                Spec("evt-6006", T(-40), {{"email", "jane@example.com"},
                                          {"email", "jon@example.com"},
                                          {"email", "bob@example.com"}})});
    IdentityBatch batch;
    batch.at = T(200);
    batch.steps.push_back(NewProfileStep(more[0], 3, {{"email", "jane@example.com"}}));
    IdentityBatch::Step joined = JoinStep(more[1], 1);
    // jane (3) joins jon (2), then jon joins bob (1): 3 resolves through 2 to 1.
    joined.merges.push_back({2, 3, "identifier", "email", "jane@example.com", 1.0,
                             "both hold email jane@example.com"});
    joined.merges.push_back({1, 2, "identifier", "email", "jon@example.com", 1.0,
                             "both hold email jon@example.com"});
    batch.steps.push_back(joined);
    batch.cursor = more[1].id;
    RequireOk(store.CommitIdentity(batch));

    SECTION("retired ids resolve to the live profile, along the chain") {
      CHECK(Must(store.ResolveProfile(1)) == 1);
      CHECK(Must(store.ResolveProfile(2)) == 1);
      CHECK(Must(store.ResolveProfile(3)) == 1);
      CHECK(Must(store.MaxProfileId()) == 3);
      CHECK(Must(store.ReadStageCursor("identity")) == more[1].id);
    }
    SECTION("identifiers and records move to the live profile") {
      CHECK(Must(store.FindProfileByIdentifier("email", "jon@example.com")) == 1);
      CHECK(Must(store.FindProfileByIdentifier("email", "jane@example.com")) == 1);
      auto records = Must(store.ReadProfileRecords(1));
      REQUIRE(records.size() == 5);
      CHECK(records[0].id == r[0].id);
      CHECK(records[2].id == r[2].id);
      CHECK(records[3].id == more[0].id);
      CHECK(records[4].id == more[1].id);
      CHECK(Must(store.ReadProfileRecords(2)).empty());
      CHECK(Must(store.ReadProfileRecords(3)).empty());
    }
    SECTION("ReadProfile tells the whole story: absorbed ids and every merge") {
      auto p = Must(store.ReadProfile(1));
      CHECK(p.created_at == T(100));
      CHECK(p.updated_at == T(200));
      CHECK(p.absorbed == std::vector<int64_t>{2, 3});
      CHECK(p.identifiers == Identifiers{{"email", "bob@example.com"},
                                         {"email", "jane@example.com"},
                                         {"email", "jon@example.com"},
                                         {"phone", "+16135551212"}});
      REQUIRE(p.records.size() == 5);
      REQUIRE(p.merges.size() == 2);
      CHECK(p.merges[0].into == 2);
      CHECK(p.merges[0].from == 3);
      CHECK(p.merges[0].rule == "identifier");
      CHECK(p.merges[0].identifier_type == "email");
      CHECK(p.merges[0].identifier_value == "jane@example.com");
      CHECK(p.merges[0].record_id == more[1].id);
      CHECK(p.merges[0].probability == Approx(1.0));
      CHECK(p.merges[0].details == "both hold email jane@example.com");
      CHECK(p.merges[0].at == T(200));
      CHECK(p.merges[1].into == 1);
      CHECK(p.merges[1].from == 2);
      CHECK(p.merges[1].id > p.merges[0].id);
    }
    SECTION("the open review between the merged profiles is closed as merged") {
      CHECK(Must(store.ListReviews("open", 0, 10)).empty());
      auto merged = Must(store.ListReviews("merged", 0, 10));
      REQUIRE(merged.size() == 1);
      CHECK(merged[0].profile_a == 1);
      CHECK(merged[0].profile_b == 2);
      CHECK(Must(store.CountOpenWork()).reviews_open == 0);
    }
    SECTION("both sides of every merge are marked for the journey to recompute") {
      CHECK(Must(store.ReadJourneyDirty(10)) == std::vector<int64_t>{1, 2, 3});
      CHECK(Must(store.ReadJourneyDirty(2)) == std::vector<int64_t>{1, 2});
    }
    SECTION("the journey sees each record on its live profile") {
      auto records = Must(store.ReadJourneyRecords(0, 10));
      REQUIRE(records.size() == 5);
      for (const JourneyRecord& record : records) CHECK(record.profile_id == 1);
    }
  }
}

TEST_CASE("identity: actions are queued, read back and carried out", "[store][identity]") {
  FOR_EACH_STORE_BACKEND(store) {
    const auto r = SeedPeople(store);
    RequireOk(store.CommitIdentity(FirstBatch(r)));
    const int64_t review = Must(store.ListReviews("open", 0, 10)).at(0).id;

    IdentityAction accept;
    accept.kind = IdentityActionKind::kAcceptReview;
    accept.review_id = review;
    IdentityAction split;
    split.kind = IdentityActionKind::kSplit;
    split.profile_id = 1;
    split.records = {r[1].id};
    IdentityAction erase;
    erase.kind = IdentityActionKind::kErase;
    erase.identifiers = {{"email", "jon@example.com"}, {"phone", "+16135550000"}};
    erase.requested_by = "admin api";
    erase.targets = {"hubspot", "salesforce"};
    const int64_t accept_id = Must(store.QueueIdentityAction(accept, T(300)));
    const int64_t split_id = Must(store.QueueIdentityAction(split, T(301)));
    const int64_t erase_id = Must(store.QueueIdentityAction(erase, T(302)));

    SECTION("pending actions come back in id order with what they asked") {
      CHECK(accept_id < split_id);
      CHECK(split_id < erase_id);
      auto pending = Must(store.ReadPendingIdentityActions());
      REQUIRE(pending.size() == 3);
      CHECK(pending[0].id == accept_id);
      CHECK(pending[0].kind == IdentityActionKind::kAcceptReview);
      CHECK(pending[0].review_id == review);
      CHECK(pending[0].profile_id == 0);
      CHECK(pending[0].records.empty());
      CHECK(pending[0].status == "pending");
      CHECK(pending[0].result.empty());
      CHECK(pending[1].kind == IdentityActionKind::kSplit);
      CHECK(pending[1].profile_id == 1);
      CHECK(pending[1].records == std::vector<int64_t>{r[1].id});
      CHECK(pending[2].kind == IdentityActionKind::kErase);
      CHECK(pending[2].identifiers == erase.identifiers);
      CHECK(pending[2].requested_by == "admin api");
      CHECK(pending[2].targets == erase.targets);
      auto one = Must(store.ReadIdentityAction(split_id));
      CHECK(one.id == split_id);
      CHECK(one.records == std::vector<int64_t>{r[1].id});
      auto missing = store.ReadIdentityAction(erase_id + 10);
      REQUIRE_FALSE(missing.ok());
      CHECK(missing.error().code == ErrorCode::kNotFound);
    }
    SECTION("accepting a review merges its profiles and marks it accepted") {
      IdentityActionOutcome outcome;
      outcome.action_id = accept_id;
      outcome.done = true;
      outcome.result = "merged profile 2 into 1";
      outcome.review_id = review;
      outcome.review_status = "accepted";
      outcome.merges = {{1, 2, "review", "", "", 0.82, "accepted by an admin"}};
      outcome.at = T(310);
      RequireOk(store.CommitIdentityAction(outcome));
      CHECK(Must(store.ResolveProfile(2)) == 1);
      CHECK(Must(store.FindProfileByIdentifier("email", "jon@example.com")) == 1);
      auto decided = Must(store.ReadReview(review));
      CHECK(decided.status == "accepted");
      auto done = Must(store.ReadIdentityAction(accept_id));
      CHECK(done.status == "done");
      CHECK(done.result == "merged profile 2 into 1");
      auto p = Must(store.ReadProfile(1));
      REQUIRE(p.merges.size() == 1);
      CHECK(p.merges[0].rule == "review");
      CHECK(p.merges[0].identifier_type.empty());
      CHECK(p.merges[0].record_id == 0);
      CHECK(p.merges[0].at == T(310));
      CHECK(p.updated_at == T(310));
      auto pending = Must(store.ReadPendingIdentityActions());
      REQUIRE(pending.size() == 2);
      CHECK(pending[0].id == split_id);
      CHECK(Must(store.ReadJourneyDirty(10)) == std::vector<int64_t>{1, 2});
    }
    SECTION("rejecting a review keeps the two apart from then on") {
      IdentityAction reject;
      reject.kind = IdentityActionKind::kRejectReview;
      reject.review_id = review;
      const int64_t reject_id = Must(store.QueueIdentityAction(reject, T(303)));
      IdentityActionOutcome outcome;
      outcome.action_id = reject_id;
      outcome.done = true;
      outcome.result = "kept apart";
      outcome.review_id = review;
      outcome.review_status = "rejected";
      outcome.separation = {2, 1};
      outcome.at = T(311);
      RequireOk(store.CommitIdentityAction(outcome));
      CHECK(Must(store.ReadReview(review)).status == "rejected");
      std::vector<std::pair<int64_t, int64_t>> separations;
      RequireOk(store.ScanSeparations([&](int64_t a, int64_t b) { separations.emplace_back(a, b); }));
      // Stored once per pair, the smaller id first.
      CHECK(separations == std::vector<std::pair<int64_t, int64_t>>{{1, 2}});
      CHECK(Must(store.ResolveProfile(2)) == 2);
      CHECK(Must(store.CountOpenWork()).reviews_open == 0);
    }
    SECTION("a split moves records and identifiers to a new profile, logged as a split") {
      IdentityActionOutcome outcome;
      outcome.action_id = split_id;
      outcome.done = true;
      outcome.result = "records moved to profile 3";
      outcome.new_profile = 3;
      outcome.old_profile = 1;
      outcome.moved_records = {r[1].id};
      outcome.moved_identifiers = {{"phone", "+16135551212"}};
      outcome.separation = {1, 3};
      outcome.at = T(312);
      RequireOk(store.CommitIdentityAction(outcome));
      CHECK(Must(store.MaxProfileId()) == 3);
      CHECK(Must(store.ResolveProfile(3)) == 3);
      CHECK(Must(store.FindProfileByIdentifier("phone", "+16135551212")) == 3);
      CHECK(Must(store.FindProfileByIdentifier("email", "bob@example.com")) == 1);
      auto moved = Must(store.ReadProfileRecords(3));
      REQUIRE(moved.size() == 1);
      CHECK(moved[0].id == r[1].id);
      auto stayed = Must(store.ReadProfileRecords(1));
      REQUIRE(stayed.size() == 1);
      CHECK(stayed[0].id == r[0].id);
      auto p = Must(store.ReadProfile(3));
      CHECK(p.created_at == T(312));
      REQUIRE(p.merges.size() == 1);
      CHECK(p.merges[0].rule == "split");
      CHECK(p.merges[0].into == 3);
      CHECK(p.merges[0].from == 1);
      CHECK(Must(store.ReadProfile(1)).updated_at == T(312));
      CHECK(Must(store.ReadJourneyDirty(10)) == std::vector<int64_t>{1, 3});
      std::vector<std::pair<int64_t, int64_t>> separations;
      RequireOk(store.ScanSeparations([&](int64_t a, int64_t b) { separations.emplace_back(a, b); }));
      CHECK(separations == std::vector<std::pair<int64_t, int64_t>>{{1, 3}});
      CHECK(Must(store.ReadIdentityAction(split_id)).status == "done");
    }
    SECTION("a failed action changes nothing but its status and result") {
      IdentityActionOutcome outcome;
      outcome.action_id = split_id;
      outcome.done = false;
      outcome.result = "record 99 is not on profile 1";
      outcome.new_profile = 3;
      outcome.old_profile = 1;
      outcome.moved_records = {r[1].id};
      outcome.at = T(313);
      RequireOk(store.CommitIdentityAction(outcome));
      auto failed = Must(store.ReadIdentityAction(split_id));
      CHECK(failed.status == "failed");
      CHECK(failed.result == "record 99 is not on profile 1");
      CHECK(Must(store.MaxProfileId()) == 2);
      CHECK(Must(store.ReadProfileRecords(1)).size() == 2);
      CHECK(Must(store.ReadPendingIdentityActions()).size() == 2);
    }
    SECTION("a carried-out erase request no longer holds the identifiers it named") {
      IdentityActionOutcome outcome;
      outcome.action_id = erase_id;
      outcome.done = false;
      outcome.result = "no profile holds those identifiers";
      outcome.at = T(314);
      RequireOk(store.CommitIdentityAction(outcome));
      auto applied = Must(store.ReadIdentityAction(erase_id));
      CHECK(applied.kind == IdentityActionKind::kErase);
      CHECK(applied.status == "failed");
      CHECK(applied.identifiers.empty());
      CHECK(applied.requested_by.empty());
      CHECK(applied.targets.empty());
    }
  }
}

// The profile ids of the outbox rows after `after_id`, in outbox order, each checked to be a
// profile announcement for every target made at `at`.
std::vector<int64_t> Announced(Store& store, int64_t after_id, TimePoint at) {
  std::vector<int64_t> out;
  for (const OutboxRow& row : Must(store.ReadOutbox("hubspot", after_id, 1000))) {
    CHECK(row.kind == "profile");
    CHECK(row.target.empty());
    CHECK(row.created_at == at);
    out.push_back(row.profile_id);
  }
  return out;
}

int64_t LastOutboxId(Store& store) {
  auto rows = Must(store.ReadOutbox("hubspot", 0, 100000));
  return rows.empty() ? 0 : rows.back().id;
}

// Keeps `a` and `b` apart as a rejected review does.
void Separate(Store& store, int64_t a, int64_t b, TimePoint at) {
  IdentityAction reject;
  reject.kind = IdentityActionKind::kRejectReview;
  IdentityActionOutcome outcome;
  outcome.action_id = Must(store.QueueIdentityAction(reject, at));
  outcome.done = true;
  outcome.result = "kept apart";
  outcome.separation = {a, b};
  outcome.at = at;
  RequireOk(store.CommitIdentityAction(outcome));
}

std::set<std::pair<int64_t, int64_t>> Separations(Store& store) {
  std::set<std::pair<int64_t, int64_t>> out;
  RequireOk(store.ScanSeparations([&](int64_t a, int64_t b) { out.emplace(a, b); }));
  return out;
}

TEST_CASE("identity: a merge in a batch takes what earlier steps of it gave the retired profile",
          "[store][identity]") {
  FOR_EACH_STORE_BACKEND(store) {
    const auto r = SeedRecords(
        store, {Spec("evt-6101", T(-30), {{"email", "bob@example.com"}}),
                Spec("evt-6102", T(-20), {{"email", "jon@example.com"}}),
                Spec("evt-6103", T(-10), {{"email", "bob@example.com"},
                                          {"email", "jon@example.com"},
                                          {"phone", "+16135551212"}})});
    // One batch: bob (1), jon (2) with a review against bob, then a record holding both
    // emails merges jon into bob and lands there with a new phone.
    IdentityBatch batch;
    batch.at = T(100);
    batch.steps.push_back(NewProfileStep(r[0], 1, {{"email", "bob@example.com"}}));
    IdentityBatch::Step jon = NewProfileStep(r[1], 2, {{"email", "jon@example.com"}});
    jon.reviews.push_back({1, 2, 0.74, R"({"last_name":0.74})"});
    batch.steps.push_back(jon);
    IdentityBatch::Step both = JoinStep(r[2], 1, {{"phone", "+16135551212"}});
    both.merges.push_back({1, 2, "identifier", "email", "jon@example.com", 1.0,
                           "both hold email jon@example.com"});
    batch.steps.push_back(both);
    batch.cursor = r[2].id;
    RequireOk(store.CommitIdentity(batch));

    CHECK(Must(store.ResolveProfile(2)) == 1);
    CHECK(Must(store.FindProfileByIdentifier("email", "jon@example.com")) == 1);
    CHECK(Must(store.FindProfileByIdentifier("phone", "+16135551212")) == 1);
    auto records = Must(store.ReadProfileRecords(1));
    REQUIRE(records.size() == 3);
    CHECK(records[0].id == r[0].id);
    CHECK(records[1].id == r[1].id);
    CHECK(records[2].id == r[2].id);
    CHECK(Must(store.ReadProfileRecords(2)).empty());
    std::vector<std::pair<int64_t, int64_t>> placed;
    RequireOk(store.ScanPlacedRecords(
        [&](PlacedRecord&& p) { placed.emplace_back(p.record_id, p.profile_id); }));
    CHECK(placed == std::vector<std::pair<int64_t, int64_t>>{
                        {r[0].id, 1}, {r[1].id, 1}, {r[2].id, 1}});
    // The review raised two steps before was answered by the merge.
    CHECK(Must(store.ListReviews("open", 0, 10)).empty());
    auto merged = Must(store.ListReviews("merged", 0, 10));
    REQUIRE(merged.size() == 1);
    CHECK(merged[0].record_id == r[1].id);
    CHECK(merged[0].probability == Approx(0.74));
    auto p = Must(store.ReadProfile(1));
    CHECK(p.absorbed == std::vector<int64_t>{2});
    CHECK(p.identifiers == Identifiers{{"email", "bob@example.com"},
                                       {"email", "jon@example.com"},
                                       {"phone", "+16135551212"}});
    REQUIRE(p.merges.size() == 1);
    CHECK(p.merges[0].record_id == r[2].id);
    CHECK(p.merges[0].at == T(100));
    // The retired profile still reads, empty.
    auto retired = Must(store.ReadProfile(2));
    CHECK(retired.created_at == T(100));
    CHECK(retired.identifiers.empty());
    CHECK(retired.records.empty());
    // Both profiles were new in this batch: each announced once, in the order made.
    CHECK(Announced(store, 0, T(100)) == std::vector<int64_t>{1, 2});
    CHECK(Must(store.ReadJourneyDirty(10)) == std::vector<int64_t>{1, 2});
  }
}

TEST_CASE("identity: a later batch touches the profiles it changes and announces them",
          "[store][identity]") {
  FOR_EACH_STORE_BACKEND(store) {
    const auto r = SeedPeople(store);
    RequireOk(store.CommitIdentity(FirstBatch(r)));
    // A profile created and joined in the same batch is announced once.
    CHECK(Announced(store, 0, T(100)) == std::vector<int64_t>{1, 2});
    const int64_t before = LastOutboxId(store);
    const auto more = SeedRecords(
        store, {Spec("evt-6201", T(-9), {{"email", "ann@example.com"}}),
                Spec("evt-6202", T(-8), {{"email", "jon@example.com"}}),
                Spec("evt-6203", T(-7), {{"email", "bob@example.com"}}),
                Spec("evt-6204", T(-6), {{"email", "bob@example.com"}})});
    IdentityBatch batch;
    batch.at = T(200);
    // Identifiers that sort differently bytewise than in most locales: "A-9" < "a-1".
    batch.steps.push_back(JoinStep(more[2], 1, {{"crm.id", "a-1"}, {"crm.id", "A-9"}}));
    batch.steps.push_back(NewProfileStep(more[0], 3, {{"email", "ann@example.com"}}));
    batch.steps.push_back(JoinStep(more[1], 2));
    batch.steps.push_back(JoinStep(more[3], 1));
    batch.cursor = more[3].id;
    RequireOk(store.CommitIdentity(batch));

    // New profiles first, then each touched one once.
    auto announced = Announced(store, before, T(200));
    REQUIRE(announced.size() == 3);
    CHECK(announced[0] == 3);
    CHECK(std::set<int64_t>(announced.begin() + 1, announced.end()) == std::set<int64_t>{1, 2});
    auto bob = Must(store.ReadProfile(1));
    CHECK(bob.created_at == T(100));
    CHECK(bob.updated_at == T(200));
    CHECK(bob.identifiers == Identifiers{{"crm.id", "A-9"},
                                         {"crm.id", "a-1"},
                                         {"email", "bob@example.com"},
                                         {"phone", "+16135551212"}});
    REQUIRE(bob.records.size() == 4);
    CHECK(bob.records[2].record_id == more[2].id);
    CHECK(bob.records[3].record_id == more[3].id);
    CHECK(Must(store.ReadProfile(2)).updated_at == T(200));
    auto ann = Must(store.ReadProfile(3));
    CHECK(ann.created_at == T(200));
    CHECK(ann.updated_at == T(200));
    CHECK(Must(store.MaxProfileId()) == 3);
    CHECK(Must(store.ReadStageCursor("identity")) == more[3].id);
    // Joins are no merges: nothing for the journey to recompute.
    CHECK(Must(store.ReadJourneyDirty(10)).empty());
  }
}

TEST_CASE("identity: a merge moves separations, leaving one that would duplicate another",
          "[store][identity]") {
  FOR_EACH_STORE_BACKEND(store) {
    const auto r = SeedRecords(store, {Spec("evt-6301", T(-50), {{"email", "p1@example.com"}}),
                                       Spec("evt-6302", T(-40), {{"email", "p2@example.com"}}),
                                       Spec("evt-6303", T(-30), {{"email", "p3@example.com"}}),
                                       Spec("evt-6304", T(-20), {{"email", "p4@example.com"}}),
                                       Spec("evt-6305", T(-10), {{"email", "p5@example.com"}}),
                                       Spec("evt-6306", T(-5), {{"email", "p1@example.com"},
                                                                {"email", "p3@example.com"}})});
    IdentityBatch first;
    first.at = T(100);
    for (int i = 0; i < 5; ++i) {
      first.steps.push_back(NewProfileStep(
          r[i], i + 1, {{"email", "p" + std::to_string(i + 1) + "@example.com"}}));
    }
    first.cursor = r[4].id;
    RequireOk(store.CommitIdentity(first));
    Separate(store, 5, 1, T(110));
    Separate(store, 3, 5, T(111));
    Separate(store, 3, 4, T(112));
    Separate(store, 2, 3, T(113));
    CHECK(Separations(store) ==
          std::set<std::pair<int64_t, int64_t>>{{1, 5}, {2, 3}, {3, 4}, {3, 5}});

    IdentityBatch merge;
    merge.at = T(200);
    IdentityBatch::Step step = JoinStep(r[5], 1);
    step.merges.push_back({1, 3, "identifier", "email", "p3@example.com", 1.0,
                           "both hold email p3@example.com"});
    merge.steps.push_back(step);
    merge.cursor = r[5].id;
    RequireOk(store.CommitIdentity(merge));
    // 3's pairs become 1's, on whichever side 3 was; (3, 5) stays as it was, since 1 and 5
    // are already kept apart.
    CHECK(Separations(store) ==
          std::set<std::pair<int64_t, int64_t>>{{1, 4}, {1, 5}, {2, 1}, {3, 5}});
    CHECK(Must(store.ResolveProfile(3)) == 1);
  }
}

TEST_CASE("identity: reviews page newest first and show on both of their profiles",
          "[store][identity]") {
  FOR_EACH_STORE_BACKEND(store) {
    const auto r = SeedPeople(store);
    RequireOk(store.CommitIdentity(FirstBatch(r)));
    const auto more = SeedRecords(store, {Spec("evt-6401", T(-5), {{"email", "ann@example.com"}})});
    IdentityBatch batch;
    batch.at = T(200);
    IdentityBatch::Step ann = NewProfileStep(more[0], 3, {{"email", "ann@example.com"}});
    ann.reviews.push_back({1, 3, 0.71, R"({"last_name":1})"});
    ann.reviews.push_back({3, 2, 0.66, R"({"birth_date":1})"});
    batch.steps.push_back(ann);
    batch.cursor = more[0].id;
    RequireOk(store.CommitIdentity(batch));

    auto all = Must(store.ListReviews("", 0, 10));
    REQUIRE(all.size() == 3);
    CHECK(all[0].id > all[1].id);
    CHECK(all[1].id > all[2].id);
    CHECK(all[0].profile_a == 3);
    CHECK(all[0].profile_b == 2);
    CHECK(all[0].probability == Approx(0.66));
    CHECK(all[0].details == R"({"birth_date":1})");
    CHECK(all[0].record_id == more[0].id);
    CHECK(all[0].created_at == T(200));
    CHECK(all[1].profile_b == 3);
    CHECK(all[2].profile_a == 1);
    CHECK(all[2].profile_b == 2);
    auto first_page = Must(store.ListReviews("open", 0, 2));
    REQUIRE(first_page.size() == 2);
    CHECK(first_page[0].id == all[0].id);
    CHECK(first_page[1].id == all[1].id);
    auto second_page = Must(store.ListReviews("open", first_page[1].id, 2));
    REQUIRE(second_page.size() == 1);
    CHECK(second_page[0].id == all[2].id);
    CHECK(Must(store.CountOpenWork()).reviews_open == 3);
    // On a profile, in id order, whichever side it is on.
    auto jon = Must(store.ReadProfile(2));
    REQUIRE(jon.reviews.size() == 2);
    CHECK(jon.reviews[0].id == all[2].id);
    CHECK(jon.reviews[1].id == all[0].id);
    auto three = Must(store.ReadProfile(3));
    REQUIRE(three.reviews.size() == 2);
    CHECK(three.reviews[0].id == all[1].id);
    CHECK(three.reviews[1].id == all[0].id);
  }
}

TEST_CASE("identity: the start-up and export scans stream every row past one page",
          "[store][identity]") {
  FOR_EACH_STORE_BACKEND(store) {
    // More rows than a PostgreSQL scan reads per query (10,000), over fewer profiles than
    // records, so that pages end inside a profile's records.
    constexpr int kRecords = 10'050, kProfiles = 6'000;
    std::vector<RecordSpec> specs;
    specs.reserve(kRecords);
    for (int i = 0; i < kRecords; ++i) {
      specs.push_back(Spec("evt-" + std::to_string(100000 + i), T(i)));
    }
    const auto r = SeedRecords(store, specs);
    IdentityBatch batch;
    batch.at = T(kRecords);
    for (int i = 0; i < kRecords; ++i) {
      const int64_t profile = i % kProfiles + 1;
      Identifiers ids = {{"email", "p" + std::to_string(i) + "@example.com"}};
      batch.steps.push_back(i < kProfiles ? NewProfileStep(r[i], profile, ids)
                                          : JoinStep(r[i], profile, ids));
    }
    batch.cursor = r.back().id;
    RequireOk(store.CommitIdentity(batch));
    CHECK(Must(store.MaxProfileId()) == kProfiles);

    std::vector<PlacedRecord> placed;
    RequireOk(store.ScanPlacedRecords([&](PlacedRecord&& p) { placed.push_back(std::move(p)); }));
    REQUIRE(placed.size() == static_cast<size_t>(kRecords));
    for (int i = 0; i < kRecords; ++i) {
      if (placed[i].record_id != r[i].id || placed[i].profile_id != i % kProfiles + 1 ||
          placed[i].json != r[i].json) {
        FAIL("placed record " << i << " is " << placed[i].record_id << " on profile "
                              << placed[i].profile_id);
      }
    }
    std::set<std::pair<std::string, std::string>> identifiers;
    int64_t owner_mismatches = 0;
    RequireOk(store.ScanIdentifiers([&](std::string type, std::string value, int64_t profile) {
      const int i = std::stoi(value.substr(1, value.find('@') - 1));
      if (profile != i % kProfiles + 1) ++owner_mismatches;
      identifiers.emplace(std::move(type), std::move(value));
    }));
    CHECK(identifiers.size() == static_cast<size_t>(kRecords));
    CHECK(owner_mismatches == 0);
    CHECK(identifiers.count({"email", "p10049@example.com"}) == 1);

    std::vector<ProfileRecordRow> rows;
    RequireOk(store.ScanProfileRecords([&](const ProfileRecordRow& row) { rows.push_back(row); }));
    REQUIRE(rows.size() == static_cast<size_t>(kRecords));
    // By profile, then record: profile p holds records p-1 and p-1+kProfiles (when there).
    size_t at = 0;
    for (int p = 1; p <= kProfiles; ++p) {
      for (int i = p - 1; i < kRecords; i += kProfiles) {
        const ProfileRecordRow& row = rows[at++];
        if (row.profile_id != p || row.record_id != r[i].id ||
            row.external_id != specs[i].external_id || row.occurred_at != T(i)) {
          FAIL("export row " << at - 1 << " is record " << row.record_id << " on profile "
                             << row.profile_id);
        }
      }
    }
  }
}

}  // namespace
}  // namespace journeyd::storage::contract
