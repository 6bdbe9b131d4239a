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
#include "engine/ingest/file_import.h"
#include "engine/pipeline/identity_stage.h"
#include "engine/pipeline/journey_stage.h"
#include "engine/pipeline/mapping_stage.h"
#include "engine/storage/data_dir_lock.h"
#include "engine/storage/store.h"

namespace journeyd::commands {

namespace {

constexpr size_t kRowsPerBatch = 4096;

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
  pipeline::IdentityStage identity(*store, config->identity, clock, {.batch = 16384, .gate = {}});
  if (Status s = identity.Load(); !s.ok()) {
    std::cerr << "journeyd import: cannot load the identity graph: " << s.error().message << "\n";
    return 1;
  }

  pipeline::JourneyStage journey(*store, config->journey_definition, clock, {.batch = 16384, .gate = {}});

  // Mapping, identity and journey run on their own threads, as in the daemon, so parsing and
  // writing the next rows overlaps with resolving the last ones; at the end the import waits
  // until all three have taken everything.
  mapping.Start();
  identity.Start();
  journey.Start();
  // Intake may run ahead of mapping, but not by more than a couple of mapping batches: the
  // inbox is durable, memory and the WAL are not unbounded.
  const auto throttle = [&](int64_t stored) {
    stored_total += stored;
    while (stored_total - mapped_total.load() >= static_cast<int64_t>(8 * kRowsPerBatch)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };

  int exit_code = 0;
  for (size_t f = 0; f < options.files.size() && exit_code == 0; ++f) {
    const config::SourceEntry* source = sources[f];
    const std::string& file = options.files[f];
    std::ifstream in(file, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    const auto started = std::chrono::steady_clock::now();
    // The import is a sync run of its source, shown in GET /api/v1/runs and on the status page.
    storage::SyncRun run;
    run.source = source->name;
    run.trigger = "import";
    run.started_at = clock.Now();
    run.detail = std::filesystem::path(file).filename().string();
    if (auto id = store->StartSyncRun(run); id.ok()) {
      run.id = *id;
    } else {
      std::cerr << "journeyd import: cannot record the sync run: " << id.error().message << "\n";
    }
    ingest::FileImportOptions import_options;
    import_options.source = source->name;
    import_options.file_label = file;
    import_options.rows_per_batch = kRowsPerBatch;
    import_options.compress_above = config->ingest.compress_above.bytes;
    import_options.after_batch = throttle;
    ingest::FileImportCounts counts;
    Status imported =
        ingest::ImportFileRows(*store, *source->webhook, text, import_options, clock, counts);
    Status flushed = OkStatus();
    if (imported.ok() || imported.error().code == ErrorCode::kInvalidArgument) {
      flushed = pipeline::RunUntilIdle(mapping, identity, journey);
    }
    if (!imported.ok() && imported.error().code != ErrorCode::kInvalidArgument) {
      flushed = imported;  // the store failed, not the file
      imported = OkStatus();
    }
    if (run.id != 0) {
      run.ended_at = clock.Now();
      run.pages = counts.batches;
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
    for (const std::string& line : counts.first_problems) {
      std::cerr << file << ": " << line << "\n";
    }
    if (counts.bad > static_cast<int64_t>(counts.first_problems.size())) {
      std::cerr << "... and " << counts.bad - static_cast<int64_t>(counts.first_problems.size())
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
