// The parameters of one PostgreSQL statement ($1, $2, ... in order of Add). Values only ever
// travel as parameters, never inside the SQL text. Text format for everything but bytea, which
// goes as binary so that bytes need no escaping. Each parameter is typed (int8, text, bytea...)
// so that the server never has to guess from context (`$1 = 0` would make $1 an int4).
// A plain value; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace journeyd::storage {

// The type OIDs of the parameter types used (catalog/pg_type_d.h, stable across versions).
inline constexpr unsigned kPgBoolOid = 16;
inline constexpr unsigned kPgByteaOid = 17;
inline constexpr unsigned kPgInt8Oid = 20;
inline constexpr unsigned kPgTextOid = 25;
inline constexpr unsigned kPgFloat8Oid = 701;

// The store's time representation: unix milliseconds in BIGINT columns.
int64_t UnixMillis(std::chrono::system_clock::time_point t);

class PgParams {
 public:
  PgParams& Add(int64_t value) { return Push(std::to_string(value), kPgInt8Oid, false); }
  PgParams& Add(int value) { return Add(static_cast<int64_t>(value)); }
  PgParams& Add(std::string_view text) { return Push(std::string(text), kPgTextOid, false); }
  PgParams& Add(const char* text) { return Add(std::string_view(text)); }
  PgParams& Add(const std::string& text) { return Add(std::string_view(text)); }
  PgParams& Add(bool value) { return Push(value ? "t" : "f", kPgBoolOid, false); }
  PgParams& AddDouble(double value);
  PgParams& AddBytes(std::string_view bytes) {
    return Push(std::string(bytes), kPgByteaOid, true);
  }
  // A typed NULL.
  PgParams& AddNull(unsigned type_oid = kPgInt8Oid);
  // Unix milliseconds, as every time column stores them; NULL for nullopt.
  PgParams& AddMillis(std::chrono::system_clock::time_point t);
  PgParams& AddMillis(const std::optional<std::chrono::system_clock::time_point>& t);
  // Text, or NULL when empty (for columns where '' is stored as NULL, e.g. inbox.external_id).
  PgParams& AddTextOrNull(std::string_view text);

  int size() const { return static_cast<int>(values_.size()); }
  // Parallel arrays for PQexecPrepared; valid until the next Add. NULL values are nullptr.
  std::vector<const char*> values() const;
  std::vector<int> lengths() const;
  std::vector<int> formats() const;
  const std::vector<unsigned>& types() const { return types_; }

 private:
  PgParams& Push(std::string value, unsigned type, bool binary);

  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  std::vector<unsigned> types_;
  std::vector<int> formats_;  // 0 text, 1 binary
};

}  // namespace journeyd::storage
