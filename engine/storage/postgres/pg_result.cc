#include "engine/storage/postgres/pg_result.h"

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace journeyd::storage {

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = other.release();
  }
  return *this;
}

PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}

int64_t PgResult::affected_rows() const {
  if (result_ == nullptr) return 0;
  const std::string_view count = PQcmdTuples(result_);
  int64_t n = 0;
  std::from_chars(count.data(), count.data() + count.size(), n);
  return n;
}

int64_t PgResult::Int64(int row, int column) const {
  if (IsNull(row, column)) return 0;
  const char* text = PQgetvalue(result_, row, column);
  const std::string_view value(text, PQgetlength(result_, row, column));
  int64_t n = 0;
  // Integer columns and COUNT are exact; SUM over bigint is numeric, which has no fraction here.
  std::from_chars(value.data(), value.data() + value.size(), n);
  return n;
}

double PgResult::Double(int row, int column) const {
  if (IsNull(row, column)) return 0;
  return std::strtod(PQgetvalue(result_, row, column), nullptr);
}

bool PgResult::Bool(int row, int column) const {
  if (IsNull(row, column)) return false;
  return PQgetvalue(result_, row, column)[0] == 't';
}

std::string PgResult::Text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column), PQgetlength(result_, row, column));
}

std::string PgResult::Bytes(int row, int column) const {
  if (IsNull(row, column)) return {};
  size_t length = 0;
  unsigned char* bytes = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row, column)), &length);
  if (bytes == nullptr) return {};  // out of memory: libpq's only failure here
  std::string out(reinterpret_cast<const char*>(bytes), length);
  PQfreemem(bytes);
  return out;
}

std::chrono::system_clock::time_point PgResult::Time(int row, int column) const {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(Int64(row, column)));
}

std::optional<std::chrono::system_clock::time_point> PgResult::OptionalTime(int row,
                                                                            int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return Time(row, column);
}

}  // namespace journeyd::storage
