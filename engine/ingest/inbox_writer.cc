#include "engine/ingest/inbox_writer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "engine/base/compression.h"
#include "engine/base/thread_name.h"

namespace journeyd::ingest {

InboxWriter::InboxWriter(storage::Store& store, InboxWriterOptions options)
    : store_(store), options_(options) {
  if (options_.metrics != nullptr) {
    commit_seconds_ = &options_.metrics->AddHistogram(
        "journeyd_ingest_commit_seconds",
        "Seconds from an accepted event's submission to its durable commit in the inbox, one "
        "observation per event stored.",
        observability::LatencyBuckets());
    batch_events_ = &options_.metrics->AddHistogram(
        "journeyd_ingest_batch_events",
        "Events written per inbox group commit (stored and duplicates).",
        observability::ExponentialBuckets(1, 2, 11));
  }
  if (auto pending = store_.CountPendingInbox(); pending.ok()) backlog_ = *pending;
  recounted_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] {
    NameCurrentThread("inbox writer");
    Loop();
  });
}

InboxWriter::~InboxWriter() { Stop(); }

storage::InboxRecord ToInboxRecord(const RawEvent& event, size_t compress_above) {
  storage::InboxRecord record;
  record.event = &event;
  record.headers = storage::EncodeInboxHeaders(event.headers);
  if (event.body.size() > compress_above) {
    record.stored_body = ZstdCompress(event.body);
    record.zstd = true;
  } else {
    record.stored_body = event.body;
  }
  return record;
}

void InboxWriter::Submit(std::string source, std::vector<RawEvent> events, Callback done) {
  Pending pending;
  pending.submitted = std::chrono::steady_clock::now();
  pending.records.reserve(events.size());
  for (const RawEvent& e : events) {
    // The vector's buffer does not move again once queued, so the records may point into it.
    pending.records.push_back(ToInboxRecord(e, options_.compress_above));
  }
  pending.source = std::move(source);
  pending.events = std::move(events);
  pending.done = std::move(done);
  {
    std::unique_lock lock(mu_);
    if (stopping_) {
      lock.unlock();
      pending.done(Unavailable("journeyd is shutting down"));
      return;
    }
    if (backlog_ + static_cast<int64_t>(queued_events_) >= options_.backlog_high_water) {
      lock.unlock();
      pending.done(Unavailable("backlog above the high-water mark; retry later"));
      return;
    }
    queued_events_ += pending.events.size();
    queue_.push_back(std::move(pending));
  }
  wake_.notify_one();
}

void InboxWriter::RecordRejection(storage::IntakeRejection rejection,
                                  std::function<void()> done) {
  {
    std::unique_lock lock(mu_);
    if (stopping_ && !thread_.joinable()) {
      lock.unlock();
      if (done) done();
      return;
    }
    rejections_.push_back({std::move(rejection), std::move(done)});
  }
  wake_.notify_one();
}

std::optional<CommitFailure> InboxWriter::Failing() const {
  std::lock_guard lock(mu_);
  return failing_;
}

bool InboxWriter::OverHighWater() const {
  std::lock_guard lock(mu_);
  return backlog_ + static_cast<int64_t>(queued_events_) >= options_.backlog_high_water;
}

void InboxWriter::StoredElsewhere(int64_t count) {
  std::lock_guard lock(mu_);
  backlog_ += count;
}

void InboxWriter::Processed(int64_t count) {
  std::lock_guard lock(mu_);
  backlog_ = std::max<int64_t>(0, backlog_ - count);
}

void InboxWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void InboxWriter::Loop() {
  std::vector<Pending> batch;
  std::vector<PendingRejection> rejections;
  while (true) {
    RecountIfDue();
    {
      std::unique_lock lock(mu_);
      // Woken at least once a second, so that a recount comes due while idle too.
      wake_.wait_for(lock, std::chrono::seconds(1),
                     [&] { return stopping_ || !queue_.empty() || !rejections_.empty(); });
      if (queue_.empty() && rejections_.empty()) {
        if (stopping_) return;  // and nothing left
        continue;
      }
      size_t events = 0;
      while (!queue_.empty() && (batch.empty() || events < options_.max_batch)) {
        events += queue_.front().events.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_events_ -= events;
      rejections.swap(rejections_);
    }
    CommitBatch(batch, rejections);
    batch.clear();
    rejections.clear();
  }
}

// The backlog kept in memory counts this process's commits in and its mapping stage's events
// out. Instances sharing a database ingest and map each other's events, so there it drifts:
// one that ingests more than it maps would refuse webhooks for ever, one that maps more would
// never refuse. The store's count puts it right, often near the mark, where a refusal depends
// on it, and now and then below. (Counting is a scan of the pending rows' index, too dear to
// run per request.)
void InboxWriter::RecountIfDue() {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    const bool near_mark =
        2 * (backlog_ + static_cast<int64_t>(queued_events_)) >= options_.backlog_high_water;
    const auto interval =
        near_mark ? std::min<std::chrono::milliseconds>(options_.recount_every / 10,
                                                        std::chrono::seconds(1))
                  : options_.recount_every;
    if (now - recounted_ < interval) return;
  }
  recounted_ = now;
  auto pending = store_.CountPendingInbox();
  if (!pending.ok()) return;  // the next turn tries again; the estimate stands meanwhile
  std::lock_guard lock(mu_);
  backlog_ = *pending;
}

void InboxWriter::CommitBatch(std::vector<Pending>& batch,
                              std::vector<PendingRejection>& rejections) {
  storage::IntakeBatch intake;
  for (auto& r : rejections) intake.rejections.push_back(std::move(r.rejection));
  // Refusals are answered whether or not their counters could be written.
  const auto answer_rejections = [&rejections] {
    for (auto& r : rejections) {
      if (r.done) r.done();
    }
  };
  for (Pending& p : batch) {
    for (auto& record : p.records) intake.records.push_back(std::move(record));
  }
  // Every submitted request and every rejection reached a known source.
  std::map<std::string, int64_t> received;
  for (const Pending& p : batch) received[p.source] += 1;
  for (const auto& r : intake.rejections) received[r.source] += 1;
  intake.received.assign(received.begin(), received.end());

  auto results = store_.CommitIntake(intake);
  if (!results.ok()) {
    // Remembered for /readyz and the status page until a commit succeeds again; logged at
    // the first failure and then every kFailureLogInterval, not once per request.
    constexpr std::chrono::seconds kFailureLogInterval{10};
    const auto now = std::chrono::steady_clock::now();
    CommitFailure failure;
    {
      std::lock_guard lock(mu_);
      if (!failing_) failing_ = CommitFailure{{}, std::chrono::system_clock::now(), 0};
      failing_->message = results.error().message;
      failing_->failed_commits += 1;
      failure = *failing_;
    }
    if (failure.failed_commits == 1 || now - failure_logged_ >= kFailureLogInterval) {
      failure_logged_ = now;
      spdlog::error("inbox commit of {} events failed ({} failed commits in a row): {}; "
                    "webhooks are answered 503 until a commit succeeds",
                    intake.records.size(), failure.failed_commits, failure.message);
    }
    // Nothing was acknowledged: every caller gets a retryable failure (the vendor retries).
    for (Pending& p : batch) p.done(Unavailable("could not store the event; retry later"));
    answer_rejections();
    return;
  }
  std::optional<CommitFailure> recovered;
  {
    std::lock_guard lock(mu_);
    recovered.swap(failing_);
  }
  if (recovered) {
    spdlog::info("inbox commits succeed again after {} failed commits (the last: {})",
                 recovered->failed_commits, recovered->message);
  }
  const auto committed = std::chrono::steady_clock::now();
  if (batch_events_ != nullptr && !intake.records.empty()) {
    batch_events_->Observe(static_cast<double>(intake.records.size()));
  }
  int64_t stored_total = 0;
  size_t index = 0;
  std::vector<std::pair<Callback, SubmitOutcome>> answers;
  for (Pending& p : batch) {
    SubmitOutcome outcome;
    for (size_t i = 0; i < p.events.size(); ++i, ++index) {
      if ((*results)[index] == storage::AppendResult::kStored) {
        ++outcome.stored;
      } else {
        ++outcome.duplicates;
      }
    }
    stored_total += outcome.stored;
    if (commit_seconds_ != nullptr) {
      commit_seconds_->Observe(std::chrono::duration<double>(committed - p.submitted).count(),
                               static_cast<uint64_t>(outcome.stored));
    }
    answers.emplace_back(std::move(p.done), outcome);
  }
  {
    std::lock_guard lock(mu_);
    backlog_ += stored_total;
  }
  for (auto& [done, outcome] : answers) done(outcome);
  answer_rejections();
  if (stored_total > 0 && options_.stored != nullptr) options_.stored->Notify();
}

}  // namespace journeyd::ingest
