// Green, amber or red for each source, target and the ingest backlog, with the reason spelled
// out: the judgement the status page's overview shows, kept apart from the HTTP code so the
// rules can be tested and read in one place (docs/status-page.md lists them).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "engine/ingest/inbox_writer.h"
#include "engine/storage/store.h"

namespace journeyd::status {

enum class Health { kGreen, kAmber, kRed };
std::string_view HealthName(Health health);

struct Verdict {
  Health health = Health::kGreen;
  std::string reason;
};

// The worse of two verdicts (the first on a tie).
const Verdict& Worse(const Verdict& a, const Verdict& b);

// A source's intake counters over a window.
struct IntakeWindow {
  int64_t received = 0, accepted = 0, duplicates = 0, rejected = 0, signature_failures = 0;
  void Add(const storage::SourceActivity& minute);
};

using TimePoint = std::chrono::system_clock::time_point;

Verdict JudgeSource(const IntakeWindow& last_hour, const IntakeWindow& last_day,
                    std::optional<TimePoint> last_event_at, TimePoint now);

// A polled source's sync runs. `last_run`: its newest run (null: none yet); `last_success`:
// when its newest successful run ended; `due`: when the schedule wanted a run after the last
// one started (nullopt: manual runs only). A run late by more than `grace` is amber: a run
// that keeps being skipped (the previous one still going) or a scheduler that stopped.
Verdict JudgePoll(const storage::SyncRun* last_run, std::optional<TimePoint> last_success,
                  std::optional<TimePoint> due, TimePoint now,
                  std::chrono::seconds grace = std::chrono::minutes(10));

// `paused`: the target's rate limiter is holding requests back (a 429 or a backoff).
Verdict JudgeTarget(const storage::TargetDeliveryStats& stats, bool paused, TimePoint now);

// `failing`: the inbox's commits are failing (a full disk...): red whatever the backlog.
Verdict JudgeInbox(int64_t backlog, int64_t high_water,
                   const std::optional<ingest::CommitFailure>& failing = std::nullopt,
                   TimePoint now = std::chrono::system_clock::now());

// "webhooks are answered 503: the inbox cannot be written for 12 s (40 failed commits):
// exec: disk full: database or disk is full": what /readyz and the status page say.
std::string DescribeCommitFailure(const ingest::CommitFailure& failing, TimePoint now);

}  // namespace journeyd::status
