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
      on_processed_(std::move(on_processed)),
      loop_("mapping", [this] { return RunOnce(); }, options.batch, options.idle_poll,
            {options.input}) {}

MappingStage::~MappingStage() { Stop(); }

void MappingStage::Start() { loop_.Start(); }
void MappingStage::Stop() { loop_.Stop(); }

SourceMapping SourceMappingIn(const config::Config& config, std::string_view source) {
  SourceMapping found;
  if (const config::SourceEntry* entry = config.FindSource(source)) {
    found.source_known = true;
    found.mapping = entry->mapping;
  }
  found.rules = config.record_rules;
  return found;
}

MappingStage::Counters MappingStage::counters() const {
  return {records_.load(), issues_.load(), ignored_.load(), quarantined_.load(),
          suppressed_.load()};
}

Status MappingStage::RefreshSuppressions() {
  // One COUNT per batch: the list only grows, so an unchanged count means an unchanged list.
  auto count = store_.CountSuppressions();
  if (!count.ok()) return count.error();
  if (*count == suppressions_seen_) return OkStatus();
  auto hashes = store_.ListSuppressions();
  if (!hashes.ok()) return hashes.error();
  std::string salt;
  if (!hashes->empty()) {
    auto read = store_.SuppressionSalt();
    if (!read.ok()) return read.error();
    salt = std::move(*read);
  }
  suppressions_ = governance::SuppressionList(std::move(salt), *hashes);
  suppressions_seen_ = *count;
  return OkStatus();
}

namespace {

// A quarantine reason as the API shows it: which rule, on which field, and why; never a value.
boost::json::object Reason(std::string_view rule, std::string_view field, std::string_view check,
                           std::string_view message) {
  return {{"rule", rule}, {"field", field}, {"check", check}, {"message", message}};
}

}  // namespace

Result<int> MappingStage::RunOnce() {
  std::lock_guard run(run_mu_);
  if (Status s = RefreshSuppressions(); !s.ok()) return s.error();
  // Instances sharing a database all map, each its own rows (Store::MapPendingInbox).
  Counters counts;
  auto taken = store_.MapPendingInbox(
      options_.batch, [&](const std::vector<storage::StoredInboxEvent>& pending,
                          storage::MappedBatch& batch) {
        counts = MapBatch(pending, batch);
        return OkStatus();
      });
  if (!taken.ok()) return taken.error();
  if (*taken == 0) return 0;
  records_ += counts.records;
  issues_ += counts.issues;
  quarantined_ += counts.quarantined;
  suppressed_ += counts.suppressed;
  ignored_ += counts.ignored;
  if (on_processed_) on_processed_(*taken);
  if (options_.output != nullptr && counts.records > 0) options_.output->Notify();
  return *taken;
}

MappingStage::Counters MappingStage::MapBatch(const std::vector<storage::StoredInboxEvent>& pending,
                                            storage::MappedBatch& batch) {
  batch.at = clock_.Now();
  int64_t ignored = 0;
  for (const storage::StoredInboxEvent& stored : pending) {
    const RawEvent& event = stored.event;
    batch.processed.push_back(stored.id);
    const SourceMapping found = lookup_(event.source);
    const auto issue = [&](std::string_view kind, std::string message) {
      batch.issues.push_back({stored.id, std::string(kind), event.source, std::move(message)});
    };
    // An event that cannot become a record waits in quarantine: a mapping fix and a release
    // bring it back, so nothing is dropped silently.
    const auto quarantine = [&](boost::json::array reasons, std::vector<std::string> rules,
                                std::string record_json) {
      batch.quarantined.push_back({stored.id, event.source, event.event_type, event.external_id,
                                   boost::json::serialize(reasons), std::move(rules),
                                   std::move(record_json)});
    };
    if (!found.source_known || !found.mapping) {
      std::string message = !found.source_known
                                ? "source '" + event.source + "' is no longer in the configuration"
                                : "source '" + event.source + "' has no mapping";
      quarantine({Reason("unmapped", "", "", message)}, {"unmapped"}, "");
      issue(mapping::kIssueUnmappedEvent, std::move(message));
      continue;
    }
    mapping::MapOutcome outcome = found.mapping->Map(event);
    if (outcome.issue) {
      quarantine({Reason("mapping", "", outcome.issue->kind, outcome.issue->message)},
                 {"mapping"}, "");
      issue(outcome.issue->kind, std::move(outcome.issue->message));
      continue;
    }
    if (!outcome.record) {
      ++ignored;
      continue;
    }
    CanonicalRecord& record = *outcome.record;
    if (suppressions_.Suppresses(record)) {
      batch.suppressed.push_back({stored.id, event.source});
      continue;
    }
    for (std::string& note : outcome.notes) issue(mapping::kIssueValueLeftOut, std::move(note));
    if (found.rules && !found.rules->empty()) {
      std::vector<governance::Violation> violations = found.rules->Apply(record, batch.at);
      if (governance::Rejects(violations)) {
        boost::json::array reasons;
        std::vector<std::string> rules;
        for (const governance::Violation& v : violations) {
          reasons.push_back(Reason(v.rule, v.field, governance::RuleCheckName(v.check), v.message));
          rules.push_back(v.rule);
        }
        issue(governance::kIssueQuarantined,
              "event quarantined: " + violations.front().message +
                  (violations.size() > 1 ? " (and " + std::to_string(violations.size() - 1) +
                                               " more)"
                                         : ""));
        quarantine(std::move(reasons), std::move(rules),
                   boost::json::serialize(ToJson(record)));
        continue;
      }
      for (const governance::Violation& v : violations) {
        issue(v.action == governance::RuleAction::kDropField ? governance::kIssueDroppedField
                                                             : governance::kIssueRuleWarning,
              v.message);
      }
    }
    batch.records.push_back({stored.id, event.source, event.event_type, record.occurred_at,
                             boost::json::serialize(ToJson(record)), event.external_id});
  }
  Counters counts;
  counts.records = static_cast<int64_t>(batch.records.size());
  counts.issues = static_cast<int64_t>(batch.issues.size());
  counts.ignored = ignored;
  counts.quarantined = static_cast<int64_t>(batch.quarantined.size());
  counts.suppressed = static_cast<int64_t>(batch.suppressed.size());
  return counts;
}

}  // namespace journeyd::pipeline
