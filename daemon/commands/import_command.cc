// `journeyd import`: a CSV file through the whole pipeline (inbox, mapping, identity, journey), as if a
// `csv` source had received it, for back-fills and record-linkage runs. Rows go to the inbox in
// batches, each batch durable before mapping and identity resolution run on it; a bad row is a
// data-quality issue naming its line, and the import goes on. Importing a file twice stores
// each row once (the source's id column, or a row hash, is the idempotency key).
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "daemon/commands/commands.h"
#include "engine/pipeline/identity_stage.h"
#include "engine/pipeline/journey_stage.h"
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
  SystemClock clock;
  auto config = LoadWithBuiltins(global);
  if (!config) return 1;
  // One source for every file, or one source per file, in order.
  if (options.sources.empty() || options.files.empty() ||
      (options.sources.size() != 1 && options.sources.size() != options.files.size())) {
    std::cerr << "journeyd import: give one --source for all files, or one per file (got "
              << options.sources.size() << " for " << options.files.size() << " files)\n";
    return 2;
  }
  std::vector<const config::SourceEntry*> sources;
  for (size_t i = 0; i < options.files.size(); ++i) {
    const std::string& name = options.sources[options.sources.size() == 1 ? 0 : i];
    const config::SourceEntry* source = config->FindSource(name);
    if (source == nullptr) {
      std::cerr << "journeyd import: no source named '" << name << "' in "
                << global.config_file.string() << "\n";
      return 2;
    }
    if (!std::ifstream(options.files[i], std::ios::binary)) {
      std::cerr << "journeyd import: cannot read " << options.files[i] << "\n";
      return 2;
    }
    sources.push_back(source);
  }

  auto lock = storage::DataDirLock::Acquire(config->data_dir);
  if (!lock.ok()) {
    std::cerr << "journeyd import: " << lock.error().message << "\n";
    return 1;
  }
  storage::StorePtr store = OpenStoreFor(*config, "import");
  if (!store) return 1;
  // Rows this import stored, and rows the mapping stage has taken: their difference is how far
  // intake runs ahead (counting it in the inbox costs a scan of the pending rows per batch).
  int64_t stored_total = 0;
  std::atomic<int64_t> mapped_total{0};
  pipeline::MappingStage mapping(
      *store,
      [&config](std::string_view source) {
        return pipeline::SourceMappingIn(*config, source);
      },
      // Big batches: every commit rewrites the index pages its rows land on, and random keys
      // (external ids, identifiers) land on most of them, so a commit of 16k rows writes
      // little more than one of 2k. An import is not waiting on anybody's latency.
      clock, {.batch = 16384}, [&mapped_total](int64_t n) { mapped_total += n; });
  pipeline::IdentityStage identity(*store, config->identity, clock, {.batch = 16384});
  if (Status s = identity.Load(); !s.ok()) {
    std::cerr << "journeyd import: cannot load the identity graph: " << s.error().message << "\n";
    return 1;
  }

  pipeline::JourneyStage journey(*store, config->journey_definition, clock, {.batch = 16384});

  ImportCounts counts;
  storage::IntakeBatch batch;
  std::vector<RawEvent> events;  // owned here; batch.records point into it
  std::vector<std::string> issue_lines;
  const config::SourceEntry* source = nullptr;
  std::string file;
  // Mapping, identity and journey run on their own threads, as in the daemon, so parsing and
  // writing the next rows overlaps with resolving the last ones; at the end the import waits
  // until all three have taken everything.
  mapping.Start();
  identity.Start();
  journey.Start();
  // Intake may run ahead of mapping, but not by more than a couple of mapping batches: the
  // inbox is durable, memory and the WAL are not unbounded.
  const auto throttle = [&]() {
    while (stored_total - mapped_total.load() >= static_cast<int64_t>(8 * kRowsPerBatch)) {
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
    auto results = store->CommitIntake(batch);
    if (!results.ok()) return results.error();
    for (storage::AppendResult r : *results) {
      const bool stored = r == storage::AppendResult::kStored;
      (stored ? counts.stored : counts.duplicates)++;
      stored_total += stored ? 1 : 0;
    }
    batch = {};
    events.clear();
    throttle();
    return OkStatus();
  };

  int exit_code = 0;
  for (size_t f = 0; f < options.files.size() && exit_code == 0; ++f) {
    source = sources[f];
    file = options.files[f];
    std::ifstream in(file, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    const auto started = std::chrono::steady_clock::now();
    counts = {};
    issue_lines.clear();
    // The import is a sync run of its source, shown in GET /api/v1/runs and on the status page.
    storage::SyncRun run;
    run.source = source->name;
    run.trigger = "import";
    run.started_at = clock.Now();
    run.detail = std::filesystem::path(file).filename().string();
    int64_t pages = 0;
    if (auto id = store->StartSyncRun(run); id.ok()) {
      run.id = *id;
    } else {
      std::cerr << "journeyd import: cannot record the sync run: " << id.error().message << "\n";
    }
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
                                        "import_bad_row", file + ": " + message,
                                        clock.Now()});
          } else {
            RawEvent event = std::move(*row.event);
            event.received_at = clock.Now();
            events.push_back(std::move(event));
          }
          if (events.size() + batch.rejections.size() >= kRowsPerBatch) {
            ++pages;
            return flush();
          }
          return OkStatus();
        });
    if (!events.empty() || !batch.rejections.empty()) ++pages;
    Status flushed = flush();
    if (flushed.ok()) flushed = pipeline::RunUntilIdle(mapping, identity, journey);
    if (run.id != 0) {
      run.ended_at = clock.Now();
      run.pages = pages;
      run.records = counts.stored;
      run.duplicates = counts.duplicates;
      run.errors = counts.bad;
      run.status = imported.ok() && flushed.ok() ? "succeeded" : "failed";
      if (!imported.ok()) run.detail += ": " + imported.error().message;
      else if (!flushed.ok()) run.detail += ": " + flushed.error().message;
      if (Status s = store->FinishSyncRun(run); !s.ok()) {
        std::cerr << "journeyd import: cannot record the sync run: " << s.error().message << "\n";
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    for (const std::string& line : issue_lines) std::cerr << file << ": " << line << "\n";
    if (counts.bad > static_cast<int64_t>(issue_lines.size())) {
      std::cerr << "... and " << counts.bad - static_cast<int64_t>(issue_lines.size())
                << " more bad rows (GET /api/v1/issues?kind=import_bad_row)\n";
    }
    const auto mapped = mapping.counters();
    const auto resolved = identity.counters();
    std::cerr << "journeyd import: " << file << ": " << counts.rows << " rows, " << counts.stored
              << " new, " << counts.duplicates << " already imported, " << counts.bad
              << " bad; " << mapped.records << " records mapped (" << mapped.issues
              << " mapping issues); " << resolved.records << " resolved into "
              << resolved.profiles << " profiles, " << resolved.merges << " merges, "
              << resolved.reviews << " reviews, " << resolved.issues << " identity issues; "
              << journey.counters().touchpoints << " touchpoints; " << seconds << " s\n";
    if (!imported.ok()) {
      std::cerr << "journeyd import: " << file << ": " << imported.error().message
                << " (the rows before it were imported)\n";
      exit_code = 1;
    } else if (!flushed.ok()) {
      std::cerr << "journeyd import: " << flushed.error().message << "\n";
      exit_code = 1;
    }
  }
  mapping.Stop();
  identity.Stop();
  journey.Stop();
  // The identity graph of a big import is millions of small allocations: freeing them one by
  // one takes seconds (4% of a million-record import) that the OS does at once. So close the
  // store properly (its last checkpoint) and leave without running the destructors.
  store.reset();
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(exit_code);
}

}  // namespace journeyd::commands
