// PgArray builds a PostgreSQL array literal ('{...}') for one text parameter that the SQL casts
// to an array type (`unnest($1::bigint[])`, `= ANY($1::text[])`): PgParams has no array types,
// and one statement for a whole batch costs one round trip where a statement per row costs
// hundreds. The literal is a parameter value like any other, never part of the SQL text.
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "engine/storage/postgres/pg_params.h"

namespace journeyd::storage {

using TimePoint = std::chrono::system_clock::time_point;

// A PostgreSQL array literal ('{...}'), built element by element, for one `$n::T[]` parameter.
// The values still travel as a parameter, never inside the SQL text; elements are quoted and
// escaped as array_in reads them.
class PgArray {
 public:
  PgArray& Add(int64_t value) {
    Next();
    text_ += std::to_string(value);
    return *this;
  }
  PgArray& Add(std::string_view value) {
    Next();
    text_ += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
    return *this;
  }
  PgArray& AddDouble(double value) {
    Next();
    // The shortest text that reads back as the same double ("nan" and "inf" are read too).
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    text_.append(buffer, ec == std::errc() ? end : buffer);
    return *this;
  }
  PgArray& AddNull() {
    Next();
    text_ += "NULL";
    return *this;
  }
  PgArray& AddMillis(TimePoint t) { return Add(UnixMillis(t)); }
  PgArray& AddMillis(const std::optional<TimePoint>& t) {
    return t ? AddMillis(*t) : AddNull();
  }

  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string Literal() const { return "{" + text_ + "}"; }

 private:
  void Next() {
    if (size_++ > 0) text_ += ',';
  }

  std::string text_;
  int64_t size_ = 0;
};

// The literal of a whole vector.
std::string PgArrayOf(const std::vector<int64_t>& values);
std::string PgArrayOf(const std::vector<std::string>& values);
std::string PgArrayOf(const std::vector<double>& values);

}  // namespace journeyd::storage
