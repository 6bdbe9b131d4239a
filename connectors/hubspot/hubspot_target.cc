#include "connectors/hubspot/hubspot_target.h"

#include <boost/json.hpp>

#include <map>
#include <set>

#include "connectors/common/checks.h"
#include "connectors/common/json.h"
#include "engine/base/time_format.h"

namespace journeyd::connectors::hubspot {

namespace json = boost::json;
using delivery::DeliveryItem;
using delivery::ItemKind;

namespace {

constexpr size_t kMaxInputs = 100;
constexpr int kNoteToContact = 202;
constexpr int kTaskToContact = 204;

using common::FindMember;

// A property value as HubSpot takes it: strings and integers as they are, other values (a
// decimal, a flag) in their JSON text.
std::string Text(const json::value* v) {
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string() || v->is_int64() || v->is_uint64()) return common::ScalarText(v);
  return json::serialize(*v);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// HubSpot's StandardError, in a line: its message and the codes of its details.
std::string ErrorText(const json::value& error) {
  std::string out = Text(FindMember(error, "message"));
  if (const json::value* details = FindMember(error, "errors"); details && details->is_array()) {
    for (const json::value& d : details->get_array()) {
      const std::string code = Text(FindMember(d, "code"));
      const std::string message = Text(FindMember(d, "message"));
      out += " [" + (code.empty() ? message : code + ": " + message) + "]";
    }
  }
  const std::string category = Text(FindMember(error, "category"));
  return category.empty() ? out : category + ": " + out;
}

std::string NoteBody(const DeliveryItem& item) {
  std::string body = item.touchpoint_type + " (" + item.touchpoint_source;
  if (!item.channel.empty()) body += ", " + item.channel;
  body += ")";
  if (!item.value.empty()) body += ": " + item.value + (item.currency.empty() ? "" : " " + item.currency);
  if (!item.reference.empty()) body += ", reference " + item.reference;
  return body;
}

class HubSpotSession final : public TargetSession {
 public:
  explicit HubSpotSession(const HubSpotTargetSettings& settings) : s_(settings) {}

  std::vector<PlannedRequest> Plan(std::span<const DeliveryItem> items) override {
    // A contact HubSpot already has is updated by its record id, so that a changed email
    // changes that contact instead of upserting a second one; a new one is upserted by email.
    std::vector<size_t> upserts, updates, notes, tasks;
    for (size_t i = 0; i < items.size(); ++i) {
      const DeliveryItem& item = items[i];
      switch (item.kind) {
        case ItemKind::kProfile:
          (item.crm_id.empty() ? upserts : updates).push_back(i);
          break;
        case ItemKind::kTouchpoint:
          notes.push_back(i);
          break;
        case ItemKind::kAction:
          if (item.action_kind == "set_properties") {
            (item.crm_id.empty() ? upserts : updates).push_back(i);
          } else if (item.action_kind == "create_task") {
            tasks.push_back(i);
          } else {
            notes.push_back(i);
          }
          break;
      }
    }
    std::vector<PlannedRequest> out;
    Chunk(items, upserts, "contacts upsert", "/crm/v3/objects/contacts/batch/upsert", out);
    Chunk(items, updates, "contacts update", "/crm/v3/objects/contacts/batch/update", out);
    Chunk(items, notes, "notes create", "/crm/v3/objects/notes/batch/create", out);
    Chunk(items, tasks, "tasks create", "/crm/v3/objects/tasks/batch/create", out);
    return out;
  }

  Status Authorize(delivery::HttpRequest& request, delivery::HttpTransport&) override {
    request.headers.emplace_back("authorization", "Bearer " + s_.token.Reveal());
    return OkStatus();
  }

  RequestOutcome Interpret(const PlannedRequest& request, std::span<const DeliveryItem> items,
                           const delivery::HttpResponse& response) override {
    RequestOutcome out;
    const int status = response.status;
    boost::system::error_code ec;
    const json::value body = response.body.empty() ? json::value() : json::parse(response.body, ec);
    if (status == 0 || status == 429 || status >= 500) {
      out.whole = Verdict::kRetry;
      out.message = status == 0 ? response.transport_error
                                : "HTTP " + std::to_string(status) + ": " + ErrorText(body);
      return out;
    }
    if (status == 401 || status == 403) {
      // A token fixed by the admin (and a restart) makes these succeed: retry until max_age.
      out.whole = Verdict::kRetry;
      out.message = "HTTP " + std::to_string(status) + ": " + ErrorText(body);
      return out;
    }
    if (status < 200 || status >= 300) {
      out.whole = Verdict::kRejected;
      out.message = "HTTP " + std::to_string(status) + ": " + ErrorText(body);
      return out;
    }
    // 200, 201 or 207: per input. Results and errors name their input by objectWriteTraceId.
    std::map<std::string, ItemVerdict> by_trace;
    if (const json::value* results = FindMember(body, "results"); results && results->is_array()) {
      for (const json::value& r : results->get_array()) {
        const std::string trace = Text(FindMember(r, "objectWriteTraceId"));
        const std::string id = Text(FindMember(r, "id"));
        std::string key = trace;
        if (key.empty()) {  // an API that does not echo traces: match by what identifies it
          const json::value* props = FindMember(r, "properties");
          key = "email:" + Lower(Text(props ? FindMember(*props, s_.id_property) : nullptr));
          if (!s_.key_property.empty() && props) {
            const std::string k = Text(FindMember(*props, s_.key_property));
            if (!k.empty()) key = "key:" + k;
          }
        }
        by_trace[key] = {Verdict::kDelivered, id, ""};
      }
    }
    if (const json::value* errors = FindMember(body, "errors"); errors && errors->is_array()) {
      for (const json::value& e : errors->get_array()) {
        const json::value* context = FindMember(e, "context");
        const json::value* traces = context ? FindMember(*context, "objectWriteTraceId") : nullptr;
        if (traces && traces->is_array()) {
          for (const json::value& t : traces->get_array()) {
            by_trace[Text(&t)] = {Verdict::kRejected, "", ErrorText(e)};
          }
        }
      }
    }
    const bool complete = status != 207;
    for (size_t k = 0; k < request.items.size(); ++k) {
      const DeliveryItem& item = items[request.items[k]];
      ItemVerdict verdict{complete ? Verdict::kDelivered : Verdict::kRejected, "",
                          "HubSpot reported an error for the batch without naming this input"};
      for (const std::string& key : {TraceOf(k), "email:" + Lower(item.address),
                                     "key:" + item.key}) {
        if (auto it = by_trace.find(key); it != by_trace.end()) {
          verdict = it->second;
          break;
        }
      }
      if (verdict.verdict == Verdict::kDelivered) {
        verdict.message.clear();
        // Only a contact write's id is the contact's: a note's is the note's.
        if (!request.what.starts_with("contacts ")) verdict.crm_id.clear();
      }
      out.items.push_back(std::move(verdict));
    }
    return out;
  }

  // Notes and tasks: batch create is not idempotent, but each carries journeyd's key in
  // key_property, which the CRM search can find. Without a key property there is nothing to
  // ask by.
  bool LooksUp(const DeliveryItem& item) const override {
    return !s_.key_property.empty() && ObjectOf(item) != nullptr;
  }

  // HubSpot's search shows new records after a short delay ("may not appear in search results
  // immediately"); no figure is published. 5 s is well past what users report.
  std::chrono::milliseconds LookupDelay() const override { return std::chrono::seconds(5); }

  std::vector<PlannedRequest> PlanLookup(std::span<const DeliveryItem> items) override {
    std::map<std::string, std::vector<size_t>> by_object;
    for (size_t i = 0; i < items.size(); ++i) {
      if (const char* object = ObjectOf(items[i])) by_object[object].push_back(i);
    }
    std::vector<PlannedRequest> out;
    for (const auto& [object, which] : by_object) {
      // The search takes at most 100 values in an IN filter and answers at most 100 results
      // a page here; a key is on at most one record unless something else doubled it.
      for (size_t start = 0; start < which.size(); start += kMaxInputs) {
        PlannedRequest request;
        json::array keys;
        for (size_t i = start; i < std::min(which.size(), start + kMaxInputs); ++i) {
          request.items.push_back(which[i]);
          keys.push_back(json::string(items[which[i]].key));
        }
        json::object filter{{"propertyName", s_.key_property},
                            {"operator", "IN"},
                            {"values", std::move(keys)}};
        json::object body{
            {"filterGroups",
             json::array{json::object{{"filters", json::array{std::move(filter)}}}}},
            {"properties", json::array{json::string(s_.key_property)}},
            {"limit", kMaxInputs}};
        request.what = object + std::string(" lookup");
        request.http.method = "POST";
        request.http.url = s_.base_url + "/crm/v3/objects/" + object + "/search";
        request.http.headers = {{"content-type", "application/json"}};
        request.http.body = json::serialize(body);
        out.push_back(std::move(request));
      }
    }
    return out;
  }

  Result<std::vector<bool>> InterpretLookup(const PlannedRequest& request,
                                            std::span<const DeliveryItem> items,
                                            const delivery::HttpResponse& response) override {
    const int status = response.status;
    boost::system::error_code ec;
    const json::value body =
        response.body.empty() ? json::value() : json::parse(response.body, ec);
    if (status == 0 || status == 429 || status >= 500 || status == 401) {
      return Error{ErrorCode::kUnavailable,
                   status == 0 ? response.transport_error
                               : "HTTP " + std::to_string(status) + ": " + ErrorText(body)};
    }
    if (status != 200 || ec) {
      return Error{ErrorCode::kInvalidArgument,
                   "HTTP " + std::to_string(status) + ": " + ErrorText(body)};
    }
    std::set<std::string> present;
    if (const json::value* results = FindMember(body, "results"); results && results->is_array()) {
      for (const json::value& r : results->get_array()) {
        const json::value* props = FindMember(r, "properties");
        if (props) present.insert(Text(FindMember(*props, s_.key_property)));
      }
    }
    std::vector<bool> out;
    for (size_t k : request.items) out.push_back(present.count(items[k].key) > 0);
    return out;
  }

 private:
  static std::string TraceOf(size_t k) { return "journeyd-" + std::to_string(k); }

  // The HubSpot object a touchpoint or action is created as, or null for contact writes.
  static const char* ObjectOf(const DeliveryItem& item) {
    switch (item.kind) {
      case ItemKind::kProfile:
        return nullptr;
      case ItemKind::kTouchpoint:
        return "notes";
      case ItemKind::kAction:
        if (item.action_kind == "set_properties") return nullptr;
        return item.action_kind == "create_task" ? "tasks" : "notes";
    }
    return nullptr;
  }

  void Chunk(std::span<const DeliveryItem> items, const std::vector<size_t>& which,
             const char* what, const char* path, std::vector<PlannedRequest>& out) const {
    for (size_t start = 0; start < which.size(); start += kMaxInputs) {
      PlannedRequest request;
      json::array inputs;
      for (size_t i = start; i < std::min(which.size(), start + kMaxInputs); ++i) {
        const size_t k = request.items.size();
        request.items.push_back(which[i]);
        inputs.push_back(Input(items[which[i]], TraceOf(k)));
      }
      request.what = what;
      request.http.method = "POST";
      request.http.url = s_.base_url + path;
      request.http.headers = {{"content-type", "application/json"}};
      request.http.body = json::serialize(json::object{{"inputs", std::move(inputs)}});
      out.push_back(std::move(request));
    }
  }

  json::object Input(const DeliveryItem& item, const std::string& trace) const {
    const json::value payload = common::ParseJson(item.payload_json).value_or(json::object());
    if (item.kind == ItemKind::kProfile ||
        (item.kind == ItemKind::kAction && item.action_kind == "set_properties")) {
      json::object properties;
      if (item.kind == ItemKind::kProfile) {
        // A record HubSpot does not have yet gets everything; a known one the changes only.
        for (const auto& [k, v] : item.crm_id.empty() ? item.all : item.changed) {
          properties[k] = v;
        }
      } else if (const json::value* p = FindMember(payload, "properties");
                 p && p->is_object()) {
        for (const auto& [k, v] : p->get_object()) properties[k] = Text(&v);
      }
      if (!item.crm_id.empty()) {  // batch/update, by record id
        return {{"id", item.crm_id}, {"objectWriteTraceId", trace},
                {"properties", std::move(properties)}};
      }
      return {{"id", item.address}, {"idProperty", s_.id_property},
              {"objectWriteTraceId", trace}, {"properties", std::move(properties)}};
    }
    json::object properties;
    int association = kNoteToContact;
    if (item.kind == ItemKind::kAction && item.action_kind == "create_task") {
      association = kTaskToContact;
      const json::value* task = FindMember(payload, "task");
      const std::string due = task ? Text(FindMember(*task, "due_at")) : "";
      properties["hs_timestamp"] = due.empty() ? FormatIso8601(item.occurred_at) : due;
      properties["hs_task_subject"] = task ? Text(FindMember(*task, "subject")) : item.action;
      properties["hs_task_body"] = task ? Text(FindMember(*task, "body")) : "";
      properties["hs_task_status"] = "NOT_STARTED";
      const std::string owner = task ? Text(FindMember(*task, "owner")) : "";
      if (auto it = s_.owners.find(owner); it != s_.owners.end()) {
        properties["hubspot_owner_id"] = it->second;
      } else if (!owner.empty() &&
                 owner.find_first_not_of("0123456789") == std::string::npos) {
        properties["hubspot_owner_id"] = owner;
      }
    } else if (item.kind == ItemKind::kAction) {
      properties["hs_timestamp"] = FormatIso8601(item.occurred_at);
      properties["hs_note_body"] = "journeyd: " + item.action + " (" +
                                   Text(FindMember(payload, "event")) + " " +
                                   Text(FindMember(payload, "state")) + ")";
    } else {
      properties["hs_timestamp"] = FormatIso8601(item.occurred_at);
      properties["hs_note_body"] = NoteBody(item);
    }
    if (!s_.key_property.empty()) properties[s_.key_property] = item.key;
    json::object association_type{{"associationCategory", "HUBSPOT_DEFINED"},
                                  {"associationTypeId", association}};
    return {{"objectWriteTraceId", trace},
            {"properties", std::move(properties)},
            {"associations",
             json::array{json::object{{"to", {{"id", item.crm_id}}},
                                      {"types", json::array{std::move(association_type)}}}}}};
  }

  const HubSpotTargetSettings& s_;
};

std::map<std::string, std::string> DefaultProperties() {
  return {{"email", "email"},         {"firstname", "first_name"}, {"lastname", "last_name"},
          {"phone", "phone"},         {"company", "company"},      {"jobtitle", "job_title"},
          {"city", "city"},           {"state", "region"},         {"zip", "postal_code"},
          {"country", "country"}};
}

std::map<std::string, std::string> DefaultStages() {
  return {{"awareness", "subscriber"},  {"consideration", "lead"},
          {"decision", "opportunity"},  {"purchase", "customer"},
          {"onboarding", "customer"},   {"retention", "customer"},
          {"advocacy", "evangelist"}};
}

}  // namespace

const config::StructSpec<HubSpotTargetSettings>& HubSpotTargetSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<HubSpotTargetSettings>();
    s->Optional("base_url", &HubSpotTargetSettings::base_url,
                "API root; tests point it at a fake.",
                common::CheckHttpUrl)
        .Required("token", &HubSpotTargetSettings::token,
                  "Private-app access token (scopes crm.objects.contacts.write and the notes "
                  "and tasks ones).")
        .Optional("id_property", &HubSpotTargetSettings::id_property,
                  "Contact property batch upserts match on: email or a unique property.")
        .Optional("address_field", &HubSpotTargetSettings::address_field,
                  "The profile field whose value fills id_property.")
        .Optional("properties", &HubSpotTargetSettings::properties,
                  "Contact property -> profile field (default: email, firstname, lastname, "
                  "phone, company, jobtitle, city, state, zip, country from the golden record).")
        .Optional("stage_property", &HubSpotTargetSettings::stage_property,
                  "Contact property the journey stage goes to; empty for none.")
        .Optional("stages", &HubSpotTargetSettings::stages,
                  "Journey stage -> HubSpot lifecycle stage (default: subscriber, lead, "
                  "opportunity, customer x3, evangelist).")
        .Optional("key_property", &HubSpotTargetSettings::key_property,
                  "A note and task property (create it in the portal) for journeyd's "
                  "idempotency key.")
        .Optional("owners", &HubSpotTargetSettings::owners,
                  "Task owner as the journey names it -> HubSpot owner id.")
        .Optional("requests_per_10s", &HubSpotTargetSettings::requests_per_10s,
                  "The account's burst limit: 100 (Free, Starter), 190 (Professional, "
                  "Enterprise), more with the API add-on.",
                  [](const int& n) -> std::optional<std::string> {
                    if (n < 1) return "must be at least 1";
                    return std::nullopt;
                  });
    return s;
  }();
  return *spec;
}

HubSpotTarget::HubSpotTarget(HubSpotTargetSettings settings, const ConnectorContext&)
    : settings_(std::move(settings)) {
  while (settings_.base_url.ends_with('/')) settings_.base_url.pop_back();
  projection_.properties = settings_.properties.empty() ? DefaultProperties() : settings_.properties;
  projection_.stage_property = settings_.stage_property;
  projection_.stages = settings_.stages.empty() ? DefaultStages() : settings_.stages;
}

TargetLimits HubSpotTarget::limits() const {
  const double per_second = settings_.requests_per_10s / 10.0;
  return {kMaxInputs, per_second, std::max(1.0, per_second)};
}

delivery::PropertyMap HubSpotTarget::Project(const delivery::PropertyMap& document) const {
  return projection_.Project(document);
}

std::unique_ptr<TargetSession> HubSpotTarget::OpenSession() const {
  return std::make_unique<HubSpotSession>(settings_);
}

std::unique_ptr<Factory<Target>> MakeHubSpotTargetFactory() {
  return std::make_unique<SpecFactory<Target, HubSpotTarget, HubSpotTargetSettings>>(
      "hubspot", "HubSpot CRM: contacts by batch upsert, touchpoints as notes, tasks.",
      HubSpotTargetSettings::Spec());
}

}  // namespace journeyd::connectors::hubspot
