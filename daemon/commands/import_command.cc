// `journeyd import`: a CSV file through the whole pipeline (inbox, mapping, identity), as if a
// `csv` source had received it, for back-fills and record-linkage runs. Rows go to the inbox in
// batches, each batch durable before mapping and identity resolution run on it; a bad row is a
// data-quality issue naming its line, and the import goes on. Importing a file twice stores
// each row once (the source's id column, or a row hash, is the idempotency key).
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "connectors/builtin.h"
#include "daemon/commands/commands.h"
#include "engine/pipeline/identity_stage.h"
#include "engine/pipeline/mapping_stage.h"
#include "engine/storage/data_dir_lock.h"
#include "engine/storage/store.h"

namespace journeyd::commands {

namespace {

constexpr size_t kRowsPerBatch = 4096;

struct ImportCounts {
  int64_t rows = 0, stored = 0, duplicates = 0, bad = 0;
};

}  // namespace

int Import(const GlobalOptions& global, const ImportOptions& options) {
  Registry registry;
  RegisterBuiltinConnectors(registry);
  SystemClock clock;
  config::ConfigOverrides overrides;
  if (global.data_dir) overrides.data_dir = global.data_dir;
  auto config = LoadForCommand(global, overrides, registry, clock);
  if (!config) return 1;
  const config::SourceEntry* source = config->FindSource(options.source);
  if (source == nullptr) {
    std::cerr << "journeyd import: no source named '" << options.source << "' in "
              << global.config_file.string() << "\n";
    return 2;
  }
  std::ifstream in(options.file, std::ios::binary);
  if (!in) {
    std::cerr << "journeyd import: cannot read " << options.file << "\n";
    return 2;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  auto lock = storage::DataDirLock::Acquire(config->data_dir);
  if (!lock.ok()) {
    std::cerr << "journeyd import: " << lock.error().message << "\n";
    return 1;
  }
  auto store = storage::OpenStore(*config);
  if (!store.ok()) {
    std::cerr << "journeyd import: cannot open storage: " << store.error().message << "\n";
    return 1;
  }
  pipeline::MappingStage mapping(
      **store,
      [&config](std::string_view name) {
        pipeline::SourceMapping found;
        if (const config::SourceEntry* entry = config->FindSource(name)) {
          found.source_known = true;
          found.mapping = entry->mapping;
        }
        return found;
      },
      clock, {.batch = 2048});
  pipeline::IdentityStage identity(**store, config->identity, clock, {.batch = 2048});
  if (Status s = identity.Load(); !s.ok()) {
    std::cerr << "journeyd import: cannot load the identity graph: " << s.error().message << "\n";
    return 1;
  }

  const auto started = std::chrono::steady_clock::now();
  ImportCounts counts;
  storage::IntakeBatch batch;
  std::vector<RawEvent> events;  // owned here; batch.records point into it
  std::vector<std::string> issue_lines;

  // Mapping and identity run on their own threads, as in the daemon, so parsing and writing
  // the next rows overlaps with resolving the last ones; at the end the import waits until
  // both have taken everything.
  mapping.Start();
  identity.Start();
  const auto drain = [&]() -> Status {
    while (true) {
      auto pending = (*store)->CountPendingInbox();
      if (!pending.ok()) return pending.error();
      const auto mapped = mapping.counters();
      if (*pending == 0 && identity.counters().records >= mapped.records) return OkStatus();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  // Intake may run ahead of mapping, but not by more than a few batches: the inbox is durable,
  // memory and the WAL are not unbounded.
  const auto throttle = [&]() -> Status {
    while (true) {
      auto pending = (*store)->CountPendingInbox();
      if (!pending.ok()) return pending.error();
      if (*pending < static_cast<int64_t>(4 * kRowsPerBatch)) return OkStatus();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };

  const auto flush = [&]() -> Status {
    if (events.empty() && batch.rejections.empty()) return OkStatus();
    for (const RawEvent& event : events) {
      storage::InboxRecord record;
      record.event = &event;
      record.stored_body = event.body;
      record.headers = storage::EncodeInboxHeaders(event.headers);
      batch.records.push_back(std::move(record));
    }
    batch.received = {{source->name, static_cast<int64_t>(events.size() + batch.rejections.size())}};
    auto results = (*store)->CommitIntake(batch);
    if (!results.ok()) return results.error();
    for (storage::AppendResult r : *results) {
      (r == storage::AppendResult::kStored ? counts.stored : counts.duplicates)++;
    }
    batch = {};
    events.clear();
    return throttle();
  };

  Status imported = source->webhook->ImportFile(
      text, [&](WebhookSource::ImportedRow&& row) -> Status {
        ++counts.rows;
        if (!row.event.ok()) {
          ++counts.bad;
          // The reader's message names the line already when the CSV itself is malformed.
          std::string message = row.event.error().message;
          if (message.rfind("line ", 0) != 0) {
            message = "line " + std::to_string(row.line) + ": " + message;
          }
          if (issue_lines.size() < 20) issue_lines.push_back(message);
          batch.rejections.push_back({source->name, storage::IntakeRejectionKind::kRejected,
                                      "import_bad_row", options.file + ": " + message,
                                      clock.Now()});
        } else {
          RawEvent event = std::move(*row.event);
          event.received_at = clock.Now();
          events.push_back(std::move(event));
        }
        if (events.size() + batch.rejections.size() >= kRowsPerBatch) return flush();
        return OkStatus();
      });
  Status flushed = flush();
  if (flushed.ok()) flushed = drain();
  mapping.Stop();
  identity.Stop();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  for (const std::string& line : issue_lines) std::cerr << options.file << ": " << line << "\n";
  if (counts.bad > static_cast<int64_t>(issue_lines.size())) {
    std::cerr << "... and " << counts.bad - static_cast<int64_t>(issue_lines.size())
              << " more bad rows (GET /api/v1/issues?kind=import_bad_row)\n";
  }
  const auto mapped = mapping.counters();
  const auto resolved = identity.counters();
  std::cerr << "journeyd import: " << options.file << ": " << counts.rows << " rows, "
            << counts.stored << " new, " << counts.duplicates << " already imported, " << counts.bad
            << " bad; " << mapped.records << " records mapped (" << mapped.issues
            << " mapping issues); " << resolved.records << " resolved into " << resolved.profiles
            << " profiles, " << resolved.merges << " merges, " << resolved.reviews
            << " reviews, " << resolved.issues << " identity issues; " << seconds << " s\n";
  if (!imported.ok()) {
    std::cerr << "journeyd import: " << options.file << ": " << imported.error().message
              << " (the rows before it were imported)\n";
    return 1;
  }
  if (!flushed.ok()) {
    std::cerr << "journeyd import: " << flushed.error().message << "\n";
    return 1;
  }
  return 0;
}

}  // namespace journeyd::commands
