// Store is journeyd's durable state behind one interface, so that the embedded SQLite store and
// the PostgreSQL store (for several instances) are interchangeable without touching callers.
// Methods are grouped by the stage that owns the data. Implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
#include "engine/record/raw_event.h"
#include "engine/storage/record_watermark.h"

namespace journeyd::config {
struct Config;
}

namespace journeyd::storage {

using TimePoint = std::chrono::system_clock::time_point;

struct RunRecord {
  int64_t run_id = 0;
  // The run before this one never recorded a clean stop: it crashed or was killed.
  bool previous_run_unclean = false;
};

// One event ready for the inbox. The body may already be compressed: compression happens on the
// request's thread so the commit path only writes bytes.
struct InboxRecord {
  const RawEvent* event = nullptr;  // borrowed for the duration of the call
  std::string stored_body;          // the bytes to store
  bool zstd = false;                // stored_body is zstd-compressed
  std::string headers;              // event->headers as EncodeInboxHeaders wrote them
};

// The stored form of an event's headers, a JSON array of [name, value] pairs; every backend
// stores this text, so it is built once, off the commit path.
std::string EncodeInboxHeaders(const std::vector<std::pair<std::string, std::string>>& headers);

enum class IntakeRejectionKind { kRejected, kSignatureFailure };

// A request that was refused at the door: counted, and recorded as a data-quality issue.
struct IntakeRejection {
  std::string source;
  IntakeRejectionKind kind = IntakeRejectionKind::kRejected;
  std::string issue_kind;  // e.g. "signature_failure", "malformed_payload"
  std::string message;     // no payload, no secret
  TimePoint at;
};

// Where one polled stream of a source stands (engine/poll/stream_state.h says what `state`
// holds). The store keeps it as opaque text.
struct PollState {
  std::string source;
  std::string stream;
  std::string state;
  TimePoint updated_at;
};

// A file a drop-directory source imported, known by its content hash.
struct ImportedFile {
  std::string source;
  std::string sha256;
  std::string name;
  int64_t size = 0;
  int64_t rows = 0;
  TimePoint imported_at;
};

// What one group commit writes, atomically.
struct IntakeBatch {
  std::vector<InboxRecord> records;
  std::vector<IntakeRejection> rejections;
  // Requests that reached a known source, per source (accepted or not).
  std::vector<std::pair<std::string, int64_t>> received;
  // A poll's page commits its records and the stream's new position together.
  std::vector<PollState> poll_states;
  std::vector<ImportedFile> imported_files;
};

enum class AppendResult { kStored, kDuplicate };

struct SourceStats {
  std::string source;
  int64_t received = 0;
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int64_t rejected = 0;
  int64_t signature_failures = 0;
  int64_t suppressed = 0;  // events of erased people, dropped
  std::optional<TimePoint> last_event_at;
};

struct StoredInboxEvent {
  int64_t id = 0;
  RawEvent event;
};

struct IssueFilter {
  std::string kind;    // empty: any
  std::string source;  // empty: any
  int64_t before_id = 0;  // 0: newest first from the top; else only ids below (pagination)
  int limit = 100;
};

struct DataQualityIssue {
  int64_t id = 0;
  std::string kind;
  std::string source;
  std::string message;
  TimePoint created_at;
  int64_t inbox_id = 0;  // the raw payload behind it; 0 when there is none (refused at the door)
};

struct IssueCount {
  std::string kind;
  std::string source;
  int64_t count = 0;
  TimePoint latest;
};

// One source's intake counters in one minute: what "last hour" and "last day" are summed from.
struct SourceActivity {
  std::string source;
  TimePoint minute;
  int64_t received = 0, accepted = 0, duplicates = 0, rejected = 0, signature_failures = 0;
};

// How many issues of one kind and source were raised in one hour: the trend on the status page.
struct IssueTrendRow {
  std::string kind;
  std::string source;
  TimePoint hour;
  int64_t count = 0;
};

// One pull of records from a source: a CSV import, or a scheduled or manual poll of its API.
struct SyncRun {
  int64_t id = 0;
  std::string source;
  std::string trigger;             // "import", "schedule", "manual"
  std::string status = "running";  // "running", "succeeded", "failed"
  TimePoint started_at;
  std::optional<TimePoint> ended_at;
  int64_t pages = 0, records = 0, duplicates = 0, errors = 0;
  std::string cursor_before, cursor_after;
  std::string detail;  // the file synced, or why the run failed; never a payload
};

struct SyncRunCount {
  std::string source, trigger, status;
  int64_t count = 0;
};

struct SyncRunFilter {
  std::string source;     // empty: any
  int64_t before_id = 0;  // 0: newest first from the top; else only ids below (pagination)
  int limit = 100;
};

// Work waiting for an admin, for the overview.
struct OpenWorkCounts {
  int64_t quarantined = 0;
  int64_t reviews_open = 0;
  int64_t dead_letters = 0;
  std::vector<std::pair<std::string, int64_t>> quarantined_by_rule;  // rule, count; by rule
};

// What the mapping stage made of a run of inbox events: the records, the issues, and every inbox
// id taken (mapped, ignored or failed alike). Each event's rows commit together with its inbox
// mark, so that an event is mapped exactly once even across a crash; a store may commit the
// batch in parts between events (SQLite does, to let a waiting intake commit in).
struct MappedBatch {
  struct Record {
    int64_t inbox_id = 0;
    std::string source;
    std::string event_type;
    TimePoint occurred_at;
    std::string json;  // the canonical record
    std::string external_id;  // the event's id at its source (a CSV row's id column)
  };
  struct Issue {
    int64_t inbox_id = 0;
    std::string kind;
    std::string source;
    std::string message;
  };
  // An event that failed its mapping or a reject rule: it waits for an admin.
  struct Quarantined {
    int64_t inbox_id = 0;
    std::string source;
    std::string event_type;
    std::string external_id;
    std::string reasons_json;        // [{rule, field, check, message}]
    std::vector<std::string> rules;  // the rules broken, for filtering
    std::string record_json;         // empty when mapping failed
  };
  // An event for an erased person: dropped, counted, and its raw payload blanked.
  struct Suppressed {
    int64_t inbox_id = 0;
    std::string source;
  };
  std::vector<Record> records;
  std::vector<Issue> issues;
  std::vector<Quarantined> quarantined;
  std::vector<Suppressed> suppressed;
  std::vector<int64_t> processed;  // inbox ids
  TimePoint at;
};

enum class QuarantineStatus { kQuarantined, kReleased, kDiscarded };
std::string_view QuarantineStatusName(QuarantineStatus status);
std::optional<QuarantineStatus> ParseQuarantineStatus(std::string_view name);

struct QuarantineFilter {
  std::optional<QuarantineStatus> status = QuarantineStatus::kQuarantined;  // nullopt: any
  std::string rule;                 // empty: any
  std::string source;               // empty: any
  std::optional<TimePoint> since, until;
  int64_t before_id = 0;  // 0: newest first from the top; else only ids below (pagination)
  int limit = 100;
};

struct QuarantineRow {
  int64_t id = 0;
  int64_t inbox_id = 0;  // 0 when the raw payload is gone
  std::string source, event_type, external_id;
  std::string reasons_json;
  std::vector<std::string> rules;
  std::string record_json;  // empty when mapping failed
  QuarantineStatus status = QuarantineStatus::kQuarantined;
  TimePoint created_at;
  std::optional<TimePoint> decided_at;
  std::string decided_by;
};

struct StoredRecord {
  int64_t id = 0;
  int64_t inbox_id = 0;
  std::string source;
  std::string event_type;
  std::string json;
};

// What the identity stage decided for a run of records, in order, written in one transaction
// with its cursor. Each step is one record: a merge moves every record and identifier of
// `from` to `into`; then the record's new identifiers and the record itself land on the
// record's final profile.
struct IdentityBatch {
  struct Merge {
    int64_t into = 0, from = 0;
    std::string rule;
    std::string identifier_type, identifier_value;  // empty unless rule is "identifier"
    double probability = 0;
    std::string details;
  };
  struct Review {
    int64_t profile_a = 0, profile_b = 0;
    double probability = 0;
    std::string details;
  };
  struct Issue {
    std::string kind, message;
  };
  struct Step {
    int64_t record_id = 0;
    int64_t inbox_id = 0;
    std::string source;
    int64_t profile_id = 0;       // where the record ends up
    int64_t created_profile = 0;  // a profile this record started, or 0
    std::vector<Merge> merges;
    std::vector<std::pair<std::string, std::string>> attached;  // (type, value) now owned
    std::vector<Review> reviews;
    std::vector<Issue> issues;
  };
  std::vector<Step> steps;
  int64_t cursor = 0;  // the last record id taken
  TimePoint at;
};

// A placed record as the identity stage reloads it at start-up.
struct PlacedRecord {
  int64_t record_id = 0;
  int64_t profile_id = 0;
  std::string json;
};

struct ProfileRecordRow {
  int64_t profile_id = 0;
  int64_t record_id = 0;
  std::string source;
  std::string external_id;
  std::string event_type;
  TimePoint occurred_at;
};

struct MergeRow {
  int64_t id = 0;
  int64_t into = 0, from = 0;
  std::string rule;
  std::string identifier_type, identifier_value;
  int64_t record_id = 0;
  double probability = 0;
  std::string details;
  TimePoint at;
};

struct ReviewRow {
  int64_t id = 0;
  int64_t profile_a = 0, profile_b = 0;
  int64_t record_id = 0;
  double probability = 0;
  std::string details;
  std::string status;
  TimePoint created_at;
};

// Everything `journeyd explain` and the profile API show about one profile.
struct ProfileDetail {
  int64_t id = 0;
  TimePoint created_at, updated_at;
  std::vector<int64_t> absorbed;  // retired profile ids that now resolve to this one
  std::vector<std::pair<std::string, std::string>> identifiers;
  std::vector<ProfileRecordRow> records;
  std::vector<MergeRow> merges;  // into this profile or any it absorbed
  std::vector<ReviewRow> reviews;
};

enum class IdentityActionKind { kAcceptReview, kRejectReview, kSplit, kErase };

struct IdentityAction {
  int64_t id = 0;
  IdentityActionKind kind = IdentityActionKind::kAcceptReview;
  int64_t review_id = 0;             // accept / reject
  int64_t profile_id = 0;            // split
  std::vector<int64_t> records;      // split: the records that leave
  // erase: the identifiers named by the request (profile_id may be 0); cleared once applied,
  // so that the queue keeps no personal data.
  std::vector<std::pair<std::string, std::string>> identifiers;
  std::string requested_by;          // erase: "admin api", "cli"
  std::vector<std::string> targets;  // erase: the CRM targets to tell
  std::string status = "pending";    // pending | done | failed
  std::string result;
};

// What carrying out an action changed, written with its status in one transaction.
struct IdentityActionOutcome {
  int64_t action_id = 0;
  bool done = false;
  std::string result;       // for people: what happened or why not
  int64_t review_id = 0;    // its status becomes accepted / rejected when done
  std::string review_status;
  std::vector<IdentityBatch::Merge> merges;  // accept: the merge
  std::pair<int64_t, int64_t> separation{0, 0};  // reject and split: kept apart from now on
  // split
  int64_t new_profile = 0, old_profile = 0;
  std::vector<int64_t> moved_records;
  std::vector<std::pair<std::string, std::string>> moved_identifiers;
  // erase: everything of one person goes; salted hashes of their identifiers stay behind.
  struct Erasure {
    std::vector<int64_t> profiles;  // the live profile and every retired id merged into it
    std::vector<int64_t> records;
    std::vector<std::pair<std::string, std::string>> identifiers;  // all to suppress
    std::string requested_by;
    std::vector<std::string> targets;  // CRM targets still to be told
  };
  std::optional<Erasure> erasure;
  TimePoint at;
};

// What an erasure removed, for its audit entry and the caller.
struct ErasureRow {
  int64_t id = 0;
  std::string requested_by;
  TimePoint requested_at;
  int64_t profile_id = 0;
  std::vector<std::string> identifier_hashes;
  std::string removed_json;  // counts per kind
  std::vector<std::string> pending_targets;
};

// A touchpoint as stored. Its profile is its record's; profile_id is filled when read.
struct TouchpointRow {
  int64_t id = 0;
  int64_t record_id = 0;
  int64_t profile_id = 0;
  std::string source, type, channel;
  TimePoint occurred_at;
  std::string value, currency, reference;
  std::string campaign_json = "{}", attributes_json = "{}";
};

// An idempotency key: the touchpoint's own (rule empty) or a duplicate's merged into it.
struct TouchpointKeyRow {
  std::string key;
  int64_t touchpoint_id = 0;
  std::string source, type, reference;
  int64_t record_id = 0;
  std::string rule;
};

// A cross-source de-duplication key of a touchpoint, held from occurred_at.
struct MatchKeyRow {
  std::string rule, key;
  int64_t touchpoint_id = 0;
  TimePoint occurred_at;
};

// A touchpoint that holds a match key, with what it already stands for ("source|type" of its
// own key and of every duplicate merged into it).
struct MatchCandidate {
  int64_t touchpoint_id = 0;
  TimePoint occurred_at;
  std::vector<std::string> members;
};

// A record the identity stage has placed, as the journey stage reads it.
struct JourneyRecord {
  int64_t record_id = 0;
  int64_t profile_id = 0;
  std::string source;
  std::string external_id;
  std::string json;
};

struct JourneyStateRow {
  int64_t profile_id = 0;
  std::string stage, side, first_source;
  std::optional<TimePoint> last_activity, next_check_at;
  double engagement = 0;
  std::optional<double> health;
  std::string state_json;
  TimePoint updated_at;
};

struct JourneyTransitionRow {
  int64_t id = 0;
  int64_t profile_id = 0;
  std::string kind;  // stage | side | threshold
  std::string from, to;
  TimePoint at;
  int64_t touchpoint_id = 0;
  int enter_ordinal = 0, exit_ordinal = 0;
};

struct JourneyActionRow {
  int64_t id = 0;
  std::string key;
  int64_t profile_id = 0;
  std::string action, target, kind, payload;
  TimePoint at, created_at;
  std::string status = "pending";
};

// What the journey stage decided for a run of records (or of profiles it recomputed or
// re-checked), written in one transaction with its cursor.
struct JourneyBatch {
  std::vector<TouchpointRow> touchpoints;  // new; ids given by the stage
  std::vector<TouchpointKeyRow> keys;
  std::vector<MatchKeyRow> match_keys;
  struct Profile {
    JourneyStateRow state;
    // The profile was recomputed: its stored transitions are replaced by `transitions`;
    // otherwise they are appended.
    bool replace_history = false;
    std::vector<JourneyTransitionRow> transitions;
  };
  std::vector<Profile> profiles;
  std::vector<int64_t> retired;  // profiles merged away or erased: their journey rows go
  std::vector<JourneyActionRow> actions;  // kept once per key
  std::vector<int64_t> clean;    // journey_dirty marks dealt with
  std::optional<int64_t> cursor;  // the last record id taken, when records were
  TimePoint at;
};

// Filters for the KPIs: a time range over transitions and touchpoints, and a source.
struct JourneyScanFilter {
  std::optional<TimePoint> since, until;
};


// One change announced to the targets (docs/delivery.md).
struct OutboxRow {
  int64_t id = 0;
  std::string kind;  // profile | touchpoint | action
  int64_t profile_id = 0;
  int64_t item_id = 0;  // touchpoint or journey action id; 0 for profiles
  std::string target;   // "" for every target
  TimePoint created_at;
};

// What one target holds of one profile, as far as journeyd knows.
struct DeliveredProfile {
  std::string crm_id;             // the writeback; "" until a response said it
  std::string acked_json = "{}";  // properties the CRM acknowledged
};

enum class DeadLetterStatus { kDead, kReplayed, kDiscarded };
std::string_view DeadLetterStatusName(DeadLetterStatus status);
std::optional<DeadLetterStatus> ParseDeadLetterStatus(std::string_view name);

struct DeadLetterRow {
  int64_t id = 0;
  std::string target, kind;
  int64_t profile_id = 0;
  int64_t item_id = 0;
  std::string item_key;
  std::string message;       // the CRM's own words
  std::string request_json;  // what was sent for the item
  int attempts = 0;
  DeadLetterStatus status = DeadLetterStatus::kDead;
  TimePoint created_at;
  std::optional<TimePoint> decided_at;
  std::string decided_by;
};

struct DeadLetterFilter {
  std::optional<DeadLetterStatus> status = DeadLetterStatus::kDead;  // nullopt: any
  std::string target;  // empty: any
  int64_t before_id = 0;
  int limit = 100;
};

struct DeliveryRequestRow {
  int64_t id = 0;
  std::string target, method, url, body, what;
  int items = 0;
  int status = 0;  // HTTP status; 0 no answer; -1 recorded only (preview)
  std::string message;
  TimePoint at;
};

// What one delivery round of one target settled, written in one transaction.
struct DeliveryCommit {
  std::string target;
  struct Profile {
    int64_t profile_id = 0;
    std::string crm_id;      // "" keeps the stored one
    std::string acked_json;  // the whole acknowledged property set now
  };
  std::vector<Profile> profiles;
  std::vector<std::string> delivered_keys;
  std::vector<DeadLetterRow> dead;
  // Journey actions this target settled: delivered or failed.
  std::vector<std::pair<int64_t, std::string>> actions;
  std::vector<DeliveryRequestRow> requests;
  // Keys about to be sent that the target could look up after a crash (TargetSession::LooksUp):
  // marked in flight at `at`, after the settled ones are cleared. The commit made just before a
  // request thus also makes its marks durable, instead of a commit of their own.
  std::vector<std::string> in_flight;
  int keep_requests = 200;  // per target
  int64_t delivered = 0;    // items, for the counters
  int failures = 0;         // requests that failed
  std::string last_error;   // "" when the round ended well
  std::optional<int64_t> cursor;
  TimePoint at;
};

// The key under which a target acknowledges a touchpoint.
std::string TouchpointDeliveryKey(int64_t touchpoint_id);

// Everything one delivery round needs to know about a window of outbox rows, read in one go.
struct DeliveryInputs {
  // Each profile id named by a `profile` row, resolved to the live profile (merges followed);
  // absent when it no longer exists or was erased.
  std::map<int64_t, int64_t> live;
  std::vector<TouchpointRow> touchpoints;  // not yet acknowledged; profile_id is the live one
  std::vector<JourneyActionRow> actions;   // pending, for this target, not yet acknowledged;
                                           // profile_id is the live one
  struct Profile {
    // The profile's records in id order: all of them, or when `incremental`, only those after
    // the watermark the caller passed for it (which still describes the older ones).
    std::vector<StoredRecord> records;
    bool incremental = false;
    RecordWatermark watermark;  // of all its records now; count 0: erased or empty
    std::optional<JourneyStateRow> journey;
    std::optional<DeliveredProfile> delivered;
  };
  std::map<int64_t, Profile> profiles;  // every live profile the rows touch
};

// Who holds a lease (Store::AcquireLease) and until when.
struct LeaseRow {
  std::string name;
  std::string holder;
  TimePoint acquired_at;
  TimePoint expires_at;
};

struct TargetDeliveryStats {
  std::string target;
  int64_t cursor = 0;
  int64_t pending = 0;  // outbox rows past the cursor
  int64_t delivered = 0, dead = 0, requests = 0, failures = 0;
  int64_t dead_now = 0;  // dead letters not replayed or discarded
  std::optional<TimePoint> last_success, last_failure;
  std::string last_error;
  std::optional<TimePoint> oldest_pending;
};

class Store {
 public:
  virtual ~Store() = default;

  // The schema version now in force (the newest applied migration).
  virtual int schema_version() const = 0;
  // kUnavailable when the database cannot answer a trivial query: what /readyz reports.
  virtual Status Ping() = 0;

  // Daemon lifecycle: one row per start, closed by a clean stop.
  virtual Result<RunRecord> RecordStart(std::string_view version, TimePoint now) = 0;
  virtual Status RecordStop(int64_t run_id, TimePoint now) = 0;

  // Leases, for several instances on one database (docs/scaling.md): `name` ("identity",
  // "delivery:<target>", "poll:<source>") belongs to one holder at a time. True when `holder`
  // holds it for `ttl` from now on: taken while free or expired, or renewed; false while
  // another holder's lease runs. Expiry is judged by the store's clock (PostgreSQL's, so that
  // instances' clocks need not agree).
  virtual Result<bool> AcquireLease(std::string_view name, std::string_view holder,
                                    std::chrono::milliseconds ttl) = 0;
  // Gives the lease up at once (a clean stop), if `holder` holds it.
  virtual Status ReleaseLease(std::string_view name, std::string_view holder) = 0;
  virtual Result<std::vector<LeaseRow>> ListLeases() = 0;  // by name

  // Ingest. Writes records, rejections and counters in one transaction and makes it durable
  // before returning; one AppendResult per record, in order (kDuplicate when the source already
  // holds that external_id).
  virtual Result<std::vector<AppendResult>> CommitIntake(const IntakeBatch& batch) = 0;
  // Inbox rows not yet taken by the mapping stage.
  virtual Result<int64_t> CountPendingInbox() = 0;
  virtual Result<std::vector<SourceStats>> ListSourceStats() = 0;
  // Inbox rows in id order after `after_id`, bodies decompressed; for the mapping stage and tests.
  virtual Result<std::vector<StoredInboxEvent>> ReadInbox(int64_t after_id, int limit) = 0;

  // Mapping. Unprocessed inbox rows in id order, bodies decompressed.
  virtual Result<std::vector<StoredInboxEvent>> ReadPendingInbox(int limit) = 0;
  virtual Status CommitMapped(const MappedBatch& batch) = 0;
  // One turn of the mapping stage: takes up to `limit` unprocessed inbox rows, hands them to
  // `map` (in id order), which fills `batch`, and commits the batch, or nothing when `map`
  // fails. Returns how many rows were taken. Concurrent turns, of one process or of instances
  // sharing a database, each take rows no other turn holds (PostgreSQL: row locks taken with
  // SKIP LOCKED and held until the commit, so the rows of an instance that dies go back at
  // once); two never commit the same row.
  using InboxMapper =
      std::function<Status(const std::vector<StoredInboxEvent>& pending, MappedBatch& batch)>;
  virtual Result<int> MapPendingInbox(int limit, const InboxMapper& map) = 0;
  // Canonical records in id order after `after_id`.
  virtual Result<std::vector<StoredRecord>> ReadRecords(int64_t after_id, int limit) = 0;

  // Identity. The stage's cursor over the records table (0 before the first batch).
  virtual Result<int64_t> ReadStageCursor(std::string_view stage) = 0;
  virtual Status CommitIdentity(const IdentityBatch& batch) = 0;
  // Start-up: every placed record (in id order), identifier owner and separation, streamed.
  virtual Status ScanPlacedRecords(const std::function<void(PlacedRecord&&)>& visit) = 0;
  virtual Status ScanIdentifiers(
      const std::function<void(std::string type, std::string value, int64_t profile)>& visit) = 0;
  virtual Status ScanSeparations(const std::function<void(int64_t a, int64_t b)>& visit) = 0;
  // The largest profile id ever given, retired ones included (0 when none): new ids go above.
  virtual Result<int64_t> MaxProfileId() = 0;
  // One row per placed record, by profile then record: `journeyd export`.
  virtual Status ScanProfileRecords(const std::function<void(const ProfileRecordRow&)>& visit) = 0;
  // The live profile an id resolves to (following merges); kNotFound when it never existed.
  virtual Result<int64_t> ResolveProfile(int64_t profile_id) = 0;
  // The profile owning an identifier; kNotFound when none does.
  virtual Result<int64_t> FindProfileByIdentifier(std::string_view type, std::string_view value) = 0;
  virtual Result<ProfileDetail> ReadProfile(int64_t profile_id) = 0;
  // The canonical records of a profile, in id order (for its golden record).
  virtual Result<std::vector<StoredRecord>> ReadProfileRecords(int64_t profile_id) = 0;

  // Reviews, newest first; `status` empty for any.
  virtual Result<std::vector<ReviewRow>> ListReviews(std::string_view status, int64_t before_id,
                                                     int limit) = 0;
  virtual Result<ReviewRow> ReadReview(int64_t review_id) = 0;
  // Admin actions on identity: queued by the API or the CLI, carried out by the identity stage.
  virtual Result<int64_t> QueueIdentityAction(const IdentityAction& action, TimePoint now) = 0;
  virtual Result<std::vector<IdentityAction>> ReadPendingIdentityActions() = 0;
  virtual Result<IdentityAction> ReadIdentityAction(int64_t id) = 0;
  virtual Status CommitIdentityAction(const IdentityActionOutcome& outcome) = 0;

  // Quarantine, newest first.
  virtual Result<std::vector<QuarantineRow>> ListQuarantine(const QuarantineFilter& filter) = 0;
  virtual Result<QuarantineRow> ReadQuarantine(int64_t id) = 0;
  // Release: the entry becomes released and its inbox event pending again, so the mapping stage
  // maps it afresh with today's mappings and rules (and quarantines it anew if it fails again).
  // Discard: the entry becomes discarded and its record and raw payload are blanked.
  // kConflict when the entry is no longer quarantined, or (release) its raw payload
  // is gone; kNotFound when there is no such entry.
  virtual Status DecideQuarantine(int64_t id, QuarantineStatus decision, std::string_view by,
                                  TimePoint now) = 0;

  // Suppression of erased people: the install's salt (made on first use) and the hashes.
  virtual Result<std::string> SuppressionSalt() = 0;
  virtual Result<std::vector<std::string>> ListSuppressions() = 0;
  virtual Result<int64_t> CountSuppressions() = 0;
  // Erasure audit entries, newest first.
  virtual Result<std::vector<ErasureRow>> ListErasures(int limit) = 0;

  // Journey. Records placed by the identity stage after `after_id` (up to its cursor), each with
  // its profile now, in id order.
  virtual Result<std::vector<JourneyRecord>> ReadJourneyRecords(int64_t after_id, int limit) = 0;
  // The touchpoint holding an idempotency key, if any.
  virtual Result<std::optional<int64_t>> FindTouchpointKey(std::string_view key) = 0;
  virtual Result<std::vector<MatchCandidate>> FindMatchCandidates(std::string_view rule,
                                                                  std::string_view key) = 0;
  virtual Result<int64_t> MaxTouchpointId() = 0;
  virtual Result<std::optional<JourneyStateRow>> ReadJourneyState(int64_t profile_id) = 0;
  // The profile's touchpoints by occurred_at, then id.
  virtual Result<std::vector<TouchpointRow>> ReadProfileTouchpoints(int64_t profile_id) = 0;
  // The keys of every touchpoint on the profile, by touchpoint, its own key first.
  virtual Result<std::vector<TouchpointKeyRow>> ReadProfileTouchpointKeys(int64_t profile_id) = 0;
  virtual Result<std::vector<JourneyTransitionRow>> ReadJourneyTransitions(int64_t profile_id) = 0;
  // Profiles the identity stage changed (merge, split), for the journey stage to recompute.
  virtual Result<std::vector<int64_t>> ReadJourneyDirty(int limit) = 0;
  // Profiles whose journey time alone may have changed by `now`.
  virtual Result<std::vector<int64_t>> ListJourneyDue(TimePoint now, int limit) = 0;
  virtual Status CommitJourney(const JourneyBatch& batch) = 0;
  // The fingerprint of the journey definition the stored journeys were made under ("" before
  // the first), and a change of it: every stored journey is then marked for recompute, in the
  // same transaction.
  virtual Result<std::string> ReadJourneyFingerprint() = 0;
  virtual Status ChangeJourneyFingerprint(std::string_view fingerprint) = 0;
  // Whether an action with this key was ever planned (a merged-away profile's, say).
  virtual Result<bool> HasJourneyAction(std::string_view key) = 0;
  // Actions, newest first; `status` empty for any.
  virtual Result<std::vector<JourneyActionRow>> ListJourneyActions(std::string_view status,
                                                                   int64_t before_id,
                                                                   int limit) = 0;
  // For the KPIs: every journey state, every transition and every touchpoint (with its profile)
  // in the range.
  virtual Status ScanJourneyStates(const std::function<void(const JourneyStateRow&)>& visit) = 0;
  virtual Status ScanJourneyTransitions(
      const JourneyScanFilter& filter,
      const std::function<void(const JourneyTransitionRow&)>& visit) = 0;
  virtual Status ScanTouchpoints(const JourneyScanFilter& filter,
                                 const std::function<void(const TouchpointRow&)>& visit) = 0;


  // Delivery. Outbox rows after `after_id` meant for `target` (or for every target), in order.
  virtual Result<std::vector<OutboxRow>> ReadOutbox(std::string_view target, int64_t after_id,
                                                    int limit) = 0;
  // What a round over `rows` needs, in one read transaction (touchpoints only when asked).
  // `known`: per live profile id, the records the caller already holds (RecordWatermark).
  virtual Result<DeliveryInputs> ReadDeliveryInputs(
      std::string_view target, const std::vector<OutboxRow>& rows, bool touchpoints,
      const std::map<int64_t, RecordWatermark>& known) = 0;
  virtual Result<int64_t> ReadDeliveryCursor(std::string_view target) = 0;
  // Items (by key) about to be sent in a request whose effect could not be undone if it were
  // sent twice; CommitDelivery clears those it settles. Read back after a crash, they are the
  // items to look up at the CRM before sending them again.
  virtual Status MarkInFlight(std::string_view target, const std::vector<std::string>& keys,
                              TimePoint at) = 0;
  // Key -> when its request went out.
  virtual Result<std::map<std::string, TimePoint>> ReadInFlight(std::string_view target) = 0;
  virtual Status CommitDelivery(const DeliveryCommit& commit) = 0;
  // The CRM record ids the targets wrote back for a profile: (target, crm id).
  virtual Result<std::vector<std::pair<std::string, std::string>>> ReadCrmIds(
      int64_t profile_id) = 0;
  // Forgets outbox rows every target in `targets` has read.
  virtual Result<int64_t> PruneOutbox(const std::vector<std::string>& targets) = 0;
  virtual Result<std::vector<TargetDeliveryStats>> ListDeliveryStats(
      const std::vector<std::string>& targets) = 0;
  virtual Result<std::vector<DeliveryRequestRow>> ListDeliveryRequests(std::string_view target,
                                                                       int64_t before_id,
                                                                       int limit) = 0;
  // Dead letters, newest first.
  virtual Result<std::vector<DeadLetterRow>> ListDeadLetters(const DeadLetterFilter& filter) = 0;
  virtual Result<DeadLetterRow> ReadDeadLetter(int64_t id) = 0;
  // Replay puts the item back in the outbox for its target (it is sent as it is now); discard
  // only marks it. kConflict when the letter is no longer dead; kNotFound when there is none.
  virtual Status DecideDeadLetter(int64_t id, DeadLetterStatus decision, std::string_view by,
                                  TimePoint now) = 0;

  // Data-quality issues, newest first, and their counts by kind and source.
  virtual Result<std::vector<DataQualityIssue>> ListIssues(const IssueFilter& filter) = 0;
  virtual Result<std::vector<IssueCount>> CountIssues(const IssueFilter& filter) = 0;

  // Status page. Intake counters per source and minute since `since` (kept eight days).
  virtual Result<std::vector<SourceActivity>> ReadSourceActivity(TimePoint since) = 0;
  // Issues raised since `since`, counted per kind, source and hour, oldest hour first.
  virtual Result<std::vector<IssueTrendRow>> ReadIssueTrend(TimePoint since) = 0;
  virtual Result<OpenWorkCounts> CountOpenWork() = 0;

  // A stream's last committed state, or nullopt before its first page.
  virtual Result<std::optional<PollState>> ReadPollState(std::string_view source,
                                                         std::string_view stream) = 0;
  virtual Result<std::vector<PollState>> ListPollStates() = 0;
  // Forgets a source's streams (all when `stream` is empty): the next run starts afresh.
  virtual Status ResetPollState(std::string_view source, std::string_view stream) = 0;
  virtual Result<std::optional<ImportedFile>> FindImportedFile(std::string_view source,
                                                               std::string_view sha256) = 0;

  // Sync runs. Start records `run` (status running) and returns its id; Finish writes its end,
  // figures and status by id. Runs, newest first.
  virtual Result<int64_t> StartSyncRun(const SyncRun& run) = 0;
  virtual Status FinishSyncRun(const SyncRun& run) = 0;
  // Marks `source`'s scheduled and manual runs still "running" failed (interrupted) and returns
  // how many: the instance that ran them is gone. Called by the instance that has just taken the
  // source's poll lease, the only moment at which no live instance can be running them; import
  // runs (the CLI, not lease-gated) are left alone.
  virtual Result<int64_t> InterruptSyncRuns(std::string_view source, TimePoint now) = 0;
  virtual Result<std::vector<SyncRun>> ListSyncRuns(const SyncRunFilter& filter) = 0;
  // Each source's newest run, by source.
  virtual Result<std::vector<SyncRun>> ListLatestSyncRuns() = 0;
  // The newest run of `source` that succeeded, or nullopt.
  virtual Result<std::optional<SyncRun>> LastSuccessfulSyncRun(std::string_view source) = 0;
  // Runs per source, trigger and status, in that order (for /metrics).
  virtual Result<std::vector<SyncRunCount>> CountSyncRuns() = 0;
};

using StorePtr = std::unique_ptr<Store>;

// Opens the configured backend, creating the data dir and applying pending migrations.
// Fails (kCorruption) on a schema newer than this binary knows, rather than guess.
Result<StorePtr> OpenStore(const config::Config& config);

}  // namespace journeyd::storage
