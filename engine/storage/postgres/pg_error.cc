#include "engine/storage/postgres/pg_error.h"

#include <string>

namespace journeyd::storage {

ErrorCode PgErrorCode(std::string_view sqlstate) {
  if (sqlstate.size() != 5) return ErrorCode::kUnavailable;
  const std::string_view klass = sqlstate.substr(0, 2);
  // Retryable as they are: another transaction won (40001, 40P01), the server is short of
  // something (class 53, disk full 53100 among them), restarting (57P0x) or gone (class 08).
  if (sqlstate == "40001" || sqlstate == "40P01" || klass == "53" || klass == "08" ||
      sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" || klass == "58") {
    return ErrorCode::kUnavailable;
  }
  if (sqlstate == "57014") return ErrorCode::kDeadlineExceeded;  // statement timeout, cancel
  if (sqlstate == "55P03") return ErrorCode::kUnavailable;       // lock not available
  // Integrity constraints (23505 unique, 23503 foreign key...): kConflict, as SQLite's
  // SQLITE_CONSTRAINT maps.
  if (klass == "23") return ErrorCode::kConflict;
  if (klass == "22") return ErrorCode::kInvalidArgument;  // a value the column cannot hold
  if (klass == "XX") return ErrorCode::kCorruption;       // data_corrupted, index_corrupted
  return ErrorCode::kInternal;                            // syntax, undefined table: a bug
}

bool PgConnectionLost(std::string_view sqlstate) {
  return sqlstate.empty() || sqlstate.starts_with("08") || sqlstate == "57P01" ||
         sqlstate == "57P02" || sqlstate == "57P03";
}

Error PgError(std::string_view sqlstate, std::string_view what, std::string_view message) {
  std::string text = std::string(what) + ": ";
  if (sqlstate == "53100") text += "disk full: ";
  // libpq's messages end with a newline (and sometimes carry a DETAIL line after it).
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.remove_suffix(1);
  }
  text += message;
  if (!sqlstate.empty()) text += " (SQLSTATE " + std::string(sqlstate) + ")";
  return Error{PgErrorCode(sqlstate), std::move(text)};
}

}  // namespace journeyd::storage
