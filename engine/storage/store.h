// Store is journeyd's durable state behind one interface, so that the embedded SQLite store and
// the PostgreSQL store (for several instances) are interchangeable without touching callers.
// Methods are grouped by the stage that owns the data. Implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace journeyd::config {
struct Config;
}

namespace journeyd::storage {

using TimePoint = std::chrono::system_clock::time_point;

struct RunRecord {
  int64_t run_id = 0;
  // The run before this one never recorded a clean stop: it crashed or was killed.
  bool previous_run_unclean = false;
};

class Store {
 public:
  virtual ~Store() = default;

  // The schema version now in force (the newest applied migration).
  virtual int schema_version() const = 0;
  // kUnavailable when the database cannot answer a trivial query: what /readyz reports.
  virtual Status Ping() = 0;

  // Daemon lifecycle: one row per start, closed by a clean stop.
  virtual Result<RunRecord> RecordStart(std::string_view version, TimePoint now) = 0;
  virtual Status RecordStop(int64_t run_id, TimePoint now) = 0;
};

using StorePtr = std::unique_ptr<Store>;

// Opens the configured backend, creating the data dir and applying pending migrations.
// Fails (kCorruption) on a schema newer than this binary knows, rather than guess.
Result<StorePtr> OpenStore(const config::Config& config);

}  // namespace journeyd::storage
