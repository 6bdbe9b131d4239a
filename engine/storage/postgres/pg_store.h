// PgStore is the Store on PostgreSQL, for several journeyd instances sharing one database. Every
// call leases a connection from a PgPool for its length (one transaction at most), so calls run
// in parallel; PostgreSQL orders the writes. Times are unix milliseconds in BIGINT columns and
// the schema is the SQLite one's (engine/storage/postgres/migrations), so rows copy verbatim.
// The methods are split by stage as SqliteStore's are: pg_store.cc (lifecycle, intake, mapping,
// issues, status page, sync runs), pg_identity.cc, pg_journey.cc, pg_governance.cc and
// pg_delivery.cc. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "engine/storage/postgres/pg_pool.h"
#include "engine/storage/store.h"

namespace journeyd::storage {

class PgStore final : public Store {
 public:
  struct Options {
    PgPool::Options pool;
  };

  // Connects to `url` (postgresql://...) and applies pending migrations. kUnavailable when the
  // server cannot be reached; kCorruption when the schema is newer than this binary.
  static Result<std::unique_ptr<PgStore>> Open(const std::string& url, Options options);

  int schema_version() const override { return schema_version_; }
  Status Ping() override;
  Result<RunRecord> RecordStart(std::string_view version, TimePoint now) override;
  Status RecordStop(int64_t run_id, TimePoint now) override;
  Result<bool> AcquireLease(std::string_view name, std::string_view holder,
                            std::chrono::milliseconds ttl) override;
  Status ReleaseLease(std::string_view name, std::string_view holder) override;
  Result<std::vector<LeaseRow>> ListLeases() override;
  Result<std::vector<AppendResult>> CommitIntake(const IntakeBatch& batch) override;
  Result<int64_t> CountPendingInbox() override;
  Result<std::vector<SourceStats>> ListSourceStats() override;
  Result<std::vector<StoredInboxEvent>> ReadInbox(int64_t after_id, int limit) override;
  Result<std::vector<StoredInboxEvent>> ReadPendingInbox(int limit) override;
  Status CommitMapped(const MappedBatch& batch) override;
  Result<int> MapPendingInbox(int limit, const InboxMapper& map) override;
  Result<std::vector<StoredRecord>> ReadRecords(int64_t after_id, int limit) override;
  Result<int64_t> ReadStageCursor(std::string_view stage) override;
  Status CommitIdentity(const IdentityBatch& batch) override;
  Status ScanPlacedRecords(const std::function<void(PlacedRecord&&)>& visit) override;
  Status ScanIdentifiers(
      const std::function<void(std::string, std::string, int64_t)>& visit) override;
  Status ScanSeparations(const std::function<void(int64_t, int64_t)>& visit) override;
  Result<int64_t> MaxProfileId() override;
  Status ScanProfileRecords(const std::function<void(const ProfileRecordRow&)>& visit) override;
  Result<int64_t> ResolveProfile(int64_t profile_id) override;
  Result<int64_t> FindProfileByIdentifier(std::string_view type, std::string_view value) override;
  Result<ProfileDetail> ReadProfile(int64_t profile_id) override;
  Result<std::vector<StoredRecord>> ReadProfileRecords(int64_t profile_id) override;
  Result<std::vector<ReviewRow>> ListReviews(std::string_view status, int64_t before_id,
                                             int limit) override;
  Result<ReviewRow> ReadReview(int64_t review_id) override;
  Result<int64_t> QueueIdentityAction(const IdentityAction& action, TimePoint now) override;
  Result<std::vector<IdentityAction>> ReadPendingIdentityActions() override;
  Result<IdentityAction> ReadIdentityAction(int64_t id) override;
  Status CommitIdentityAction(const IdentityActionOutcome& outcome) override;
  Result<std::vector<QuarantineRow>> ListQuarantine(const QuarantineFilter& filter) override;
  Result<QuarantineRow> ReadQuarantine(int64_t id) override;
  Status DecideQuarantine(int64_t id, QuarantineStatus decision, std::string_view by,
                          TimePoint now) override;
  Result<std::string> SuppressionSalt() override;
  Result<std::vector<std::string>> ListSuppressions() override;
  Result<int64_t> CountSuppressions() override;
  Result<std::vector<ErasureRow>> ListErasures(int limit) override;
  Result<std::vector<JourneyRecord>> ReadJourneyRecords(int64_t after_id, int limit) override;
  Result<std::optional<int64_t>> FindTouchpointKey(std::string_view key) override;
  Result<std::vector<MatchCandidate>> FindMatchCandidates(std::string_view rule,
                                                          std::string_view key) override;
  Result<int64_t> MaxTouchpointId() override;
  Result<std::optional<JourneyStateRow>> ReadJourneyState(int64_t profile_id) override;
  Result<std::vector<TouchpointRow>> ReadProfileTouchpoints(int64_t profile_id) override;
  Result<std::vector<TouchpointKeyRow>> ReadProfileTouchpointKeys(int64_t profile_id) override;
  Result<std::vector<JourneyTransitionRow>> ReadJourneyTransitions(int64_t profile_id) override;
  Result<std::vector<int64_t>> ReadJourneyDirty(int limit) override;
  Result<std::vector<int64_t>> ListJourneyDue(TimePoint now, int limit) override;
  Status CommitJourney(const JourneyBatch& batch) override;
  Result<std::string> ReadJourneyFingerprint() override;
  Status ChangeJourneyFingerprint(std::string_view fingerprint) override;
  Result<bool> HasJourneyAction(std::string_view key) override;
  Result<std::vector<JourneyActionRow>> ListJourneyActions(std::string_view status,
                                                           int64_t before_id, int limit) override;
  Status ScanJourneyStates(const std::function<void(const JourneyStateRow&)>& visit) override;
  Status ScanJourneyTransitions(
      const JourneyScanFilter& filter,
      const std::function<void(const JourneyTransitionRow&)>& visit) override;
  Status ScanTouchpoints(const JourneyScanFilter& filter,
                         const std::function<void(const TouchpointRow&)>& visit) override;
  Result<std::vector<OutboxRow>> ReadOutbox(std::string_view target, int64_t after_id,
                                            int limit) override;
  Result<DeliveryInputs> ReadDeliveryInputs(
      std::string_view target, const std::vector<OutboxRow>& rows, bool touchpoints,
      const std::map<int64_t, RecordWatermark>& known) override;
  Result<int64_t> ReadDeliveryCursor(std::string_view target) override;
  Status MarkInFlight(std::string_view target, const std::vector<std::string>& keys,
                      TimePoint at) override;
  Result<std::map<std::string, TimePoint>> ReadInFlight(std::string_view target) override;
  Status CommitDelivery(const DeliveryCommit& commit) override;
  Result<std::vector<std::pair<std::string, std::string>>> ReadCrmIds(int64_t profile_id) override;
  Result<int64_t> PruneOutbox(const std::vector<std::string>& targets) override;
  Result<std::vector<TargetDeliveryStats>> ListDeliveryStats(
      const std::vector<std::string>& targets) override;
  Result<std::vector<DeliveryRequestRow>> ListDeliveryRequests(std::string_view target,
                                                               int64_t before_id,
                                                               int limit) override;
  Result<std::vector<DeadLetterRow>> ListDeadLetters(const DeadLetterFilter& filter) override;
  Result<DeadLetterRow> ReadDeadLetter(int64_t id) override;
  Status DecideDeadLetter(int64_t id, DeadLetterStatus decision, std::string_view by,
                          TimePoint now) override;
  Result<std::vector<DataQualityIssue>> ListIssues(const IssueFilter& filter) override;
  Result<std::vector<IssueCount>> CountIssues(const IssueFilter& filter) override;
  Result<std::vector<SourceActivity>> ReadSourceActivity(TimePoint since) override;
  Result<std::vector<IssueTrendRow>> ReadIssueTrend(TimePoint since) override;
  Result<OpenWorkCounts> CountOpenWork() override;
  Result<std::optional<PollState>> ReadPollState(std::string_view source,
                                                 std::string_view stream) override;
  Result<std::vector<PollState>> ListPollStates() override;
  Status ResetPollState(std::string_view source, std::string_view stream) override;
  Result<std::optional<ImportedFile>> FindImportedFile(std::string_view source,
                                                       std::string_view sha256) override;
  Result<int64_t> StartSyncRun(const SyncRun& run) override;
  Status FinishSyncRun(const SyncRun& run) override;
  Result<int64_t> InterruptSyncRuns(std::string_view source, TimePoint now) override;
  Result<std::vector<SyncRun>> ListSyncRuns(const SyncRunFilter& filter) override;
  Result<std::vector<SyncRun>> ListLatestSyncRuns() override;
  Result<std::optional<SyncRun>> LastSuccessfulSyncRun(std::string_view source) override;
  Result<std::vector<SyncRunCount>> CountSyncRuns() override;

 private:
  explicit PgStore(std::unique_ptr<PgPool> pool) : pool_(std::move(pool)) {}
  // REQUIRES: inside a transaction on `conn`.
  Result<std::vector<AppendResult>> WriteIntake(PgConnection& conn, const IntakeBatch& batch);

  std::unique_ptr<PgPool> pool_;
  int schema_version_ = 0;
  // Intake commits are serialized within one process, as SqliteStore's are: the group committer
  // is one writer anyway, and taking the source_stats rows in one order keeps commits from
  // deadlocking each other. Other instances' commits run alongside: they mostly bump other
  // shards of the counters (WriteIntake), and PostgreSQL's row locks order those that meet.
  std::mutex intake_mu_;
  int64_t activity_pruned_minute_ = 0;  // GUARDED_BY(intake_mu_): last source_activity prune
};

// What a PgStore method not yet written returns (kInternal: calling it is a bug until then).
// Goes when the last group is in.
inline Error PgNotImplemented(std::string_view method) {
  return Internal("postgresql: " + std::string(method) + " not implemented yet");
}

}  // namespace journeyd::storage
