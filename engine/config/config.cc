#include "engine/config/config.h"

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
                [](const std::string& url) -> std::optional<std::string> {
                  auto parsed = ParseStorageUrl(url);
                  if (!parsed.ok()) return parsed.error().message;
                  return std::nullopt;
                })
        .Optional("busy_timeout", &StorageSettings::busy_timeout,
                  "How long a write waits for a lock before failing.", Positive());
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

const StructSpec<IdentifierRule>& IdentifierRule::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<IdentifierRule>();
    s->Required("type", &IdentifierRule::type,
                "email, phone, or a source-scoped id such as shopify.customer_id.")
        .Optional("max_per_profile", &IdentifierRule::max_per_profile,
                  "At most this many values per profile; 0 for no limit.", AtLeast(0));
    return s;
  }();
  return *spec;
}

const StructSpec<IdentitySettings>& IdentitySettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<IdentitySettings>();
    s->Optional("identifiers", &IdentitySettings::identifiers,
                "Identifier types in priority order.")
        .Optional("blocked_values", &IdentitySettings::blocked_values,
                  "Values that never link two records (test@test.com, n/a...).");
    return s;
  }();
  return *spec;
}

const StructSpec<GovernanceSettings>& GovernanceSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<GovernanceSettings>();
    s->Optional("raw_retention", &GovernanceSettings::raw_retention,
                "How long raw payloads are kept after processing.", Positive());
    return s;
  }();
  return *spec;
}

const StructSpec<JourneySettings>& JourneySettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<JourneySettings>();
    s->Optional("stages", &JourneySettings::stages, "Journey stages, in order.",
                [](const std::vector<std::string>& stages) -> std::optional<std::string> {
                  if (stages.empty()) return "needs at least one stage";
                  for (size_t i = 0; i < stages.size(); ++i) {
                    if (stages[i].empty()) return "stage names must not be empty";
                    for (size_t j = 0; j < i; ++j) {
                      if (stages[i] == stages[j]) return "stage '" + stages[i] + "' is listed twice";
                    }
                  }
                  return std::nullopt;
                });
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
