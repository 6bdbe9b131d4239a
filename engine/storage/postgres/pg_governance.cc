#include "engine/storage/postgres/pg_store.h"

// Quarantine, suppression and erasure on PostgreSQL (see sqlite_governance.cc).
// Not written yet: every method answers PgNotImplemented until its group lands (issue 11).

namespace journeyd::storage {

Result<std::vector<QuarantineRow>> PgStore::ListQuarantine(const QuarantineFilter&) {
  return PgNotImplemented("ListQuarantine");
}

Result<QuarantineRow> PgStore::ReadQuarantine(int64_t) {
  return PgNotImplemented("ReadQuarantine");
}

Status PgStore::DecideQuarantine(int64_t, QuarantineStatus, std::string_view, TimePoint) {
  return PgNotImplemented("DecideQuarantine");
}

Result<std::string> PgStore::SuppressionSalt() {
  return PgNotImplemented("SuppressionSalt");
}

Result<std::vector<std::string>> PgStore::ListSuppressions() {
  return PgNotImplemented("ListSuppressions");
}

Result<int64_t> PgStore::CountSuppressions() {
  return PgNotImplemented("CountSuppressions");
}

Result<std::vector<ErasureRow>> PgStore::ListErasures(int) {
  return PgNotImplemented("ListErasures");
}

}  // namespace journeyd::storage
