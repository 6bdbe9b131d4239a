#include "daemon/status/health.h"

#include <algorithm>

namespace journeyd::status {

namespace {

// Beyond this, a change waiting for its CRM is worth a look even without errors.
constexpr std::chrono::minutes kSlowDelivery{5};

std::string Ago(std::chrono::seconds age) {
  const auto s = age.count();
  if (s < 120) return std::to_string(s) + " s";
  if (s < 2 * 3600) return std::to_string(s / 60) + " min";
  if (s < 2 * 86400) return std::to_string(s / 3600) + " h";
  return std::to_string(s / 86400) + " days";
}

}  // namespace

std::string_view HealthName(Health health) {
  switch (health) {
    case Health::kGreen: return "green";
    case Health::kAmber: return "amber";
    case Health::kRed: return "red";
  }
  return "red";
}

const Verdict& Worse(const Verdict& a, const Verdict& b) {
  return static_cast<int>(b.health) > static_cast<int>(a.health) ? b : a;
}

void IntakeWindow::Add(const storage::SourceActivity& minute) {
  received += minute.received;
  accepted += minute.accepted;
  duplicates += minute.duplicates;
  rejected += minute.rejected;
  signature_failures += minute.signature_failures;
}

Verdict JudgeSource(const IntakeWindow& last_hour, const IntakeWindow& last_day,
                    std::optional<TimePoint> last_event_at, TimePoint now) {
  const int64_t refused = last_hour.rejected + last_hour.signature_failures;
  const std::string refusals =
      std::to_string(last_hour.signature_failures) + " signature failures, " +
      std::to_string(last_hour.rejected) + " other refusals";
  if (refused > 0 && last_hour.accepted + last_hour.duplicates == 0) {
    return {Health::kRed, "every request in the last hour was refused (" + refusals +
                              ")" + (last_hour.signature_failures > 0
                                         ? ": check the source's signing secret"
                                         : "")};
  }
  if (refused > 0) {
    return {Health::kAmber, std::to_string(refused) + " of " + std::to_string(last_hour.received) +
                                " requests in the last hour were refused (" + refusals + ")"};
  }
  if (!last_event_at) {
    return {Health::kAmber,
            "no event received yet: check that the webhook is registered at the vendor"};
  }
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - *last_event_at);
  if (last_day.accepted + last_day.duplicates == 0 && age > std::chrono::hours(24)) {
    return {Health::kAmber, "no event for " + Ago(age)};
  }
  return {Health::kGreen, std::to_string(last_hour.accepted) +
                              " events accepted in the last hour; last event " + Ago(age) +
                              " ago"};
}

Verdict JudgePoll(const storage::SyncRun* last_run, std::optional<TimePoint> last_success,
                  std::optional<TimePoint> due, TimePoint now, std::chrono::seconds grace) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  if (last_run == nullptr) {
    return {Health::kAmber, "no sync run yet" +
                                std::string(due ? "" : ": it runs only when started by hand")};
  }
  if (last_run->status == "running") {
    return {Health::kGreen, "sync run " + std::to_string(last_run->id) + " under way"};
  }
  if (last_run->status == "failed") {
    // Several failures in a row leave the data as stale as no polling at all.
    const bool stale = !last_success || now - *last_success > std::chrono::hours(24);
    return {stale ? Health::kRed : Health::kAmber,
            "the last sync run failed: " + last_run->detail +
                (last_success ? "; last success " + Ago(duration_cast<seconds>(now - *last_success)) +
                                    " ago"
                              : "; no run has succeeded yet")};
  }
  if (due && now > *due + grace) {
    return {Health::kAmber, "a scheduled sync run is " +
                                Ago(duration_cast<seconds>(now - *due)) + " late"};
  }
  const auto age = last_run->ended_at ? duration_cast<seconds>(now - *last_run->ended_at)
                                      : seconds(0);
  return {Health::kGreen, "last sync run " + std::to_string(last_run->records) +
                              " new records, " + Ago(age) + " ago"};
}

Verdict JudgeTarget(const storage::TargetDeliveryStats& stats, bool paused, TimePoint now) {
  if (stats.dead_now > 0) {
    return {Health::kRed, std::to_string(stats.dead_now) +
                              " dead letters wait for a replay or a discard" +
                              (stats.last_error.empty() ? "" : "; last error: " + stats.last_error)};
  }
  const bool failing = stats.last_failure &&
                       (!stats.last_success || *stats.last_failure > *stats.last_success);
  if (failing && stats.pending > 0) {
    return {Health::kRed, "the last request failed and " + std::to_string(stats.pending) +
                              " changes are waiting" +
                              (stats.last_error.empty() ? "" : ": " + stats.last_error)};
  }
  if (paused) {
    return {Health::kAmber, "backing off after a rate limit or an error; " +
                                std::to_string(stats.pending) + " changes are waiting"};
  }
  if (stats.oldest_pending) {
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - *stats.oldest_pending);
    if (age > kSlowDelivery) {
      return {Health::kAmber, "the oldest of " + std::to_string(stats.pending) +
                                  " waiting changes is " + Ago(age) + " old"};
    }
  }
  if (stats.delivered == 0 && stats.pending == 0) {
    return {Health::kGreen, "nothing to deliver yet"};
  }
  return {Health::kGreen, std::to_string(stats.delivered) + " delivered, " +
                              std::to_string(stats.pending) + " pending"};
}

std::string DescribeCommitFailure(const ingest::CommitFailure& failing, TimePoint now) {
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - failing.since);
  return "webhooks are answered 503: the inbox cannot be written for " +
         Ago(std::max(age, std::chrono::seconds(0))) + " (" +
         std::to_string(failing.failed_commits) + " failed commits): " + failing.message;
}

Verdict JudgeInbox(int64_t backlog, int64_t high_water,
                   const std::optional<ingest::CommitFailure>& failing, TimePoint now) {
  if (failing) return {Health::kRed, DescribeCommitFailure(*failing, now)};
  if (backlog >= high_water) {
    return {Health::kRed, std::to_string(backlog) +
                              " events wait to be processed, past the high-water mark of " +
                              std::to_string(high_water) + ": webhooks are answered 503"};
  }
  if (backlog >= high_water / 2) {
    return {Health::kAmber, std::to_string(backlog) + " events wait to be processed (half of "
                                "the high-water mark)"};
  }
  return {Health::kGreen, std::to_string(backlog) + " events wait to be processed"};
}

}  // namespace journeyd::status
