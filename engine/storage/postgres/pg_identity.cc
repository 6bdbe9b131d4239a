#include "engine/storage/postgres/pg_store.h"

// The identity stage's tables on PostgreSQL (see sqlite_identity.cc for what each does).
// Not written yet: every method answers PgNotImplemented until its group lands (issue 11).

namespace journeyd::storage {

Result<int64_t> PgStore::ReadStageCursor(std::string_view) {
  return PgNotImplemented("ReadStageCursor");
}

Status PgStore::CommitIdentity(const IdentityBatch&) {
  return PgNotImplemented("CommitIdentity");
}

Status PgStore::ScanPlacedRecords(const std::function<void(PlacedRecord&&)>&) {
  return PgNotImplemented("ScanPlacedRecords");
}

Status PgStore::ScanIdentifiers(const std::function<void(std::string, std::string, int64_t)>&) {
  return PgNotImplemented("ScanIdentifiers");
}

Status PgStore::ScanSeparations(const std::function<void(int64_t, int64_t)>&) {
  return PgNotImplemented("ScanSeparations");
}

Result<int64_t> PgStore::MaxProfileId() {
  return PgNotImplemented("MaxProfileId");
}

Status PgStore::ScanProfileRecords(const std::function<void(const ProfileRecordRow&)>&) {
  return PgNotImplemented("ScanProfileRecords");
}

Result<int64_t> PgStore::ResolveProfile(int64_t) {
  return PgNotImplemented("ResolveProfile");
}

Result<int64_t> PgStore::FindProfileByIdentifier(std::string_view, std::string_view) {
  return PgNotImplemented("FindProfileByIdentifier");
}

Result<ProfileDetail> PgStore::ReadProfile(int64_t) {
  return PgNotImplemented("ReadProfile");
}

Result<std::vector<StoredRecord>> PgStore::ReadProfileRecords(int64_t) {
  return PgNotImplemented("ReadProfileRecords");
}

Result<std::vector<ReviewRow>> PgStore::ListReviews(std::string_view, int64_t, int) {
  return PgNotImplemented("ListReviews");
}

Result<ReviewRow> PgStore::ReadReview(int64_t) {
  return PgNotImplemented("ReadReview");
}

Result<int64_t> PgStore::QueueIdentityAction(const IdentityAction&, TimePoint) {
  return PgNotImplemented("QueueIdentityAction");
}

Result<std::vector<IdentityAction>> PgStore::ReadPendingIdentityActions() {
  return PgNotImplemented("ReadPendingIdentityActions");
}

Result<IdentityAction> PgStore::ReadIdentityAction(int64_t) {
  return PgNotImplemented("ReadIdentityAction");
}

Status PgStore::CommitIdentityAction(const IdentityActionOutcome&) {
  return PgNotImplemented("CommitIdentityAction");
}

}  // namespace journeyd::storage
