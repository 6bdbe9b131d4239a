#include "engine/storage/sqlite/sqlite_db.h"

#include <cerrno>
#include <thread>
#include <utility>

namespace journeyd::storage {

namespace {

// The disk holding the database has no room left: SQLite says SQLITE_FULL, or an I/O error
// whose system errno is ENOSPC (extending the -shm file, for one).
bool IsDiskFull(sqlite3* db, int code) {
  return (code & 0xff) == SQLITE_FULL ||
         ((code & 0xff) == SQLITE_IOERR && sqlite3_system_errno(db) == ENOSPC);
}

// `message` is SQLite's text for the failure. A full disk is named as such ("disk full: ..."),
// so that the log, /readyz and the status page say what to fix; SQLite's own "database or disk
// is full" is not in every message (an -shm file that cannot grow is an I/O error). SQLITE_FULL
// also means a max_page_count limit, which journeyd never sets.
Error SqliteError(sqlite3* db, int code, std::string_view what, std::string_view message) {
  const ErrorCode kind = (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED ||
                                 (code & 0xff) == SQLITE_FULL || (code & 0xff) == SQLITE_IOERR
                             ? ErrorCode::kUnavailable
                         : (code & 0xff) == SQLITE_CONSTRAINT ? ErrorCode::kConflict
                         : (code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB
                             ? ErrorCode::kCorruption
                             : ErrorCode::kInternal;
  std::string text = std::string(what) + ": ";
  if (IsDiskFull(db, code)) text += "disk full: ";
  return Error{kind, text + std::string(message)};
}

Error SqliteError(sqlite3* db, std::string_view what) {
  return SqliteError(db, sqlite3_extended_errcode(db), what, sqlite3_errmsg(db));
}

}  // namespace

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, std::string_view text) {
  // A default string_view has no data pointer, which SQLite would bind as NULL, not ''.
  sqlite3_bind_text64(stmt_, index, text.data() != nullptr ? text.data() : "", text.size(),
                      SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

SqliteStatement& SqliteStatement::BindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  return *this;
}

SqliteStatement& SqliteStatement::BindDouble(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}

Status SqliteStatement::ForEachRow(const std::function<void()>& visit) {
  while (true) {
    auto row = Step();
    if (!row.ok()) return row.error();
    if (!*row) return OkStatus();
    visit();
  }
}

double SqliteStatement::ColumnDouble(int index) const {
  return sqlite3_column_double(stmt_, index);
}

SqliteStatement& SqliteStatement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> SqliteStatement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, "step");
}

Status SqliteStatement::Run() {
  while (true) {
    auto row = Step();
    if (!row.ok()) return row.error();
    if (!*row) return OkStatus();
  }
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t SqliteStatement::ColumnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string SqliteStatement::ColumnText(int index) const {
  const auto* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::string SqliteStatement::ColumnBlob(int index) const {
  const void* blob = sqlite3_column_blob(stmt_, index);
  if (blob == nullptr) return {};
  return std::string(static_cast<const char*>(blob),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

bool SqliteStatement::ColumnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

int SqliteStatement::ColumnType(int index) const { return sqlite3_column_type(stmt_, index); }

namespace {

// sqlite3_open_v2 with `flags`, the busy timeout and extended result codes set.
Result<sqlite3*> OpenHandle(const std::filesystem::path& path, int flags,
                            std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return Unavailable("cannot open " + path.string() + ": " + message);
  }
  sqlite3_busy_timeout(raw, static_cast<int>(busy_timeout.count()));
  sqlite3_extended_result_codes(raw, 1);
  return raw;
}

}  // namespace

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::filesystem::path& path,
                                                 std::chrono::milliseconds busy_timeout) {
  auto raw = OpenHandle(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, busy_timeout);
  if (!raw.ok()) return raw.error();
  std::unique_ptr<SqliteDb> db(new SqliteDb(*raw));
  db->busy_timeout_ = busy_timeout;
  // WAL lets readers proceed during the inbox's group commits; synchronous=FULL makes a commit
  // survive power loss, which is what "durable before acknowledged" promises.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                             "PRAGMA foreign_keys=ON", "PRAGMA cache_size=-65536",
                             // Deleted rows are overwritten with zeros: an erased person
                             // must not linger in free pages.
                             "PRAGMA secure_delete=ON"}) {
    if (Status s = db->Exec(pragma); !s.ok()) return s.error();
  }
  return db;
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::OpenReadOnly(const std::filesystem::path& path,
                                                         std::chrono::milliseconds busy_timeout) {
  auto raw = OpenHandle(path, SQLITE_OPEN_READONLY, busy_timeout);
  if (!raw.ok()) return raw.error();
  return std::unique_ptr<SqliteDb>(new SqliteDb(*raw));
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

void SqliteDb::PollWhenBusy(std::chrono::microseconds interval, std::chrono::milliseconds timeout) {
  busy_ = {interval, timeout, {}};
  sqlite3_busy_handler(
      db_,
      [](void* self, int attempt) -> int {
        BusyPolicy& busy = static_cast<SqliteDb*>(self)->busy_;
        const auto now = std::chrono::steady_clock::now();
        if (attempt == 0) busy.since = now;
        if (now - busy.since >= busy.timeout) return 0;  // give up: SQLITE_BUSY
        std::this_thread::sleep_for(busy.interval);
        return 1;
      },
      this);
}

void SqliteDb::OnWalCommit(std::function<void(int wal_pages)> hook) {
  wal_hook_ = std::move(hook);
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int pages) {
        static_cast<SqliteDb*>(self)->wal_hook_(pages);
        return SQLITE_OK;
      },
      this);
}

Result<SqliteDb::CheckpointResult> SqliteDb::Checkpoint(CheckpointMode mode) {
  CheckpointResult result;
  if (mode == CheckpointMode::kTryRestart) sqlite3_busy_handler(db_, nullptr, nullptr);
  const int rc = sqlite3_wal_checkpoint_v2(
      db_, nullptr,
      mode == CheckpointMode::kPassive ? SQLITE_CHECKPOINT_PASSIVE : SQLITE_CHECKPOINT_RESTART,
      &result.wal_frames, &result.checkpointed);
  if (mode == CheckpointMode::kTryRestart) {
    if (busy_.interval.count() > 0) {
      PollWhenBusy(busy_.interval, busy_.timeout);
    } else {
      sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout_.count()));
    }
  }
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) return SqliteError(db_, "checkpoint");
  result.busy = rc == SQLITE_BUSY;
  return result;
}

Status SqliteDb::Exec(std::string_view sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return SqliteError(db_, sqlite3_extended_errcode(db_), "exec", text);
  }
  return OkStatus();
}

Result<SqliteStatement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, "prepare");
  return SqliteStatement(db_, stmt);
}

int64_t SqliteDb::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int SqliteDb::Changes() const { return sqlite3_changes(db_); }

bool SqliteDb::TransactionOpen() const { return sqlite3_get_autocommit(db_) == 0; }

int SqliteDb::ResetActiveStatements() {
  int reset = 0;
  for (sqlite3_stmt* stmt = sqlite3_next_stmt(db_, nullptr); stmt != nullptr;
       stmt = sqlite3_next_stmt(db_, stmt)) {
    if (sqlite3_stmt_busy(stmt)) {
      sqlite3_reset(stmt);
      ++reset;
    }
  }
  return reset;
}

}  // namespace journeyd::storage
