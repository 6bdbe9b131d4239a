#include "engine/mapping/mapping.h"

#include <boost/json.hpp>
#include <set>

#include "engine/mapping/expression_parser.h"
#include "engine/mapping/normalize.h"
#include "engine/mapping/payload.h"

namespace journeyd::mapping {
namespace json = boost::json;
using config::ConfigNode;
using config::DiagnosticKind;
using config::Diagnostics;

// --- the compiled plan ---------------------------------------------------------------------

namespace {

enum class IdentityKind { kEmail, kPhone, kScoped };

struct IdentityRule {
  std::string type;
  IdentityKind kind = IdentityKind::kScoped;
  ExprPtr value;
  ExprPtr when;  // may be null
};

struct TraitRule {
  std::string name;  // a known trait name
  ExprPtr value;
};

struct CustomTraitRule {
  std::string name;  // below custom.
  ExprPtr value;
};

struct ConsentRule {
  std::string purpose;
  ExprPtr granted;
  ExprPtr at;  // may be null
};

struct TouchpointRule {
  std::string type;     // a fixed name, or
  ExprPtr type_expr;    // a computed one (e.g. a lookup of the vendor's event name)
  ExprPtr each, when;
  ExprPtr channel, occurred_at, value, currency, reference;
  ExprPtr campaign_source, campaign_medium, campaign_name, campaign_term, campaign_content;
  std::vector<std::pair<std::string, ExprPtr>> attributes;
};

struct RequiredField {
  std::string path;
  ExprPtr value;
};

struct EventBlock {
  std::vector<std::string> on;  // globs
  ExprPtr when;
  std::vector<RequiredField> required;
  ExprPtr occurred_at;
  std::vector<IdentityRule> identities;
  std::vector<TraitRule> traits;
  std::vector<CustomTraitRule> custom_traits;
  std::vector<ConsentRule> consents;
  std::vector<TouchpointRule> touchpoints;
};

}  // namespace

struct Mapping::Plan {
  std::string file;
  std::string source_type;
  std::string phone_region;
  LookupTables tables;  // stable: expressions point into it
  std::vector<std::string> ignore;
  std::vector<EventBlock> blocks;
};

Mapping::Mapping(std::unique_ptr<Plan> plan) : plan_(std::move(plan)) {}
Mapping::~Mapping() = default;
const std::string& Mapping::source_type() const { return plan_->source_type; }
const std::string& Mapping::file() const { return plan_->file; }

bool GlobMatch(std::string_view glob, std::string_view text) {
  // Iterative wildcard match with single backtrack point: linear in practice.
  size_t g = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (g < glob.size() && glob[g] == '*') {
      star = g++;
      mark = t;
    } else if (g < glob.size() && glob[g] == text[t]) {
      ++g;
      ++t;
    } else if (star != std::string_view::npos) {
      g = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

// --- loading -------------------------------------------------------------------------------

namespace {

bool IsName(std::string_view s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool IsScopedIdentityType(std::string_view s) {
  const size_t dot = s.find('.');
  return dot != std::string_view::npos && IsName(s.substr(0, dot)) && IsName(s.substr(dot + 1));
}

class Loader {
 public:
  Loader(const MappingLoadOptions& options, Diagnostics& diag, Mapping::Plan& plan)
      : options_(options), diag_(diag), plan_(plan) {}

  void LoadRoot(const ConfigNode& root) {
    if (!root.IsMap()) {
      diag_.Error(root.position(), DiagnosticKind::kWrongType,
                  "a mapping file is a map with `mapping:` and `events:`, found " +
                      std::string(root.KindName()));
      return;
    }
    // Tables first: expressions anywhere may refer to them.
    if (auto tables = root.Find("tables")) LoadTables(*tables);
    bool has_mapping = false, has_events = false;
    for (const auto& entry : root.Entries(diag_)) {
      const ConfigNode& v = entry.value;
      if (entry.key == "mapping") {
        has_mapping = true;
        if (auto name = Text(v)) {
          plan_.source_type = *name;
          if (!options_.source_type.empty() && *name != options_.source_type) {
            diag_.Error(v.position(), DiagnosticKind::kBadMapping,
                        "this file maps source type '" + *name + "', but the source using it is '" +
                            options_.source_type + "'");
          }
        }
      } else if (entry.key == "phone_region") {
        if (auto region = Text(v)) {
          if (!IsValidRegion(*region)) {
            diag_.Error(v.position(), DiagnosticKind::kInvalidValue,
                        "'" + *region + "' is not a region code (ISO 3166 alpha-2, e.g. US, GB)");
          }
          plan_.phone_region = *region;
        }
      } else if (entry.key == "tables") {
        // loaded above
      } else if (entry.key == "ignore") {
        for (const auto& [text, position] : Names(v)) {
          CheckEventSelector(text, position);
          plan_.ignore.push_back(text);
        }
      } else if (entry.key == "events") {
        has_events = true;
        if (!v.IsSequence()) {
          WrongType(v, "a list of event blocks");
          continue;
        }
        for (const ConfigNode& block : v.Elements()) LoadBlock(block);
      } else {
        Unknown(entry, {"mapping", "phone_region", "tables", "ignore", "events"});
      }
    }
    if (!has_mapping) {
      diag_.Error(root.position(), DiagnosticKind::kMissingKey,
                  "missing `mapping:` (the source type this file maps)");
    }
    if (!has_events) {
      diag_.Error(root.position(), DiagnosticKind::kMissingKey, "missing `events:`");
    }
  }

 private:
  void WrongType(const ConfigNode& v, std::string_view expected) {
    diag_.Error(v.position(), DiagnosticKind::kWrongType,
                "expected " + std::string(expected) + ", found " + std::string(v.KindName()));
  }

  void Unknown(const ConfigNode::Entry& entry, const std::vector<std::string>& keys) {
    diag_.Error(entry.key_position, DiagnosticKind::kUnknownKey,
                "unknown key '" + entry.key + "'", config::DidYouMean(entry.key, keys));
  }

  std::optional<std::string> Text(const ConfigNode& v) {
    if (!v.IsScalar()) {
      WrongType(v, "a text");
      return std::nullopt;
    }
    return v.Scalar();
  }

  // A name or a list of names, each with its position.
  std::vector<std::pair<std::string, config::Position>> Names(const ConfigNode& v) {
    std::vector<std::pair<std::string, config::Position>> out;
    if (v.IsScalar()) {
      out.emplace_back(v.Scalar(), v.position());
    } else if (v.IsSequence()) {
      for (const ConfigNode& e : v.Elements()) {
        if (auto text = Text(e)) out.emplace_back(*text, e.position());
      }
    } else {
      WrongType(v, "a name or a list of names");
    }
    return out;
  }

  void CheckEventSelector(const std::string& selector, const config::Position& at) {
    const auto& known = options_.known_event_types;
    if (known.empty()) return;
    for (const std::string& type : known) {
      // Either side may be a glob: `order.*` against a list of names, or `customers/update`
      // against a source that declares `customers/*`.
      if (GlobMatch(selector, type) || GlobMatch(type, selector)) return;
    }
    diag_.Error(at, DiagnosticKind::kBadMapping,
                "'" + selector + "' matches no event type that source type '" +
                    plan_.source_type + "' sends",
                config::DidYouMean(selector, known));
  }

  void LoadTables(const ConfigNode& v) {
    if (!v.IsMap()) return WrongType(v, "a map of tables");
    for (const auto& table : v.Entries(diag_)) {
      if (!table.value.IsMap()) {
        WrongType(table.value, "a map of text to text");
        continue;
      }
      LookupTable& t = plan_.tables[table.key];
      for (const auto& row : table.value.Entries(diag_)) {
        if (auto text = Text(row.value)) t.emplace(row.key, *text);
      }
    }
  }

  // Compiles a value: a quoted scalar is a literal, a plain one an expression, and
  // {expr: '...'} an expression that YAML would not let be plain.
  ExprPtr Compile(const ConfigNode& v, bool in_each = false) {
    if (v.IsMap()) {
      auto expr = v.Find("expr");
      if (!expr || !expr->IsScalar()) {
        WrongType(v, "an expression, a quoted text, or {expr: '...'}");
        return nullptr;
      }
      return CompileText(expr->Scalar(), expr->position(), /*quoted_offset=*/1, in_each);
    }
    if (!v.IsScalar()) {
      WrongType(v, "an expression or a quoted text");
      return nullptr;
    }
    if (v.IsQuoted()) return MakeLiteral(json::string(v.Scalar()));
    return CompileText(v.Scalar(), v.position(), 0, in_each);
  }

  ExprPtr CompileText(const std::string& text, config::Position at, int quoted_offset,
                      bool in_each) {
    CompileEnv env;
    env.tables = &plan_.tables;
    env.in_each = in_each;
    ParseResult parsed = ParseExpression(text, env);
    if (parsed.error) {
      at.column += parsed.error->offset + quoted_offset;
      diag_.Error(at, DiagnosticKind::kBadMapping, parsed.error->message, parsed.error->hint);
      return nullptr;
    }
    return std::move(parsed.expression);
  }

  void LoadBlock(const ConfigNode& v) {
    if (!v.IsMap()) return WrongType(v, "an event block (a map with `on:`)");
    EventBlock block;
    bool has_on = false;
    for (const auto& entry : v.Entries(diag_)) {
      const ConfigNode& value = entry.value;
      if (entry.key == "on") {
        has_on = true;
        for (const auto& [text, position] : Names(value)) {
          CheckEventSelector(text, position);
          block.on.push_back(text);
        }
      } else if (entry.key == "when") {
        block.when = Compile(value);
      } else if (entry.key == "required") {
        for (const auto& [text, position] : Names(value)) {
          auto path = CompileText(text, position, 0, false);
          if (path) block.required.push_back({text, std::move(path)});
        }
      } else if (entry.key == "occurred_at") {
        block.occurred_at = Compile(value);
      } else if (entry.key == "identities") {
        LoadIdentities(value, block);
      } else if (entry.key == "traits") {
        LoadTraits(value, block);
      } else if (entry.key == "touchpoints") {
        if (!value.IsSequence()) {
          WrongType(value, "a list of touchpoints");
          continue;
        }
        for (const ConfigNode& t : value.Elements()) LoadTouchpoint(t, block);
      } else {
        Unknown(entry, {"on", "when", "required", "occurred_at", "identities", "traits",
                        "touchpoints"});
      }
    }
    if (!has_on) {
      diag_.Error(v.position(), DiagnosticKind::kMissingKey,
                  "missing `on:` (the event types this block maps)");
    }
    plan_.blocks.push_back(std::move(block));
  }

  void LoadIdentities(const ConfigNode& v, EventBlock& block) {
    if (!v.IsMap()) return WrongType(v, "a map of identity type to expression");
    for (const auto& entry : v.Entries(diag_)) {
      IdentityKind kind = IdentityKind::kScoped;
      if (entry.key == "email") {
        kind = IdentityKind::kEmail;
      } else if (entry.key == "phone") {
        kind = IdentityKind::kPhone;
      } else if (!IsScopedIdentityType(entry.key)) {
        diag_.Error(entry.key_position, DiagnosticKind::kBadMapping,
                    "identity type '" + entry.key +
                        "' must be email, phone or <namespace>.<name> in lower case "
                        "(e.g. shopify.customer_id)",
                    config::DidYouMean(entry.key, {"email", "phone"}));
        continue;
      }
      const auto add = [&](const ConfigNode& value) {
        IdentityRule rule;
        rule.type = entry.key;
        rule.kind = kind;
        if (value.IsMap() && !value.Find("expr")) {
          for (const auto& part : value.Entries(diag_)) {
            if (part.key == "value") {
              rule.value = Compile(part.value);
            } else if (part.key == "when") {
              rule.when = Compile(part.value);
            } else {
              Unknown(part, {"value", "when"});
            }
          }
          if (!value.Find("value")) {
            diag_.Error(value.position(), DiagnosticKind::kMissingKey, "missing `value:`");
          }
        } else {
          rule.value = Compile(value);
        }
        if (rule.value) block.identities.push_back(std::move(rule));
      };
      if (entry.value.IsSequence()) {
        for (const ConfigNode& e : entry.value.Elements()) add(e);
      } else {
        add(entry.value);
      }
    }
  }

  void LoadTraits(const ConfigNode& v, EventBlock& block) {
    if (!v.IsMap()) return WrongType(v, "a map of trait name to expression");
    for (const auto& entry : v.Entries(diag_)) {
      const std::string& key = entry.key;
      if (key.rfind("custom.", 0) == 0 && key.size() > 7) {
        if (auto e = Compile(entry.value)) block.custom_traits.push_back({key.substr(7), std::move(e)});
      } else if (key.rfind("consent.", 0) == 0 && IsName(key.substr(8))) {
        LoadConsent(key.substr(8), entry.value, block);
      } else if (IsKnownTraitName(key)) {
        if (auto e = Compile(entry.value)) block.traits.push_back({key, std::move(e)});
      } else {
        std::vector<std::string> names(KnownTraitNames().begin(), KnownTraitNames().end());
        diag_.Error(entry.key_position, DiagnosticKind::kBadMapping,
                    "unknown trait '" + key + "': use a known trait, custom.<name> or "
                    "consent.<purpose>",
                    config::DidYouMean(key, names));
      }
    }
  }

  void LoadConsent(std::string purpose, const ConfigNode& v, EventBlock& block) {
    if (!v.IsMap()) return WrongType(v, "a map with `granted:` and optionally `at:`");
    ConsentRule rule;
    rule.purpose = std::move(purpose);
    for (const auto& entry : v.Entries(diag_)) {
      if (entry.key == "granted") {
        rule.granted = Compile(entry.value);
      } else if (entry.key == "at") {
        rule.at = Compile(entry.value);
      } else {
        Unknown(entry, {"granted", "at"});
      }
    }
    if (!v.Find("granted")) {
      diag_.Error(v.position(), DiagnosticKind::kMissingKey, "missing `granted:`");
    }
    if (rule.granted) block.consents.push_back(std::move(rule));
  }

  void LoadTouchpoint(const ConfigNode& v, EventBlock& block) {
    if (!v.IsMap()) return WrongType(v, "a touchpoint (a map with `type:`)");
    TouchpointRule rule;
    // `each` first: whether $item is bound decides how the other fields compile.
    const auto each = v.Find("each");
    if (each) rule.each = Compile(*each);
    const bool in_each = each.has_value();
    for (const auto& entry : v.Entries(diag_)) {
      const ConfigNode& value = entry.value;
      const std::string& key = entry.key;
      if (key == "type") {
        // A snake_case word is the type itself; anything else is an expression whose value
        // must be one (checked per event).
        if (value.IsScalar() && IsName(value.Scalar())) {
          rule.type = value.Scalar();
        } else if (value.IsScalar() && value.IsQuoted()) {
          diag_.Error(value.position(), DiagnosticKind::kBadMapping,
                      "a touchpoint type is a snake_case name such as order_placed");
        } else {
          rule.type_expr = Compile(value, in_each);
        }
      } else if (key == "each") {
        // compiled above
      } else if (key == "when") {
        rule.when = Compile(value, in_each);
      } else if (key == "channel") {
        rule.channel = Compile(value, in_each);
      } else if (key == "occurred_at") {
        rule.occurred_at = Compile(value, in_each);
      } else if (key == "value") {
        rule.value = Compile(value, in_each);
      } else if (key == "currency") {
        rule.currency = Compile(value, in_each);
      } else if (key == "reference") {
        rule.reference = Compile(value, in_each);
      } else if (key == "campaign") {
        if (!value.IsMap()) {
          WrongType(value, "a map of UTM fields");
          continue;
        }
        for (const auto& c : value.Entries(diag_)) {
          ExprPtr* slot = c.key == "source"    ? &rule.campaign_source
                          : c.key == "medium"  ? &rule.campaign_medium
                          : c.key == "name"    ? &rule.campaign_name
                          : c.key == "term"    ? &rule.campaign_term
                          : c.key == "content" ? &rule.campaign_content
                                               : nullptr;
          if (!slot) {
            Unknown(c, {"source", "medium", "name", "term", "content"});
            continue;
          }
          *slot = Compile(c.value, in_each);
        }
      } else if (key == "attributes") {
        if (!value.IsMap()) {
          WrongType(value, "a map of attribute name to expression");
          continue;
        }
        for (const auto& a : value.Entries(diag_)) {
          if (auto e = Compile(a.value, in_each)) rule.attributes.emplace_back(a.key, std::move(e));
        }
      } else {
        Unknown(entry, {"type", "each", "when", "channel", "occurred_at", "value", "currency",
                        "reference", "campaign", "attributes"});
      }
    }
    if (!v.Find("type")) {
      diag_.Error(v.position(), DiagnosticKind::kMissingKey,
                  "missing `type:` (e.g. type: order_placed)");
      return;
    }
    block.touchpoints.push_back(std::move(rule));
  }

  const MappingLoadOptions& options_;
  Diagnostics& diag_;
  Mapping::Plan& plan_;
};

}  // namespace

std::shared_ptr<const Mapping> Mapping::Load(const ConfigNode& root,
                                             const MappingLoadOptions& options,
                                             Diagnostics& diag) {
  auto plan = std::make_unique<Plan>();
  plan->file = root.file();
  const size_t errors_before = diag.error_count();
  Loader(options, diag, *plan).LoadRoot(root);
  if (diag.error_count() > errors_before) return nullptr;
  return std::shared_ptr<const Mapping>(new Mapping(std::move(plan)));
}

std::shared_ptr<const Mapping> Mapping::LoadFile(const std::filesystem::path& path,
                                                 const MappingLoadOptions& options,
                                                 Diagnostics& diag) {
  auto root = ConfigNode::LoadFile(path, diag);
  if (!root) return nullptr;
  return Load(*root, options, diag);
}

// --- mapping an event ----------------------------------------------------------------------

namespace {

std::optional<std::string> Eval(const ExprPtr& e, const EvalContext& ctx) {
  if (!e) return std::nullopt;
  auto text = EvalText(*e, ctx);
  if (text && text->empty()) return std::nullopt;
  return text;
}

bool EvalTruth(const ExprPtr& e, const EvalContext& ctx) {
  json::value scratch;
  return Truthy(e->Eval(ctx, scratch));
}

std::optional<TimePoint> EvalTime(const ExprPtr& e, const EvalContext& ctx,
                                  std::string_view field, std::vector<std::string>& notes) {
  if (!e) return std::nullopt;
  json::value scratch;
  const json::value* v = e->Eval(ctx, scratch);
  if (!v) return std::nullopt;
  std::optional<TimePoint> t;
  if (v->is_string()) {
    t = ParseTime(v->get_string());
  } else if (v->is_number()) {
    t = TimeFromEpoch(v->to_number<double>());
  }
  if (!t) notes.push_back(std::string(field) + ": not a time; the receive time is used");
  return t;
}

void AddIdentity(const IdentityRule& rule, const json::value& v, const EvalContext& ctx,
                 CanonicalRecord& record, std::vector<std::string>& notes) {
  auto text = ScalarText(&v);
  if (!text || text->empty()) return;
  std::optional<std::string> value;
  switch (rule.kind) {
    case IdentityKind::kEmail:
      value = NormalizeEmail(*text);
      if (!value) notes.push_back("identity email: not an email address, left out");
      break;
    case IdentityKind::kPhone:
      value = NormalizePhone(*text, ctx.phone_region);
      if (!value) notes.push_back("identity phone: not a valid phone number, left out");
      break;
    case IdentityKind::kScoped: {
      std::string_view s = *text;
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
      if (!s.empty()) value = std::string(s);
      break;
    }
  }
  if (!value) return;
  Identity identity{rule.type, std::move(*value)};
  for (const Identity& existing : record.identities) {
    if (existing == identity) return;
  }
  record.identities.push_back(std::move(identity));
}

std::string Upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

std::optional<Touchpoint> MakeTouchpoint(const TouchpointRule& rule, const EvalContext& ctx,
                                         const CanonicalRecord& record,
                                         std::vector<std::string>& notes) {
  if (rule.when && !EvalTruth(rule.when, ctx)) return std::nullopt;
  Touchpoint t;
  t.type = rule.type;
  if (rule.type_expr) {
    t.type = Eval(rule.type_expr, ctx).value_or("");
    if (!IsName(t.type)) {
      notes.push_back("a touchpoint's computed type is not a snake_case name; left out");
      return std::nullopt;
    }
  }
  t.channel = Eval(rule.channel, ctx).value_or("");
  t.occurred_at = EvalTime(rule.occurred_at, ctx, "touchpoint occurred_at", notes)
                      .value_or(record.occurred_at);
  if (rule.value) {
    json::value scratch;
    const json::value* v = rule.value->Eval(ctx, scratch);
    std::optional<std::string> decimal;
    if (v && v->is_string()) {
      decimal = ParseDecimal(v->get_string());
    } else if (v && v->is_double()) {
      decimal = DecimalFromDouble(v->get_double());
    } else if (v && v->is_number()) {
      decimal = ParseDecimal(*ScalarText(v));
    }
    if (v && !decimal) notes.push_back("touchpoint " + t.type + " value: not an amount, left out");
    t.value = decimal.value_or("");
  }
  t.currency = Upper(Eval(rule.currency, ctx).value_or(""));
  t.reference = Eval(rule.reference, ctx).value_or("");
  t.campaign.source = Eval(rule.campaign_source, ctx).value_or("");
  t.campaign.medium = Eval(rule.campaign_medium, ctx).value_or("");
  t.campaign.name = Eval(rule.campaign_name, ctx).value_or("");
  t.campaign.term = Eval(rule.campaign_term, ctx).value_or("");
  t.campaign.content = Eval(rule.campaign_content, ctx).value_or("");
  for (const auto& [name, expression] : rule.attributes) {
    json::value scratch;
    const json::value* v = expression->Eval(ctx, scratch);
    if (!v || (v->is_string() && v->get_string().empty())) continue;
    t.attributes[name] = (v == &scratch) ? std::move(scratch) : *v;
  }
  return t;
}

}  // namespace

MapOutcome Mapping::Map(const RawEvent& event) const {
  json::monotonic_resource arena;
  auto payload = DecodePayload(event.content_type, event.body, &arena);
  if (!payload.ok()) {
    MapOutcome outcome;
    outcome.issue = MappingIssue{std::string(kIssueBadPayload), payload.error().message};
    return outcome;
  }
  return MapPayload(event, *payload);
}

MapOutcome Mapping::MapPayload(const RawEvent& event, const json::value& payload) const {
  MapOutcome outcome;
  const EventBlock* block = nullptr;
  for (const EventBlock& b : plan_->blocks) {
    for (const std::string& glob : b.on) {
      if (GlobMatch(glob, event.event_type)) {
        block = &b;
        break;
      }
    }
    if (block) break;
  }
  if (!block) {
    for (const std::string& glob : plan_->ignore) {
      if (GlobMatch(glob, event.event_type)) {
        outcome.ignored = true;
        return outcome;
      }
    }
    outcome.issue = MappingIssue{
        std::string(kIssueUnmappedEvent),
        "no block of mapping '" + plan_->source_type + "' handles event type '" +
            event.event_type + "' (add a block, or list it under `ignore:`)"};
    return outcome;
  }

  EvalContext ctx;
  ctx.payload = &payload;
  ctx.event = &event;
  ctx.phone_region = plan_->phone_region;
  if (block->when && !EvalTruth(block->when, ctx)) {
    outcome.ignored = true;
    return outcome;
  }
  std::string missing;
  for (const RequiredField& field : block->required) {
    json::value scratch;
    const json::value* v = field.value->Eval(ctx, scratch);
    if (!v || (v->is_string() && v->get_string().empty())) {
      missing += (missing.empty() ? "" : ", ") + field.path;
    }
  }
  if (!missing.empty()) {
    outcome.issue = MappingIssue{std::string(kIssueMissingField),
                                 "event type '" + event.event_type + "' lacks required " +
                                     "field(s): " + missing};
    return outcome;
  }

  CanonicalRecord record;
  record.source = event.source;
  record.event_type = event.event_type;
  record.external_id = event.external_id;
  record.occurred_at =
      EvalTime(block->occurred_at, ctx, "occurred_at", outcome.notes).value_or(event.received_at);

  for (const IdentityRule& rule : block->identities) {
    if (rule.when && !EvalTruth(rule.when, ctx)) continue;
    json::value scratch;
    const json::value* v = rule.value->Eval(ctx, scratch);
    if (!v) continue;
    if (v->is_array()) {
      for (const json::value& element : v->get_array()) {
        AddIdentity(rule, element, ctx, record, outcome.notes);
      }
    } else {
      AddIdentity(rule, *v, ctx, record, outcome.notes);
    }
  }
  for (const TraitRule& rule : block->traits) {
    if (auto text = Eval(rule.value, ctx)) record.traits.fields[rule.name] = std::move(*text);
  }
  for (const CustomTraitRule& rule : block->custom_traits) {
    json::value scratch;
    const json::value* v = rule.value->Eval(ctx, scratch);
    if (!v || (v->is_string() && v->get_string().empty())) continue;
    record.traits.custom[rule.name] = (v == &scratch) ? std::move(scratch) : *v;
  }
  for (const ConsentRule& rule : block->consents) {
    json::value scratch;
    const json::value* granted = rule.granted->Eval(ctx, scratch);
    if (!granted) continue;  // unknown: say nothing rather than "no"
    Consent consent;
    consent.granted = Truthy(granted);
    consent.at = EvalTime(rule.at, ctx, "consent." + rule.purpose + ".at", outcome.notes);
    record.traits.consent[rule.purpose] = consent;
  }
  for (const TouchpointRule& rule : block->touchpoints) {
    if (!rule.each) {
      if (auto t = MakeTouchpoint(rule, ctx, record, outcome.notes)) {
        record.touchpoints.push_back(std::move(*t));
      }
      continue;
    }
    json::value scratch;
    const json::value* items = rule.each->Eval(ctx, scratch);
    if (!items) continue;
    const auto one = [&](const json::value& item) {
      EvalContext item_ctx = ctx;
      item_ctx.item = &item;
      if (auto t = MakeTouchpoint(rule, item_ctx, record, outcome.notes)) {
        record.touchpoints.push_back(std::move(*t));
      }
    };
    if (items->is_array()) {
      for (const json::value& item : items->get_array()) one(item);
    } else {
      one(*items);
    }
  }
  outcome.record = std::move(record);
  return outcome;
}

}  // namespace journeyd::mapping
