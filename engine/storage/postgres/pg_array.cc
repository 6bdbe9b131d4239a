#include "engine/storage/postgres/pg_array.h"

namespace journeyd::storage {

std::string PgArrayOf(const std::vector<int64_t>& values) {
  PgArray array;
  for (int64_t v : values) array.Add(v);
  return array.Literal();
}

std::string PgArrayOf(const std::vector<std::string>& values) {
  PgArray array;
  for (const std::string& v : values) array.Add(std::string_view(v));
  return array.Literal();
}

std::string PgArrayOf(const std::vector<double>& values) {
  PgArray array;
  for (double v : values) array.AddDouble(v);
  return array.Literal();
}

}  // namespace journeyd::storage
