#include "engine/config/config.h"

#include "engine/governance/pii_classifier.h"
#include "engine/governance/record_rules.h"

#include <boost/regex.hpp>

#include "engine/identity/blocking_key.h"
#include "engine/record/canonical_record.h"

namespace journeyd::config {

namespace {

template <class N>
Check<N> AtLeast(N min) {
  return [min](const N& v) -> std::optional<std::string> {
    if (v < min) return "must be at least " + std::to_string(min);
    return std::nullopt;
  };
}

Check<Duration> Positive() {
  return [](const Duration& d) -> std::optional<std::string> {
    if (d.count() <= 0) return "must be longer than 0ms";
    return std::nullopt;
  };
}

}  // namespace

const StructSpec<ServerLimits>& ServerLimits::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<ServerLimits>();
    s->Optional("max_body", &ServerLimits::max_body,
                "Largest request body accepted; larger ones get 413.",
                [](const ByteSize& b) -> std::optional<std::string> {
                  if (b.bytes < 1024) return "must be at least 1KiB";
                  return std::nullopt;
                })
        .Optional("max_header", &ServerLimits::max_header,
                  "Largest request header block accepted; larger ones get 431.")
        .Optional("header_timeout", &ServerLimits::header_timeout,
                  "Time a client has to send the request headers.", Positive())
        .Optional("idle_timeout", &ServerLimits::idle_timeout,
                  "How long a keep-alive connection may sit idle.", Positive())
        .Optional("request_timeout", &ServerLimits::request_timeout,
                  "Time a client has to send a whole request body.", Positive())
        .Optional("max_connections", &ServerLimits::max_connections,
                  "Concurrent connections; further ones are refused.", AtLeast(1));
    return s;
  }();
  return *spec;
}

const StructSpec<ServerSettings>& ServerSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<ServerSettings>();
    s->Optional("listen", &ServerSettings::listen, "HOST:PORT the HTTP server binds.")
        .Optional("threads", &ServerSettings::threads, "I/O threads serving HTTP.",
                  [](const int& n) -> std::optional<std::string> {
                    if (n < 1 || n > 256) return "must be between 1 and 256";
                    return std::nullopt;
                  })
        .Required("admin_token", &ServerSettings::admin_token,
                  "Bearer token for admin actions, e.g. ${env:JOURNEYD_ADMIN_TOKEN}.")
        .Required("read_token", &ServerSettings::read_token,
                  "Bearer token for read-only access, e.g. ${env:JOURNEYD_READ_TOKEN}.")
        .Optional("shutdown_timeout", &ServerSettings::shutdown_timeout,
                  "On SIGTERM, how long in-flight work may take before exit.", Positive())
        .Optional("limits", &ServerSettings::limits, "Request and connection limits.");
    return s;
  }();
  return *spec;
}

const StructSpec<LogSettings>& LogSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<LogSettings>();
    s->Optional("level", &LogSettings::level, "trace, debug, info, warn or error.")
        .Optional("format", &LogSettings::format,
                  "auto (text on a terminal, the journal under systemd, logfmt otherwise), "
                  "text, logfmt or json.");
    return s;
  }();
  return *spec;
}

Result<StorageLocation> ParseStorageUrl(std::string_view url) {
  if (url.starts_with("sqlite://")) {
    std::string_view path = url.substr(9);
    if (!path.starts_with('/')) {
      return InvalidArgument("'" + std::string(url) +
                             "': sqlite:// needs an absolute path (sqlite:///var/lib/x.db); "
                             "use sqlite:NAME for a file in the data dir");
    }
    return StorageLocation{StorageBackend::kSqlite, std::string(path)};
  }
  if (url.starts_with("sqlite:")) {
    std::string_view name = url.substr(7);
    if (name.empty()) return InvalidArgument("'" + std::string(url) + "' names no file");
    return StorageLocation{StorageBackend::kSqlite, std::string(name)};
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return StorageLocation{StorageBackend::kPostgres, std::string(url)};
  }
  return InvalidArgument("unsupported storage url '" + std::string(url) +
                         "' (expected sqlite:NAME, sqlite:///path or postgresql://...)");
}

const StructSpec<StorageSettings>& StorageSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<StorageSettings>();
    s->Optional("url", &StorageSettings::url,
                "sqlite:NAME (in the data dir), sqlite:///abs/path.db or postgresql://...",
                [](const std::string& value) -> std::optional<std::string> {
                  auto parsed = ParseStorageUrl(value);
                  if (!parsed.ok()) return parsed.error().message;
                  return std::nullopt;
                })
        .Optional("busy_timeout", &StorageSettings::busy_timeout,
                  "How long a write waits for a lock before failing.", Positive())
        .Optional("lease_ttl", &StorageSettings::lease_ttl,
                  "Several instances on PostgreSQL: how long a stage stays with an instance that "
                  "stopped renewing its lease, i.e. the failover time after a crash. Shorter "
                  "fails over sooner but renews more often (every third of it).",
                  Positive());
    return s;
  }();
  return *spec;
}

const StructSpec<IngestSettings>& IngestSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<IngestSettings>();
    s->Optional("backlog_high_water", &IngestSettings::backlog_high_water,
                "Unprocessed events past which intake answers 503 with Retry-After.",
                AtLeast<int64_t>(1))
        .Optional("max_batch", &IngestSettings::max_batch,
                  "Most events written in one group commit.", AtLeast(1))
        .Optional("compress_above", &IngestSettings::compress_above,
                  "Raw bodies larger than this are stored zstd-compressed.");
    return s;
  }();
  return *spec;
}

namespace {

// "email", "phone", or "<namespace>.<name>" in lower case, as mappings write them.
std::optional<std::string> CheckIdentifierType(const std::string& type) {
  if (type == "email" || type == "phone") return std::nullopt;
  const size_t dot = type.find('.');
  bool ok = dot != std::string::npos && dot > 0 && dot + 1 < type.size() &&
            type.find('.', dot + 1) == std::string::npos;
  for (char c : type) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.');
  }
  if (ok) return std::nullopt;
  return "'" + type + "' must be email, phone or <namespace>.<name> in lower case "
         "(e.g. shopify.customer_id)";
}

// A trait a record can carry: a known name, or custom.<name>.
std::optional<std::string> CheckTraitField(const std::string& field) {
  if (IsKnownTraitName(field) || field == "email" || field == "phone") return std::nullopt;
  if (field.rfind("custom.", 0) == 0 && field.size() > 7) return std::nullopt;
  if (field.rfind("consent.", 0) == 0 && field.size() > 8) return std::nullopt;
  std::string known;
  for (std::string_view name : KnownTraitNames()) known += (known.empty() ? "" : ", ") + std::string(name);
  return "'" + field + "' is not a trait: use one of " + known + ", email, phone, or custom.<name>";
}

std::optional<std::string> CheckProbability(const double& p) {
  if (!(p > 0 && p < 1)) return "must be a probability between 0 and 1 (exclusive)";
  return std::nullopt;
}

}  // namespace

const StructSpec<IdentifierRule>& IdentifierRule::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<IdentifierRule>();
    s->Required("type", &IdentifierRule::type,
                "email, phone, or a source-scoped id such as shopify.customer_id.",
                CheckIdentifierType)
        .Optional("max_per_profile", &IdentifierRule::max_per_profile,
                  "At most this many values per profile; 0 for no limit. A record that would "
                  "exceed it does not merge: it becomes a data-quality issue.",
                  AtLeast(0))
        .Optional("unique", &IdentifierRule::unique,
                  "Profiles holding different values of this type never merge (max_per_profile: 1 "
                  "implies it).")
        .Optional("verify", &IdentifierRule::verify,
                  "Link through this type only when no fuzzy veto field (identity.fuzzy.veto) "
                  "disagrees with the profile: for shared household phones and family emails.");
    return s;
  }();
  return *spec;
}

const StructSpec<FuzzyField>& FuzzyField::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<FuzzyField>();
    s->Required("field", &FuzzyField::field,
                "The trait compared: first_name, last_name, birth_date, postal_code, "
                "address_line1, city, custom.<name>...",
                CheckTraitField)
        .Required("compare", &FuzzyField::compare,
                  "The comparator: exact, name, date, postcode, address or identifier.")
        .Optional("m", &FuzzyField::m,
                  "P(agreement level | same person) per level, disagree first; default: the "
                  "comparator's (docs/identity.md).",
                  [](const std::vector<double>& levels) -> std::optional<std::string> {
                    for (double p : levels) {
                      if (!(p > 0 && p < 1)) return "every m must be between 0 and 1 (exclusive)";
                    }
                    return std::nullopt;
                  });
    return s;
  }();
  return *spec;
}

const StructSpec<FuzzySettings>& FuzzySettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<FuzzySettings>();
    s->Optional("enabled", &FuzzySettings::enabled, "Turns fuzzy matching on.")
        .Optional("auto_merge", &FuzzySettings::auto_merge,
                  "Match probability at or above which two profiles merge.", CheckProbability)
        .Optional("review", &FuzzySettings::review,
                  "Match probability from which a pair becomes a possible-duplicate review.",
                  CheckProbability)
        .Optional("prior", &FuzzySettings::prior,
                  "P(same person) of two records sharing a blocking key, before comparing.",
                  CheckProbability)
        .Optional("blocking", &FuzzySettings::blocking,
                  "Blocking rules: lists of fields or soundex(f), first(f, n), year(f), digits(f).",
                  [](const std::vector<std::vector<std::string>>& rules)
                      -> std::optional<std::string> {
                    for (const auto& rule : rules) {
                      if (rule.empty()) return "a blocking rule needs at least one part";
                      for (const std::string& part : rule) {
                        auto parsed = identity::ParseBlockingPart(part);
                        if (!parsed.ok()) return parsed.error().message;
                        if (auto bad = CheckTraitField(parsed->field)) return bad;
                      }
                    }
                    return std::nullopt;
                  })
        .Optional("max_block", &FuzzySettings::max_block,
                  "Keys shared by more records than this are skipped as too common.", AtLeast(2))
        .Optional("fields", &FuzzySettings::fields, "The fields compared, each with a comparator.")
        .Optional("veto", &FuzzySettings::veto,
                  "Compared fields that, when all of them disagree outright (both sides present, "
                  "level 0), stop an automatic merge; the pair may still go to review. E.g. "
                  "[first_name, birth_date] keeps housemates apart.");
    return s;
  }();
  return *spec;
}

const StructSpec<SurvivorshipField>& SurvivorshipField::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<SurvivorshipField>();
    s->Required("field", &SurvivorshipField::field, "The golden-record field.", CheckTraitField)
        .Optional("rule", &SurvivorshipField::rule,
                  "source_priority, most_recent, most_frequent, first_seen or longest.")
        .Optional("sources", &SurvivorshipField::sources,
                  "Source names, most trusted first (source_priority, and every tie-break).")
        .Optional("owner", &SurvivorshipField::owner,
                  "A source that owns the field: its latest value always wins.");
    return s;
  }();
  return *spec;
}

const StructSpec<SurvivorshipSettings>& SurvivorshipSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<SurvivorshipSettings>();
    s->Optional("rule", &SurvivorshipSettings::rule, "The rule for fields not listed.")
        .Optional("sources", &SurvivorshipSettings::sources,
                  "Source names, most trusted first, for fields not listed.")
        .Optional("fields", &SurvivorshipSettings::fields, "Per-field rules.");
    return s;
  }();
  return *spec;
}

const StructSpec<IdentitySettings>& IdentitySettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<IdentitySettings>();
    s->Optional("identifiers", &IdentitySettings::identifiers,
                "Identifier types in priority order.",
                [](const std::vector<IdentifierRule>& rules) -> std::optional<std::string> {
                  for (size_t i = 0; i < rules.size(); ++i) {
                    for (size_t j = 0; j < i; ++j) {
                      if (rules[i].type == rules[j].type) {
                        return "identifier type '" + rules[i].type + "' is listed twice";
                      }
                    }
                  }
                  return std::nullopt;
                })
        .Optional("blocked_values", &IdentitySettings::blocked_values,
                  "Values that never link two records (test@test.com, n/a...).")
        .Optional("blocked_patterns", &IdentitySettings::blocked_patterns,
                  "Regexes (ECMAScript) for values that never link: ^noreply@, ^0+$...",
                  [](const std::vector<std::string>& patterns) -> std::optional<std::string> {
                    for (const std::string& p : patterns) {
                      try {
                        boost::regex re(p, boost::regex::ECMAScript);
                      } catch (const boost::regex_error& e) {
                        return "'" + p + "' is not a valid regex: " + e.what();
                      }
                    }
                    return std::nullopt;
                  })
        .Optional("fuzzy", &IdentitySettings::fuzzy, "Fuzzy matching (off by default).",
                  [](const FuzzySettings& f) -> std::optional<std::string> {
                    if (f.review > f.auto_merge) return "review must not be above auto_merge";
                    if (!f.enabled) return std::nullopt;
                    if (f.fields.empty()) return "fuzzy matching needs at least one field";
                    if (f.blocking.empty()) return "fuzzy matching needs at least one blocking rule";
                    for (const std::string& vetoed : f.veto) {
                      bool compared = false;
                      for (const FuzzyField& field : f.fields) compared |= field.field == vetoed;
                      if (!compared) {
                        return "veto names '" + vetoed + "', which is not one of the fields";
                      }
                    }
                    for (const FuzzyField& field : f.fields) {
                      const int levels = identity::LevelCount(field.compare);
                      if (!field.m.empty() && static_cast<int>(field.m.size()) != levels) {
                        return "field '" + field.field + "': m needs " + std::to_string(levels) +
                               " probabilities for the " +
                               std::string(identity::ComparatorKindName(field.compare)) +
                               " comparator, one per level from disagree to exact";
                      }
                    }
                    return std::nullopt;
                  })
        .Optional("survivorship", &IdentitySettings::survivorship,
                  "How the golden record picks each field's value.");
    return s;
  }();
  return *spec;
}

const StructSpec<ValidationRule>& ValidationRule::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<ValidationRule>();
    s->Required("name", &ValidationRule::name,
                "A unique name: data-quality issues and the quarantine filter use it.",
                [](const std::string& value) -> std::optional<std::string> {
                  if (value.empty()) return "must not be empty";
                  return std::nullopt;
                })
        .Required("field", &ValidationRule::field,
                  "email, phone, an identity type (<namespace>.<name>), a trait, custom.<name>, "
                  "occurred_at or touchpoint.<type|channel|value|currency|reference|"
                  "occurred_at>.",
                  governance::CheckRuleField)
        .Optional("sources", &ValidationRule::sources, "Sources it applies to; default all.")
        .Required("check", &ValidationRule::check,
                  "required, type, regex, enum, range, max_length, email, phone or not_future.")
        .Optional("action", &ValidationRule::action,
                  "reject (quarantine the record), drop_field (remove the value) or warn.")
        .Optional("type", &ValidationRule::type,
                  "For check: type: string, number, integer, boolean or date.")
        .Optional("pattern", &ValidationRule::pattern,
                  "For check: regex: an ECMAScript regex the whole value must match.")
        .Optional("values", &ValidationRule::values, "For check: enum: the allowed values.")
        .Optional("min", &ValidationRule::min, "For check: range: the least allowed number.")
        .Optional("max", &ValidationRule::max, "For check: range: the greatest allowed number.")
        .Optional("max_length", &ValidationRule::max_length,
                  "For check: max_length: the most characters (code points) allowed.")
        .Optional("tolerance", &ValidationRule::tolerance,
                  "For check: not_future: how far ahead of this machine's clock a time may be.")
        .Validate(governance::CheckRuleSpec);
    return s;
  }();
  return *spec;
}

const StructSpec<PiiSettings>& PiiSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<PiiSettings>();
    s->Optional("fields", &PiiSettings::fields,
                "Field -> class (pii.email, pii.phone, pii.address, pii.name, sensitive, your "
                "own, or none), over the defaults (docs/governance.md).",
                [](const std::map<std::string, std::string>& classes)
                    -> std::optional<std::string> {
                  for (const auto& [field, cls] : classes) {
                    if (auto bad = governance::CheckRuleField(field)) return bad;
                    if (!governance::PiiClassifier::IsValidClassName(cls)) {
                      return "'" + cls + "' is not a class name (lower-case letters, digits, "
                             "'.', '_'; or none)";
                    }
                  }
                  return std::nullopt;
                });
    return s;
  }();
  return *spec;
}

const StructSpec<ConsentSettings>& ConsentSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<ConsentSettings>();
    s->Optional("enforce", &ConsentSettings::enforce,
                "Marketing touchpoints of a profile without consent for their purpose are not "
                "delivered.")
        .Optional("deliver_changes", &ConsentSettings::deliver_changes,
                  "Consent changes are delivered to CRM targets.")
        .Optional("purposes", &ConsentSettings::purposes,
                  "Touchpoint type -> the consent purpose it needs (email_marketing, "
                  "sms_marketing, tracking...).");
    return s;
  }();
  return *spec;
}

const StructSpec<GovernanceSettings>& GovernanceSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<GovernanceSettings>();
    s->Optional("raw_retention", &GovernanceSettings::raw_retention,
                "How long raw payloads are kept after processing.", Positive())
        .Optional("rules", &GovernanceSettings::rules,
                  "Validation rules on canonical fields (docs/governance.md).",
                  [](const std::vector<ValidationRule>& list) -> std::optional<std::string> {
                    for (size_t i = 0; i < list.size(); ++i) {
                      for (size_t j = 0; j < i; ++j) {
                        if (list[i].name == list[j].name) {
                          return "rule name '" + list[i].name + "' is used twice";
                        }
                      }
                    }
                    return std::nullopt;
                  })
        .Optional("pii", &GovernanceSettings::pii, "Classification of personal fields.")
        .Optional("consent", &GovernanceSettings::consent, "Consent enforcement.");
    return s;
  }();
  return *spec;
}

const SourceEntry* Config::FindSource(std::string_view name) const {
  for (const auto& s : sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const TargetEntry* Config::FindTarget(std::string_view name) const {
  for (const auto& t : targets) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::filesystem::path Config::SqlitePath() const {
  std::filesystem::path path(storage.location.path_or_dsn);
  return path.is_absolute() ? path : data_dir / path;
}

}  // namespace journeyd::config
