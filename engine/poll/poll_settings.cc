#include "engine/poll/poll_settings.h"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "engine/poll/template.h"

namespace journeyd::poll {

using config::ConfigNode;
using config::DiagnosticKind;
using config::Diagnostics;
using config::StructSpec;

namespace {

std::optional<std::string> Positive(const int& n) {
  if (n <= 0) return "must be at least 1";
  return std::nullopt;
}

}  // namespace

const StructSpec<AuthSettings>& AuthSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<AuthSettings>();
    s->Optional("type", &AuthSettings::type, "none, bearer, basic, header, query or oauth2.")
        .Optional("token", &AuthSettings::token,
                  "bearer: the token; header, query: the value; basic: user:password.")
        .Optional("name", &AuthSettings::name, "header or query: the header or parameter name.")
        .Optional("username", &AuthSettings::username, "basic: the user name.")
        .Optional("password", &AuthSettings::password, "basic: the password.")
        .Optional("grant", &AuthSettings::grant, "oauth2: refresh_token or client_credentials.")
        .Optional("token_url", &AuthSettings::token_url, "oauth2: the token endpoint.")
        .Optional("client_id", &AuthSettings::client_id, "oauth2: the client id.")
        .Optional("client_secret", &AuthSettings::client_secret, "oauth2: the client secret.")
        .Optional("refresh_token", &AuthSettings::refresh_token,
                  "oauth2 refresh_token grant: the long-lived refresh token.")
        .Optional("scopes", &AuthSettings::scopes, "oauth2: scopes to ask for.")
        .Optional("credentials_in_body", &AuthSettings::credentials_in_body,
                  "oauth2: send client_id and client_secret in the form, not HTTP Basic.");
    return s;
  }();
  return *spec;
}

const StructSpec<RequestSettings>& RequestSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<RequestSettings>();
    s->Optional("method", &RequestSettings::method, "GET or POST.",
                [](const std::string& m) -> std::optional<std::string> {
                  if (m == "GET" || m == "POST") return std::nullopt;
                  return "'" + m + "' is not GET or POST";
                })
        .Optional("path", &RequestSettings::path, "Path after base_url; may use {{param.x}}.")
        .Optional("query", &RequestSettings::query,
                  "Query parameters; a value that renders empty is left out.")
        .Optional("headers", &RequestSettings::headers, "Extra request headers.")
        .Optional("body", &RequestSettings::body, "JSON body (POST), written as YAML.");
    return s;
  }();
  return *spec;
}

const StructSpec<PaginationSettings>& PaginationSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<PaginationSettings>();
    s->Optional("type", &PaginationSettings::type,
                "none, link_header, next_url, cursor, page or offset.")
        .Optional("param", &PaginationSettings::param,
                  "cursor, page, offset: the parameter that carries it.")
        .Optional("in_body", &PaginationSettings::in_body,
                  "cursor: send it as a JSON body field rather than a query parameter.")
        .Optional("cursor_path", &PaginationSettings::cursor_path,
                  "cursor: where the next token is in the response body.")
        .Optional("cursor_record_field", &PaginationSettings::cursor_record_field,
                  "cursor: or the last record's field (e.g. id for starting_after).")
        .Optional("next_url_path", &PaginationSettings::next_url_path,
                  "next_url: where the next page's URL is in the body.")
        .Optional("stop_path", &PaginationSettings::stop_path,
                  "A body field that says whether this was the last page.")
        .Optional("stop_value", &PaginationSettings::stop_value,
                  "The stop_path value meaning 'last page' (true for end_of_stream, false for "
                  "has_more).")
        .Optional("total_path", &PaginationSettings::total_path,
                  "offset: the total record count in the body.")
        .Optional("total_pages_header", &PaginationSettings::total_pages_header,
                  "page: the header holding the number of pages.")
        .Optional("first", &PaginationSettings::first, "page: the first page (1); offset: 0.")
        .Optional("drop_on_next", &PaginationSettings::drop_on_next,
                  "Query parameters that follow-up requests leave out.")
        .Optional("resume_from_last", &PaginationSettings::resume_from_last,
                  "Start the next run from the token after the last page (incremental exports).");
    return s;
  }();
  return *spec;
}

const StructSpec<CursorSettings>& CursorSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<CursorSettings>();
    s->Optional("field", &CursorSettings::field,
                "Record field whose highest value is where the next run starts.")
        .Optional("format", &CursorSettings::format,
                  "How {{cursor}} is written: rfc3339, unix, unix_ms or raw.")
        .Optional("lookback", &CursorSettings::lookback,
                  "Start this long before the saved cursor (late commits, clock skew).")
        .Optional("ordered", &CursorSettings::ordered,
                  "Records arrive sorted by field, so the cursor advances with each page.")
        .Optional("start", &CursorSettings::start,
                  "First run's cursor: an RFC 3339 time or a duration before now (30d).");
    return s;
  }();
  return *spec;
}

const StructSpec<StreamSettings>& StreamSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<StreamSettings>();
    s->Optional("name", &StreamSettings::name, "Stream name, unique in the source.")
        .Optional("event_type", &StreamSettings::event_type,
                  "Event type of each record for the mapping; may use {{record.field}}.")
        .Optional("wrap", &StreamSettings::wrap,
                  "Put the record at this path of the stored event (data.object).")
        .Optional("records", &StreamSettings::records,
                  "Path to the record array in the response; empty: the body is the array.")
        .Optional("id_field", &StreamSettings::id_field, "The record's id field.")
        .Optional("page_size", &StreamSettings::page_size, "Records per page ({{page_size}}).",
                  Positive)
        .Optional("request", &StreamSettings::request, "The request.")
        .Optional("pagination", &StreamSettings::pagination, "How to get the next page.")
        .Optional("cursor", &StreamSettings::cursor, "The incremental cursor.")
        .Optional("parent", &StreamSettings::parent,
                  "Read this stream once per record of that stream ({{parent.NAME}}).")
        .Optional("parent_fields", &StreamSettings::parent_fields,
                  "NAME: path in the parent record, for {{parent.NAME}} and the event's _parent.");
    return s;
  }();
  return *spec;
}

const StructSpec<RateLimitSettings>& RateLimitSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<RateLimitSettings>();
    s->Optional("requests_per_second", &RateLimitSettings::requests_per_second,
                "At most this many requests per second; 0: no limit.",
                [](const double& r) -> std::optional<std::string> {
                  if (r < 0) return "must not be negative";
                  return std::nullopt;
                })
        .Optional("bucket_header", &RateLimitSettings::bucket_header,
                  "A used/size leaky-bucket header to slow down by.")
        .Optional("bucket_leak_per_second", &RateLimitSettings::bucket_leak_per_second,
                  "How fast that bucket drains.")
        .Optional("max_retries", &RateLimitSettings::max_retries,
                  "Retries per request for 429, 5xx, timeouts and network failures.")
        .Optional("max_wait", &RateLimitSettings::max_wait,
                  "The longest Retry-After honoured; longer ends the run, to resume next time.");
    return s;
  }();
  return *spec;
}

const StructSpec<PollSettings>& PollSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new StructSpec<PollSettings>();
    s->Optional("schedule", &PollSettings::schedule,
                "Cron (5 fields, names, ranges, steps) or @every 15m, @hourly, @daily...")
        .Optional("time_zone", &PollSettings::time_zone, "IANA time zone of the schedule (UTC).")
        .Optional("jitter", &PollSettings::jitter, "Start each run up to this much later.")
        .Optional("catch_up", &PollSettings::catch_up,
                  "Run once at start when a run was missed while journeyd was down.")
        .Optional("enabled", &PollSettings::enabled, "false: manual runs only.")
        .Optional("base_url", &PollSettings::base_url, "The API's base URL.")
        .Optional("auth", &PollSettings::auth, "Authentication.")
        .Optional("params", &PollSettings::params, "Values for {{param.name}} in requests.")
        .Optional("rate_limit", &PollSettings::rate_limit, "Rate limits and retries.")
        .Optional("timeout", &PollSettings::timeout, "Per request.")
        .Optional("max_pages", &PollSettings::max_pages, "Per stream and run; 0: no limit.")
        .Optional("directory", &PollSettings::directory,
                  "Drop directory to import files from (csv sources).")
        .Optional("pattern", &PollSettings::pattern, "File name glob in the drop directory.")
        .Optional("settle", &PollSettings::settle,
                  "A dropped file is imported once unmodified for this long.")
        .Ignore({"preset", "streams"});
    return s;
  }();
  return *spec;
}

namespace {

// The streams of the user's block over the preset's: a name picks a preset stream as it is, a
// map with a preset stream's name is parsed over it, any other map is a stream of its own.
bool LoadStreams(const std::optional<ConfigNode>& user, const std::vector<StreamSettings>& preset,
                 std::vector<StreamSettings>& out, Diagnostics& diag) {
  if (!user) {
    out = preset;
    return true;
  }
  if (!user->IsSequence()) {
    diag.Error(user->position(), DiagnosticKind::kWrongType,
               "expected a list of streams (names or maps), found " +
                   std::string(user->KindName()));
    return false;
  }
  std::vector<std::string> preset_names;
  for (const StreamSettings& s : preset) preset_names.push_back(s.name);
  const auto find_preset = [&](std::string_view name) -> const StreamSettings* {
    for (const StreamSettings& s : preset) {
      if (s.name == name) return &s;
    }
    return nullptr;
  };
  bool ok = true;
  out.clear();
  for (const ConfigNode& element : user->Elements()) {
    if (element.IsScalar()) {
      const StreamSettings* base = find_preset(element.Scalar());
      if (base == nullptr) {
        diag.Error(element.position(), DiagnosticKind::kInvalidValue,
                   preset.empty() ? "a stream name needs a preset; write the stream as a map"
                                  : "the preset has no stream '" + element.Scalar() + "'",
                   config::DidYouMean(element.Scalar(), preset_names));
        ok = false;
        continue;
      }
      out.push_back(*base);
      continue;
    }
    StreamSettings stream;
    auto name = element.IsMap() ? element.Find("name") : std::nullopt;
    if (name && name->IsScalar()) {
      if (const StreamSettings* base = find_preset(name->Scalar())) stream = *base;
    }
    if (!StreamSettings::Spec().Parse(element, stream, diag)) {
      ok = false;
      continue;
    }
    out.push_back(std::move(stream));
  }
  return ok;
}

// Checks one stream once preset and overrides are merged; reports at `at`.
bool CheckStream(const StreamSettings& s, const config::Position& at, Diagnostics& diag) {
  const auto fail = [&](const std::string& message) {
    diag.Error(at, DiagnosticKind::kInvalidValue, "stream '" + s.name + "': " + message);
    return false;
  };
  if (s.name.empty()) return fail("needs a name");
  if (s.event_type.empty()) return fail("needs an event_type (what its mapping matches)");
  if (s.request.path.empty()) return fail("needs request.path");
  const PaginationSettings& p = s.pagination;
  switch (p.type) {
    case PaginationKind::kCursor:
      if (p.param.empty()) return fail("cursor pagination needs param");
      if (p.cursor_path.empty() && p.cursor_record_field.empty()) {
        return fail("cursor pagination needs cursor_path or cursor_record_field");
      }
      break;
    case PaginationKind::kNextUrl:
      if (p.next_url_path.empty()) return fail("next_url pagination needs next_url_path");
      break;
    case PaginationKind::kPage:
    case PaginationKind::kOffset:
      if (p.param.empty()) return fail("page and offset pagination need param");
      break;
    case PaginationKind::kNone:
    case PaginationKind::kLinkHeader:
      break;
  }
  if (p.in_body && s.request.method != "POST") return fail("in_body pagination needs POST");
  if (s.IsChild()) {
    if (!s.cursor.field.empty()) {
      return fail("a child stream has no cursor of its own (its parent's cursor decides which "
                  "parent records are read); remove cursor.field");
    }
    if (s.parent_fields.empty()) {
      return fail("a child stream needs parent_fields (NAME: path in the parent record)");
    }
  } else if (!s.parent_fields.empty()) {
    return fail("parent_fields needs parent (the stream whose records this one is read for)");
  }
  if (!s.cursor.start.empty()) {
    // Checked here so a typo fails `journeyd check`, not the first run.
    if (!ResolveStart(s.cursor.start, std::chrono::system_clock::now())) {
      return fail("cursor.start '" + s.cursor.start +
                  "' is neither an RFC 3339 time nor a duration");
    }
  }
  return true;
}

}  // namespace

std::shared_ptr<const PollSettings> LoadPollSettings(
    const ConfigNode& block, std::string_view source_type,
    const std::map<std::string, std::string, std::less<>>& presets,
    const std::filesystem::path& config_dir, Diagnostics& diag) {
  if (!block.IsMap()) {
    diag.Error(block.position(), DiagnosticKind::kWrongType,
               "expected a map (schedule, streams...), found " + std::string(block.KindName()));
    return nullptr;
  }
  const size_t errors_before = diag.error_count();
  auto settings = std::make_shared<PollSettings>();

  std::string preset_name;
  if (auto preset = block.Find("preset")) {
    if (!preset->IsScalar()) {
      diag.Error(preset->position(), DiagnosticKind::kWrongType, "expected a preset name");
      return nullptr;
    }
    preset_name = preset->Scalar();
    if (presets.find(preset_name) == presets.end()) {
      std::vector<std::string> names;
      for (const auto& [n, text] : presets) names.push_back(n);
      diag.Error(preset->position(), DiagnosticKind::kInvalidValue,
                 "unknown poll preset '" + preset_name + "'", config::DidYouMean(preset_name, names));
      return nullptr;
    }
  } else if (presets.find(source_type) != presets.end()) {
    preset_name = std::string(source_type);
  }

  std::vector<StreamSettings> preset_streams;
  if (!preset_name.empty()) {
    // A broken preset is journeyd's bug, but its diagnostics still name where.
    auto node = ConfigNode::LoadString(presets.find(preset_name)->second, "preset:" + preset_name,
                                       diag);
    if (!node) return nullptr;
    if (!PollSettings::Spec().Parse(*node, *settings, diag)) return nullptr;
    if (!LoadStreams(node->Find("streams"), {}, preset_streams, diag)) return nullptr;
    settings->streams = preset_streams;
  }
  settings->preset = preset_name;
  PollSettings::Spec().Parse(block, *settings, diag);
  if (!LoadStreams(block.Find("streams"), preset_streams, settings->streams, diag)) {
    return nullptr;
  }
  if (diag.error_count() != errors_before) return nullptr;

  const auto at = [&](std::string_view key) {
    auto node = block.Find(key);
    return node ? node->position() : block.position();
  };
  if (settings->schedule.empty()) {
    diag.Error(block.position(), DiagnosticKind::kMissingKey,
               "missing required key 'schedule' (e.g. \"*/15 * * * *\" or \"@every 15m\")");
  } else {
    auto schedule = Schedule::Parse(settings->schedule, settings->time_zone);
    if (!schedule.ok()) {
      // Point at the key the message is about.
      const bool zone = schedule.error().message.find("time zone") != std::string::npos;
      diag.Error(at(zone || !block.Find("schedule") ? "time_zone" : "schedule"),
                 DiagnosticKind::kInvalidValue, schedule.error().message);
    } else {
      settings->compiled_schedule = std::make_shared<const Schedule>(std::move(*schedule));
    }
  }
  if (settings->IsDropDirectory()) {
    if (settings->directory.is_relative()) settings->directory = config_dir / settings->directory;
  } else {
    if (settings->base_url.empty()) {
      diag.Error(block.position(), DiagnosticKind::kMissingKey,
                 "missing required key 'base_url' (or 'directory' for a drop directory)");
    } else if (settings->base_url.rfind("http://", 0) != 0 &&
               settings->base_url.rfind("https://", 0) != 0) {
      diag.Error(at("base_url"), DiagnosticKind::kInvalidValue,
                 "base_url '" + settings->base_url + "' is not an http:// or https:// URL");
    }
    if (settings->streams.empty()) {
      diag.Error(block.position(), DiagnosticKind::kMissingKey, "no streams to poll");
    }
    std::set<std::string> names;
    for (const StreamSettings& s : settings->streams) {
      if (!CheckStream(s, at("streams"), diag)) continue;
      if (!names.insert(s.name).second) {
        diag.Error(at("streams"), DiagnosticKind::kDuplicateName,
                   "stream '" + s.name + "' is listed twice");
      }
    }
    for (const StreamSettings& s : settings->streams) {
      if (!s.IsChild()) continue;
      const auto parent = std::find_if(settings->streams.begin(), settings->streams.end(),
                                       [&](const StreamSettings& p) { return p.name == s.parent; });
      std::vector<std::string> candidates;
      for (const StreamSettings& p : settings->streams) {
        if (!p.IsChild() && p.name != s.name) candidates.push_back(p.name);
      }
      if (parent == settings->streams.end() || parent->name == s.name) {
        diag.Error(at("streams"), DiagnosticKind::kInvalidValue,
                   "stream '" + s.name + "': parent '" + s.parent + "' is not another stream",
                   config::DidYouMean(s.parent, candidates));
      } else if (parent->IsChild()) {
        // One level: a grandchild would multiply requests per page beyond what anyone can see.
        diag.Error(at("streams"), DiagnosticKind::kInvalidValue,
                   "stream '" + s.name + "': parent '" + s.parent +
                       "' is itself a child stream; only one level is supported");
      }
    }
    const AuthSettings& auth = settings->auth;
    const auto auth_error = [&](const std::string& message) {
      diag.Error(at("auth"), DiagnosticKind::kInvalidValue, "auth: " + message);
    };
    switch (auth.type) {
      case AuthKind::kBearer:
        if (auth.token.empty()) auth_error("bearer needs token");
        break;
      case AuthKind::kHeader:
      case AuthKind::kQuery:
        if (auth.name.empty() || auth.token.empty()) auth_error("header and query need name and token");
        break;
      case AuthKind::kBasic:
        if (auth.username.empty() && auth.token.Reveal().find(':') == std::string::npos) {
          auth_error("basic needs username and password, or token as user:password");
        }
        break;
      case AuthKind::kOAuth2:
        if (auth.token_url.empty() || auth.client_id.empty()) {
          auth_error("oauth2 needs token_url and client_id");
        } else if (auth.grant == OAuth2Grant::kRefreshToken && auth.refresh_token.empty()) {
          auth_error("the refresh_token grant needs refresh_token");
        } else if (auth.grant == OAuth2Grant::kClientCredentials && auth.client_secret.empty()) {
          auth_error("the client_credentials grant needs client_secret");
        }
        break;
      case AuthKind::kNone:
        break;
    }
  }
  if (diag.error_count() != errors_before) return nullptr;
  return settings;
}

std::vector<std::string> PollEventTypes(const PollSettings& settings) {
  std::vector<std::string> out;
  for (const StreamSettings& s : settings.streams) {
    if (s.event_type.find("{{") == std::string::npos) out.push_back(s.event_type);
  }
  return out;
}

std::vector<std::string> PresetEventTypes(std::string_view preset_yaml) {
  Diagnostics ignored;
  auto node = ConfigNode::LoadString(preset_yaml, "preset", ignored);
  std::vector<std::string> out;
  auto streams = node && node->IsMap() ? node->Find("streams") : std::nullopt;
  if (!streams || !streams->IsSequence()) return out;
  for (const ConfigNode& stream : streams->Elements()) {
    auto type = stream.IsMap() ? stream.Find("event_type") : std::nullopt;
    if (type && type->IsScalar() && type->Scalar().find("{{") == std::string::npos) {
      out.push_back(type->Scalar());
    }
  }
  return out;
}

}  // namespace journeyd::poll

namespace journeyd::config {

namespace {

boost::json::value ToJson(const ConfigNode& node, Diagnostics& diag, bool& ok) {
  if (node.IsMap()) {
    boost::json::object object;
    for (const auto& entry : node.Entries(diag)) {
      object[entry.key] = ToJson(entry.value, diag, ok);
    }
    return object;
  }
  if (node.IsSequence()) {
    boost::json::array array;
    for (const ConfigNode& element : node.Elements()) array.push_back(ToJson(element, diag, ok));
    return array;
  }
  if (node.IsNull()) return nullptr;
  const std::string& text = node.Scalar();
  if (!node.IsQuoted()) {
    // Unquoted YAML scalars keep their YAML type, so `limit: 100` is a JSON number.
    if (text == "true") return true;
    if (text == "false") return false;
    int64_t n = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error == std::errc() && end == text.data() + text.size()) return n;
    double d = 0;
    auto [d_end, d_error] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (d_error == std::errc() && d_end == text.data() + text.size()) return d;
  }
  auto expanded = ReadScalar(node, "a value", diag);
  if (!expanded) {
    ok = false;
    return nullptr;
  }
  return boost::json::string(*expanded);
}

}  // namespace

bool ValueParser<poll::JsonBody>::Parse(const ConfigNode& node, poll::JsonBody& out,
                                        Diagnostics& diag) {
  bool ok = true;
  boost::json::value value = ToJson(node, diag, ok);
  if (ok) out.value = std::move(value);
  return ok;
}

}  // namespace journeyd::config
