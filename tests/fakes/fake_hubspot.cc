#include "tests/fakes/fake_hubspot.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <deque>
#include <regex>
#include <set>
#include <string_view>

#include "tests/fakes/fake_util.h"

namespace journeyd::fakes {

namespace json = boost::json;
using std::chrono::steady_clock;
using std::chrono::system_clock;

std::vector<std::string> DefaultHubSpotContactProperties() {
  return {"email",
          "firstname",
          "lastname",
          "phone",
          "company",
          "city",
          "country",
          "zip",
          "address",
          "state",
          "website",
          "lifecyclestage",
          "hs_lead_status",
          "jobtitle",
          "journeyd_profile_id",
          "journeyd_stage",
          "journeyd_engagement",
          "journeyd_health"};
}

std::vector<std::string> DefaultHubSpotLifecycleStages() {
  return {"subscriber",         "lead",        "marketingqualifiedlead",
          "salesqualifiedlead", "opportunity", "customer",
          "evangelist",         "other"};
}

namespace {

constexpr size_t kMaxInputs = 100;

enum class ObjectKind { kContacts, kNotes, kTasks, kUnknown };

// HubSpot accepts an object type by name, singular or plural, any case, or by its type id.
ObjectKind ParseObjectType(std::string_view name) {
  const std::string lower = Lowercase(name);
  if (lower == "contacts" || lower == "contact" || lower == "0-1") return ObjectKind::kContacts;
  if (lower == "notes" || lower == "note" || lower == "0-46") return ObjectKind::kNotes;
  if (lower == "tasks" || lower == "task" || lower == "0-27") return ObjectKind::kTasks;
  return ObjectKind::kUnknown;
}

struct EngagementRules {
  const char* singular;              // "note"
  int association_type_id;           // to a contact, HUBSPOT_DEFINED
  std::set<std::string> properties;  // the portal has these
  std::vector<std::string> required;
};

const EngagementRules& RulesFor(ObjectKind kind) {
  static const EngagementRules kNote{
      "note",
      202,
      {"hs_timestamp", "hs_note_body", "hubspot_owner_id", "journeyd_key"},
      {"hs_timestamp", "hs_note_body"}};
  static const EngagementRules kTask{
      "task",
      204,
      {"hs_timestamp", "hs_task_subject", "hs_task_body", "hs_task_status", "hs_task_priority",
       "hubspot_owner_id", "journeyd_key"},
      {"hs_timestamp", "hs_task_subject"}};
  return kind == ObjectKind::kNotes ? kNote : kTask;
}

// hs_timestamp: milliseconds since the epoch, or an ISO-8601 date or date-time.
bool IsHubSpotTimestamp(const std::string& value) {
  static const std::regex kIso(
      R"(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?)");
  if (!value.empty() &&
      std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return true;
  }
  return std::regex_match(value, kIso);
}

struct Problem {
  std::string property;
  std::string code;
  std::string message;
};

json::object ErrorDetail(const std::string& message, const std::string& code,
                         const std::string& property) {
  return {{"message", message},
          {"code", code},
          {"context", json::object{{"propertyName", json::array{json::value(property)}}}}};
}

// HubSpot's "Property values were not valid: [...]" message embeds the problems as JSON.
std::string PropertyMessage(const std::vector<Problem>& problems) {
  json::array summary;
  for (const auto& p : problems) {
    summary.push_back(json::object{
        {"isValid", false}, {"message", p.message}, {"error", p.code}, {"name", p.property}});
  }
  return "Property values were not valid: " + json::serialize(summary);
}

json::array ErrorDetails(const std::vector<Problem>& problems) {
  json::array details;
  for (const auto& p : problems) details.push_back(ErrorDetail(p.message, p.code, p.property));
  return details;
}

// The StandardError of one refused input inside a 207.
json::object InputError(const std::string& category, const std::string& message,
                        json::object context, json::array errors) {
  return {{"status", "error"},
          {"category", category},
          {"message", message},
          {"context", std::move(context)},
          {"errors", std::move(errors)}};
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string Split(std::string_view* rest) {
  const size_t slash = rest->find('/');
  std::string piece(rest->substr(0, slash));
  *rest = slash == std::string_view::npos ? std::string_view{} : rest->substr(slash + 1);
  return piece;
}

}  // namespace

struct FakeHubSpot::State {
  explicit State(const HubSpotOptions& o)
      : options(o),
        contact_properties(o.contact_properties.begin(), o.contact_properties.end()),
        unique_properties(o.unique_properties.begin(), o.unique_properties.end()),
        lifecycle_stages(o.lifecycle_stages.begin(), o.lifecycle_stages.end()) {
    unique_properties.insert("email");
  }

  const HubSpotOptions& options;
  const std::set<std::string> contact_properties;
  std::set<std::string> unique_properties;  // with email
  const std::set<std::string> lifecycle_stages;

  std::vector<HubSpotContact> contacts;
  std::map<std::string, size_t> contact_by_id;
  // Unique property -> value (emails lowercased) -> position in `contacts`.
  std::map<std::string, std::map<std::string, size_t>> unique_index;
  std::vector<HubSpotEngagement> notes;
  std::vector<HubSpotEngagement> tasks;
  std::map<std::string, int> key_counts;
  std::map<std::string, size_t> requests_per_path;
  HubSpotStats stats;

  std::deque<steady_clock::time_point> window;  // requests let through in the rolling window
  std::deque<steady_clock::time_point> search_window;  // searches in the last second
  // When each note and task (by id) shows in search results.
  std::map<std::string, steady_clock::time_point> searchable_at;
  int daily_used = 0;
  uint64_t next_id = 1001;
  std::string correlation_id;  // of the request being answered

  // --- Errors -----------------------------------------------------------------------------

  // HubSpot's Error: the body of every non-2xx answer.
  Response Error(int status, const std::string& category, const std::string& message,
                 json::array errors = {}) const {
    json::object body{{"status", "error"},
                      {"message", message},
                      {"correlationId", correlation_id},
                      {"category", category}};
    if (!errors.empty()) body["errors"] = std::move(errors);
    return {status, json::serialize(body)};
  }
  Response Invalid(const std::string& message, json::array errors = {}) const {
    return Error(400, "VALIDATION_ERROR", message, std::move(errors));
  }

  // --- Rate limits --------------------------------------------------------------------------

  void PruneWindow(steady_clock::time_point now) {
    while (!window.empty() && now - window.front() >= options.window) window.pop_front();
  }

  // Counts the request against both budgets, or returns the 429.
  std::optional<Response> Admit() {
    const auto now = steady_clock::now();
    PruneWindow(now);
    if (daily_used >= options.daily_budget) {
      Response r = Error(429, "RATE_LIMITS", "You have reached your daily limit.");
      r.headers.emplace_back("Retry-After", std::to_string(SecondsToUtcMidnight()));
      return r;
    }
    if (static_cast<int>(window.size()) >= options.window_budget) {
      const auto wait =
          std::chrono::ceil<std::chrono::seconds>(window.front() + options.window - now);
      Response r = Error(429, "RATE_LIMITS", "You have reached your ten_secondly_rolling limit.");
      r.headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, wait.count())));
      return r;
    }
    window.push_back(now);
    ++daily_used;
    return std::nullopt;
  }

  static int64_t SecondsToUtcMidnight() {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(system_clock::now().time_since_epoch())
            .count();
    return 86400 - now % 86400;
  }

  void AddHeaders(Response* r) {
    PruneWindow(steady_clock::now());
    const int remaining = std::max(0, options.window_budget - static_cast<int>(window.size()));
    r->headers.emplace_back("X-HubSpot-RateLimit-Max", std::to_string(options.window_budget));
    r->headers.emplace_back("X-HubSpot-RateLimit-Remaining", std::to_string(remaining));
    r->headers.emplace_back("X-HubSpot-RateLimit-Interval-Milliseconds",
                            std::to_string(options.window.count()));
    r->headers.emplace_back("X-HubSpot-RateLimit-Daily", std::to_string(options.daily_budget));
    r->headers.emplace_back("X-HubSpot-RateLimit-Daily-Remaining",
                            std::to_string(std::max(0, options.daily_budget - daily_used)));
    r->headers.emplace_back("X-HubSpot-Correlation-Id", correlation_id);
  }

  // --- Routing ------------------------------------------------------------------------------

  Response Route(const Request& request) {
    if (request.header("authorization") != "Bearer " + options.token) {
      return Error(401, "INVALID_AUTHENTICATION",
                   "Authentication credentials not found. This API supports OAuth 2.0 "
                   "authentication and you can find more details at "
                   "https://developers.hubspot.com/docs/methods/auth/oauth-overview");
    }
    if (auto refused = Admit()) return *refused;

    constexpr std::string_view kPrefix = "/crm/v3/objects/";
    std::string_view rest = request.path;
    if (rest.substr(0, kPrefix.size()) == kPrefix) {
      rest.remove_prefix(kPrefix.size());
      const ObjectKind kind = ParseObjectType(Split(&rest));
      const std::string batch = Split(&rest);
      const std::string action = Split(&rest);
      if (batch == "search" && action.empty() && rest.empty() && kind != ObjectKind::kUnknown) {
        if (request.method != "POST") {
          Response r = Error(405, "VALIDATION_ERROR", "HTTP 405 Method Not Allowed");
          r.headers.emplace_back("Allow", "POST");
          return r;
        }
        return Search(kind, request.body);
      }
      const bool known =
          batch == "batch" && rest.empty() &&
          ((kind == ObjectKind::kContacts && (action == "upsert" || action == "update")) ||
           ((kind == ObjectKind::kNotes || kind == ObjectKind::kTasks) && action == "create"));
      if (known && request.method != "POST") {
        Response r = Error(405, "VALIDATION_ERROR", "HTTP 405 Method Not Allowed");
        r.headers.emplace_back("Allow", "POST");
        return r;
      }
      if (known) {
        boost::system::error_code ec;
        const json::value body = json::parse(request.body, ec);
        if (ec) return Invalid("Invalid input JSON: " + ec.message());
        if (kind != ObjectKind::kContacts) return Create(kind, body);
        return WriteContacts(body, /*by_record_id=*/action == "update");
      }
    }
    return Error(404, "OBJECT_NOT_FOUND", "Resource not found: " + request.path);
  }

  // POST /crm/v3/objects/{type}/search: filterGroups (at most 5) of filters (at most 6 each)
  // ANDed within a group, groups ORed; EQ (`value`) and IN (`values`, at most 100) on a property
  // the object has; `properties` to return; `limit` 1..200 (default 10); `after` to page.
  // Records written less than search_index_delay ago are not found yet.
  Response Search(ObjectKind kind, const std::string& text) {
    const auto now = steady_clock::now();
    while (!search_window.empty() && now - search_window.front() >= std::chrono::seconds(1)) {
      search_window.pop_front();
    }
    if (static_cast<int>(search_window.size()) >= options.search_per_second) {
      return Error(429, "RATE_LIMITS", "You have reached your secondly limit.");
    }
    search_window.push_back(now);
    boost::system::error_code ec;
    const json::value body = json::parse(text, ec);
    if (ec || !body.is_object()) return Invalid("Invalid input JSON: " + ec.message());
    const json::object& o = body.as_object();
    const std::set<std::string> known =
        kind == ObjectKind::kContacts ? contact_properties : RulesFor(kind).properties;
    struct Filter {
      std::string property;
      std::set<std::string> values;
    };
    std::vector<std::vector<Filter>> groups;
    if (const json::value* g = o.if_contains("filterGroups")) {
      if (!g->is_array() || g->as_array().size() > 5) {
        return Invalid("filterGroups must be a list of at most 5 groups");
      }
      for (const json::value& group : g->as_array()) {
        const json::value* filters = group.is_object() ? group.as_object().if_contains("filters")
                                                       : nullptr;
        if (filters == nullptr || !filters->is_array() || filters->as_array().size() > 6) {
          return Invalid("each filter group needs filters, at most 6");
        }
        std::vector<Filter> parsed;
        for (const json::value& f : filters->as_array()) {
          if (!f.is_object()) return Invalid("a filter must be an object");
          const std::string property = StringOr(f.as_object(), "propertyName");
          const std::string op = StringOr(f.as_object(), "operator");
          if (known.count(property) == 0) {
            return Invalid("There was a problem with the request: property \"" + property +
                           "\" does not exist");
          }
          Filter filter{property, {}};
          if (op == "EQ") {
            const json::value* v = f.as_object().if_contains("value");
            if (v == nullptr || !v->is_string()) return Invalid("EQ needs a string value");
            filter.values.insert(std::string(v->as_string()));
          } else if (op == "IN") {
            const json::value* v = f.as_object().if_contains("values");
            if (v == nullptr || !v->is_array() || v->as_array().empty() ||
                v->as_array().size() > 100) {
              return Invalid("IN needs values: a list of 1 to 100 strings");
            }
            for (const json::value& x : v->as_array()) {
              if (!x.is_string()) return Invalid("IN values must be strings");
              filter.values.insert(std::string(x.as_string()));
            }
          } else {
            return Invalid("operator \"" + op + "\" is not supported by this fake (EQ, IN)");
          }
          parsed.push_back(std::move(filter));
        }
        groups.push_back(std::move(parsed));
      }
    }
    int64_t limit = 10;
    if (const json::value* l = o.if_contains("limit")) {
      if (!l->is_int64() && !l->is_uint64()) return Invalid("limit must be a number");
      limit = l->to_number<int64_t>();
      if (limit < 1 || limit > 200) return Invalid("limit must be between 1 and 200");
    }
    size_t after = 0;
    if (const json::value* a = o.if_contains("after")) {
      const std::string text_after = a->is_string() ? std::string(a->as_string())
                                                    : json::serialize(*a);
      after = static_cast<size_t>(std::strtoull(text_after.c_str(), nullptr, 10));
    }
    std::vector<std::string> wanted;
    if (const json::value* p = o.if_contains("properties"); p && p->is_array()) {
      for (const json::value& x : p->as_array()) {
        if (x.is_string()) wanted.emplace_back(x.as_string());
      }
    }
    const auto matches = [&](const std::map<std::string, std::string>& properties) {
      if (groups.empty()) return true;
      for (const auto& group : groups) {
        bool all = true;
        for (const Filter& f : group) {
          auto it = properties.find(f.property);
          if (it == properties.end() || f.values.count(it->second) == 0) {
            all = false;
            break;
          }
        }
        if (all) return true;
      }
      return false;
    };
    struct Hit {
      std::string id;
      const std::map<std::string, std::string>* properties;
      std::string created_at;
    };
    std::vector<Hit> hits;
    if (kind == ObjectKind::kContacts) {
      for (const auto& c : contacts) {
        if (matches(c.properties)) hits.push_back({c.id, &c.properties, c.created_at});
      }
    } else {
      for (const auto& e : kind == ObjectKind::kNotes ? notes : tasks) {
        auto visible = searchable_at.find(e.id);
        if (visible != searchable_at.end() && now < visible->second) continue;
        if (matches(e.properties)) hits.push_back({e.id, &e.properties, e.created_at});
      }
    }
    json::array results;
    for (size_t i = after; i < hits.size() && static_cast<int64_t>(results.size()) < limit; ++i) {
      json::object properties{{"hs_object_id", hits[i].id},
                              {"hs_createdate", hits[i].created_at},
                              {"hs_lastmodifieddate", hits[i].created_at}};
      for (const std::string& name : wanted) {
        auto it = hits[i].properties->find(name);
        properties[name] = it == hits[i].properties->end() ? json::value(nullptr)
                                                           : json::value(it->second);
      }
      results.push_back(json::object{{"id", hits[i].id},
                                     {"properties", std::move(properties)},
                                     {"createdAt", hits[i].created_at},
                                     {"updatedAt", hits[i].created_at},
                                     {"archived", false}});
    }
    json::object answer{{"total", hits.size()}, {"results", std::move(results)}};
    if (after + static_cast<size_t>(limit) < hits.size()) {
      answer["paging"] = json::object{
          {"next", json::object{{"after", std::to_string(after + static_cast<size_t>(limit))}}}};
    }
    ++stats.searches;
    return {200, json::serialize(answer)};
  }

  static std::string StringOr(const json::object& o, const char* key) {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  }

  // `inputs`, 1..100 of them, or the 400 in *error.
  const json::array* Inputs(const json::value& body, std::optional<Response>* error) const {
    const json::value* inputs = body.is_object() ? body.as_object().if_contains("inputs") : nullptr;
    if (inputs == nullptr || !inputs->is_array()) {
      *error = Invalid("Some required fields were not set: [inputs]");
      return nullptr;
    }
    const size_t n = inputs->as_array().size();
    if (n == 0 || n > kMaxInputs) {
      *error = Invalid("The number of inputs must be between 1 and " + std::to_string(kMaxInputs) +
                       "; got " + std::to_string(n));
      return nullptr;
    }
    return &inputs->as_array();
  }

  // Checks that `value` is an object of string values naming properties in `known`. Unknown
  // names are collected (HubSpot lists them all); any other fault is returned as a message.
  static std::optional<std::string> CheckProperties(const json::value* value,
                                                    const std::set<std::string>& known,
                                                    std::set<std::string>* unknown) {
    if (value == nullptr || !value->is_object()) return "properties must be an object";
    for (const auto& [name, v] : value->as_object()) {
      if (!v.is_string()) {
        return "Property \"" + std::string(name) + "\" must be a string, got " + json::serialize(v);
      }
      if (!known.contains(std::string(name))) unknown->insert(std::string(name));
    }
    return std::nullopt;
  }

  Response UnknownProperties(const std::set<std::string>& unknown) const {
    std::vector<Problem> problems;
    for (const auto& name : unknown) {
      problems.push_back(
          {name, "PROPERTY_DOESNT_EXIST", "Property \"" + name + "\" does not exist"});
    }
    return Invalid(PropertyMessage(problems), ErrorDetails(problems));
  }

  static std::map<std::string, std::string> ToMap(const json::object& properties) {
    std::map<std::string, std::string> out;
    for (const auto& [name, v] : properties) out[std::string(name)] = std::string(v.as_string());
    return out;
  }

  static json::value Body(const json::array& results, json::array errors,
                          system_clock::time_point started) {
    json::object body{{"status", "COMPLETE"},
                      {"results", results},
                      {"startedAt", FormatIso8601(started)},
                      {"completedAt", FormatIso8601(system_clock::now())}};
    if (!errors.empty()) {
      body["numErrors"] = errors.size();
      body["errors"] = std::move(errors);
    }
    return body;
  }

  // --- Contacts -----------------------------------------------------------------------------

  std::string IndexKey(const std::string& property, const std::string& value) const {
    return property == "email" ? Lowercase(value) : value;
  }

  std::optional<size_t> FindContact(const std::string& property, const std::string& value) const {
    auto by_property = unique_index.find(property);
    if (by_property == unique_index.end()) return std::nullopt;
    auto it = by_property->second.find(IndexKey(property, value));
    if (it == by_property->second.end()) return std::nullopt;
    return it->second;
  }

  void SetProperty(size_t position, const std::string& name, std::string value) {
    HubSpotContact& contact = contacts[position];
    if (name == "email") value = Lowercase(value);  // HubSpot stores emails lowercased
    if (unique_properties.contains(name)) {
      auto& index = unique_index[name];
      auto old = contact.properties.find(name);
      if (old != contact.properties.end()) index.erase(IndexKey(name, old->second));
      if (!value.empty()) index[IndexKey(name, value)] = position;
    }
    contact.history[name].push_back(value);
    contact.properties[name] = std::move(value);
  }

  std::vector<Problem> ContactProblems(const std::string& id, const std::string& id_property,
                                       const json::object& properties) const {
    std::vector<Problem> problems;
    auto check_email = [&](const std::string& value) {
      if (!IsPlausibleEmail(value)) {
        problems.push_back({"email", "INVALID_EMAIL", "Email address " + value + " is invalid"});
      }
    };
    if (id_property == "email") check_email(id);
    if (auto* email = properties.if_contains("email"); email && !email->as_string().empty()) {
      check_email(std::string(email->as_string()));
    }
    if (auto* stage = properties.if_contains("lifecyclestage");
        stage && !stage->as_string().empty() &&
        !lifecycle_stages.contains(std::string(stage->as_string()))) {
      problems.push_back({"lifecyclestage", "INVALID_OPTION",
                          std::string(stage->as_string()) +
                              " was not one of the allowed options: [" +
                              Join(options.lifecycle_stages) + "]"});
    }
    return problems;
  }

  // The id of another contact that already owns a unique value this input would set, if any.
  std::optional<std::string> Conflict(std::optional<size_t> self, const std::string& id_property,
                                      const std::string& id, const json::object& properties) const {
    for (const auto& [name, v] : properties) {
      const std::string property(name);
      const std::string value(v.as_string());
      if (!unique_properties.contains(property) || value.empty()) continue;
      if (property == id_property && IndexKey(property, value) == IndexKey(property, id)) continue;
      if (auto owner = FindContact(property, value); owner && owner != self) {
        return contacts[*owner].id;
      }
    }
    return std::nullopt;
  }

  json::object ContactResult(const HubSpotContact& contact, bool created,
                             const json::value* trace) const {
    json::object properties;
    for (const auto& [name, value] : contact.properties) properties[name] = value;
    properties["hs_object_id"] = contact.id;
    properties["createdate"] = contact.created_at;
    properties["lastmodifieddate"] = contact.updated_at;
    json::object result{{"id", contact.id},
                        {"new", created},
                        {"properties", std::move(properties)},
                        {"createdAt", contact.created_at},
                        {"updatedAt", contact.updated_at},
                        {"archived", false}};
    if (trace) result["objectWriteTraceId"] = *trace;
    return result;
  }

  // batch/upsert (inputs {id, idProperty, properties}: found by a unique property, else created)
  // and batch/update (inputs {id, properties}: the record id; an unknown one is a per-input
  // OBJECT_NOT_FOUND). Both take objectWriteTraceId.
  Response WriteContacts(const json::value& body, bool by_record_id) {
    const auto started = system_clock::now();
    std::optional<Response> error;
    const json::array* inputs = Inputs(body, &error);
    if (!inputs) return *error;

    // Whole-request checks first: HubSpot refuses the batch before applying any of it.
    std::set<std::string> unknown;
    std::set<std::string> seen;
    for (const auto& input : *inputs) {
      const json::object* object = input.if_object();
      if (!object) return Invalid("Each input must be an object");
      const json::value* id = object->if_contains("id");
      const json::value* id_property = object->if_contains("idProperty");
      if (!id || !id->is_string() || id->as_string().empty()) {
        return Invalid("Some required fields were not set: [id]");
      }
      if (!by_record_id && (!id_property || !id_property->is_string())) {
        return Invalid("Some required fields were not set: [idProperty]");
      }
      const std::string property = by_record_id ? "" : std::string(id_property->as_string());
      if (!by_record_id && !unique_properties.contains(property)) {
        return Invalid("Property \"" + property + "\" is not a unique property; use email or " +
                       "one of the properties declared unique");
      }
      if (auto* trace = object->if_contains("objectWriteTraceId"); trace && !trace->is_string()) {
        return Invalid("objectWriteTraceId must be a string");
      }
      if (auto fault =
              CheckProperties(object->if_contains("properties"), contact_properties, &unknown)) {
        return Invalid(*fault);
      }
      const std::string key = by_record_id ? std::string(id->as_string())
                                           : property + "\n" +
                                                 IndexKey(property, std::string(id->as_string()));
      if (!seen.insert(key).second) {
        return Invalid("Duplicate IDs found in batch input: [" + std::string(id->as_string()) +
                       "]");
      }
    }
    if (!unknown.empty()) return UnknownProperties(unknown);

    json::array results;
    json::array errors;
    const std::string now = FormatIso8601(system_clock::now());
    for (const auto& input : *inputs) {
      const json::object& object = input.as_object();
      const std::string id(object.at("id").as_string());
      const std::string id_property =
          by_record_id ? "" : std::string(object.at("idProperty").as_string());
      const json::object& properties = object.at("properties").as_object();
      const json::value* trace = object.if_contains("objectWriteTraceId");
      json::object context{{"id", json::array{json::value(id)}}};
      if (trace) context["objectWriteTraceId"] = json::array{*trace};

      std::optional<size_t> position;
      if (by_record_id) {
        auto found = contact_by_id.find(id);
        if (found == contact_by_id.end()) {
          errors.push_back(InputError("OBJECT_NOT_FOUND", "Object not found. objectId: " + id,
                                      std::move(context), {}));
          continue;
        }
        position = found->second;
      }
      const std::vector<Problem> problems = ContactProblems(id, id_property, properties);
      if (!problems.empty()) {
        errors.push_back(InputError("VALIDATION_ERROR", PropertyMessage(problems),
                                    std::move(context), ErrorDetails(problems)));
        continue;
      }
      if (!by_record_id) position = FindContact(id_property, id);
      if (auto owner = Conflict(position, id_property, id, properties)) {
        errors.push_back(InputError("CONFLICT", "Contact already exists. Existing ID: " + *owner,
                                    std::move(context), {}));
        continue;
      }
      const bool created = !position.has_value();
      if (created) {
        position = contacts.size();
        HubSpotContact contact;
        contact.id = std::to_string(next_id++);
        contact.created_at = now;
        contacts.push_back(std::move(contact));
        contact_by_id[contacts.back().id] = *position;
        if (!properties.contains(id_property)) SetProperty(*position, id_property, id);
      }
      for (const auto& [name, v] : properties) {
        SetProperty(*position, std::string(name), std::string(v.as_string()));
      }
      HubSpotContact& contact = contacts[*position];
      contact.updated_at = now;
      ++contact.upsert_count;
      ++stats.upsert_inputs;
      results.push_back(ContactResult(contact, created, trace));
    }
    stats.input_errors += errors.size();
    const int status = errors.empty() ? 200 : 207;
    return {status, json::serialize(Body(results, std::move(errors), started))};
  }

  // --- Notes and tasks ----------------------------------------------------------------------

  // Structure of `associations`, if present; a fault is a message for the 400.
  static std::optional<std::string> CheckAssociations(const json::value* associations) {
    if (associations == nullptr) return std::nullopt;
    if (!associations->is_array()) return "associations must be an array";
    for (const auto& association : associations->as_array()) {
      const json::object* object = association.if_object();
      const json::value* to = object ? object->if_contains("to") : nullptr;
      const json::value* to_id =
          to && to->is_object() ? to->as_object().if_contains("id") : nullptr;
      if (!to_id || !to_id->is_string()) return "Some required fields were not set: [to.id]";
      const json::value* types = object->if_contains("types");
      if (!types || !types->is_array() || types->as_array().empty()) {
        return "Some required fields were not set: [types]";
      }
      for (const auto& type : types->as_array()) {
        const json::object* t = type.if_object();
        if (!t || !t->contains("associationCategory") ||
            !t->at("associationCategory").is_string() || !t->contains("associationTypeId") ||
            !t->at("associationTypeId").is_int64()) {
          return "Each association type needs associationCategory and an integer "
                 "associationTypeId";
        }
      }
    }
    return std::nullopt;
  }

  std::vector<Problem> EngagementProblems(ObjectKind kind, const json::object& properties) const {
    const EngagementRules& rules = RulesFor(kind);
    std::vector<Problem> problems;
    for (const auto& name : rules.required) {
      auto* v = properties.if_contains(name);
      if (!v || v->as_string().empty()) {
        problems.push_back({name, "REQUIRED_FIELD", name + " is required"});
      }
    }
    if (auto* ts = properties.if_contains("hs_timestamp");
        ts && !ts->as_string().empty() && !IsHubSpotTimestamp(std::string(ts->as_string()))) {
      problems.push_back(
          {"hs_timestamp", "INVALID_DATE",
           std::string(ts->as_string()) + " is not a valid date-time or millisecond timestamp"});
    }
    auto check_option = [&](const std::string& name, const std::set<std::string>& allowed) {
      auto* v = properties.if_contains(name);
      if (v && !allowed.contains(std::string(v->as_string()))) {
        problems.push_back({name, "INVALID_OPTION",
                            std::string(v->as_string()) + " was not one of the allowed options"});
      }
    };
    if (kind == ObjectKind::kTasks) {
      check_option("hs_task_status", {"NOT_STARTED", "COMPLETED"});
      check_option("hs_task_priority", {"LOW", "MEDIUM", "HIGH"});
    }
    return problems;
  }

  // The association fault of one input as its 207 error, or nothing.
  std::optional<json::object> AssociationError(ObjectKind kind, const json::value* associations,
                                               json::object context) const {
    if (associations == nullptr) return std::nullopt;
    const EngagementRules& rules = RulesFor(kind);
    for (const auto& association : associations->as_array()) {
      const std::string to(association.at("to").at("id").as_string());
      for (const auto& type : association.at("types").as_array()) {
        const std::string category(type.at("associationCategory").as_string());
        const int64_t type_id = type.at("associationTypeId").as_int64();
        if (category != "HUBSPOT_DEFINED" || type_id != rules.association_type_id) {
          const std::string message = "Association type " + std::to_string(type_id) + " (" +
                                      category + ") is not valid between " + rules.singular +
                                      " and contact";
          return InputError("VALIDATION_ERROR", message, std::move(context),
                            json::array{json::object{{"message", message},
                                                     {"code", "INVALID_ASSOCIATION_TYPE"}}});
        }
      }
      if (!contact_by_id.contains(to)) {
        const std::string message = "Contact " + to + " does not exist";
        return InputError(
            "VALIDATION_ERROR", "One or more associations are invalid", std::move(context),
            json::array{json::object{{"message", message}, {"code", "INVALID_OBJECT_ID"}}});
      }
    }
    return std::nullopt;
  }

  Response Create(ObjectKind kind, const json::value& body) {
    const auto started = system_clock::now();
    const EngagementRules& rules = RulesFor(kind);
    std::optional<Response> error;
    const json::array* inputs = Inputs(body, &error);
    if (!inputs) return *error;

    std::set<std::string> unknown;
    for (const auto& input : *inputs) {
      const json::object* object = input.if_object();
      if (!object) return Invalid("Each input must be an object");
      if (auto fault =
              CheckProperties(object->if_contains("properties"), rules.properties, &unknown)) {
        return Invalid(*fault);
      }
      if (auto fault = CheckAssociations(object->if_contains("associations"))) {
        return Invalid(*fault);
      }
      if (auto* trace = object->if_contains("objectWriteTraceId"); trace && !trace->is_string()) {
        return Invalid("objectWriteTraceId must be a string");
      }
    }
    if (!unknown.empty()) return UnknownProperties(unknown);

    std::vector<HubSpotEngagement>& store = kind == ObjectKind::kNotes ? notes : tasks;
    json::array results;
    json::array errors;
    const std::string now = FormatIso8601(system_clock::now());
    for (const auto& input : *inputs) {
      const json::object& object = input.as_object();
      const json::object& properties = object.at("properties").as_object();
      const json::value* associations = object.if_contains("associations");
      const json::value* trace = object.if_contains("objectWriteTraceId");
      json::object context;
      if (trace) context["objectWriteTraceId"] = json::array{*trace};

      const std::vector<Problem> problems = EngagementProblems(kind, properties);
      if (!problems.empty()) {
        errors.push_back(InputError("VALIDATION_ERROR", PropertyMessage(problems),
                                    std::move(context), ErrorDetails(problems)));
        continue;
      }
      if (auto fault = AssociationError(kind, associations, context)) {
        errors.push_back(std::move(*fault));
        continue;
      }
      HubSpotEngagement engagement;
      engagement.id = std::to_string(next_id++);
      engagement.properties = ToMap(properties);
      engagement.created_at = now;
      if (associations) {
        for (const auto& a : associations->as_array()) {
          engagement.contact_ids.emplace_back(a.at("to").at("id").as_string());
        }
      }
      if (auto key = engagement.properties.find("journeyd_key");
          key != engagement.properties.end()) {
        ++key_counts[key->second];
      }
      json::object result_properties;
      for (const auto& [name, value] : engagement.properties) result_properties[name] = value;
      result_properties["hs_object_id"] = engagement.id;
      result_properties["hs_createdate"] = now;
      result_properties["hs_lastmodifieddate"] = now;
      json::object result{{"id", engagement.id},
                          {"properties", std::move(result_properties)},
                          {"createdAt", now},
                          {"updatedAt", now},
                          {"archived", false}};
      if (trace) result["objectWriteTraceId"] = *trace;
      results.push_back(std::move(result));
      searchable_at[engagement.id] = steady_clock::now() + options.search_index_delay;
      store.push_back(std::move(engagement));
      ++stats.created_objects;
    }
    stats.input_errors += errors.size();
    const int status = errors.empty() ? 201 : 207;
    return {status, json::serialize(Body(results, std::move(errors), started))};
  }
};

FakeHubSpot::FakeHubSpot(HubSpotOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>(options_)) {
  server_ = std::make_unique<FakeHttpServer>(
      [this](const Request& request) { return Handle(request); },
      [this](int status) { return Fault(status); }, options_.server);
}

FakeHubSpot::~FakeHubSpot() { server_.reset(); }

Response FakeHubSpot::Handle(const Request& request) {
  std::lock_guard lock(mu_);
  ++state_->requests_per_path[request.path];
  state_->correlation_id = RandomUuid();
  Response response = state_->Route(request);
  state_->AddHeaders(&response);
  return response;
}

Response FakeHubSpot::Fault(int status) {
  std::lock_guard lock(mu_);
  state_->correlation_id = RandomUuid();
  Response response;
  if (status == 429) {
    response =
        state_->Error(status, "RATE_LIMITS", "You have reached your ten_secondly_rolling limit.");
    response.headers.emplace_back("Retry-After", "1");
  } else if (status >= 500) {
    response = state_->Error(status, "INTERNAL_ERROR", "internal error");
  } else {
    response = state_->Error(status, "VALIDATION_ERROR", "injected fault");
  }
  state_->AddHeaders(&response);
  return response;
}

std::vector<HubSpotContact> FakeHubSpot::Contacts() const {
  std::lock_guard lock(mu_);
  return state_->contacts;
}

std::optional<HubSpotContact> FakeHubSpot::ContactById(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = state_->contact_by_id.find(id);
  if (it == state_->contact_by_id.end()) return std::nullopt;
  return state_->contacts[it->second];
}

std::optional<HubSpotContact> FakeHubSpot::ContactByEmail(const std::string& email) const {
  std::lock_guard lock(mu_);
  auto position = state_->FindContact("email", email);
  if (!position) return std::nullopt;
  return state_->contacts[*position];
}

std::vector<HubSpotEngagement> FakeHubSpot::Notes() const {
  std::lock_guard lock(mu_);
  return state_->notes;
}

std::vector<HubSpotEngagement> FakeHubSpot::Tasks() const {
  std::lock_guard lock(mu_);
  return state_->tasks;
}

int FakeHubSpot::KeyCount(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = state_->key_counts.find(key);
  return it == state_->key_counts.end() ? 0 : it->second;
}

std::map<std::string, int> FakeHubSpot::KeyCounts() const {
  std::lock_guard lock(mu_);
  return state_->key_counts;
}

std::map<std::string, size_t> FakeHubSpot::RequestsPerPath() const {
  std::lock_guard lock(mu_);
  return state_->requests_per_path;
}

HubSpotStats FakeHubSpot::Stats() const {
  std::lock_guard lock(mu_);
  return state_->stats;
}

}  // namespace journeyd::fakes
