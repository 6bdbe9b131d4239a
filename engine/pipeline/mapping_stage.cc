#include "engine/pipeline/mapping_stage.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

namespace journeyd::pipeline {

MappingStage::MappingStage(storage::Store& store, MappingLookup lookup, const Clock& clock,
                           MappingStageOptions options, std::function<void(int64_t)> on_processed)
    : store_(store),
      lookup_(std::move(lookup)),
      clock_(clock),
      options_(options),
      on_processed_(std::move(on_processed)) {}

MappingStage::~MappingStage() { Stop(); }

void MappingStage::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void MappingStage::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

MappingStage::Counters MappingStage::counters() const {
  return {records_.load(), issues_.load(), ignored_.load()};
}

void MappingStage::Loop() {
  while (true) {
    auto taken = RunOnce();
    if (!taken.ok()) {
      spdlog::error("mapping stage: {}", taken.error().message);
    }
    std::unique_lock lock(mu_);
    if (stopping_) return;
    // A full batch means more is waiting: go on at once. Otherwise wait for new rows, and
    // after an error back off the same way rather than spin.
    if (taken.ok() && *taken >= options_.batch) continue;
    wake_.wait_for(lock, options_.idle_poll, [&] { return stopping_; });
    if (stopping_) return;
  }
}

Result<int> MappingStage::RunOnce() {
  std::lock_guard run(run_mu_);
  auto pending = store_.ReadPendingInbox(options_.batch);
  if (!pending.ok()) return pending.error();
  if (pending->empty()) return 0;

  storage::MappedBatch batch;
  batch.at = clock_.Now();
  int64_t ignored = 0;
  for (const storage::StoredInboxEvent& stored : *pending) {
    const RawEvent& event = stored.event;
    batch.processed.push_back(stored.id);
    const SourceMapping found = lookup_(event.source);
    const auto issue = [&](std::string_view kind, std::string message) {
      batch.issues.push_back({stored.id, std::string(kind), event.source, std::move(message)});
    };
    if (!found.source_known) {
      issue(mapping::kIssueUnmappedEvent,
            "source '" + event.source + "' is no longer in the configuration");
      continue;
    }
    if (!found.mapping) {
      issue(mapping::kIssueUnmappedEvent, "source '" + event.source + "' has no mapping");
      continue;
    }
    mapping::MapOutcome outcome = found.mapping->Map(event);
    if (outcome.issue) {
      issue(outcome.issue->kind, std::move(outcome.issue->message));
      continue;
    }
    if (!outcome.record) {
      ++ignored;
      continue;
    }
    batch.records.push_back({stored.id, event.source, event.event_type,
                             outcome.record->occurred_at,
                             boost::json::serialize(ToJson(*outcome.record)),
                             event.external_id});
  }
  if (Status s = store_.CommitMapped(batch); !s.ok()) return s.error();
  records_ += static_cast<int64_t>(batch.records.size());
  issues_ += static_cast<int64_t>(batch.issues.size());
  ignored_ += ignored;
  if (on_processed_) on_processed_(static_cast<int64_t>(batch.processed.size()));
  return static_cast<int>(batch.processed.size());
}

}  // namespace journeyd::pipeline
