// `journeyd migrate --from sqlite:... --to postgresql://...`: moves an installation from its
// SQLite file to an empty PostgreSQL database (engine/storage/sqlite_to_postgres.h), for the day
// one instance is no longer enough (docs/scaling.md). The SQLite file is only read; it stays as
// the way back.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include "daemon/commands/commands.h"
#include "engine/config/config.h"
#include "engine/storage/data_dir_lock.h"
#include "engine/storage/sqlite_to_postgres.h"

namespace journeyd::commands {

namespace {

std::string Seconds(std::chrono::milliseconds elapsed) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(elapsed.count()) / 1000.0
      << " s";
  return out.str();
}

}  // namespace

int Migrate(const GlobalOptions& global, const MigrateOptions& options) {
  auto from = config::ParseStorageUrl(options.from);
  if (!from.ok() || from->backend != config::StorageBackend::kSqlite) {
    std::cerr << "journeyd migrate: --from must name the SQLite database: sqlite:NAME (in the "
                 "data dir) or sqlite:///absolute/path.db\n";
    return 2;
  }
  if (options.to.empty()) {
    std::cerr << "journeyd migrate: --to (or JOURNEYD_DATABASE_URL) must name the PostgreSQL "
                 "database: postgresql://user@host/db\n";
    return 2;
  }
  auto to = config::ParseStorageUrl(options.to);
  if (!to.ok() || to->backend != config::StorageBackend::kPostgres) {
    std::cerr << "journeyd migrate: --to must be a postgresql:// url\n";
    return 2;
  }

  // The data dir places sqlite:NAME, and its lock is the one the daemon holds. The config is
  // read only when needed: it names secrets that a one-off copy need not have at hand.
  std::optional<std::filesystem::path> data_dir = global.data_dir;
  const std::filesystem::path named(from->path_or_dsn);
  std::error_code ec;
  if (!data_dir && named.is_relative() && !options.config_given &&
      !std::filesystem::exists(global.config_file, ec)) {
    std::cerr << "journeyd migrate: " << options.from
              << " names a file in the data dir: give --data-dir DIR or --config FILE, or "
                 "--from sqlite:///absolute/path.db\n";
    return 2;
  }
  if (!data_dir && (options.config_given || named.is_relative())) {
    auto config = LoadWithBuiltins(global);
    if (!config) return 1;
    data_dir = config->data_dir;
  }
  const std::filesystem::path sqlite_path = named.is_absolute() ? named : *data_dir / named;
  if (!std::filesystem::is_regular_file(sqlite_path, ec)) {
    std::cerr << "journeyd migrate: no SQLite database at " << sqlite_path.string() << "\n";
    return 1;
  }
  // A daemon (or import, review...) writing the file during the copy would leave its writes
  // behind, unseen by the snapshot: the lock makes sure none runs, and none starts until the
  // copy is done. Without a data dir given, the file's own directory is taken as the data dir,
  // which is where journeyd keeps it by default (sqlite:journeyd.db).
  const std::filesystem::path lock_dir = data_dir ? *data_dir : sqlite_path.parent_path();
  auto lock = storage::DataDirLock::Acquire(lock_dir);
  if (!lock.ok()) {
    if (lock.error().code == ErrorCode::kConflict) {
      std::cerr << "journeyd migrate: " << lock.error().message
                << ": stop it first, so that nothing is written after the copy\n";
    } else {
      std::cerr << "journeyd migrate: " << lock.error().message << "\n";
    }
    return 1;
  }

  std::cerr << "journeyd migrate: copying " << sqlite_path.string() << "\n";
  storage::SqliteToPostgresOptions copy;
  // Progress for the tables that take a while: at most one line a second.
  auto last = std::chrono::steady_clock::now();
  copy.progress = [&](std::string_view table, int64_t copied, int64_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (copied < total && now - last < std::chrono::seconds(1)) return;
    if (copied == total && copied < 10'000) return;
    last = now;
    std::cerr << "journeyd migrate: " << table << ": " << copied << " of " << total
              << " rows\n";
  };
  auto report = storage::CopySqliteToPostgres(sqlite_path, to->path_or_dsn, copy);
  if (!report.ok()) {
    std::cerr << "journeyd migrate: " << report.error().message
              << "\njourneyd migrate: nothing was copied (the SQLite database was only read)\n";
    return 1;
  }

  // By name, for people; the report lists them in copy order.
  auto tables = report->tables;
  std::sort(tables.begin(), tables.end(),
            [](const auto& a, const auto& b) { return a.table < b.table; });
  size_t width = 5;
  for (const auto& t : tables) width = std::max(width, t.table.size());
  std::cout << std::left << std::setw(static_cast<int>(width)) << "table" << "  rows\n";
  for (const auto& t : tables) {
    std::cout << std::left << std::setw(static_cast<int>(width)) << t.table << "  ";
    if (t.skipped.empty()) {
      std::cout << t.rows << "\n";
    } else {
      std::cout << "not copied: " << t.skipped << "\n";
    }
  }
  std::cout << std::left << std::setw(static_cast<int>(width)) << "total" << "  "
            << report->total_rows << " rows in " << report->tables.size() << " tables, "
            << Seconds(report->elapsed) << "\n";
  if (report->interrupted_sync_runs > 0) {
    std::cout << report->interrupted_sync_runs
              << " sync runs the SQLite instance left running are marked failed (interrupted)\n";
  }
  std::cout << "Copied to " << report->target << " (schema version "
            << report->schema_version
            << "). Set storage.url to it and start journeyd; keep " << sqlite_path.string()
            << " as the way back.\n";
  return 0;
}

}  // namespace journeyd::commands
