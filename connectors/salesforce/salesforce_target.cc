#include "connectors/salesforce/salesforce_target.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <boost/json.hpp>
#include <optional>
#include <set>

#include "connectors/common/checks.h"
#include "connectors/common/json.h"
#include "engine/base/time_format.h"

namespace journeyd::connectors::salesforce {

namespace json = boost::json;
using delivery::DeliveryItem;
using delivery::ItemKind;

namespace {

constexpr size_t kMaxRecords = 200;  // sObject Collections
// Plan cannot know the org's host (the token response names it), so planned URLs start with
// this and Authorize puts the instance_url in its place. It also reads well in the request log.
constexpr std::string_view kInstance = "{instance_url}";
constexpr std::string_view kTaskWhat = "Task upsert";
constexpr size_t kMaxSubject = 255;         // Task.Subject
constexpr size_t kMaxDescription = 32000;   // Task.Description

SystemClock g_system_clock;

// At most `limit` bytes, cut at a UTF-8 character boundary.
std::string Truncated(std::string text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text;
}

std::string Text(const json::value* v) {
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_double()) {
    // Shortest round-trip form, "71.5": Boost.JSON would write 7.15E1 into a Task's text.
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), v->get_double());
    if (ec == std::errc()) return std::string(buffer, end);
  }
  return json::serialize(*v);
}

json::value ParsedOr(const std::string& text) {
  auto parsed = common::ParseJson(text);
  return parsed.ok() ? std::move(*parsed) : json::value(json::object());
}

bool IsDate(std::string_view text) {
  if (text.size() < 10) return false;
  for (size_t i = 0; i < 10; ++i) {
    const bool dash = i == 4 || i == 7;
    if (dash ? text[i] != '-' : !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

std::string DateOf(delivery::TimePoint t) { return FormatIso8601(t).substr(0, 10); }

// A Salesforce record id: 15 (case-sensitive) or 18 characters, letters and digits.
bool LooksLikeId(std::string_view text) {
  return (text.size() == 15 || text.size() == 18) &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

// An API name as it may appear in a URL path: FirstName, Journeyd_Id__c, ns__Field__c.
std::optional<std::string> CheckApiName(const std::string& name) {
  if (name.empty()) return "must not be empty";
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) return "must start with a letter";
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return "'" + name + "' is not a Salesforce API name (letters, digits and _)";
    }
  }
  return std::nullopt;
}

std::optional<std::string> CheckOptionalApiName(const std::string& name) {
  return name.empty() ? std::nullopt : CheckApiName(name);
}

// Salesforce's error list, [{"message","errorCode"}], in a line.
std::string ApiErrorText(const json::value& body) {
  std::string out;
  const json::array* errors = body.if_array();
  if (errors == nullptr) return out;
  for (const json::value& e : *errors) {
    const std::string code = Text(common::FindMember(e, "errorCode"));
    const std::string message = Text(common::FindMember(e, "message"));
    out += (out.empty() ? "" : "; ") + (code.empty() ? message : code + ": " + message);
  }
  return out;
}

// A record's errors, [{"statusCode","message","fields"}], as "statusCode: message (fields)".
std::string RecordErrorText(const json::value* errors, bool* retryable) {
  std::string out;
  *retryable = false;
  if (errors == nullptr || !errors->is_array()) return out;
  for (const json::value& e : errors->get_array()) {
    const std::string code = Text(common::FindMember(e, "statusCode"));
    std::string line = code + ": " + Text(common::FindMember(e, "message"));
    if (const json::value* fields = common::FindMember(e, "fields");
        fields && fields->is_array() && !fields->get_array().empty()) {
      std::string names;
      for (const json::value& f : fields->get_array()) {
        names += (names.empty() ? "" : ", ") + Text(&f);
      }
      line += " (" + names + ")";
    }
    out += (out.empty() ? "" : "; ") + line;
    // Another transaction held the record: the same write goes through a moment later.
    if (code == "UNABLE_TO_LOCK_ROW") *retryable = true;
  }
  return out;
}

std::string TouchpointDescription(const DeliveryItem& item) {
  std::string body = item.touchpoint_type + " from " + item.touchpoint_source;
  if (!item.channel.empty()) body += " (" + item.channel + ")";
  if (!item.value.empty()) {
    body += "\nValue: " + item.value + (item.currency.empty() ? "" : " " + item.currency);
  }
  if (!item.reference.empty()) body += "\nReference: " + item.reference;
  if (item.campaign_json != "{}" && !item.campaign_json.empty()) {
    body += "\nCampaign: " + item.campaign_json;
  }
  body += "\nAt: " + FormatIso8601(item.occurred_at);
  return body;
}

class SalesforceSession final : public TargetSession {
 public:
  SalesforceSession(const SalesforceTargetSettings& settings, const OAuthSettings& oauth,
                    const Clock& clock)
      : s_(settings), oauth_(oauth), clock_(clock) {}

  std::vector<PlannedRequest> Plan(std::span<const DeliveryItem> items) override {
    std::vector<size_t> records, tasks;
    for (size_t i = 0; i < items.size(); ++i) {
      const DeliveryItem& item = items[i];
      switch (item.kind) {
        case ItemKind::kProfile:
          if (!item.address.empty()) records.push_back(i);
          break;
        case ItemKind::kTouchpoint:
          // With touchpoints: none the core never reads them for this target
          // (sends_touchpoints); left out here as well.
          if (s_.touchpoints == TouchpointMode::kTask && !item.crm_id.empty()) tasks.push_back(i);
          break;
        case ItemKind::kAction:
          if (item.action_kind == "set_properties") {
            if (!item.address.empty()) records.push_back(i);
          } else if (!item.crm_id.empty()) {
            tasks.push_back(i);
          }
          break;
      }
    }
    std::vector<PlannedRequest> out;
    Chunk(items, records, s_.sobject + " upsert", s_.sobject, s_.external_id_field,
          [](const DeliveryItem& item) { return item.address; }, out);
    Chunk(items, tasks, std::string(kTaskWhat), "Task", s_.task_key_field,
          [](const DeliveryItem& item) { return item.key; }, out);
    return out;
  }

  Status Authorize(delivery::HttpRequest& request, delivery::HttpTransport& http) override {
    if (!token_) {
      auto token = RequestToken(oauth_, http, clock_.Now());
      if (!token.ok()) return token.error();
      token_ = std::move(*token);
    }
    if (request.url.starts_with(kInstance)) {
      request.url = token_->instance_url + request.url.substr(kInstance.size());
    }
    request.headers.emplace_back("authorization", "Bearer " + token_->token.Reveal());
    return OkStatus();
  }

  void InvalidateCredentials() override { token_.reset(); }

  RequestOutcome Interpret(const PlannedRequest& request, std::span<const DeliveryItem>,
                           const delivery::HttpResponse& response) override {
    RequestOutcome out;
    const int status = response.status;
    auto parsed = common::ParseJson(response.body);
    const json::value body = parsed.ok() ? std::move(*parsed) : json::value();
    const std::string said = ApiErrorText(body);
    const std::string http = "HTTP " + std::to_string(status) + (said.empty() ? "" : ": " + said);
    if (status == 0 || status == 429 || status >= 500) {
      out.whole = Verdict::kRetry;
      out.message = status == 0 ? response.transport_error : http;
      return out;
    }
    if (status == 401) {
      // INVALID_SESSION_ID: the token expired or was revoked. A new one, then the same request.
      out.whole = Verdict::kRetry;
      out.reauthenticate = true;
      out.message = http;
      return out;
    }
    if (status == 403 && said.find("REQUEST_LIMIT_EXCEEDED") != std::string::npos) {
      // The org's daily allocation is spent; the limiter waits for it from Sforce-Limit-Info.
      out.whole = Verdict::kRetry;
      out.message = http;
      return out;
    }
    if (status < 200 || status >= 300) {
      out.whole = Verdict::kRejected;
      out.message = http;
      return out;
    }
    // 200: one result per record, in the request's order, success or not.
    const json::array* results = body.if_array();
    if (results == nullptr) {
      out.whole = Verdict::kRetry;
      out.message = "HTTP " + std::to_string(status) + " without a result list";
      return out;
    }
    const bool tasks = request.what == kTaskWhat;
    for (size_t k = 0; k < request.items.size(); ++k) {
      ItemVerdict verdict;
      if (k >= results->size()) {
        verdict = {Verdict::kRetry, "", "Salesforce returned no result for this record"};
      } else if (const json::value* success = common::FindMember((*results)[k], "success");
                 success && success->is_bool() && success->as_bool()) {
        // A Task's id is the Task's, not the profile's record.
        verdict.crm_id = tasks ? "" : Text(common::FindMember((*results)[k], "id"));
      } else {
        bool retryable = false;
        verdict.message =
            RecordErrorText(common::FindMember((*results)[k], "errors"), &retryable);
        if (verdict.message.empty()) verdict.message = "Salesforce did not accept the record";
        verdict.verdict = retryable ? Verdict::kRetry : Verdict::kRejected;
      }
      out.items.push_back(std::move(verdict));
    }
    return out;
  }

 private:
  // Requests of up to 200 records of `which`, to `sobject` by its external id `key_field`.
  // A record whose external id is already in a request goes to a later one: Salesforce refuses
  // a duplicate id within one request, and two set_properties actions of a profile may meet.
  template <class IdOf>
  void Chunk(std::span<const DeliveryItem> items, const std::vector<size_t>& which,
             const std::string& what, const std::string& sobject, const std::string& key_field,
             IdOf id_of, std::vector<PlannedRequest>& out) const {
    struct Pending {
      std::vector<size_t> items;
      std::set<std::string> ids;
    };
    std::vector<Pending> chunks;
    for (size_t i : which) {
      const std::string id = id_of(items[i]);
      auto fits = std::find_if(chunks.begin(), chunks.end(), [&](const Pending& c) {
        return c.items.size() < kMaxRecords && c.ids.count(id) == 0;
      });
      if (fits == chunks.end()) fits = chunks.insert(chunks.end(), Pending{});
      fits->items.push_back(i);
      fits->ids.insert(id);
    }
    const std::string base = std::string(kInstance) + "/services/data/" + s_.api_version +
                             "/composite/sobjects";
    for (Pending& chunk : chunks) {
      PlannedRequest request;
      json::array records;
      for (size_t i : chunk.items) records.push_back(Record(items[i], sobject, key_field));
      request.items = std::move(chunk.items);
      request.what = what;
      // Without an external id field Tasks can only be created, not matched on a retry.
      request.http.method = key_field.empty() ? "POST" : "PATCH";
      request.http.url = key_field.empty() ? base : base + "/" + sobject + "/" + key_field;
      request.http.headers = {{"content-type", "application/json"},
                              {"accept", "application/json"}};
      request.http.body =
          json::serialize(json::object{{"allOrNone", false}, {"records", std::move(records)}});
      out.push_back(std::move(request));
    }
  }

  json::object Record(const DeliveryItem& item, const std::string& sobject,
                      const std::string& key_field) const {
    json::object record{{"attributes", json::object{{"type", sobject}}}};
    const json::value payload =
        item.kind == ItemKind::kAction ? ParsedOr(item.payload_json) : json::value();
    if (item.kind == ItemKind::kProfile) {
      // A record Salesforce does not have yet gets everything; a known one the changes only.
      for (const auto& [k, v] : item.crm_id.empty() ? item.all : item.changed) record[k] = v;
      record[key_field] = item.address;
      return record;
    }
    if (item.action_kind == "set_properties") {
      if (const json::value* p = common::FindMember(payload, "properties"); p && p->is_object()) {
        for (const auto& [k, v] : p->get_object()) {
          // Id and attributes are the request's own: an upsert by external id may not set Id.
          if (k == "attributes" || k == "Id" || k == "id") continue;
          record[k] = v.is_object() || v.is_array() ? json::value(json::serialize(v)) : v;
        }
      }
      record[key_field] = item.address;
      return record;
    }
    if (!key_field.empty()) record[key_field] = item.key;
    record["WhoId"] = item.crm_id;
    if (item.kind == ItemKind::kTouchpoint) {
      record["Subject"] = Truncated(item.touchpoint_type + " (" + item.touchpoint_source + ")",
                                    kMaxSubject);
      record["Description"] = Truncated(TouchpointDescription(item), kMaxDescription);
      record["ActivityDate"] = DateOf(item.occurred_at);
      record["Status"] = "Completed";
      return record;
    }
    if (item.action_kind == "create_task") {
      const json::value* task = common::FindMember(payload, "task");
      const std::string subject = task ? Text(common::FindMember(*task, "subject")) : "";
      const std::string due = task ? Text(common::FindMember(*task, "due_at")) : "";
      record["Subject"] = Truncated(subject.empty() ? item.action : subject, kMaxSubject);
      record["Description"] =
          Truncated(task ? Text(common::FindMember(*task, "body")) : "", kMaxDescription);
      record["ActivityDate"] = IsDate(due) ? due.substr(0, 10) : DateOf(item.occurred_at);
      record["Status"] = "Not Started";
      const std::string owner = task ? Text(common::FindMember(*task, "owner")) : "";
      if (auto it = s_.owners.find(owner); it != s_.owners.end()) {
        record["OwnerId"] = it->second;
      } else if (LooksLikeId(owner)) {
        record["OwnerId"] = owner;
      }  // else the integration user owns it, as Salesforce defaults
      return record;
    }
    // post_event (and any kind this version does not know): a completed Task that says what
    // happened, so it shows in the record's activity history.
    const json::value* transition = common::FindMember(payload, "transition");
    const std::string event = Text(common::FindMember(payload, "event"));
    const std::string state = Text(common::FindMember(payload, "state"));
    std::string description = "journeyd action " + item.action + ": " + event + " " + state;
    if (transition != nullptr) {
      const std::string from = Text(common::FindMember(*transition, "from"));
      const std::string to = Text(common::FindMember(*transition, "to"));
      description += "\nTransition (" + Text(common::FindMember(*transition, "kind")) + "): " +
                     (from.empty() ? "-" : from) + " -> " + (to.empty() ? "-" : to);
      const std::string at = Text(common::FindMember(*transition, "at"));
      if (!at.empty()) description += " at " + at;
    }
    for (const char* name : {"stage", "engagement", "health", "first_touch", "last_touch"}) {
      const std::string value = Text(common::FindMember(payload, name));
      if (!value.empty()) description += "\n" + std::string(name) + ": " + value;
    }
    record["Subject"] = Truncated("journeyd: " + item.action + " (" + event + " " + state + ")",
                                  kMaxSubject);
    record["Description"] = Truncated(description, kMaxDescription);
    record["ActivityDate"] = DateOf(item.occurred_at);
    record["Status"] = "Completed";
    return record;
  }

  const SalesforceTargetSettings& s_;
  const OAuthSettings& oauth_;
  const Clock& clock_;
  std::optional<AccessToken> token_;
};

std::map<std::string, std::string> DefaultFields(const std::string& sobject) {
  std::map<std::string, std::string> fields{
      {"FirstName", "first_name"},    {"LastName", "last_name"},
      {"Email", "email"},             {"Phone", "phone"},
      {"MailingCity", "city"},        {"MailingCountry", "country"},
      {"Title", "job_title"}};
  if (sobject == "Lead") fields["Company"] = "company";
  return fields;
}

// Salesforce has no journey stages of its own: a custom picklist holds journeyd's names.
std::map<std::string, std::string> DefaultStages() {
  std::map<std::string, std::string> stages;
  for (const char* stage : {"awareness", "consideration", "decision", "purchase", "onboarding",
                            "retention", "advocacy"}) {
    stages[stage] = stage;
  }
  return stages;
}

std::filesystem::path KeyPath(const SalesforceTargetSettings& settings,
                              const ConnectorContext& context) {
  if (settings.private_key_file.is_absolute() || context.config_dir.empty()) {
    return settings.private_key_file;
  }
  return context.config_dir / settings.private_key_file;
}

class SalesforceTargetFactory final : public Factory<Target> {
 public:
  SalesforceTargetFactory() : spec_(SalesforceTargetSettings::Spec()) {
    spec_.Ignore({"name", "type", "mapping", "delivery"});
  }
  std::string_view type() const override { return "salesforce"; }
  std::string_view description() const override {
    return "Salesforce: Contacts or Leads by upsert on an external id, touchpoints and actions "
           "as Tasks.";
  }
  std::vector<config::FieldDoc> settings_docs() const override { return spec_.docs(); }

  // The spec checks the keys; the key file is read here, where config_dir is known, so that a
  // bad key fails `journeyd check` rather than the first delivery.
  std::shared_ptr<const Target> Create(const config::ConfigNode& settings,
                                       const ConnectorContext& context,
                                       config::Diagnostics& diag) const override {
    SalesforceTargetSettings parsed{};
    if (!spec_.Parse(settings, parsed, diag)) return nullptr;
    auto target = SalesforceTarget::Create(std::move(parsed), context);
    if (!target.ok()) {
      auto key = settings.Find("private_key_file");
      diag.Error(key ? key->position() : settings.position(),
                 config::DiagnosticKind::kInvalidValue, target.error().message);
      return nullptr;
    }
    return *target;
  }

 private:
  config::StructSpec<SalesforceTargetSettings> spec_;
};

}  // namespace

const config::StructSpec<SalesforceTargetSettings>& SalesforceTargetSettings::Spec() {
  using S = SalesforceTargetSettings;
  static const auto* spec = [] {
    auto* s = new config::StructSpec<S>();
    s->Optional("login_url", &S::login_url,
                "Where tokens come from: https://login.salesforce.com, "
                "https://test.salesforce.com for sandboxes, or the org's My Domain.",
                common::CheckHttpUrl)
        .Optional("api_version", &S::api_version, "REST API version, v46.0 or later.",
                  [](const std::string& v) -> std::optional<std::string> {
                    const size_t dot = v.find('.');
                    const bool shape = v.size() >= 4 && v[0] == 'v' && dot != std::string::npos &&
                                       dot > 1 && dot + 1 < v.size() &&
                                       std::all_of(v.begin() + 1, v.end(), [](char c) {
                                         return c == '.' || std::isdigit(
                                                                static_cast<unsigned char>(c));
                                       });
                    if (!shape) return "'" + v + "' is not a version like v60.0";
                    int major = 0;
                    const auto parsed = std::from_chars(v.data() + 1, v.data() + dot, major);
                    if (parsed.ec != std::errc() || major < 46) {
                      return "must be v46.0 or later (upserts by external id in collections)";
                    }
                    return std::nullopt;
                  })
        .Optional("auth", &S::auth,
                  "OAuth flow of the connected app: client_credentials or jwt_bearer.")
        .Required("client_id", &S::client_id, "The connected app's consumer key.")
        .Optional("client_secret", &S::client_secret,
                  "The connected app's consumer secret (client_credentials).")
        .Optional("username", &S::username,
                  "jwt_bearer: the Salesforce username the integration runs as (the JWT sub).")
        .Optional("private_key_file", &S::private_key_file,
                  "jwt_bearer: PEM RSA private key whose certificate is on the connected app; "
                  "relative to the config file.")
        .Optional("audience", &S::audience,
                  "jwt_bearer: the JWT aud (default: login_url).",
                  [](const std::string& v) -> std::optional<std::string> {
                    return v.empty() ? std::nullopt : common::CheckHttpUrl(v);
                  })
        .Optional("sobject", &S::sobject, "What profiles become: Contact or Lead.",
                  [](const std::string& v) -> std::optional<std::string> {
                    if (v != "Contact" && v != "Lead") return "must be Contact or Lead";
                    return std::nullopt;
                  })
        .Optional("external_id_field", &S::external_id_field,
                  "External id field (unique) of the sObject that holds journeyd's profile id.",
                  CheckApiName)
        .Optional("fields", &S::fields,
                  "Salesforce field -> profile field (default: FirstName, LastName, Email, "
                  "Phone, MailingCity, MailingCountry, Title; and Company for Lead).",
                  [](const std::map<std::string, std::string>& m) -> std::optional<std::string> {
                    for (const auto& [field, from] : m) {
                      if (auto problem = CheckApiName(field)) return "field " + *problem;
                    }
                    return std::nullopt;
                  })
        .Optional("stage_field", &S::stage_field,
                  "Field the journey stage goes to; empty for none.", CheckOptionalApiName)
        .Optional("stages", &S::stages,
                  "Journey stage -> value of stage_field (default: the stage's own name).")
        .Optional("task_key_field", &S::task_key_field,
                  "Task external id field for journeyd's key, so that a repeat updates its "
                  "Task; empty creates Tasks (a retry may then duplicate one).",
                  CheckOptionalApiName)
        .Optional("touchpoints", &S::touchpoints,
                  "task: log touchpoints as completed Tasks; none: do not send them.")
        .Optional("owners", &S::owners,
                  "Task owner as the journey names it -> Salesforce user id (005...).",
                  [](const std::map<std::string, std::string>& m) -> std::optional<std::string> {
                    for (const auto& [owner, id] : m) {
                      if (!LooksLikeId(id)) {
                        return "owner '" + owner + "': '" + id +
                               "' is not a Salesforce id (15 or 18 letters and digits)";
                      }
                    }
                    return std::nullopt;
                  })
        .Optional("requests_per_second", &S::requests_per_second,
                  "Sustained request rate; the daily allocation (Sforce-Limit-Info) slows it "
                  "further near the limit.",
                  [](const double& r) -> std::optional<std::string> {
                    if (r <= 0) return "must be above 0";
                    return std::nullopt;
                  })
        .Validate([](const S& v) -> std::optional<std::string> {
          if (v.auth == AuthFlow::kClientCredentials && v.client_secret.empty()) {
            return "auth: client_credentials needs client_secret (the connected app's consumer "
                   "secret)";
          }
          if (v.auth == AuthFlow::kJwtBearer && v.username.empty()) {
            return "auth: jwt_bearer needs username (the Salesforce user the JWT names)";
          }
          if (v.auth == AuthFlow::kJwtBearer && v.private_key_file.empty()) {
            return "auth: jwt_bearer needs private_key_file (the PEM RSA private key of the "
                   "connected app's certificate)";
          }
          return std::nullopt;
        });
    return s;
  }();
  return *spec;
}

SalesforceTarget::SalesforceTarget(SalesforceTargetSettings settings,
                                   std::shared_ptr<const RsaPrivateKey> key,
                                   const ConnectorContext& context)
    : settings_(std::move(settings)),
      clock_(context.clock != nullptr ? context.clock : &g_system_clock) {
  while (settings_.login_url.ends_with('/')) settings_.login_url.pop_back();
  oauth_.flow = settings_.auth;
  oauth_.token_url = settings_.login_url + "/services/oauth2/token";
  oauth_.client_id = settings_.client_id;
  oauth_.client_secret = settings_.client_secret;
  oauth_.username = settings_.username;
  oauth_.audience = settings_.audience.empty() ? settings_.login_url : settings_.audience;
  oauth_.key = std::move(key);
  projection_.properties =
      settings_.fields.empty() ? DefaultFields(settings_.sobject) : settings_.fields;
  projection_.stage_property = settings_.stage_field;
  projection_.stages = settings_.stages.empty() ? DefaultStages() : settings_.stages;
}

Result<std::shared_ptr<const SalesforceTarget>> SalesforceTarget::Create(
    SalesforceTargetSettings settings, const ConnectorContext& context) {
  std::shared_ptr<const RsaPrivateKey> key;
  if (settings.auth == AuthFlow::kJwtBearer) {
    if (settings.private_key_file.empty()) {
      return InvalidArgument("auth: jwt_bearer needs private_key_file");
    }
    auto loaded = RsaPrivateKey::LoadFile(KeyPath(settings, context));
    if (!loaded.ok()) return InvalidArgument("private_key_file: " + loaded.error().message);
    key = std::move(*loaded);
  }
  return std::make_shared<const SalesforceTarget>(std::move(settings), std::move(key), context);
}

TargetLimits SalesforceTarget::limits() const {
  return {kMaxRecords, settings_.requests_per_second,
          std::max(1.0, settings_.requests_per_second)};
}

delivery::PropertyMap SalesforceTarget::Project(const delivery::PropertyMap& document) const {
  return projection_.Project(document);
}

std::unique_ptr<TargetSession> SalesforceTarget::OpenSession() const {
  return std::make_unique<SalesforceSession>(settings_, oauth_, *clock_);
}

std::unique_ptr<Factory<Target>> MakeSalesforceTargetFactory() {
  return std::make_unique<SalesforceTargetFactory>();
}

}  // namespace journeyd::connectors::salesforce
