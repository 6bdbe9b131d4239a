// DeliveryWorker drains the outbox into one target, on a thread of its own. Each round reads
// the rows past the target's cursor, turns them into items (a profile's changed properties only,
// touchpoints and actions not yet acknowledged, consent and disclosure applied), sends profiles
// first (so touchpoints and actions can reference the CRM records they create) and the rest
// after, batched by the target, paced by the target's rate limiter, retried with backoff and
// full jitter up to max_age, split in halves when a whole batch is refused so that one bad
// record cannot hold back the others, and dead-lettered per item with the CRM's message.
// What each response settled is committed before the next request goes, so a crash repeats at
// most the request in flight; the cursor moves once every row of the round is settled.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/base/clock.h"
#include "engine/base/result.h"
#include "engine/base/work_signal.h"
#include "engine/cluster/cluster_leases.h"
#include "engine/config/config.h"
#include "engine/delivery/http_transport.h"
#include "engine/delivery/profile_summary_cache.h"
#include "engine/delivery/rate_limiter.h"
#include "engine/delivery/retry_policy.h"
#include "engine/governance/consent_policy.h"
#include "engine/governance/pii_classifier.h"
#include "engine/identity/survivorship.h"
#include "engine/pipeline/stage_loop.h"
#include "engine/storage/store.h"

namespace journeyd::delivery {

// What every worker needs of the rest of the config.
struct DeliveryPolicies {
  identity::SurvivorshipPolicy survivorship;
  config::ConsentSettings consent;
  std::map<std::string, std::string> pii_fields;  // governance.pii.fields
};

class DeliveryWorker {
 public:
  // `gate`: the target's "delivery:<name>" lease when instances share a database, so that one
  // instance at a time delivers to it (order per profile, no request sent twice).
  // `inputs`: signals of the stages that write the outbox; they end the idle wait between
  // rounds (not a backoff). Each must outlive the worker.
  DeliveryWorker(const config::TargetEntry& entry, storage::Store& store,
                 DeliveryPolicies policies, const Clock& clock, cluster::WorkGate gate = {},
                 std::vector<WorkSignal*> inputs = {});
  ~DeliveryWorker();  // Stop()s

  void Start();
  // Ends waits (backoff, rate limits) at once; the request in flight finishes.
  void Stop();
  // One round on the caller's thread: how many outbox rows it settled.
  Result<int> RunOnce();
  // Rounds until the outbox holds nothing for this target (or a round fails).
  Status RunUntilIdle();

  struct Counters {
    int64_t delivered = 0, rejected = 0, held_back = 0, requests = 0, failed_requests = 0,
            retries = 0, unchanged = 0;
    int64_t unaddressable = 0;  // changes of profiles without the target's address (email)
    // Items in doubt (a crash or an unanswered request) that the CRM turned out to have: each a
    // duplicate that was not sent.
    int64_t found_in_doubt = 0;
    // Profile records read and summarized for golden records: a profile's summary is kept
    // between rounds, so only its new records count (all of them again after a merge or split).
    int64_t records_summarized = 0;
    std::optional<std::chrono::milliseconds> lag_p50, lag_p99;  // outbox row to acknowledgement
  };
  Counters counters() const;
  const std::string& target_name() const { return name_; }
  const RateLimiter& limiter() const { return limiter_; }

 private:
  class Round;
  // Each entry holds a profile's distinct values (usually a few KiB), not its records.
  static constexpr size_t kProfileSummaryCapacity = 4096;
  // Sleeps up to `duration` unless stopped; false when stopped.
  bool SleepFor(std::chrono::milliseconds duration);
  void RecordLag(std::chrono::milliseconds lag);

  const std::string name_;
  const TargetPtr target_;
  const DeliverySettings settings_;
  storage::Store& store_;
  const DeliveryPolicies policies_;
  const governance::ConsentPolicy consent_;
  const governance::PiiClassifier classifier_;
  const governance::DisclosurePolicy disclosure_;
  const Clock& clock_;
  const cluster::WorkGate gate_;
  RateLimiter limiter_;

  std::mutex run_mu_;
  std::unique_ptr<TargetSession> session_;  // GUARDED_BY(run_mu_)
  std::unique_ptr<HttpTransport> transport_;  // GUARDED_BY(run_mu_)
  RetryPolicy retry_;                         // GUARDED_BY(run_mu_)
  std::optional<int64_t> cursor_;             // GUARDED_BY(run_mu_)
  // Keys of items that may be at the CRM already (TargetSession::LooksUp): read from the store
  // once (what a previous process left in flight), then added to when a request goes
  // unanswered. GUARDED_BY(run_mu_)
  std::optional<std::map<std::string, TimePoint>> in_doubt_;  // key -> when it was sent
  // The summaries of recently delivered profiles, so a round reads only their new records.
  ProfileSummaryCache summaries_{kProfileSummaryCapacity};  // GUARDED_BY(run_mu_)

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex counters_mu_;
  Counters counters_;                  // GUARDED_BY(counters_mu_), lags aside
  std::vector<int64_t> lags_ms_;       // GUARDED_BY(counters_mu_): a ring of recent lags
  size_t lag_next_ = 0;                // GUARDED_BY(counters_mu_)

  pipeline::StageLoop loop_;
};

}  // namespace journeyd::delivery
