// Config is the whole, validated daemon configuration as typed structs. It is produced only by
// LoadConfig (config_loader.h) and is immutable afterwards: the daemon shares it through a
// shared_ptr<const Config> and a reload swaps in a new one.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/compression.h"
#include "engine/base/secret.h"
#include "engine/config/journey_settings.h"
#include "engine/config/spec.h"
#include "engine/config/value_types.h"
#include "engine/connector/target.h"
#include "engine/delivery/delivery_settings.h"
#include "engine/connector/webhook_source.h"
#include "engine/governance/rule_kinds.h"
#include "engine/identity/comparators.h"
#include "engine/identity/survivorship.h"

namespace journeyd::mapping {
class Mapping;
}
namespace journeyd::governance {
class RecordRules;
}
namespace journeyd::journey {
class JourneyDefinition;
}
namespace journeyd::poll {
struct PollSettings;
}

namespace journeyd::config {

template <>
struct EnumNames<identity::ComparatorKind> {
  static constexpr std::array<std::pair<std::string_view, identity::ComparatorKind>, 6> kValues{
      {{"exact", identity::ComparatorKind::kExact},
       {"name", identity::ComparatorKind::kName},
       {"date", identity::ComparatorKind::kDate},
       {"postcode", identity::ComparatorKind::kPostcode},
       {"address", identity::ComparatorKind::kAddress},
       {"identifier", identity::ComparatorKind::kIdentifier}}};
};
template <>
struct EnumNames<identity::SurvivorshipRule> {
  static constexpr std::array<std::pair<std::string_view, identity::SurvivorshipRule>, 5> kValues{
      {{"source_priority", identity::SurvivorshipRule::kSourcePriority},
       {"most_recent", identity::SurvivorshipRule::kMostRecent},
       {"most_frequent", identity::SurvivorshipRule::kMostFrequent},
       {"first_seen", identity::SurvivorshipRule::kFirstSeen},
       {"longest", identity::SurvivorshipRule::kLongest}}};
};

template <>
struct EnumNames<governance::RuleCheck> {
  static constexpr std::array<std::pair<std::string_view, governance::RuleCheck>, 9> kValues{
      {{"required", governance::RuleCheck::kRequired},
       {"type", governance::RuleCheck::kType},
       {"regex", governance::RuleCheck::kRegex},
       {"enum", governance::RuleCheck::kEnum},
       {"range", governance::RuleCheck::kRange},
       {"max_length", governance::RuleCheck::kMaxLength},
       {"email", governance::RuleCheck::kEmail},
       {"phone", governance::RuleCheck::kPhone},
       {"not_future", governance::RuleCheck::kNotFuture}}};
};
template <>
struct EnumNames<governance::RuleAction> {
  static constexpr std::array<std::pair<std::string_view, governance::RuleAction>, 3> kValues{
      {{"reject", governance::RuleAction::kReject},
       {"drop_field", governance::RuleAction::kDropField},
       {"warn", governance::RuleAction::kWarn}}};
};
template <>
struct EnumNames<governance::ValueType> {
  static constexpr std::array<std::pair<std::string_view, governance::ValueType>, 5> kValues{
      {{"string", governance::ValueType::kString},
       {"number", governance::ValueType::kNumber},
       {"integer", governance::ValueType::kInteger},
       {"boolean", governance::ValueType::kBoolean},
       {"date", governance::ValueType::kDate}}};
};

enum class LogFormat { kAuto, kText, kLogfmt, kJson };
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };

template <>
struct EnumNames<LogFormat> {
  static constexpr std::array<std::pair<std::string_view, LogFormat>, 4> kValues{
      {{"auto", LogFormat::kAuto},
       {"text", LogFormat::kText},
       {"logfmt", LogFormat::kLogfmt},
       {"json", LogFormat::kJson}}};
};
template <>
struct EnumNames<LogLevel> {
  static constexpr std::array<std::pair<std::string_view, LogLevel>, 5> kValues{
      {{"trace", LogLevel::kTrace},
       {"debug", LogLevel::kDebug},
       {"info", LogLevel::kInfo},
       {"warn", LogLevel::kWarn},
       {"error", LogLevel::kError}}};
};

struct ServerLimits {
  ByteSize max_body{1 << 20};
  ByteSize max_header{16 << 10};
  Duration header_timeout{std::chrono::seconds(10)};  // a slow client cannot hold a connection
  Duration idle_timeout{std::chrono::seconds(60)};    // keep-alive connections with no request
  Duration request_timeout{std::chrono::seconds(30)};
  int max_connections = 1024;
  static const StructSpec<ServerLimits>& Spec();
};

struct ServerSettings {
  HostPort listen{"127.0.0.1", 8080};
  int threads = 2;
  Secret admin_token;
  Secret read_token;
  Duration shutdown_timeout{std::chrono::seconds(10)};  // drain deadline on SIGTERM
  ServerLimits limits;
  static const StructSpec<ServerSettings>& Spec();
};

struct LogSettings {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kAuto;  // auto: text on a terminal, journal under systemd, else logfmt
  static const StructSpec<LogSettings>& Spec();
};

enum class StorageBackend { kSqlite, kPostgres };

// storage.url: "sqlite:NAME" (relative to the data dir), "sqlite:///abs/path.db", or
// "postgresql://user@host/db".
struct StorageLocation {
  StorageBackend backend = StorageBackend::kSqlite;
  std::string path_or_dsn = "journeyd.db";
};
Result<StorageLocation> ParseStorageUrl(std::string_view url);

struct StorageSettings {
  std::string url = "sqlite:journeyd.db";
  Duration busy_timeout{std::chrono::seconds(5)};
  // How long a stage, target or polled source stays with an instance that stopped renewing its
  // lease (PostgreSQL with several instances): the failover time after a crash.
  Duration lease_ttl{std::chrono::seconds(15)};
  StorageLocation location;  // derived from url by the loader
  static const StructSpec<StorageSettings>& Spec();
};

struct IngestSettings {
  // Unprocessed inbox events past which intake answers 503 + Retry-After (vendors retry).
  int64_t backlog_high_water = 1'000'000;
  int max_batch = 1024;         // events per group commit
  ByteSize compress_above{kCompressAboveDefault};  // larger raw bodies are stored compressed
  static const StructSpec<IngestSettings>& Spec();
};

struct IdentifierRule {
  std::string type;         // "email", "phone", or a source-scoped id such as "shopify.customer_id"
  int max_per_profile = 0;  // 0: unlimited
  // Two profiles holding different values of a unique type are never merged (implied by
  // max_per_profile: 1).
  bool unique = false;
  // Link through this type only when the fuzzy model's veto fields do not disagree with the
  // profile: a household landline or family email is shared, a first name is not.
  bool verify = false;
  static const StructSpec<IdentifierRule>& Spec();
  friend bool operator==(const IdentifierRule&, const IdentifierRule&) = default;
};

// One field compared by the fuzzy matcher: a trait ("first_name", "custom.national_id").
struct FuzzyField {
  std::string field;
  identity::ComparatorKind compare = identity::ComparatorKind::kExact;
  // P(agreement level | same person), one per level from disagree to exact; empty: the
  // comparator's documented defaults (docs/identity.md).
  std::vector<double> m;
  static const StructSpec<FuzzyField>& Spec();
  friend bool operator==(const FuzzyField&, const FuzzyField&) = default;
};

struct FuzzySettings {
  bool enabled = false;
  // Match probabilities: at or above auto_merge two profiles merge; from review up to it an
  // admin decides; below, nothing happens.
  double auto_merge = 0.99;
  double review = 0.90;
  // P(two records in one block are the same person) before any field is compared.
  double prior = 0.01;
  // Blocking rules: each is a list of key parts, a field or a function of one ("soundex(last_name)",
  // "first(first_name, 2)", "year(birth_date)"); records are compared only when they share a key.
  std::vector<std::vector<std::string>> blocking;
  // Keys shared by more records than this are too common to block on ("smith"); skipped.
  int max_block = 200;
  std::vector<FuzzyField> fields;
  // Fields that must not all disagree outright for an automatic merge: a household shares a
  // surname, an address and a phone, not a first name and a birth date. A vetoed pair can
  // still be reviewed.
  std::vector<std::string> veto;
  static const StructSpec<FuzzySettings>& Spec();
  friend bool operator==(const FuzzySettings&, const FuzzySettings&) = default;
};

struct SurvivorshipField {
  std::string field;  // "first_name", "email", "consent.email_marketing", "custom.tier"
  identity::SurvivorshipRule rule = identity::SurvivorshipRule::kMostRecent;
  std::vector<std::string> sources;  // for source_priority (and every rule's tie-break)
  std::string owner;                 // a source whose value always wins when it has one
  static const StructSpec<SurvivorshipField>& Spec();
  friend bool operator==(const SurvivorshipField&, const SurvivorshipField&) = default;
};

struct SurvivorshipSettings {
  identity::SurvivorshipRule rule = identity::SurvivorshipRule::kMostRecent;  // the default
  std::vector<std::string> sources;
  std::vector<SurvivorshipField> fields;
  static const StructSpec<SurvivorshipSettings>& Spec();
  friend bool operator==(const SurvivorshipSettings&, const SurvivorshipSettings&) = default;
};

struct IdentitySettings {
  // In priority order: earlier types are trusted more when resolving a record.
  std::vector<IdentifierRule> identifiers;
  std::vector<std::string> blocked_values;    // never link anything (compared case-insensitively)
  std::vector<std::string> blocked_patterns;  // ECMAScript regexes, matched against whole values
  FuzzySettings fuzzy;
  SurvivorshipSettings survivorship;
  static const StructSpec<IdentitySettings>& Spec();
  friend bool operator==(const IdentitySettings&, const IdentitySettings&) = default;
};

// One validation rule (engine/governance/record_rules.h says what each check means).
struct ValidationRule {
  std::string name;                  // unique: issues and quarantine filters name it
  std::string field;                 // email, phone, <ns>.<name>, a trait, custom.<name>,
                                     // occurred_at, touchpoint.<field>
  std::vector<std::string> sources;  // empty: every source
  governance::RuleCheck check = governance::RuleCheck::kRequired;
  governance::RuleAction action = governance::RuleAction::kReject;
  governance::ValueType type = governance::ValueType::kString;  // for check: type
  std::string pattern;                                          // for check: regex
  std::vector<std::string> values;                              // for check: enum
  std::optional<double> min, max;                               // for check: range
  int max_length = 0;                                           // for check: max_length
  Duration tolerance{std::chrono::minutes(5)};                  // for check: not_future
  static const StructSpec<ValidationRule>& Spec();
  friend bool operator==(const ValidationRule&, const ValidationRule&) = default;
};

struct PiiSettings {
  // Field -> class ("pii.email", "pii.phone", "pii.address", "pii.name", "sensitive", a class
  // of your own, or "none"), over the defaults in docs/governance.md.
  std::map<std::string, std::string> fields;
  static const StructSpec<PiiSettings>& Spec();
  friend bool operator==(const PiiSettings&, const PiiSettings&) = default;
};

struct ConsentSettings {
  // Marketing touchpoints of a profile without consent for their purpose are not delivered.
  bool enforce = true;
  // Consent changes are delivered to CRM targets as profile updates.
  bool deliver_changes = true;
  // Touchpoint type -> the consent purpose it needs ("email_sent" -> "email_marketing").
  std::map<std::string, std::string> purposes{{"email_sent", "email_marketing"},
                                              {"email_opened", "email_marketing"},
                                              {"email_clicked", "email_marketing"},
                                              {"sms_sent", "sms_marketing"}};
  static const StructSpec<ConsentSettings>& Spec();
  friend bool operator==(const ConsentSettings&, const ConsentSettings&) = default;
};

struct GovernanceSettings {
  // How long raw payloads stay in the inbox after they were processed.
  Duration raw_retention{std::chrono::hours(24 * 30)};
  std::vector<ValidationRule> rules;
  PiiSettings pii;
  ConsentSettings consent;
  static const StructSpec<GovernanceSettings>& Spec();
};

struct SourceEntry {
  std::string name;
  std::string type;
  std::filesystem::path mapping_file;  // resolved against the config file's directory; may be empty
  WebhookSourcePtr webhook;
  // Compiled from mapping_file; null when the source has none (its events stay unmapped, and
  // each one is a data-quality issue).
  std::shared_ptr<const mapping::Mapping> mapping;
  // The entry's `poll:` section, read by the core: null when the source is never polled.
  std::shared_ptr<const poll::PollSettings> poll;
};

struct TargetEntry {
  std::string name;
  std::string type;
  TargetPtr target;
  delivery::DeliverySettings delivery;  // the entry's `delivery:` keys, read by the core
};

struct Config {
  std::filesystem::path file;      // the file it was loaded from
  std::filesystem::path data_dir;  // where the embedded store and state live
  ServerSettings server;
  LogSettings log;
  StorageSettings storage;
  IngestSettings ingest;
  IdentitySettings identity;
  GovernanceSettings governance;
  JourneySettings journey;
  std::vector<SourceEntry> sources;
  std::vector<TargetEntry> targets;
  // governance.rules, compiled by the loader (never null).
  std::shared_ptr<const governance::RecordRules> record_rules;
  // The journey section, compiled by the loader (never null in a loaded config).
  std::shared_ptr<const journey::JourneyDefinition> journey_definition;

  const SourceEntry* FindSource(std::string_view name) const;
  const TargetEntry* FindTarget(std::string_view name) const;
  // The SQLite file for the sqlite backend (absolute, or relative to data_dir).
  std::filesystem::path SqlitePath() const;
};

}  // namespace journeyd::config
