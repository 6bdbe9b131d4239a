// The Store contract for polled and imported sources: each stream's poll state (committed with
// its page), imported files known by content, and the sync runs with their figures.
#include "tests/store/contract_helpers.h"

namespace journeyd::storage::contract {
namespace {

constexpr char kOrdersState[] =
    R"({"cursor":"2024-06-03T08:59:58Z","resume":"page_info=eyJsYXN0X2lkIjo0NTA","pending":[]})";

SyncRun Run(std::string source, std::string trigger, TimePoint started, std::string before = "") {
  SyncRun run;
  run.source = std::move(source);
  run.trigger = std::move(trigger);
  run.started_at = started;
  run.cursor_before = std::move(before);
  return run;
}

// Finishes `run` (its id set) with `status` and figures.
SyncRun Finished(SyncRun run, int64_t id, std::string status, TimePoint ended, int64_t records) {
  run.id = id;
  run.status = std::move(status);
  run.ended_at = ended;
  run.pages = 3;
  run.records = records;
  run.duplicates = 2;
  run.errors = run.status == "failed" ? 1 : 0;
  run.cursor_after = "2024-06-03T09:10:00Z";
  run.detail = run.status == "failed" ? "HTTP 401 from the Shopify Admin API" : "";
  return run;
}

TEST_CASE("polling: a stream's state commits with its page and can be reset", "[store][polling]") {
  FOR_EACH_STORE_BACKEND(store) {
    CHECK_FALSE(Must(store.ReadPollState("shopify", "orders")).has_value());
    CHECK(Must(store.ListPollStates()).empty());
    const std::string order = Fixture("webhooks/shopify/orders_create.json");
    const RawEvent polled = Event("shopify", "orders/create", "order-450789469", order, T(0));
    IntakeBatch page;
    page.records = {Inbox(polled, true)};
    page.received = {{"shopify", 1}};
    page.poll_states = {{"shopify", "orders", kOrdersState, T(1)},
                        {"shopify", "customers", R"({"cursor":"2024-06-01T00:00:00Z"})", T(1)},
                        {"stripe", "charges", R"({"cursor":"ch_3MmlLrLkdIwHu7ix0snN0B15"})", T(2)}};
    REQUIRE(Must(store.CommitIntake(page)).size() == 1);

    SECTION("read back exactly, listed by source then stream") {
      auto state = Must(store.ReadPollState("shopify", "orders"));
      REQUIRE(state.has_value());
      CHECK(state->source == "shopify");
      CHECK(state->stream == "orders");
      CHECK(state->state == kOrdersState);
      CHECK(state->updated_at == T(1));
      auto all = Must(store.ListPollStates());
      REQUIRE(all.size() == 3);
      CHECK(all[0].stream == "customers");
      CHECK(all[1].stream == "orders");
      CHECK(all[2].source == "stripe");
      CHECK(all[2].updated_at == T(2));
      CHECK_FALSE(Must(store.ReadPollState("shopify", "products")).has_value());
      CHECK(Must(store.CountPendingInbox()) == 1);
    }
    SECTION("a later page replaces the stream's state") {
      IntakeBatch next;
      next.poll_states = {{"shopify", "orders", R"({"cursor":"2024-06-03T09:10:00Z"})", T(60)}};
      REQUIRE(Must(store.CommitIntake(next)).empty());
      auto state = Must(store.ReadPollState("shopify", "orders"));
      REQUIRE(state.has_value());
      CHECK(state->state == R"({"cursor":"2024-06-03T09:10:00Z"})");
      CHECK(state->updated_at == T(60));
      CHECK(Must(store.ListPollStates()).size() == 3);
    }
    SECTION("reset one stream, or every stream of a source") {
      RequireOk(store.ResetPollState("shopify", "orders"));
      CHECK_FALSE(Must(store.ReadPollState("shopify", "orders")).has_value());
      CHECK(Must(store.ReadPollState("shopify", "customers")).has_value());
      RequireOk(store.ResetPollState("shopify", ""));
      auto left = Must(store.ListPollStates());
      REQUIRE(left.size() == 1);
      CHECK(left[0].source == "stripe");
      // Resetting what is not there is no error.
      RequireOk(store.ResetPollState("woocommerce", ""));
      CHECK(Must(store.ListPollStates()).size() == 1);
    }
  }
}

TEST_CASE("polling: imported files are known by source and content hash", "[store][polling]") {
  FOR_EACH_STORE_BACKEND(store) {
    const std::string sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    IntakeBatch last_rows;
    last_rows.imported_files = {{"crm_export", sha, "customers-2024-06.csv", 48213, 1200, T(5)}};
    REQUIRE(Must(store.CommitIntake(last_rows)).empty());
    auto found = Must(store.FindImportedFile("crm_export", sha));
    REQUIRE(found.has_value());
    CHECK(found->source == "crm_export");
    CHECK(found->sha256 == sha);
    CHECK(found->name == "customers-2024-06.csv");
    CHECK(found->size == 48213);
    CHECK(found->rows == 1200);
    CHECK(found->imported_at == T(5));
    CHECK_FALSE(Must(store.FindImportedFile("other_drop", sha)).has_value());
    CHECK_FALSE(Must(store.FindImportedFile("crm_export", std::string(64, '0'))).has_value());
    // The same content dropped again under another name: the first import is what counts.
    IntakeBatch again;
    again.imported_files = {{"crm_export", sha, "copy of customers.csv", 48213, 1200, T(50)}};
    REQUIRE(Must(store.CommitIntake(again)).empty());
    auto still = Must(store.FindImportedFile("crm_export", sha));
    REQUIRE(still.has_value());
    CHECK(still->name == "customers-2024-06.csv");
    CHECK(still->imported_at == T(5));
  }
}

TEST_CASE("polling: sync runs start, finish and are listed", "[store][polling]") {
  FOR_EACH_STORE_BACKEND(store) {
    CHECK(Must(store.ListSyncRuns({})).empty());
    CHECK(Must(store.ListLatestSyncRuns()).empty());
    CHECK_FALSE(Must(store.LastSuccessfulSyncRun("shopify")).has_value());
    CHECK(Must(store.CountSyncRuns()).empty());

    const SyncRun a = Run("shopify", "schedule", T(0), "2024-06-03T08:00:00Z");
    const int64_t a_id = Must(store.StartSyncRun(a));
    const SyncRun b = Run("crm_export", "import", T(10));
    const int64_t b_id = Must(store.StartSyncRun(b));
    const SyncRun c = Run("shopify", "manual", T(20));
    const int64_t c_id = Must(store.StartSyncRun(c));
    CHECK(a_id < b_id);
    CHECK(b_id < c_id);

    SECTION("a started run is running, with what it was started with") {
      auto runs = Must(store.ListSyncRuns({}));
      REQUIRE(runs.size() == 3);
      CHECK(runs[2].id == a_id);
      CHECK(runs[2].source == "shopify");
      CHECK(runs[2].trigger == "schedule");
      CHECK(runs[2].status == "running");
      CHECK(runs[2].started_at == T(0));
      CHECK_FALSE(runs[2].ended_at.has_value());
      CHECK(runs[2].cursor_before == "2024-06-03T08:00:00Z");
      CHECK(runs[2].pages == 0);
      CHECK(runs[2].records == 0);
    }
    SECTION("finishing writes the end, the figures and the status") {
      RequireOk(store.FinishSyncRun(Finished(a, a_id, "succeeded", T(5), 450)));
      RequireOk(store.FinishSyncRun(Finished(c, c_id, "failed", T(25), 0)));
      auto runs = Must(store.ListSyncRuns({}));
      REQUIRE(runs.size() == 3);
      const SyncRun& done = runs[2];
      CHECK(done.status == "succeeded");
      CHECK(done.ended_at == std::optional<TimePoint>(T(5)));
      CHECK(done.pages == 3);
      CHECK(done.records == 450);
      CHECK(done.duplicates == 2);
      CHECK(done.errors == 0);
      CHECK(done.cursor_before == "2024-06-03T08:00:00Z");
      CHECK(done.cursor_after == "2024-06-03T09:10:00Z");
      CHECK(runs[0].status == "failed");
      CHECK(runs[0].detail == "HTTP 401 from the Shopify Admin API");
      CHECK(runs[1].status == "running");
      SyncRun unknown = Finished(a, c_id + 100, "succeeded", T(6), 1);
      Status missing = store.FinishSyncRun(unknown);
      REQUIRE_FALSE(missing.ok());
      CHECK(missing.error().code == ErrorCode::kNotFound);
    }
    SECTION("filtered by source and paged, newest first") {
      SyncRunFilter shopify;
      shopify.source = "shopify";
      auto runs = Must(store.ListSyncRuns(shopify));
      REQUIRE(runs.size() == 2);
      CHECK(runs[0].id == c_id);
      CHECK(runs[1].id == a_id);
      SyncRunFilter page;
      page.limit = 1;
      page.before_id = c_id;
      auto paged = Must(store.ListSyncRuns(page));
      REQUIRE(paged.size() == 1);
      CHECK(paged[0].id == b_id);
    }
    SECTION("each source's newest run, and the newest that succeeded") {
      RequireOk(store.FinishSyncRun(Finished(a, a_id, "succeeded", T(5), 450)));
      RequireOk(store.FinishSyncRun(Finished(c, c_id, "failed", T(25), 0)));
      auto latest = Must(store.ListLatestSyncRuns());
      REQUIRE(latest.size() == 2);
      CHECK(latest[0].source == "crm_export");
      CHECK(latest[0].id == b_id);
      CHECK(latest[1].source == "shopify");
      CHECK(latest[1].id == c_id);
      auto success = Must(store.LastSuccessfulSyncRun("shopify"));
      REQUIRE(success.has_value());
      CHECK(success->id == a_id);
      CHECK(success->records == 450);
      CHECK_FALSE(Must(store.LastSuccessfulSyncRun("crm_export")).has_value());
    }
    SECTION("counted per source, trigger and status") {
      RequireOk(store.FinishSyncRun(Finished(a, a_id, "succeeded", T(5), 450)));
      const int64_t d_id = Must(store.StartSyncRun(Run("shopify", "schedule", T(30))));
      RequireOk(store.FinishSyncRun(Finished(Run("shopify", "schedule", T(30)), d_id, "failed",
                                             T(31), 0)));
      Must(store.StartSyncRun(Run("shopify", "schedule", T(40))));
      auto counts = Must(store.CountSyncRuns());
      std::map<std::tuple<std::string, std::string, std::string>, int64_t> by_key;
      for (const SyncRunCount& n : counts) by_key[{n.source, n.trigger, n.status}] = n.count;
      CHECK(counts.size() == 5);
      CHECK(by_key == std::map<std::tuple<std::string, std::string, std::string>, int64_t>{
                          {{"crm_export", "import", "running"}, 1},
                          {{"shopify", "manual", "running"}, 1},
                          {{"shopify", "schedule", "failed"}, 1},
                          {{"shopify", "schedule", "running"}, 1},
                          {{"shopify", "schedule", "succeeded"}, 1}});
      // Ordered by source, then trigger.
      CHECK(counts[0].source == "crm_export");
      CHECK(counts[1].trigger == "manual");
      CHECK(counts[2].trigger == "schedule");
      CHECK(counts[4].trigger == "schedule");
    }
    SECTION("the new holder of a source's poll lease fails the runs the last one left running") {
      RequireOk(store.FinishSyncRun(Finished(a, a_id, "succeeded", T(5), 450)));
      const int64_t d_id = Must(store.StartSyncRun(Run("shopify", "schedule", T(30))));
      CHECK(Must(store.InterruptSyncRuns("shopify", T(100))) == 2);  // c and d
      CHECK(Must(store.InterruptSyncRuns("shopify", T(110))) == 0);  // already ended
      for (const SyncRun& run : Must(store.ListSyncRuns({}))) {
        INFO("run " << run.id);
        if (run.id == a_id) {
          CHECK(run.status == "succeeded");
          continue;
        }
        if (run.id == b_id) {  // another source, and an import: not lease-gated
          CHECK(run.status == "running");
          continue;
        }
        CHECK((run.id == c_id || run.id == d_id));
        CHECK(run.status == "failed");
        CHECK(run.ended_at == std::optional<TimePoint>(T(100)));
        CHECK_THAT(run.detail, Catch::Contains("interrupted"));
      }
    }
    // One instance per SQLite file: whatever is running when it starts was cut short. On
    // PostgreSQL another instance may be running them; the lease decides (above).
    SECTION("a start of the daemon fails the runs left running on SQLite only") {
      RequireOk(store.FinishSyncRun(Finished(a, a_id, "succeeded", T(5), 450)));
      SyncRun with_detail = Run("crm_export", "import", T(60));
      with_detail.detail = "customers-2024-06.csv";
      const int64_t e_id = Must(store.StartSyncRun(with_detail));
      Must(store.RecordStart("0.9.1", T(100)));
      if (contract_backend_.name != "sqlite") {
        for (const SyncRun& run : Must(store.ListSyncRuns({}))) {
          INFO("run " << run.id);
          CHECK(run.status == (run.id == a_id ? "succeeded" : "running"));
        }
        return;
      }
      for (const SyncRun& run : Must(store.ListSyncRuns({}))) {
        INFO("run " << run.id);
        if (run.id == a_id) {
          CHECK(run.status == "succeeded");
          CHECK(run.ended_at == std::optional<TimePoint>(T(5)));
          continue;
        }
        CHECK(run.status == "failed");
        CHECK(run.ended_at == std::optional<TimePoint>(T(100)));
        CHECK_THAT(run.detail, Catch::Contains("interrupted"));
        if (run.id == e_id) CHECK_THAT(run.detail, Catch::StartsWith("customers-2024-06.csv"));
      }
    }
  }
}

TEST_CASE("polling: sync run counts list statuses in order too", "[store][polling]") {
  // store.h: "Runs per source, trigger and status, in that order".
  FOR_EACH_STORE_BACKEND(store) {
    const int64_t a = Must(store.StartSyncRun(Run("shopify", "schedule", T(0))));
    RequireOk(store.FinishSyncRun(Finished(Run("shopify", "schedule", T(0)), a, "failed", T(1), 0)));
    const int64_t b = Must(store.StartSyncRun(Run("shopify", "schedule", T(2))));
    RequireOk(
        store.FinishSyncRun(Finished(Run("shopify", "schedule", T(2)), b, "succeeded", T(3), 1)));
    Must(store.StartSyncRun(Run("shopify", "schedule", T(4))));
    auto counts = Must(store.CountSyncRuns());
    REQUIRE(counts.size() == 3);
    CHECK(counts[0].status == "failed");
    CHECK(counts[1].status == "running");
    CHECK(counts[2].status == "succeeded");
  }
}

}  // namespace
}  // namespace journeyd::storage::contract
