#include "engine/storage/postgres/pg_store.h"

// The journey stage's tables on PostgreSQL (see sqlite_journey.cc for what each does).
// Not written yet: every method answers PgNotImplemented until its group lands (issue 11).

namespace journeyd::storage {

Result<std::vector<JourneyRecord>> PgStore::ReadJourneyRecords(int64_t, int) {
  return PgNotImplemented("ReadJourneyRecords");
}

Result<std::optional<int64_t>> PgStore::FindTouchpointKey(std::string_view) {
  return PgNotImplemented("FindTouchpointKey");
}

Result<std::vector<MatchCandidate>> PgStore::FindMatchCandidates(std::string_view,
                                                                 std::string_view) {
  return PgNotImplemented("FindMatchCandidates");
}

Result<int64_t> PgStore::MaxTouchpointId() {
  return PgNotImplemented("MaxTouchpointId");
}

Result<std::optional<JourneyStateRow>> PgStore::ReadJourneyState(int64_t) {
  return PgNotImplemented("ReadJourneyState");
}

Result<std::vector<TouchpointRow>> PgStore::ReadProfileTouchpoints(int64_t) {
  return PgNotImplemented("ReadProfileTouchpoints");
}

Result<std::vector<TouchpointKeyRow>> PgStore::ReadProfileTouchpointKeys(int64_t) {
  return PgNotImplemented("ReadProfileTouchpointKeys");
}

Result<std::vector<JourneyTransitionRow>> PgStore::ReadJourneyTransitions(int64_t) {
  return PgNotImplemented("ReadJourneyTransitions");
}

Result<std::vector<int64_t>> PgStore::ReadJourneyDirty(int) {
  return PgNotImplemented("ReadJourneyDirty");
}

Result<std::vector<int64_t>> PgStore::ListJourneyDue(TimePoint, int) {
  return PgNotImplemented("ListJourneyDue");
}

Status PgStore::CommitJourney(const JourneyBatch&) {
  return PgNotImplemented("CommitJourney");
}

Result<std::string> PgStore::ReadJourneyFingerprint() {
  return PgNotImplemented("ReadJourneyFingerprint");
}

Status PgStore::ChangeJourneyFingerprint(std::string_view) {
  return PgNotImplemented("ChangeJourneyFingerprint");
}

Result<bool> PgStore::HasJourneyAction(std::string_view) {
  return PgNotImplemented("HasJourneyAction");
}

Result<std::vector<JourneyActionRow>> PgStore::ListJourneyActions(std::string_view, int64_t, int) {
  return PgNotImplemented("ListJourneyActions");
}

Status PgStore::ScanJourneyStates(const std::function<void(const JourneyStateRow&)>&) {
  return PgNotImplemented("ScanJourneyStates");
}

Status PgStore::ScanJourneyTransitions(const JourneyScanFilter&,
                                       const std::function<void(const JourneyTransitionRow&)>&) {
  return PgNotImplemented("ScanJourneyTransitions");
}

Status PgStore::ScanTouchpoints(const JourneyScanFilter&,
                                const std::function<void(const TouchpointRow&)>&) {
  return PgNotImplemented("ScanTouchpoints");
}

}  // namespace journeyd::storage
