// PgResult owns one libpq PGresult and reads its columns typed. Rows and columns are 0-based.
// Results come back in text format: integers are parsed, bytea is unescaped from its hex form.
// A PgResult is independent of its connection once made; thread-compatible.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace journeyd::storage {

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept : result_(other.release()) {}
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const { return result_ ? PQntuples(result_) : 0; }
  int columns() const { return result_ ? PQnfields(result_) : 0; }
  // Rows an INSERT, UPDATE or DELETE touched (its command tag's count).
  int64_t affected_rows() const;

  bool IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
  // NULL reads as 0, "" and false. REQUIRES: row < rows(), column < columns().
  int64_t Int64(int row, int column) const;
  double Double(int row, int column) const;
  bool Bool(int row, int column) const;
  std::string Text(int row, int column) const;
  // A bytea column's bytes.
  std::string Bytes(int row, int column) const;
  // A unix-milliseconds column as a time, or nullopt when NULL.
  std::chrono::system_clock::time_point Time(int row, int column) const;
  std::optional<std::chrono::system_clock::time_point> OptionalTime(int row, int column) const;

  PGresult* get() const { return result_; }
  PGresult* release() {
    PGresult* r = result_;
    result_ = nullptr;
    return r;
  }

 private:
  PGresult* result_ = nullptr;
};

}  // namespace journeyd::storage
