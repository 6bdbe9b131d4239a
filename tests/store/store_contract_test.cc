// The Store contract, part one: lifecycle, intake (the durable inbox), mapping, data-quality
// issues and the status page's counters. Every backend must behave exactly so; the other
// store_contract_*_test.cc files cover the later stages. Only the Store interface is used.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "tests/store/contract_helpers.h"

namespace journeyd::storage::contract {
namespace {

TEST_CASE("lifecycle: a fresh store is migrated, answers and records runs", "[store][lifecycle]") {
  FOR_EACH_STORE_BACKEND(store) {
    CHECK(store.schema_version() > 0);
    RequireOk(store.Ping());

    SECTION("the first start follows no unclean run") {
      auto first = Must(store.RecordStart("0.9.0", T(0)));
      CHECK(first.run_id > 0);
      CHECK_FALSE(first.previous_run_unclean);
    }
    SECTION("a start after a recorded stop is clean, after a missing stop unclean") {
      auto first = Must(store.RecordStart("0.9.0", T(0)));
      RequireOk(store.RecordStop(first.run_id, T(60)));
      auto second = Must(store.RecordStart("0.9.1", T(120)));
      CHECK_FALSE(second.previous_run_unclean);
      CHECK(second.run_id > first.run_id);
      // No stop for the second run: as after kill -9.
      auto third = Must(store.RecordStart("0.9.1", T(180)));
      CHECK(third.previous_run_unclean);
      CHECK(third.run_id > second.run_id);
    }
    SECTION("an empty store has nothing pending, no stats and no issues") {
      CHECK(Must(store.CountPendingInbox()) == 0);
      CHECK(Must(store.ListSourceStats()).empty());
      CHECK(Must(store.ReadInbox(0, 10)).empty());
      CHECK(Must(store.ReadPendingInbox(10)).empty());
      CHECK(Must(store.ReadRecords(0, 10)).empty());
      CHECK(Must(store.ListIssues({})).empty());
      CHECK(Must(store.CountIssues({})).empty());
      auto work = Must(store.CountOpenWork());
      CHECK(work.quarantined == 0);
      CHECK(work.reviews_open == 0);
      CHECK(work.dead_letters == 0);
      CHECK(work.quarantined_by_rule.empty());
    }
  }
}

TEST_CASE("intake: an event is stored once per source and external id", "[store][intake]") {
  FOR_EACH_STORE_BACKEND(store) {
    const std::string order = Fixture("webhooks/shopify/orders_create.json");
    const std::string customer = Fixture("webhooks/shopify/customers_create.json");
    const RawEvent a = Event("shopify", "orders/create", "evt-1001", order, T(0));
    const RawEvent b = Event("shopify", "customers/create", "evt-1002", customer, T(1));
    const RawEvent a_again = Event("shopify", "orders/create", "evt-1001", order, T(2));

    SECTION("a duplicate in the same batch is reported and not stored") {
      IntakeBatch batch;
      batch.records = {Inbox(a), Inbox(b), Inbox(a_again)};
      batch.received = {{"shopify", 3}};
      auto results = Must(store.CommitIntake(batch));
      REQUIRE(results.size() == 3);
      CHECK(results[0] == AppendResult::kStored);
      CHECK(results[1] == AppendResult::kStored);
      CHECK(results[2] == AppendResult::kDuplicate);
      auto inbox = Must(store.ReadInbox(0, 10));
      REQUIRE(inbox.size() == 2);
      CHECK(inbox[0].event.external_id == "evt-1001");
      CHECK(inbox[1].event.external_id == "evt-1002");
      // The first one stays: the duplicate's later received_at is not written over it.
      CHECK(inbox[0].event.received_at == T(0));
      CHECK(Must(store.CountPendingInbox()) == 2);
    }
    SECTION("a duplicate in a later batch is reported and not stored") {
      IntakeBatch first;
      first.records = {Inbox(a), Inbox(b)};
      REQUIRE(Must(store.CommitIntake(first)) ==
              std::vector<AppendResult>{AppendResult::kStored, AppendResult::kStored});
      IntakeBatch second;
      second.records = {Inbox(a_again, true)};
      auto results = Must(store.CommitIntake(second));
      REQUIRE(results == std::vector<AppendResult>{AppendResult::kDuplicate});
      CHECK(Must(store.ReadInbox(0, 10)).size() == 2);
      CHECK(Must(store.CountPendingInbox()) == 2);
    }
    SECTION("the same external id from another source is another event") {
      const RawEvent other = Event("woocommerce", "order.created", "evt-1001", order, T(3));
      IntakeBatch batch;
      batch.records = {Inbox(a), Inbox(other)};
      CHECK(Must(store.CommitIntake(batch)) ==
            std::vector<AppendResult>{AppendResult::kStored, AppendResult::kStored});
      auto inbox = Must(store.ReadInbox(0, 10));
      REQUIRE(inbox.size() == 2);
      CHECK(inbox[0].event.source == "shopify");
      CHECK(inbox[1].event.source == "woocommerce");
    }
    SECTION("events without an external id are never duplicates of each other") {
      const RawEvent anonymous1 = Event("tracking", "track", "", R"({"event":"Viewed"})", T(4));
      const RawEvent anonymous2 = Event("tracking", "track", "", R"({"event":"Viewed"})", T(5));
      IntakeBatch batch;
      batch.records = {Inbox(anonymous1), Inbox(anonymous2)};
      CHECK(Must(store.CommitIntake(batch)) ==
            std::vector<AppendResult>{AppendResult::kStored, AppendResult::kStored});
      IntakeBatch again;
      again.records = {Inbox(anonymous1)};
      CHECK(Must(store.CommitIntake(again)) ==
            std::vector<AppendResult>{AppendResult::kStored});
      auto inbox = Must(store.ReadInbox(0, 10));
      REQUIRE(inbox.size() == 3);
      for (const auto& e : inbox) CHECK(e.event.external_id.empty());
    }
    SECTION("an empty batch commits and changes nothing") {
      CHECK(Must(store.CommitIntake(IntakeBatch{})).empty());
      CHECK(Must(store.CountPendingInbox()) == 0);
      CHECK(Must(store.ListSourceStats()).empty());
    }
  }
}

TEST_CASE("intake: the inbox gives events back as they came, bodies decompressed",
          "[store][intake]") {
  FOR_EACH_STORE_BACKEND(store) {
    const std::string order = Fixture("webhooks/shopify/orders_create.json");
    const std::string checkout = Fixture("webhooks/shopify/checkouts_create.json");
    RawEvent packed = Event("shopify", "orders/create", "evt-2001", order, At(1717405200123));
    RawEvent plain = Event("shopify", "customers/delete", "evt-2002", R"({"id":706405506930370084})",
                           At(1717405200456));
    plain.headers.push_back({"X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"});
    // Bytes that are not text: a NUL and an invalid UTF-8 byte must come back as they went in.
    static const char kBinary[] = "type=subscribe&data%5Bemail%5D=\0x\xff";
    RawEvent binary = Event("mailchimp", "subscribe", "evt-2003",
                            std::string(kBinary, sizeof(kBinary) - 1), At(1717405200789));
    binary.content_type = "application/x-www-form-urlencoded";
    binary.headers.clear();
    RawEvent packed2 = Event("shopify", "checkouts/create", "evt-2004", checkout, At(1717405201000));
    IntakeBatch batch;
    batch.records = {Inbox(packed, true), Inbox(plain), Inbox(binary), Inbox(packed2, true)};
    REQUIRE(Must(store.CommitIntake(batch)).size() == 4);

    SECTION("ReadInbox: in id order, every field round-trips") {
      auto inbox = Must(store.ReadInbox(0, 100));
      REQUIRE(inbox.size() == 4);
      CHECK(inbox[0].id < inbox[1].id);
      CHECK(inbox[1].id < inbox[2].id);
      CHECK(inbox[2].id < inbox[3].id);
      const RawEvent* expected[] = {&packed, &plain, &binary, &packed2};
      for (size_t i = 0; i < 4; ++i) {
        INFO("event " << i);
        const RawEvent& got = inbox[i].event;
        CHECK(got.source == expected[i]->source);
        CHECK(got.event_type == expected[i]->event_type);
        CHECK(got.external_id == expected[i]->external_id);
        CHECK(got.content_type == expected[i]->content_type);
        CHECK(got.body == expected[i]->body);
        CHECK(got.headers == expected[i]->headers);
        CHECK(got.received_at == expected[i]->received_at);
      }
    }
    SECTION("ReadInbox: after_id and limit page through the rows") {
      auto all = Must(store.ReadInbox(0, 100));
      REQUIRE(all.size() == 4);
      auto first_two = Must(store.ReadInbox(0, 2));
      REQUIRE(first_two.size() == 2);
      CHECK(first_two[1].id == all[1].id);
      auto rest = Must(store.ReadInbox(first_two.back().id, 100));
      REQUIRE(rest.size() == 2);
      CHECK(rest[0].id == all[2].id);
      CHECK(rest[1].id == all[3].id);
      CHECK(Must(store.ReadInbox(all.back().id, 100)).empty());
    }
    SECTION("ReadPendingInbox: the same rows, bodies decompressed, limited") {
      auto pending = Must(store.ReadPendingInbox(3));
      REQUIRE(pending.size() == 3);
      CHECK(pending[0].event.body == order);
      CHECK(pending[1].event.body == plain.body);
      CHECK(pending[2].event.body.size() == sizeof(kBinary) - 1);
      CHECK(pending[2].event.body == binary.body);
      CHECK(Must(store.ReadPendingInbox(100)).back().event.body == checkout);
      CHECK(Must(store.CountPendingInbox()) == 4);
    }
  }
}

TEST_CASE("intake: rejections and counters per source", "[store][intake]") {
  FOR_EACH_STORE_BACKEND(store) {
    const std::string order = Fixture("webhooks/shopify/orders_create.json");
    const RawEvent a = Event("shopify", "orders/create", "evt-3001", order, T(10));
    const RawEvent b = Event("shopify", "orders/create", "evt-3002", order, T(20));
    const RawEvent dup = Event("shopify", "orders/create", "evt-3001", order, T(30));
    const RawEvent z = Event("zendesk", "ticket.created", "zd-1", R"({"ticket":{"id":35436}})",
                             T(15));
    IntakeBatch first;
    first.records = {Inbox(a), Inbox(z)};
    first.received = {{"shopify", 2}, {"zendesk", 1}};
    first.rejections = {{"shopify", IntakeRejectionKind::kSignatureFailure, "signature_failure",
                         "X-Shopify-Hmac-Sha256 does not match the body", T(11)}};
    REQUIRE(Must(store.CommitIntake(first)).size() == 2);
    IntakeBatch second;
    second.records = {Inbox(b), Inbox(dup)};
    second.received = {{"shopify", 4}};
    second.rejections = {{"shopify", IntakeRejectionKind::kRejected, "malformed_payload",
                          "body is not JSON: unexpected end of input at byte 17", T(21)},
                         {"stripe", IntakeRejectionKind::kRejected, "unknown_event_type",
                          "event type 'charge.dispute.funds_withdrawn' has no mapping", T(22)}};
    REQUIRE(Must(store.CommitIntake(second)) ==
            std::vector<AppendResult>{AppendResult::kStored, AppendResult::kDuplicate});

    SECTION("ListSourceStats: totals per source, by source name") {
      auto stats = Must(store.ListSourceStats());
      REQUIRE(stats.size() == 3);
      CHECK(stats[0].source == "shopify");
      CHECK(stats[0].received == 6);
      CHECK(stats[0].accepted == 2);
      CHECK(stats[0].duplicates == 1);
      CHECK(stats[0].rejected == 1);
      CHECK(stats[0].signature_failures == 1);
      CHECK(stats[0].suppressed == 0);
      REQUIRE(stats[0].last_event_at.has_value());
      // The newest event received, the duplicate included.
      CHECK(*stats[0].last_event_at == T(30));
      CHECK(stats[1].source == "stripe");
      CHECK(stats[1].received == 0);
      CHECK(stats[1].accepted == 0);
      CHECK(stats[1].rejected == 1);
      CHECK(stats[1].signature_failures == 0);
      CHECK_FALSE(stats[1].last_event_at.has_value());
      CHECK(stats[2].source == "zendesk");
      CHECK(stats[2].received == 1);
      CHECK(stats[2].accepted == 1);
      CHECK(stats[2].duplicates == 0);
      REQUIRE(stats[2].last_event_at.has_value());
      CHECK(*stats[2].last_event_at == T(15));
    }
    SECTION("every rejection is an issue without an inbox row, newest first") {
      auto issues = Must(store.ListIssues({}));
      REQUIRE(issues.size() == 3);
      CHECK(issues[0].kind == "unknown_event_type");
      CHECK(issues[0].source == "stripe");
      CHECK(issues[0].message == "event type 'charge.dispute.funds_withdrawn' has no mapping");
      CHECK(issues[0].created_at == T(22));
      CHECK(issues[0].inbox_id == 0);
      CHECK(issues[1].kind == "malformed_payload");
      CHECK(issues[1].created_at == T(21));
      CHECK(issues[2].kind == "signature_failure");
      CHECK(issues[2].source == "shopify");
      CHECK(issues[2].message == "X-Shopify-Hmac-Sha256 does not match the body");
      CHECK(issues[2].created_at == T(11));
      CHECK(issues[0].id > issues[1].id);
      CHECK(issues[1].id > issues[2].id);
    }
    SECTION("CountPendingInbox counts the stored events only") {
      CHECK(Must(store.CountPendingInbox()) == 3);
    }
    SECTION("ReadSourceActivity: each batch's counts in the minute of its newest event") {
      auto activity = Must(store.ReadSourceActivity(T(-3600)));
      // Both batches fall in the same minute (T(0) is on a minute boundary).
      REQUIRE(activity.size() == 3);
      CHECK(activity[0].source == "shopify");
      CHECK(activity[0].minute == T(0));
      CHECK(activity[0].received == 6);
      CHECK(activity[0].accepted == 2);
      CHECK(activity[0].duplicates == 1);
      CHECK(activity[0].rejected == 1);
      CHECK(activity[0].signature_failures == 1);
      CHECK(activity[1].source == "stripe");
      CHECK(activity[1].rejected == 1);
      CHECK(activity[2].source == "zendesk");
      CHECK(activity[2].accepted == 1);
      CHECK(Must(store.ReadSourceActivity(T(60))).empty());
    }
  }
}

TEST_CASE("intake: activity is kept per minute, and since selects whole minutes",
          "[store][intake]") {
  FOR_EACH_STORE_BACKEND(store) {
    const RawEvent early = Event("square", "customer.created", "sq-1", "{}", T(5));
    const RawEvent late = Event("square", "customer.created", "sq-2", "{}", T(125));
    IntakeBatch one, two;
    one.records = {Inbox(early)};
    one.received = {{"square", 1}};
    two.records = {Inbox(late)};
    two.received = {{"square", 1}};
    REQUIRE(Must(store.CommitIntake(one)).size() == 1);
    REQUIRE(Must(store.CommitIntake(two)).size() == 1);
    auto all = Must(store.ReadSourceActivity(T(0)));
    REQUIRE(all.size() == 2);
    CHECK(all[0].minute == T(0));
    CHECK(all[1].minute == T(120));
    CHECK(all[0].accepted == 1);
    CHECK(all[1].accepted == 1);
    // A `since` inside a minute still includes that minute.
    auto later = Must(store.ReadSourceActivity(T(150)));
    REQUIRE(later.size() == 1);
    CHECK(later[0].minute == T(120));
  }
}

// Several instances on one PostgreSQL database commit intake for one source at once; each
// connection bumps its own shard of the counters (migration 0015). However the rows are split,
// the totals and the per-minute figures must add up exactly, and a reader sees whole commits.
TEST_CASE("intake: concurrent commits for one source add up exactly", "[store][intake]") {
  FOR_EACH_STORE_BACKEND(store) {
    constexpr int kThreads = 4, kCommits = 8;
    std::atomic<int> failures{0};
    std::atomic<bool> writing{true};
    std::mutex seen_mu;
    std::vector<std::string> seen;  // what the reader saw that it should not have
    // Reads alongside (on PostgreSQL it holds a pool connection now and then, so that the
    // writers' commits do not all run on one connection, one shard).
    std::thread reader([&] {
      int64_t last_received = 0;
      while (writing.load()) {
        auto stats = store.ListSourceStats();
        auto activity = store.ReadSourceActivity(T(-3600));
        if (!stats.ok() || !activity.ok()) {
          ++failures;
          continue;
        }
        const int64_t received = stats->empty() ? 0 : stats->front().received;
        if (received < last_received || received % 3 != 0) {
          std::lock_guard lock(seen_mu);
          seen.push_back("received " + std::to_string(received) + " after " +
                         std::to_string(last_received));
        }
        last_received = received;
      }
    });
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < kCommits; ++i) {
          // Odd commits fall in the second minute; every commit has one new event, the one
          // event every commit repeats, and one refusal.
          const int64_t base = 60 * (i % 2);
          const RawEvent own = Event("shopify", "orders/create",
                                     "evt-" + std::to_string(t) + "-" + std::to_string(i), "{}",
                                     T(base + 1 + 5 * t));
          const RawEvent shared = Event("shopify", "orders/create", "evt-shared", "{}",
                                        T(base + 2));
          IntakeBatch batch;
          batch.records = {Inbox(own), Inbox(shared)};
          batch.received = {{"shopify", 3}};
          const bool signature = (t + i) % 2 == 0;
          batch.rejections = {{"shopify",
                               signature ? IntakeRejectionKind::kSignatureFailure
                                         : IntakeRejectionKind::kRejected,
                               signature ? "signature_failure" : "malformed_payload",
                               "refused", T(base + 3)}};
          if (!store.CommitIntake(batch).ok()) ++failures;
        }
      });
    }
    for (auto& w : writers) w.join();
    writing = false;
    reader.join();
    CHECK(failures == 0);
    {
      std::lock_guard lock(seen_mu);
      INFO((seen.empty() ? std::string() : seen.front()));
      CHECK(seen.empty());
    }

    constexpr int64_t kAll = kThreads * kCommits;
    auto stats = Must(store.ListSourceStats());
    REQUIRE(stats.size() == 1);
    CHECK(stats[0].source == "shopify");
    CHECK(stats[0].received == 3 * kAll);
    CHECK(stats[0].accepted == kAll + 1);  // each own event, and the shared one once
    CHECK(stats[0].duplicates == kAll - 1);
    CHECK(stats[0].signature_failures == kAll / 2);
    CHECK(stats[0].rejected == kAll / 2);
    CHECK(stats[0].suppressed == 0);
    REQUIRE(stats[0].last_event_at.has_value());
    CHECK(*stats[0].last_event_at == T(60 + 1 + 5 * (kThreads - 1)));
    CHECK(Must(store.CountPendingInbox()) == kAll + 1);

    // One row per minute, whatever the shards: half of the commits in each.
    auto activity = Must(store.ReadSourceActivity(T(-3600)));
    REQUIRE(activity.size() == 2);
    int64_t accepted = 0;
    for (int m = 0; m < 2; ++m) {
      INFO("minute " << m);
      CHECK(activity[m].source == "shopify");
      CHECK(activity[m].minute == T(60 * m));
      CHECK(activity[m].received == 3 * kAll / 2);
      CHECK(activity[m].accepted + activity[m].duplicates == kAll);
      CHECK(activity[m].signature_failures == kAll / 4);
      CHECK(activity[m].rejected == kAll / 4);
      accepted += activity[m].accepted;
    }
    CHECK(accepted == kAll + 1);
  }
}

TEST_CASE("mapping: records, issues and processed events commit together", "[store][mapping]") {
  FOR_EACH_STORE_BACKEND(store) {
    const std::string order = Fixture("webhooks/shopify/orders_create.json");
    const RawEvent e1 = Event("shopify", "orders/create", "evt-4001", order, T(0));
    const RawEvent e2 = Event("shopify", "orders/create", "evt-4002", order, T(1));
    const RawEvent e3 = Event("shopify", "customers/delete", "evt-4003", "{}", T(2));
    const RawEvent e4 = Event("shopify", "orders/create", "evt-4004", order, T(3));
    IntakeBatch intake;
    intake.records = {Inbox(e1, true), Inbox(e2, true), Inbox(e3), Inbox(e4, true)};
    REQUIRE(Must(store.CommitIntake(intake)).size() == 4);
    auto pending = Must(store.ReadPendingInbox(10));
    REQUIRE(pending.size() == 4);

    RecordSpec spec1 = Spec("evt-4001", T(-30), {{"email", "bob@example.com"}},
                            {OrderPlaced("820982911946154508", "199.65", T(-30))});
    spec1.traits = {{"first_name", "Bob"}, {"last_name", "Norman"}};
    RecordSpec spec2 =
        Spec("evt-4002", T(-20), {{"email", "jon@example.com"}, {"phone", "+16135551212"}});
    MappedBatch mapped;
    mapped.at = T(5);
    mapped.records = {
        {pending[0].id, "shopify", "orders/create", T(-30), CanonicalJson(spec1), "evt-4001"},
        {pending[1].id, "shopify", "orders/create", T(-20), CanonicalJson(spec2), "evt-4002"}};
    mapped.issues = {{pending[2].id, "unmapped_event", "shopify",
                      "no mapping for event type 'customers/delete'"}};
    mapped.processed = {pending[0].id, pending[1].id, pending[2].id};
    RequireOk(store.CommitMapped(mapped));

    SECTION("records are readable in id order with their fields") {
      auto records = Must(store.ReadRecords(0, 10));
      REQUIRE(records.size() == 2);
      CHECK(records[0].id < records[1].id);
      CHECK(records[0].inbox_id == pending[0].id);
      CHECK(records[0].source == "shopify");
      CHECK(records[0].event_type == "orders/create");
      CHECK(records[0].json == CanonicalJson(spec1));
      CHECK(records[1].inbox_id == pending[1].id);
      CHECK(records[1].json == CanonicalJson(spec2));
      auto after = Must(store.ReadRecords(records[0].id, 10));
      REQUIRE(after.size() == 1);
      CHECK(after[0].id == records[1].id);
      CHECK(Must(store.ReadRecords(0, 1)).size() == 1);
    }
    SECTION("processed events leave the pending inbox but stay in the inbox") {
      CHECK(Must(store.CountPendingInbox()) == 1);
      auto still = Must(store.ReadPendingInbox(10));
      REQUIRE(still.size() == 1);
      CHECK(still[0].id == pending[3].id);
      CHECK(still[0].event.body == order);
      CHECK(Must(store.ReadInbox(0, 10)).size() == 4);
    }
    SECTION("the mapping's issues keep their inbox row and the batch's time") {
      auto issues = Must(store.ListIssues({}));
      REQUIRE(issues.size() == 1);
      CHECK(issues[0].kind == "unmapped_event");
      CHECK(issues[0].source == "shopify");
      CHECK(issues[0].message == "no mapping for event type 'customers/delete'");
      CHECK(issues[0].inbox_id == pending[2].id);
      CHECK(issues[0].created_at == T(5));
    }
    SECTION("an event mapped again (after a crash) keeps its one record") {
      MappedBatch again;
      again.at = T(6);
      again.records = {
          {pending[0].id, "shopify", "orders/create", T(-30), CanonicalJson(spec1), "evt-4001"}};
      again.processed = {pending[0].id};
      RequireOk(store.CommitMapped(again));
      auto records = Must(store.ReadRecords(0, 10));
      CHECK(records.size() == 2);
    }
    SECTION("the rest of the inbox maps in a later batch") {
      RecordSpec spec4 = Spec("evt-4004", T(-10));
      MappedBatch later;
      later.at = T(7);
      later.records = {
          {pending[3].id, "shopify", "orders/create", T(-10), CanonicalJson(spec4), "evt-4004"}};
      later.processed = {pending[3].id};
      RequireOk(store.CommitMapped(later));
      CHECK(Must(store.CountPendingInbox()) == 0);
      CHECK(Must(store.ReadPendingInbox(10)).empty());
      auto records = Must(store.ReadRecords(0, 10));
      REQUIRE(records.size() == 3);
      CHECK(records[2].inbox_id == pending[3].id);
    }
  }
}

// What the mapping stage does with a turn's rows, reduced to the store's part: one record per
// event, every event processed.
Status MapAll(const std::vector<StoredInboxEvent>& pending, MappedBatch& batch) {
  batch.at = T(100);
  for (const StoredInboxEvent& stored : pending) {
    batch.processed.push_back(stored.id);
    batch.records.push_back({stored.id, stored.event.source, stored.event.event_type, T(0),
                             CanonicalJson(Spec(stored.event.external_id, T(0))),
                             stored.event.external_id});
  }
  return OkStatus();
}

void SeedEvents(Store& store, int count, const std::string& prefix) {
  std::vector<RawEvent> events;
  for (int i = 0; i < count; ++i) {
    events.push_back(Event("shopify", "orders/create", prefix + std::to_string(i),
                           R"({"id":)" + std::to_string(i) + "}", T(i)));
  }
  IntakeBatch intake;
  for (const RawEvent& e : events) intake.records.push_back(Inbox(e));
  REQUIRE(Must(store.CommitIntake(intake)).size() == events.size());
}

TEST_CASE("mapping: a turn maps pending rows in id order and commits them, or nothing",
          "[store][mapping]") {
  FOR_EACH_STORE_BACKEND(store) {
    SeedEvents(store, 3, "turn-");
    std::vector<std::string> seen;
    const auto recording = [&](const std::vector<StoredInboxEvent>& pending, MappedBatch& batch) {
      for (const StoredInboxEvent& e : pending) seen.push_back(e.event.external_id);
      return MapAll(pending, batch);
    };
    CHECK(Must(store.MapPendingInbox(2, recording)) == 2);
    CHECK(seen == std::vector<std::string>{"turn-0", "turn-1"});
    CHECK(Must(store.ReadRecords(0, 10)).size() == 2);
    CHECK(Must(store.CountPendingInbox()) == 1);

    // A mapper that fails leaves its rows pending and writes nothing.
    auto failed = store.MapPendingInbox(
        10, [](const std::vector<StoredInboxEvent>&, MappedBatch& batch) -> Status {
          batch.processed.push_back(1);
          return Error{ErrorCode::kInternal, "mapping broke"};
        });
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().message == "mapping broke");
    CHECK(Must(store.CountPendingInbox()) == 1);
    CHECK(Must(store.ReadRecords(0, 10)).size() == 2);

    CHECK(Must(store.MapPendingInbox(10, recording)) == 1);
    CHECK(seen.back() == "turn-2");
    CHECK(Must(store.CountPendingInbox()) == 0);
    // Nothing pending: the mapper is not called.
    bool called = false;
    CHECK(Must(store.MapPendingInbox(
              10, [&](const std::vector<StoredInboxEvent>&, MappedBatch&) -> Status {
                called = true;
                return OkStatus();
              })) == 0);
    CHECK_FALSE(called);
  }
}

// Instances sharing a database map at once. Each event must be taken by exactly one turn, and
// a reader following records by id (the identity stage) must never pass a record that commits
// later with a smaller id.
TEST_CASE("mapping: concurrent turns take each event once, and a reader by id misses none",
          "[store][mapping]") {
  FOR_EACH_STORE_BACKEND(store) {
    constexpr int kEvents = 600;
    SeedEvents(store, kEvents, "race-");
    std::mutex mu;
    std::multiset<int64_t> taken;  // inbox ids, as handed to the mappers
    std::atomic<int> mappers_left{4};
    std::vector<std::thread> mappers;
    for (int m = 0; m < 4; ++m) {
      mappers.emplace_back([&] {
        for (;;) {
          auto n = store.MapPendingInbox(
              16, [&](const std::vector<StoredInboxEvent>& pending, MappedBatch& batch) {
                {
                  std::lock_guard lock(mu);
                  for (const StoredInboxEvent& e : pending) taken.insert(e.id);
                }
                // Mapping takes time: the turns overlap.
                std::this_thread::sleep_for(std::chrono::microseconds(500));
                return MapAll(pending, batch);
              });
          if (!n.ok() || *n == 0) break;
        }
        --mappers_left;
      });
    }
    std::set<int64_t> read;  // inbox ids of the records the reader saw
    int64_t cursor = 0;
    const auto read_on = [&] {  // how many it read
      const auto records = Must(store.ReadRecords(cursor, 64));
      for (const StoredRecord& r : records) {
        CHECK(read.insert(r.inbox_id).second);
        cursor = r.id;
      }
      return records.size();
    };
    while (mappers_left > 0) read_on();
    for (std::thread& t : mappers) t.join();
    while (read_on() > 0) {
    }
    CHECK(Must(store.CountPendingInbox()) == 0);
    CHECK(taken.size() == static_cast<size_t>(kEvents));
    CHECK(std::set<int64_t>(taken.begin(), taken.end()).size() == static_cast<size_t>(kEvents));
    CHECK(read.size() == static_cast<size_t>(kEvents));
  }
}

TEST_CASE("mapping: quarantined and suppressed events", "[store][mapping]") {
  FOR_EACH_STORE_BACKEND(store) {
    const std::string order = Fixture("webhooks/shopify/orders_create.json");
    const RawEvent bad = Event("shopify", "orders/create", "evt-5001", order, T(0));
    const RawEvent broken = Event("woocommerce", "order.created", "wc-77", "{\"id\":", T(1));
    const RawEvent erased = Event("shopify", "orders/create", "evt-5003", order, T(2));
    IntakeBatch intake;
    intake.records = {Inbox(bad, true), Inbox(broken), Inbox(erased, true)};
    REQUIRE(Must(store.CommitIntake(intake)).size() == 3);
    auto pending = Must(store.ReadPendingInbox(10));
    REQUIRE(pending.size() == 3);

    RecordSpec mapped_bad = Spec("evt-5001", T(-60), {{"email", "not-an-email"}});
    const std::string reasons =
        R"([{"rule":"valid_email","field":"identities.email","check":"email","message":"not an email address"},)"
        R"({"rule":"has_identity","field":"identities","check":"required","message":"no usable identity"}])";
    MappedBatch mapped;
    mapped.at = T(10);
    mapped.quarantined = {{pending[0].id, "shopify", "orders/create", "evt-5001", reasons,
                           {"valid_email", "has_identity"}, CanonicalJson(mapped_bad)},
                          {pending[1].id, "woocommerce", "order.created", "wc-77",
                           R"([{"rule":"mapping","field":"","check":"mapping","message":"body is not JSON"}])",
                           {"mapping"}, ""}};
    mapped.suppressed = {{pending[2].id, "shopify"}};
    mapped.processed = {pending[0].id, pending[1].id, pending[2].id};
    RequireOk(store.CommitMapped(mapped));

    SECTION("quarantine rows list newest first with their reasons and sorted rules") {
      auto rows = Must(store.ListQuarantine({}));
      REQUIRE(rows.size() == 2);
      CHECK(rows[0].inbox_id == pending[1].id);
      CHECK(rows[0].source == "woocommerce");
      CHECK(rows[0].event_type == "order.created");
      CHECK(rows[0].external_id == "wc-77");
      CHECK(rows[0].record_json.empty());
      CHECK(rows[0].rules == std::vector<std::string>{"mapping"});
      CHECK(rows[0].status == QuarantineStatus::kQuarantined);
      CHECK(rows[0].created_at == T(10));
      CHECK_FALSE(rows[0].decided_at.has_value());
      CHECK(rows[0].decided_by.empty());
      CHECK(rows[1].inbox_id == pending[0].id);
      CHECK(rows[1].reasons_json == reasons);
      CHECK(rows[1].record_json == CanonicalJson(mapped_bad));
      CHECK(rows[1].rules == std::vector<std::string>{"has_identity", "valid_email"});
      CHECK(rows[0].id > rows[1].id);
      auto read = Must(store.ReadQuarantine(rows[1].id));
      CHECK(read.id == rows[1].id);
      CHECK(read.external_id == "evt-5001");
      CHECK(read.reasons_json == reasons);
    }
    SECTION("quarantined events are open work, counted per rule") {
      auto work = Must(store.CountOpenWork());
      CHECK(work.quarantined == 2);
      using Count = std::pair<std::string, int64_t>;
      CHECK(work.quarantined_by_rule ==
            std::vector<Count>{{"has_identity", 1}, {"mapping", 1}, {"valid_email", 1}});
    }
    SECTION("no record is made of a quarantined or suppressed event") {
      CHECK(Must(store.ReadRecords(0, 10)).empty());
      CHECK(Must(store.CountPendingInbox()) == 0);
    }
    SECTION("a suppressed event is counted and its payload and headers blanked") {
      auto stats = Must(store.ListSourceStats());
      auto shopify = std::find_if(stats.begin(), stats.end(),
                                  [](const SourceStats& s) { return s.source == "shopify"; });
      REQUIRE(shopify != stats.end());
      CHECK(shopify->suppressed == 1);
      CHECK(shopify->accepted == 2);
      auto inbox = Must(store.ReadInbox(0, 10));
      REQUIRE(inbox.size() == 3);
      CHECK(inbox[2].event.body.empty());
      CHECK(inbox[2].event.headers.empty());
      // The row stays, so that a redelivery is still a duplicate.
      CHECK(inbox[2].event.external_id == "evt-5003");
      CHECK(inbox[0].event.body == order);
      IntakeBatch redelivery;
      const RawEvent again = Event("shopify", "orders/create", "evt-5003", order, T(20));
      redelivery.records = {Inbox(again)};
      CHECK(Must(store.CommitIntake(redelivery)) ==
            std::vector<AppendResult>{AppendResult::kDuplicate});
    }
    SECTION("suppressed events of later batches add to the count") {
      const RawEvent hub = Event("hubspot", "contact.creation", "hs-1", "{}", T(30));
      IntakeBatch more;
      more.records = {Inbox(hub)};
      REQUIRE(Must(store.CommitIntake(more)).size() == 1);
      auto row = Must(store.ReadPendingInbox(10));
      REQUIRE(row.size() == 1);
      MappedBatch drop;
      drop.at = T(31);
      drop.suppressed = {{row[0].id, "hubspot"}};
      drop.processed = {row[0].id};
      RequireOk(store.CommitMapped(drop));
      auto stats = Must(store.ListSourceStats());
      REQUIRE(stats.size() == 3);
      CHECK(stats[0].source == "hubspot");
      CHECK(stats[0].suppressed == 1);
      CHECK(stats[0].accepted == 1);
      CHECK(stats[1].source == "shopify");
      CHECK(stats[1].suppressed == 1);
      CHECK(stats[2].source == "woocommerce");
      CHECK(stats[2].suppressed == 0);
    }
  }
}

TEST_CASE("issues: filters, pagination, counts and the hourly trend", "[store][issues]") {
  FOR_EACH_STORE_BACKEND(store) {
    IntakeBatch batch;
    const auto reject = [](std::string source, std::string kind, std::string message,
                           TimePoint at) {
      return IntakeRejection{std::move(source), IntakeRejectionKind::kRejected, std::move(kind),
                             std::move(message), at};
    };
    batch.rejections = {
        reject("shopify", "malformed_payload", "m1", T(0)),
        reject("shopify", "signature_failure", "s1", T(100)),
        reject("stripe", "malformed_payload", "m2", T(200)),
        reject("shopify", "malformed_payload", "m3", T(3600 + 5)),
        reject("stripe", "malformed_payload", "m4", T(3600 + 10)),
        reject("shopify", "malformed_payload", "m5", T(2 * 3600 + 1)),
    };
    REQUIRE(Must(store.CommitIntake(batch)).empty());

    SECTION("ListIssues: newest first, filtered by kind and by source") {
      auto all = Must(store.ListIssues({}));
      REQUIRE(all.size() == 6);
      CHECK(all.front().message == "m5");
      CHECK(all.back().message == "m1");
      auto malformed = Must(store.ListIssues(Issues("malformed_payload")));
      REQUIRE(malformed.size() == 5);
      auto stripe = Must(store.ListIssues(Issues("", "stripe")));
      REQUIRE(stripe.size() == 2);
      CHECK(stripe[0].message == "m4");
      CHECK(stripe[1].message == "m2");
      auto both = Must(store.ListIssues(Issues("signature_failure", "shopify")));
      REQUIRE(both.size() == 1);
      CHECK(both[0].message == "s1");
      CHECK(Must(store.ListIssues(Issues("signature_failure", "stripe"))).empty());
      CHECK(Must(store.ListIssues(Issues("no_such_kind"))).empty());
    }
    SECTION("ListIssues: limit and before_id page through, without overlap") {
      auto page1 = Must(store.ListIssues(Issues("", "", 0, 4)));
      REQUIRE(page1.size() == 4);
      auto page2 = Must(store.ListIssues(Issues("", "", page1.back().id, 4)));
      REQUIRE(page2.size() == 2);
      CHECK(page2[0].id < page1.back().id);
      CHECK(page2[0].message == "s1");
      CHECK(page2[1].message == "m1");
      CHECK(Must(store.ListIssues(Issues("", "", page2.back().id))).empty());
    }
    SECTION("CountIssues: per kind and source, by kind then source, with the latest") {
      auto counts = Must(store.CountIssues({}));
      REQUIRE(counts.size() == 3);
      CHECK(counts[0].kind == "malformed_payload");
      CHECK(counts[0].source == "shopify");
      CHECK(counts[0].count == 3);
      CHECK(counts[0].latest == T(2 * 3600 + 1));
      CHECK(counts[1].kind == "malformed_payload");
      CHECK(counts[1].source == "stripe");
      CHECK(counts[1].count == 2);
      CHECK(counts[1].latest == T(3600 + 10));
      CHECK(counts[2].kind == "signature_failure");
      CHECK(counts[2].count == 1);
      auto stripe = Must(store.CountIssues(Issues("", "stripe")));
      REQUIRE(stripe.size() == 1);
      CHECK(stripe[0].count == 2);
      auto signatures = Must(store.CountIssues(Issues("signature_failure")));
      REQUIRE(signatures.size() == 1);
      CHECK(signatures[0].source == "shopify");
    }
    SECTION("ReadIssueTrend: per hour, kind and source, oldest hour first") {
      auto trend = Must(store.ReadIssueTrend(T(0)));
      REQUIRE(trend.size() == 6);
      CHECK(trend[0].hour == T(0));
      CHECK(trend[0].kind == "malformed_payload");
      CHECK(trend[0].source == "shopify");
      CHECK(trend[0].count == 1);
      CHECK(trend[1].hour == T(0));
      CHECK(trend[1].kind == "malformed_payload");
      CHECK(trend[1].source == "stripe");
      CHECK(trend[2].hour == T(0));
      CHECK(trend[2].kind == "signature_failure");
      CHECK(trend[3].hour == T(3600));
      CHECK(trend[3].source == "shopify");
      CHECK(trend[3].count == 1);
      CHECK(trend[4].hour == T(3600));
      CHECK(trend[4].source == "stripe");
      CHECK(trend[5].hour == T(2 * 3600));
      CHECK(trend[5].kind == "malformed_payload");
      CHECK(trend[5].source == "shopify");
      auto recent = Must(store.ReadIssueTrend(T(3600 + 6)));
      // Issues at or after `since` only, still bucketed by their whole hour.
      REQUIRE(recent.size() == 2);
      CHECK(recent[0].hour == T(3600));
      CHECK(recent[0].source == "stripe");
      CHECK(recent[0].count == 1);
      CHECK(recent[1].hour == T(2 * 3600));
      CHECK(recent[1].count == 1);
    }
  }
}

}  // namespace
}  // namespace journeyd::storage::contract
