#include "engine/config/config_loader.h"

#include "engine/governance/record_rules.h"
#include "engine/journey/journey_definition.h"

#include <cstdlib>
#include <map>

#include "engine/mapping/mapping.h"
#include "engine/poll/poll_settings.h"

namespace journeyd::config {

namespace {

struct TopLevel {
  std::filesystem::path data_dir = "var";
  ServerSettings server;
  LogSettings log;
  StorageSettings storage;
  IngestSettings ingest;
  IdentitySettings identity;
  GovernanceSettings governance;
  JourneySettings journey;

  static const StructSpec<TopLevel>& Spec() {
    static const auto* spec = [] {
      auto* s = new StructSpec<TopLevel>();
      s->Optional("data_dir", &TopLevel::data_dir,
                  "Directory for the embedded store and state (relative to the working "
                  "directory); --data-dir overrides it.")
          .Required("server", &TopLevel::server, "HTTP server.")
          .Optional("log", &TopLevel::log, "Logging.")
          .Optional("storage", &TopLevel::storage, "Where journeyd keeps its state.")
          .Optional("ingest", &TopLevel::ingest, "Durable inbox and backpressure.")
          .Optional("identity", &TopLevel::identity, "Identity resolution rules.")
          .Optional("governance", &TopLevel::governance, "Data governance rules.")
          .Optional("journey", &TopLevel::journey, "Customer journey definition.")
          .Ignore({"sources", "targets"});
      return s;
    }();
    return *spec;
  }
};

struct EntryHeader {
  std::string name;
  std::string type;
  std::filesystem::path mapping;
  static const StructSpec<EntryHeader>& Spec() {
    static const auto* spec = [] {
      auto* s = new StructSpec<EntryHeader>();
      s->Required("name", &EntryHeader::name, "Unique name of this entry.",
                  [](const std::string& value) -> std::optional<std::string> {
                    if (value.empty()) return "must not be empty";
                    for (char c : value) {
                      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                            c == '-')) {
                        return "'" + value + "' may hold only a-z, 0-9, '_' and '-'";
                      }
                    }
                    return std::nullopt;
                  })
          .Required("type", &EntryHeader::type, "Connector type.")
          .Optional("mapping", &EntryHeader::mapping, "Mapping file for this source.");
      return s;
    }();
    return *spec;
  }
};

// Reads name/type/mapping of each entry of `sources:` or `targets:` and hands the rest to the
// factory of that type. `find` returns the factory for a type or null.
template <class Product, class FindFactory, class OnCreated>
void LoadEntries(const std::optional<ConfigNode>& list, std::string_view what,
                 const std::vector<std::string>& known_types, FindFactory find,
                 const ConnectorContext& base_context, Diagnostics& diag, OnCreated on_created) {
  if (!list || list->IsNull()) return;
  if (!list->IsSequence()) {
    diag.Error(list->position(), DiagnosticKind::kWrongType,
               "expected a list of " + std::string(what) + ", found " +
                   std::string(list->KindName()));
    return;
  }
  std::map<std::string, Position> seen;
  for (const ConfigNode& element : list->Elements()) {
    if (!element.IsMap()) {
      diag.Error(element.position(), DiagnosticKind::kWrongType,
                 "expected a map with name and type, found " + std::string(element.KindName()));
      continue;
    }
    EntryHeader header;
    Diagnostics header_diag;  // the factory's own spec reports unknown keys; keep only ours
    EntryHeader::Spec().Parse(element, header, header_diag);
    for (const auto& d : header_diag.entries()) {
      if (d.kind != DiagnosticKind::kUnknownKey) {
        if (d.severity == Severity::kError) diag.Error(d.position, d.kind, d.message, d.hint);
        else diag.Warning(d.position, d.kind, d.message, d.hint);
      }
    }
    if (header.name.empty() || header.type.empty()) continue;

    const Position name_at = element.Find("name")->position();
    if (auto [it, inserted] = seen.emplace(header.name, name_at); !inserted) {
      diag.Error(name_at, DiagnosticKind::kDuplicateName,
                 std::string(what) + " name '" + header.name + "' is already used at line " +
                     std::to_string(it->second.line));
      continue;
    }
    const Factory<Product>* factory = find(header.type);
    if (factory == nullptr) {
      diag.Error(element.Find("type")->position(), DiagnosticKind::kUnknownType,
                 "unknown " + std::string(what) + " type '" + header.type + "'",
                 DidYouMean(header.type, known_types));
      continue;
    }
    if (!header.mapping.empty()) {
      header.mapping = base_context.config_dir / header.mapping;
      std::error_code ec;
      if (!std::filesystem::is_regular_file(header.mapping, ec)) {
        diag.Error(element.Find("mapping")->position(), DiagnosticKind::kInvalidValue,
                   "mapping file '" + header.mapping.string() + "' does not exist");
        header.mapping.clear();
      }
    }
    ConnectorContext context = base_context;
    context.instance_name = header.name;
    auto product = factory->Create(element, context, diag);
    if (product) on_created(std::move(header), std::move(product), element);
  }
}

void AppendTable(std::string& out, const std::vector<FieldDoc>& docs) {
  out += "| key | type | | description |\n|---|---|---|---|\n";
  for (const auto& d : docs) {
    out += "| `" + d.key + "` | " + d.type + " | " + (d.required ? "required" : "optional") +
           " | " + d.doc + " |\n";
  }
  out += "\n";
}

}  // namespace

std::string DescribeConfig(const Registry& registry) {
  std::string out =
      "# Configuration reference\n\n"
      "Generated by `journeyd describe` from the specs that parse the config; "
      "tests keep this file in step with the code. Values may use `${env:NAME}` "
      "(`${env:NAME:-fallback}` when unset) and "
      "`${file:/path}`. Durations take a unit (`500ms`, `30s`, `15m`, `2h`, `1d`); sizes "
      "take `B`, `KiB`, `MiB`, `GiB`, `KB`, `MB` or `GB`.\n\n## Top level\n\n";
  AppendTable(out, TopLevel::Spec().docs());
  const auto section = [&](const char* name, const std::vector<FieldDoc>& docs) {
    out += std::string("## `") + name + "`\n\n";
    AppendTable(out, docs);
  };
  section("server", ServerSettings::Spec().docs());
  section("server.limits", ServerLimits::Spec().docs());
  section("log", LogSettings::Spec().docs());
  section("storage", StorageSettings::Spec().docs());
  section("ingest", IngestSettings::Spec().docs());
  section("identity", IdentitySettings::Spec().docs());
  section("identity.identifiers[]", IdentifierRule::Spec().docs());
  section("governance", GovernanceSettings::Spec().docs());
  section("journey", JourneySettings::Spec().docs());
  section("journey.rules[]", StageRule::Spec().docs());
  section("journey.inactivity", InactivitySettings::Spec().docs());
  section("journey.engagement", EngagementSettings::Spec().docs());
  section("journey.health", HealthSettings::Spec().docs());
  section("journey.health.weights", HealthWeights::Spec().docs());
  section("journey.satisfaction", SatisfactionSettings::Spec().docs());
  section("journey.thresholds[]", ScoreThreshold::Spec().docs());
  section("journey.dedupe[]", DedupeRule::Spec().docs());
  section("journey.actions[]", JourneyAction::Spec().docs());
  section("journey.actions[].create_task", TaskSpec::Spec().docs());
  section("journey.actions[].create_task.owner_rules[]", OwnerRule::Spec().docs());
  out += "## `sources[]` and `targets[]`\n\nEvery entry has these keys, then the keys of its "
         "`type`.\n\n";
  AppendTable(out, EntryHeader::Spec().docs());
  for (const auto& type : registry.source_types()) {
    const auto* factory = registry.FindSource(type);
    out += "### source type `" + type + "`\n\n" + std::string(factory->description()) + "\n\n";
    AppendTable(out, factory->settings_docs());
  }
  out += "## `sources[].poll`\n\nAny source may have a `poll:` section: journeyd then fetches "
         "from the vendor's API on a schedule (docs/polling.md). Its keys are parsed over the "
         "preset named by `preset:` (by default the one named like the source's `type`, if "
         "any). `streams:` lists preset stream names, or maps that override or add streams. "
         "Presets: ";
  {
    bool first = true;
    for (const auto& [name, yaml] : registry.poll_presets()) {
      out += (first ? "`" : ", `") + name + "`";
      first = false;
    }
  }
  out += ".\n\n";
  AppendTable(out, poll::PollSettings::Spec().docs());
  section("sources[].poll.auth", poll::AuthSettings::Spec().docs());
  section("sources[].poll.rate_limit", poll::RateLimitSettings::Spec().docs());
  section("sources[].poll.streams[]", poll::StreamSettings::Spec().docs());
  section("sources[].poll.streams[].request", poll::RequestSettings::Spec().docs());
  section("sources[].poll.streams[].pagination", poll::PaginationSettings::Spec().docs());
  section("sources[].poll.streams[].cursor", poll::CursorSettings::Spec().docs());
  section("targets[].delivery", delivery::DeliverySettings::Spec().docs());
  section("targets[].delivery.disclosure", delivery::DisclosureSettings::Spec().docs());
  for (const auto& type : registry.target_types()) {
    const auto* factory = registry.FindTarget(type);
    out += "### target type `" + type + "`\n\n" + std::string(factory->description()) + "\n\n";
    AppendTable(out, factory->settings_docs());
  }
  return out;
}

std::shared_ptr<const Config> LoadConfig(const std::filesystem::path& file,
                                         const Registry& registry,
                                         const ConfigOverrides& overrides, const Clock& clock,
                                         Diagnostics& diag) {
  const size_t errors_before = diag.error_count();
  auto root = ConfigNode::LoadFile(file, diag);
  if (!root) return nullptr;
  if (!root->IsMap()) {
    diag.Error(root->position(), DiagnosticKind::kWrongType,
               "expected a map of sections (server, storage, sources...), found " +
                   std::string(root->KindName()));
    return nullptr;
  }

  TopLevel top;
  TopLevel::Spec().Parse(*root, top, diag);

  auto config = std::make_shared<Config>();
  config->file = file;
  config->data_dir = overrides.data_dir.value_or(top.data_dir);
  config->server = std::move(top.server);
  if (overrides.listen) config->server.listen = *overrides.listen;
  config->log = top.log;
  config->storage = std::move(top.storage);
  if (auto location = ParseStorageUrl(config->storage.url); location.ok()) {
    config->storage.location = *location;
  }
  config->ingest = top.ingest;
  config->identity = std::move(top.identity);
  config->governance = top.governance;
  // Compiled even when some rules failed their checks (they were reported): a rule that failed
  // CheckRuleSpec is left out, so a broken regex never reaches the compiler.
  {
    std::vector<ValidationRule> valid;
    for (const ValidationRule& rule : config->governance.rules) {
      if (!governance::CheckRuleSpec(rule)) valid.push_back(rule);
    }
    config->record_rules = std::make_shared<const governance::RecordRules>(valid);
  }
  config->journey = std::move(top.journey);

  ConnectorContext context;
  context.clock = &clock;
  context.config_dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();

  LoadEntries<WebhookSource>(
      root->Find("sources"), "source", registry.source_types(),
      [&](std::string_view type) { return registry.FindSource(type); }, context, diag,
      [&](EntryHeader header, WebhookSourcePtr source, const ConfigNode& element) {
        // `poll:` belongs to the core, whatever the source's type.
        std::shared_ptr<const poll::PollSettings> poll_settings;
        if (auto block = element.Find("poll")) {
          poll_settings = poll::LoadPollSettings(*block, header.type, registry.poll_presets(),
                                                 context.config_dir, diag);
        }
        std::shared_ptr<const mapping::Mapping> compiled;
        if (!header.mapping.empty()) {
          mapping::MappingLoadOptions options;
          options.known_event_types = source->EventTypes();
          // Records a poll fetches have types of their own (its streams' event_type), and a
          // vendor's mapping may handle its preset's whether or not this config polls.
          if (!options.known_event_types.empty()) {
            std::vector<std::string> polled;
            if (poll_settings) polled = poll::PollEventTypes(*poll_settings);
            const auto& presets = registry.poll_presets();
            if (auto preset = presets.find(header.type); preset != presets.end()) {
              for (std::string& type : poll::PresetEventTypes(preset->second)) {
                polled.push_back(std::move(type));
              }
            }
            for (std::string& type : polled) options.known_event_types.push_back(std::move(type));
          }
          options.source_type = header.type;
          compiled = mapping::Mapping::LoadFile(header.mapping, options, diag);
        }
        config->sources.push_back({std::move(header.name), std::move(header.type),
                                   std::move(header.mapping), std::move(source),
                                   std::move(compiled), std::move(poll_settings)});
      });
  LoadEntries<Target>(
      root->Find("targets"), "target", registry.target_types(),
      [&](std::string_view type) { return registry.FindTarget(type); }, context, diag,
      [&](EntryHeader header, TargetPtr target, const ConfigNode& element) {
        TargetEntry entry{std::move(header.name), std::move(header.type), std::move(target), {}};
        // Every target's `delivery:` keys belong to the core, whatever the target's type.
        if (auto block = element.Find("delivery")) {
          delivery::DeliverySettings::Spec().Parse(*block, entry.delivery, diag);
        }
        config->targets.push_back(std::move(entry));
      });

  {
    std::vector<std::string> target_names;
    for (const TargetEntry& t : config->targets) target_names.push_back(t.name);
    config->journey_definition =
        journey::JourneyDefinition::Compile(config->journey, target_names, diag);
  }

  if (diag.error_count() != errors_before) return nullptr;
  return config;
}

}  // namespace journeyd::config
