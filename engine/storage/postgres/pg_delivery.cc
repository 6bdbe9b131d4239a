#include "engine/storage/postgres/pg_store.h"

// Delivery: the outbox, cursors, dead letters and requests on PostgreSQL (see
// sqlite_delivery.cc).
// Not written yet: every method answers PgNotImplemented until its group lands (issue 11).

namespace journeyd::storage {

Result<std::vector<OutboxRow>> PgStore::ReadOutbox(std::string_view, int64_t, int) {
  return PgNotImplemented("ReadOutbox");
}

Result<DeliveryInputs> PgStore::ReadDeliveryInputs(std::string_view, const std::vector<OutboxRow>&,
                                                   bool,
                                                   const std::map<int64_t, RecordWatermark>&) {
  return PgNotImplemented("ReadDeliveryInputs");
}

Result<int64_t> PgStore::ReadDeliveryCursor(std::string_view) {
  return PgNotImplemented("ReadDeliveryCursor");
}

Status PgStore::MarkInFlight(std::string_view, const std::vector<std::string>&, TimePoint) {
  return PgNotImplemented("MarkInFlight");
}

Result<std::map<std::string, TimePoint>> PgStore::ReadInFlight(std::string_view) {
  return PgNotImplemented("ReadInFlight");
}

Status PgStore::CommitDelivery(const DeliveryCommit&) {
  return PgNotImplemented("CommitDelivery");
}

Result<std::vector<std::pair<std::string, std::string>>> PgStore::ReadCrmIds(int64_t) {
  return PgNotImplemented("ReadCrmIds");
}

Result<int64_t> PgStore::PruneOutbox(const std::vector<std::string>&) {
  return PgNotImplemented("PruneOutbox");
}

Result<std::vector<TargetDeliveryStats>> PgStore::ListDeliveryStats(
    const std::vector<std::string>&) {
  return PgNotImplemented("ListDeliveryStats");
}

Result<std::vector<DeliveryRequestRow>> PgStore::ListDeliveryRequests(std::string_view, int64_t,
                                                                      int) {
  return PgNotImplemented("ListDeliveryRequests");
}

Result<std::vector<DeadLetterRow>> PgStore::ListDeadLetters(const DeadLetterFilter&) {
  return PgNotImplemented("ListDeadLetters");
}

Result<DeadLetterRow> PgStore::ReadDeadLetter(int64_t) {
  return PgNotImplemented("ReadDeadLetter");
}

Status PgStore::DecideDeadLetter(int64_t, DeadLetterStatus, std::string_view, TimePoint) {
  return PgNotImplemented("DecideDeadLetter");
}

}  // namespace journeyd::storage
