#include "engine/ingest/file_import.h"

#include "engine/ingest/inbox_writer.h"

namespace journeyd::ingest {

Status ImportFileRows(storage::Store& store, const WebhookSource& source, std::string_view text,
                      const FileImportOptions& options, const Clock& clock,
                      FileImportCounts& counts) {
  storage::IntakeBatch batch;
  std::vector<RawEvent> events;  // owned here; batch.records point into it
  // `mark`: this is the file's last batch and it was read whole.
  const auto flush = [&](bool mark) -> Status {
    if (events.empty() && batch.rejections.empty() && !(mark && options.mark)) {
      return OkStatus();
    }
    for (const RawEvent& event : events) {
      batch.records.push_back(ToInboxRecord(event, options.compress_above));
    }
    batch.received = {
        {options.source, static_cast<int64_t>(events.size() + batch.rejections.size())}};
    if (mark && options.mark) {
      storage::ImportedFile file = *options.mark;
      file.rows = counts.rows;
      batch.imported_files.push_back(std::move(file));
    }
    auto results = store.CommitIntake(batch);
    if (!results.ok()) return results.error();
    int64_t stored = 0;
    for (storage::AppendResult r : *results) {
      if (r == storage::AppendResult::kStored) ++stored;
      else ++counts.duplicates;
    }
    counts.stored += stored;
    ++counts.batches;
    batch = {};
    events.clear();
    if (options.after_batch) options.after_batch(stored);
    return OkStatus();
  };

  Status read = source.ImportFile(text, [&](WebhookSource::ImportedRow&& row) -> Status {
    ++counts.rows;
    if (!row.event.ok()) {
      ++counts.bad;
      // The reader's message names the line already when the CSV itself is malformed.
      std::string message = row.event.error().message;
      if (message.rfind("line ", 0) != 0) {
        message = "line " + std::to_string(row.line) + ": " + message;
      }
      if (counts.first_problems.size() < 20) counts.first_problems.push_back(message);
      batch.rejections.push_back({options.source, storage::IntakeRejectionKind::kRejected,
                                  "import_bad_row", options.file_label + ": " + message,
                                  clock.Now()});
    } else {
      RawEvent event = std::move(*row.event);
      event.received_at = clock.Now();
      events.push_back(std::move(event));
    }
    if (events.size() + batch.rejections.size() >= options.rows_per_batch) return flush(false);
    return OkStatus();
  });
  // The rows read before a whole-file error are kept (they are valid rows); the file is not
  // marked imported, so a fixed file is read again and only its new rows are stored.
  if (!read.ok()) {
    if (Status s = flush(false); !s.ok()) return s;
    return read;
  }
  return flush(true);
}

}  // namespace journeyd::ingest
