#include "engine/storage/postgres/pg_params.h"

#include <cstdio>

namespace journeyd::storage {

PgParams& PgParams::Push(std::string value, unsigned type, bool binary) {
  values_.push_back(std::move(value));
  nulls_.push_back(false);
  types_.push_back(type);
  formats_.push_back(binary ? 1 : 0);
  return *this;
}

PgParams& PgParams::AddDouble(double value) {
  // %.17g round-trips every double exactly.
  char text[32];
  std::snprintf(text, sizeof(text), "%.17g", value);
  return Push(text, kPgFloat8Oid, false);
}

PgParams& PgParams::AddNull(unsigned type_oid) {
  Push("", type_oid, false);
  nulls_.back() = true;
  return *this;
}

int64_t UnixMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

PgParams& PgParams::AddMillis(std::chrono::system_clock::time_point t) {
  return Add(UnixMillis(t));
}

PgParams& PgParams::AddMillis(const std::optional<std::chrono::system_clock::time_point>& t) {
  return t ? AddMillis(*t) : AddNull(kPgInt8Oid);
}

PgParams& PgParams::AddTextOrNull(std::string_view text) {
  return text.empty() ? AddNull(kPgTextOid) : Add(text);
}

std::vector<const char*> PgParams::values() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) {
    out.push_back(nulls_[i] ? nullptr : values_[i].c_str());
  }
  return out;
}

std::vector<int> PgParams::lengths() const {
  std::vector<int> out;
  out.reserve(values_.size());
  for (const std::string& v : values_) out.push_back(static_cast<int>(v.size()));
  return out;
}

std::vector<int> PgParams::formats() const { return formats_; }

}  // namespace journeyd::storage
