// FileImport feeds the rows of one file (a CSV export) into the inbox through a source that
// reads files, in batches that are each durable before the next is parsed, as `journeyd import`
// and drop-directory sources both need. A bad row is a data-quality issue naming its line; the
// rest of the file goes on. Each row's idempotency key comes from the source, so a file read
// twice stores its rows once.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/clock.h"
#include "engine/base/compression.h"
#include "engine/base/result.h"
#include "engine/connector/webhook_source.h"
#include "engine/storage/store.h"

namespace journeyd::ingest {

struct FileImportCounts {
  int64_t rows = 0, stored = 0, duplicates = 0, bad = 0;
  int64_t batches = 0;
  std::vector<std::string> first_problems;  // up to 20 "line N: ..." messages
};

struct FileImportOptions {
  std::string source;      // the configured source name
  std::string file_label;  // how issues name the file ("sales.csv")
  size_t rows_per_batch = 4096;
  size_t compress_above = kCompressAboveDefault;  // ingest.compress_above
  // Written with the file's last batch, so "imported" and its rows commit together.
  std::optional<storage::ImportedFile> mark;
  // Called after each batch is committed with the rows it stored (to wake or throttle).
  std::function<void(int64_t stored)> after_batch;
};

// Errors: the store's (nothing after the failed batch is stored), or the source's
// kInvalidArgument for a file that cannot be read as a whole (the rows before it are stored;
// `counts` says how many).
Status ImportFileRows(storage::Store& store, const WebhookSource& source, std::string_view text,
                      const FileImportOptions& options, const Clock& clock,
                      FileImportCounts& counts);

}  // namespace journeyd::ingest
