#include "daemon/status/health.h"

#include <catch2/catch.hpp>

namespace journeyd::status {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const TimePoint kNow{std::chrono::seconds(1'800'000'000)};

IntakeWindow Window(int64_t accepted, int64_t rejected, int64_t signature_failures) {
  IntakeWindow w;
  w.accepted = accepted;
  w.rejected = rejected;
  w.signature_failures = signature_failures;
  w.received = accepted + rejected + signature_failures;
  return w;
}

TEST_CASE("a source is red when every request was refused, amber on some refusals or silence",
          "[status]") {
  const auto recent = std::optional<TimePoint>(kNow - minutes(3));
  auto v = JudgeSource(Window(0, 0, 4), Window(10, 0, 4), recent, kNow);
  CHECK(v.health == Health::kRed);
  CHECK(v.reason.find("signing secret") != std::string::npos);

  v = JudgeSource(Window(8, 1, 1), Window(8, 1, 1), recent, kNow);
  CHECK(v.health == Health::kAmber);
  CHECK(v.reason == "2 of 10 requests in the last hour were refused (1 signature failures, 1 "
                    "other refusals)");

  v = JudgeSource({}, {}, std::nullopt, kNow);
  CHECK(v.health == Health::kAmber);
  CHECK(v.reason.starts_with("no event received yet"));

  v = JudgeSource({}, {}, kNow - hours(50), kNow);
  CHECK(v.health == Health::kAmber);
  CHECK(v.reason == "no event for 2 days");

  v = JudgeSource(Window(5, 0, 0), Window(9, 0, 0), recent, kNow);
  CHECK(v.health == Health::kGreen);
  CHECK(v.reason == "5 events accepted in the last hour; last event 3 min ago");
}

TEST_CASE("a target is red with dead letters or a failing backlog, amber when slow", "[status]") {
  storage::TargetDeliveryStats s;
  s.delivered = 10;
  CHECK(JudgeTarget(s, false, kNow).health == Health::kGreen);

  s.dead_now = 2;
  s.last_error = "HTTP 400: bad email";
  auto v = JudgeTarget(s, false, kNow);
  CHECK(v.health == Health::kRed);
  CHECK(v.reason == "2 dead letters wait for a replay or a discard; last error: HTTP 400: bad email");

  s.dead_now = 0;
  s.pending = 5;
  s.last_success = kNow - minutes(10);
  s.last_failure = kNow - minutes(1);
  CHECK(JudgeTarget(s, false, kNow).health == Health::kRed);
  // A success after the failure: the error is history.
  s.last_success = kNow;
  CHECK(JudgeTarget(s, false, kNow).health == Health::kGreen);

  CHECK(JudgeTarget(s, true, kNow).health == Health::kAmber);
  s.oldest_pending = kNow - minutes(7);
  v = JudgeTarget(s, false, kNow);
  CHECK(v.health == Health::kAmber);
  CHECK(v.reason == "the oldest of 5 waiting changes is 7 min old");
}

TEST_CASE("the ingest backlog turns amber at half the high-water mark and red at it", "[status]") {
  CHECK(JudgeInbox(10, 100).health == Health::kGreen);
  CHECK(JudgeInbox(50, 100).health == Health::kAmber);
  CHECK(JudgeInbox(100, 100).health == Health::kRed);
  CHECK(Worse(Verdict{Health::kAmber, "a"}, Verdict{Health::kRed, "b"}).reason == "b");
  CHECK(Worse(Verdict{Health::kRed, "a"}, Verdict{Health::kRed, "b"}).reason == "a");
}

TEST_CASE("ingest is red while the inbox cannot be written, whatever the backlog", "[status]") {
  const ingest::CommitFailure full{"exec: disk full: database or disk is full",
                                   kNow - minutes(3), 42};
  const Verdict v = JudgeInbox(0, 100, full, kNow);
  CHECK(v.health == Health::kRed);
  CHECK(v.reason ==
        "webhooks are answered 503: the inbox cannot be written for 3 min (42 failed commits): "
        "exec: disk full: database or disk is full");
  CHECK(DescribeCommitFailure(full, kNow) == v.reason);
  // Recovered (no failure): judged by the backlog again.
  CHECK(JudgeInbox(0, 100, std::nullopt, kNow).health == Health::kGreen);
}

TEST_CASE("a polled source is judged by its sync runs", "[status]") {
  storage::SyncRun run;
  run.id = 7;
  run.status = "succeeded";
  run.records = 12;
  run.started_at = kNow - minutes(20);
  run.ended_at = kNow - minutes(19);
  const auto due = std::optional<TimePoint>(kNow - minutes(5));
  auto v = JudgePoll(nullptr, std::nullopt, std::nullopt, kNow);
  CHECK(v.health == Health::kAmber);
  CHECK(v.reason == "no sync run yet: it runs only when started by hand");

  v = JudgePoll(&run, run.ended_at, due, kNow);
  CHECK(v.health == Health::kGreen);
  CHECK(v.reason == "last sync run 12 new records, 19 min ago");

  // The schedule wanted a run 30 minutes ago and none came: skipped, or the scheduler stopped.
  v = JudgePoll(&run, run.ended_at, kNow - minutes(30), kNow);
  CHECK(v.health == Health::kAmber);
  CHECK(v.reason == "a scheduled sync run is 30 min late");

  run.status = "failed";
  run.detail = "stream customers: GET /admin/api/2026-07/customers.json answered 401";
  v = JudgePoll(&run, kNow - hours(2), due, kNow);
  CHECK(v.health == Health::kAmber);
  CHECK(v.reason.find("answered 401; last success 2 h ago") != std::string::npos);
  v = JudgePoll(&run, kNow - hours(30), due, kNow);
  CHECK(v.health == Health::kRed);  // a day without fresh data
  v = JudgePoll(&run, std::nullopt, due, kNow);
  CHECK(v.health == Health::kRed);
  CHECK(v.reason.find("no run has succeeded yet") != std::string::npos);

  run.status = "running";
  v = JudgePoll(&run, std::nullopt, due, kNow);
  CHECK(v.health == Health::kGreen);
  CHECK(v.reason == "sync run 7 under way");
}

}  // namespace
}  // namespace journeyd::status
