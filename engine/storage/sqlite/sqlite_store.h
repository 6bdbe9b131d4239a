// SqliteStore is the embedded Store: one SQLite file in WAL mode. Each call runs on a connection
// lent by a pool (sqlite_connection_pool.h), so that calls that only read run side by side and
// never wait for a writer; calls that write also take a turn (mu_), one at a time in the
// process, and the intake commits on a connection of its own. Thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>

#include "engine/storage/sqlite/intake_priority.h"
#include "engine/storage/sqlite/sqlite_connection_pool.h"
#include "engine/storage/sqlite/sqlite_db.h"
#include "engine/storage/sqlite/wal_checkpointer.h"
#include "engine/storage/store.h"

namespace journeyd::storage {

class SqliteStore final : public Store {
 public:
  // Opens `path` and applies pending migrations.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::filesystem::path& path,
                                                   std::chrono::milliseconds busy_timeout);

  int schema_version() const override { return schema_version_; }
  // How many times a mapping commit was cut short to let a waiting intake commit in.
  uint64_t intake_yields() const { return intake_priority_.yields(); }
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
  SqliteStore() = default;
  // A write: the process's write turn (mu_), then a connection. Write turns exclude each other
  // here rather than in SQLite's busy handler, which sleeps between tries.
  class WriteScope {
   public:
    explicit WriteScope(SqliteStore& store) : turn_(store.mu_), connection_(*store.pool_) {}

   private:
    std::lock_guard<std::mutex> turn_;
    SqliteConnectionPool::Scope connection_;
  };
  // Reads only: a connection and no turn. Under WAL a reader sees the last commit and never
  // waits for the writer; a call that reads with several statements opens a transaction so they
  // all see one snapshot.
  class ReadScope {
   public:
    explicit ReadScope(SqliteStore& store) : connection_(*store.pool_) {}

   private:
    SqliteConnectionPool::Scope connection_;
  };
  // REQUIRES: a WriteScope or ReadScope on this thread. Its connection (a logic_error
  // otherwise: a programming error).
  SqliteConnection& Connection();
  SqliteDb& Db();
  // Reports `db`'s commits to the checkpointer. REQUIRES: checkpointer_ started (Open starts
  // it right after the migrations, which run on the first connection alone).
  void ReportCommits(SqliteDb& db);

  Status Migrate();
  // REQUIRES: intake_mu_ held. Prepares the intake statements once, on intake_db_; they are
  // reused for every commit.
  Status PrepareIntakeStatements();
  Result<std::vector<AppendResult>> WriteIntake(const IntakeBatch& batch);
  // REQUIRES: a WriteScope (mu_ held), inside a transaction.
  Status WriteIdentity(const IdentityBatch& batch);
  Status WriteIdentityAction(const IdentityActionOutcome& outcome);
  Status WriteErasure(const IdentityActionOutcome::Erasure& erasure, int64_t now);
  Status WriteJourney(const JourneyBatch& batch);
  Status WriteDelivery(const DeliveryCommit& commit);
  Status WriteInFlight(std::string_view target, const std::vector<std::string>& keys,
                       TimePoint at);
  // REQUIRES: a ReadScope, inside a read transaction (one snapshot for the whole window).
  Result<DeliveryInputs> ReadDeliveryInputsInTransaction(
      std::string_view target, const std::vector<OutboxRow>& rows, bool touchpoints,
      const std::map<int64_t, RecordWatermark>& known);
  // REQUIRES: a WriteScope (mu_ held).
  Result<std::string> ReadOrCreateSalt();
  // REQUIRES: a scope. A statement prepared once on the scope's connection and kept, for
  // lookups made per item (the journey stage's per-touchpoint key checks); the caller Reset()s
  // it after use.
  Result<SqliteStatement*> Cached(std::string_view sql);

  struct IntakeStatements {
    SqliteStatement insert_event;
    SqliteStatement bump_stats;
    SqliteStatement insert_issue;
    SqliteStatement bump_activity;
    SqliteStatement prune_activity;
    SqliteStatement upsert_poll_state;
    SqliteStatement insert_imported_file;
  };

  // One mapping turn at a time, read to commit (one process has the file; see MapPendingInbox).
  std::mutex map_mu_;
  // The write turn (WriteScope); also guards schema_version_ while migrating.
  std::mutex mu_;
  // The intake commits on a connection of its own and takes no write turn, so that an
  // acknowledgement never queues behind the pipeline's turns; SQLite's write lock still orders
  // its writes with the pipeline's, which use BEGIN IMMEDIATE and wait their turn.
  std::mutex intake_mu_;
  std::unique_ptr<SqliteDb> intake_db_;  // GUARDED_BY(intake_mu_)
  std::unique_ptr<IntakeStatements> intake_;  // GUARDED_BY(intake_mu_); built on first use
  int64_t activity_pruned_minute_ = 0;  // GUARDED_BY(intake_mu_): last source_activity prune
  // The intake says here when it waits for the write lock; CommitMapped yields to it.
  IntakePriority intake_priority_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // fed by every connection's commit hook
  // After the checkpointer: its connections' commit hooks call it, so they close first.
  std::unique_ptr<SqliteConnectionPool> pool_;
  int schema_version_ = 0;
};

}  // namespace journeyd::storage
