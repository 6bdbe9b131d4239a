// Thin RAII wrappers over the SQLite C API: a connection and a prepared statement. Values are
// only ever bound as parameters; Exec() is for parameterless DDL and pragmas. A connection is
// used by one thread at a time (the store lends each to one caller, SqliteConnectionPool).
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace journeyd::storage {

class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStatement(SqliteStatement&& other) noexcept { *this = std::move(other); }
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  ~SqliteStatement();

  // Parameter indexes are 1-based, as in SQL.
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, std::string_view text);
  SqliteStatement& BindBlob(int index, std::string_view bytes);
  SqliteStatement& BindNull(int index);
  SqliteStatement& BindDouble(int index, double value);

  // True when a row is ready, false when done; an error otherwise.
  Result<bool> Step();
  // Runs to completion, for statements that return no rows.
  Status Run();
  // Steps through every row, calling `visit` while the statement stands on it.
  Status ForEachRow(const std::function<void()>& visit);
  // Clears bindings and rewinds, ready for the next Bind/Step.
  void Reset();

  int64_t ColumnInt(int index) const;
  std::string ColumnText(int index) const;
  std::string ColumnBlob(int index) const;
  bool ColumnIsNull(int index) const;
  double ColumnDouble(int index) const;
  // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL: the storage class of
  // the value at hand, which SQLite's dynamic typing lets differ from the column's declared type.
  int ColumnType(int index) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  // Opens (creating if needed) with WAL, foreign keys on and the given busy timeout.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::filesystem::path& path,
                                                std::chrono::milliseconds busy_timeout);
  // Opens an existing database for reading only: no pragma that writes, no file created (a
  // WAL database still needs its -shm file, or a directory where it can be made).
  static Result<std::unique_ptr<SqliteDb>> OpenReadOnly(const std::filesystem::path& path,
                                                        std::chrono::milliseconds busy_timeout);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Parameterless SQL only: schema, pragmas, BEGIN/COMMIT.
  Status Exec(std::string_view sql);
  Result<SqliteStatement> Prepare(std::string_view sql);
  int64_t LastInsertRowId() const;
  int Changes() const;
  // True between BEGIN and COMMIT/ROLLBACK.
  bool TransactionOpen() const;
  // Rewinds every statement of this connection that stands mid-result (it holds a read
  // snapshot open); how many there were.
  int ResetActiveStatements();

  // Replaces SQLite's automatic checkpoint (which runs inside whichever commit crosses the
  // threshold, stalling it) with `hook`, called after every commit with the WAL's size in pages.
  void OnWalCommit(std::function<void(int wal_pages)> hook);

  // Waits for a lock another connection holds by polling every `interval` (up to `timeout`)
  // instead of SQLite's default backoff, which sleeps 1, 2, 5, 10... up to 100 ms between tries
  // and so adds tens of milliseconds to a commit that was only a few behind: what the intake's
  // connection uses, since a vendor waits on each of its commits.
  void PollWhenBusy(std::chrono::microseconds interval, std::chrono::milliseconds timeout);

  struct CheckpointResult {
    int wal_frames = 0;     // frames in the WAL
    int checkpointed = 0;   // of which are now in the database file
    bool busy = false;      // SQLITE_BUSY: the mode could not do all it does (see below)
  };
  enum class CheckpointMode { kPassive, kRestart, kTryRestart };
  // kPassive never blocks writers; kRestart waits for them and rewinds the WAL; kTryRestart is
  // kRestart without waiting: when a writer or a reader of the WAL is busy it gives up at once
  // (the result then says fewer frames checkpointed than there are, or the WAL not rewound).
  Result<CheckpointResult> Checkpoint(CheckpointMode mode);

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::function<void(int)> wal_hook_;
  struct BusyPolicy {
    std::chrono::microseconds interval;
    std::chrono::milliseconds timeout;
    std::chrono::steady_clock::time_point since;  // when the current wait began
  };
  BusyPolicy busy_{};
  std::chrono::milliseconds busy_timeout_{0};  // as opened; what kTryRestart restores
};

// Times are stored as unix milliseconds (INTEGER columns).
inline int64_t ToMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline std::chrono::system_clock::time_point FromMillis(int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// A column that holds milliseconds or NULL, and binding one.
inline std::optional<std::chrono::system_clock::time_point> OptionalTime(const SqliteStatement& row,
                                                                         int column) {
  if (row.ColumnIsNull(column)) return std::nullopt;
  return FromMillis(row.ColumnInt(column));
}
inline void BindOptionalTime(SqliteStatement& stmt, int index,
                             const std::optional<std::chrono::system_clock::time_point>& t) {
  if (t) stmt.Bind(index, ToMillis(*t)); else stmt.BindNull(index);
}

// Runs a prepared statement kept for reuse, then rewinds it whatever happened.
inline Status RunReset(SqliteStatement& stmt) {
  Status s = stmt.Run();
  stmt.Reset();
  return s;
}

// Runs `write` in one IMMEDIATE transaction: committed when it returns OK, rolled back
// otherwise. REQUIRES: no transaction open on `db` (and the owner's lock held).
template <class F>
Status InTransaction(SqliteDb& db, F&& write) {
  if (Status s = db.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  if (Status s = write(); !s.ok()) {
    (void)db.Exec("ROLLBACK");
    return s;
  }
  if (Status s = db.Exec("COMMIT"); !s.ok()) {
    (void)db.Exec("ROLLBACK");
    return s;
  }
  return OkStatus();
}

}  // namespace journeyd::storage
