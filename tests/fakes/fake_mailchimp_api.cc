// FakeMailchimpApi: Mailchimp Marketing API 3.0's list members as journeyd polls them,
// enforcing the contract rather than answering anything (base_url() is the fake's
// http://127.0.0.1:<port>; the real one is https://<dc>.api.mailchimp.com):
//
//   GET /3.0/lists/{list_id}/members   {members:[...], list_id, total_items, _links:[...]}
//   GET /3.0/lists/{list_id}/members/{subscriber_hash}   one member
//
// Members are offset-paginated: count (default 10; above 1000 Mailchimp answers 1000, as users
// report), offset (default 0; past the end is an empty page, not an error, as recorded).
// total_items counts the members that match the filters, whatever the page. Filters:
// since_last_changed / before_last_changed (ISO 8601; "changed after / before the set
// timeframe", strictly), status. Sorting: sort_field (timestamp_opt, timestamp_signup,
// last_changed) and sort_dir (ASC, DESC); without sort_field, members come in the order they
// were added. fields / exclude_fields take comma-separated dotted paths from the response's root
// ("members.email_address", "total_items"); a path that names nothing is ignored, as Mailchimp
// does: the recordings' exclude_fields=email_address still returns every member's
// email_address.
//
// Authentication is HTTP Basic with any user name and the API key as the password (the
// credential is "<any>:<key-dc>"; only the password is compared); otherwise 401
// application/problem+json {type, title: "API Key Missing" or "API Key Invalid", status, detail,
// instance}. Every error is such a problem document, its instance the answer's X-Request-Id,
// with the recordings' Link: <…/ProblemDetailDocument.json>; rel="describedBy" header. An
// unknown list id or member is 404 "Resource Not Found". RateLimitNext answers 429 "Too Many
// Requests" with the given Retry-After.
//
//   GET /3.0/lists/{list_id}/members/{subscriber_hash}/activity
//       {activity:[{action, timestamp, url, type, campaign_id, title, parent_campaign}],
//        email_id, list_id, total_items, _links}
//
// Member activity as Mailchimp documents it ("the last 50 events of a member's activity",
// newest first; no pagination; `action` filters by a comma-separated list of actions). Events
// come from AddMemberActivity; the campaign's title is "Campaign <campaign_id>". An unknown
// member is 404.
//
// Records: clones of the first member of shared/fixtures/polling/mailchimp/
// list_members.recorded_01.json (real traffic of list a36b032126, the fake's only list): each
// clone has its own email_address, id (the MD5 of the lower-cased email, as Mailchimp's
// subscriber hash), unique_email_id, contact_id and web_id; Seed and Touch set last_changed
// (whole seconds, "+00:00", as recorded), Seed also timestamp_opt. _links point at the fake.
//
// Inferred, not verified against a live account: the activity entries' field set (from
// Mailchimp's SDK schemas, not a recording; url and parent_campaign are "" when they do not
// apply, type "regular"), the 400 "Invalid Resource" answers for a
// malformed count, offset, sort, status or timestamp (Mailchimp may ignore some of these), that
// since_last_changed is strict (the documentation says "after"), and the 429's detail text.
#include <boost/json.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "tests/fakes/fake_source_api.h"
#include "tests/fakes/fake_source_api_common.h"
#include "tests/fakes/fake_util.h"

namespace journeyd::fakes {

namespace {

namespace json = boost::json;

constexpr char kRealBase[] = "https://us3.api.mailchimp.com";
constexpr int64_t kCountDefault = 10;
constexpr int64_t kCountMax = 1000;
constexpr char kCollectionSchema[] =
    "<https://us3.api.mailchimp.com/schema/3.0/Lists/Members/Collection.json>; "
    "rel=\"describedBy\"";
constexpr char kInstanceSchema[] =
    "<https://us3.api.mailchimp.com/schema/3.0/Lists/Members/Instance.json>; rel=\"describedBy\"";
constexpr char kProblemSchema[] =
    "<https://us3.api.mailchimp.com/schema/3.0/Definitions/ProblemDetailDocument.json>; "
    "rel=\"describedBy\"";

std::string Md5Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("fake mailchimp: MD5 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// Mailchimp's timestamps: "2022-02-23T16:25:57+00:00".
std::string MailchimpTime(TimePoint t) { return FormatRfc3339(t, 0); }

std::vector<std::string> SplitPaths(std::string_view text) {
  std::vector<std::string> paths;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string path(text.substr(0, comma));
    path.erase(0, path.find_first_not_of(' '));
    path.erase(path.find_last_not_of(' ') + 1);
    if (!path.empty()) paths.push_back(path);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return paths;
}

std::vector<std::string> Steps(const std::string& path) {
  std::vector<std::string> steps;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    steps.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return steps;
}

// Removes the value at `steps` (from `index` on), through objects and every element of arrays.
void Exclude(json::value& value, const std::vector<std::string>& steps, size_t index) {
  if (value.is_array()) {
    for (auto& element : value.as_array()) Exclude(element, steps, index);
    return;
  }
  if (!value.is_object()) return;
  json::object& object = value.as_object();
  if (index + 1 == steps.size()) {
    object.erase(steps[index]);
    return;
  }
  if (auto* next = object.if_contains(steps[index])) Exclude(*next, steps, index + 1);
}

// The paths `fields` keeps, as a tree: a leaf keeps its whole value.
struct FieldTree {
  bool leaf = false;
  std::map<std::string, FieldTree> children;
};

void Keep(json::value& value, const FieldTree& tree) {
  if (tree.leaf) return;
  if (value.is_array()) {
    for (auto& element : value.as_array()) Keep(element, tree);
    return;
  }
  if (!value.is_object()) return;
  json::object kept;
  for (auto& [key, child] : value.as_object()) {
    auto it = tree.children.find(std::string(key));
    if (it == tree.children.end()) continue;
    Keep(child, it->second);
    kept[key] = std::move(child);
  }
  value = std::move(kept);
}

// Applies the fields and exclude_fields parameters to a whole answer.
void Project(json::value& body, const QueryParams& params) {
  if (const auto fields = params.Get("fields")) {
    FieldTree tree;
    for (const auto& path : SplitPaths(*fields)) {
      FieldTree* node = &tree;
      for (const auto& step : Steps(path)) node = &node->children[step];
      node->leaf = true;
    }
    if (!tree.children.empty()) Keep(body, tree);
  }
  if (const auto excluded = params.Get("exclude_fields")) {
    for (const auto& path : SplitPaths(*excluded)) Exclude(body, Steps(path), 0);
  }
}

class FakeMailchimpApi final : public FakeSourceApiBase {
 public:
  explicit FakeMailchimpApi(FakeSourceApiOptions options)
      : FakeSourceApiBase("mailchimp", std::move(options), {"members"}) {
    const auto dir = this->options().fixtures_dir / "polling" / "mailchimp";
    const json::value recording = LoadFixture(dir / "list_members.recorded_01.json");
    const auto* body = RequireObject(recording, "list_members.recorded_01").if_contains("body");
    if (body == nullptr) throw std::runtime_error("fake mailchimp: recording without a body");
    const json::object& page = RequireObject(*body, "list_members.recorded_01 body");
    list_id_ = StringAt(page, {"list_id"});
    const auto* members = page.if_contains("members");
    if (list_id_.empty() || members == nullptr || !members->is_array() ||
        members->as_array().empty()) {
      throw std::runtime_error("fake mailchimp: list_members.recorded_01.json has no member");
    }
    member_template_ = RequireObject(members->as_array().front(), "members[0]");
    const json::value problem = LoadFixture(dir / "error_405_problem_json.recorded.json");
    const auto* problem_body = RequireObject(problem, "error_405").if_contains("body");
    problem_type_ = problem_body && problem_body->is_object()
                        ? StringAt(problem_body->as_object(), {"type"})
                        : std::string();
    if (problem_type_.empty()) {
      throw std::runtime_error("fake mailchimp: error_405_problem_json has no problem type");
    }
    const std::string& credential = this->options().credential;
    const size_t colon = credential.find(':');
    api_key_ = colon == std::string::npos ? credential : credential.substr(colon + 1);
    StartServer();
  }
  ~FakeMailchimpApi() override { StopServer(); }

 private:
  // The recording's URLs, rewritten to point at this fake.
  std::string Href(const std::string& path) const { return base_url() + path; }

  json::array MemberLinks(const std::string& id) const {
    const std::string self = "/3.0/lists/" + list_id_ + "/members/" + id;
    const std::string schema = std::string(kRealBase) + "/schema/3.0/Definitions/Lists/Members/";
    return {json::object{{"rel", "self"},
                         {"href", Href(self)},
                         {"method", "GET"},
                         {"targetSchema", schema + "Response.json"}},
            json::object{{"rel", "parent"},
                         {"href", Href("/3.0/lists/" + list_id_ + "/members")},
                         {"method", "GET"},
                         {"targetSchema", schema + "CollectionResponse.json"},
                         {"schema", std::string(kRealBase) +
                                        "/schema/3.0/Paths/Lists/Members/Collection.json"}},
            json::object{{"rel", "update"},
                         {"href", Href(self)},
                         {"method", "PATCH"},
                         {"targetSchema", schema + "Response.json"},
                         {"schema", schema + "PATCH.json"}},
            json::object{{"rel", "upsert"},
                         {"href", Href(self)},
                         {"method", "PUT"},
                         {"targetSchema", schema + "Response.json"},
                         {"schema", schema + "PUT.json"}},
            json::object{{"rel", "delete"}, {"href", Href(self)}, {"method", "DELETE"}},
            json::object{{"rel", "activity"},
                         {"href", Href(self + "/activity")},
                         {"method", "GET"},
                         {"targetSchema", schema + "Activity/Response.json"}},
            json::object{{"rel", "goals"},
                         {"href", Href(self + "/goals")},
                         {"method", "GET"},
                         {"targetSchema", schema + "Goals/Response.json"}},
            json::object{{"rel", "notes"},
                         {"href", Href(self + "/notes")},
                         {"method", "GET"},
                         {"targetSchema", schema + "Notes/CollectionResponse.json"}},
            json::object{{"rel", "events"},
                         {"href", Href(self + "/events")},
                         {"method", "POST"},
                         {"targetSchema", schema + "Events/POST.json"}},
            json::object{{"rel", "delete_permanent"},
                         {"href", Href(self + "/actions/delete-permanent")},
                         {"method", "POST"}}};
  }

  json::array CollectionLinks() const {
    const std::string members = "/3.0/lists/" + list_id_ + "/members";
    const std::string schema = std::string(kRealBase) + "/schema/3.0/";
    return {
        json::object{{"rel", "self"},
                     {"href", Href(members)},
                     {"method", "GET"},
                     {"targetSchema", schema + "Definitions/Lists/Members/CollectionResponse.json"},
                     {"schema", schema + "Paths/Lists/Members/Collection.json"}},
        json::object{{"rel", "parent"},
                     {"href", Href("/3.0/lists/" + list_id_)},
                     {"method", "GET"},
                     {"targetSchema", schema + "Definitions/Lists/Members/Response.json"}},
        json::object{{"rel", "create"},
                     {"href", Href(members)},
                     {"method", "POST"},
                     {"targetSchema", schema + "Definitions/Lists/Members/Response.json"},
                     {"schema", schema + "Definitions/Lists/Members/POST.json"}}};
  }

  SourceRecord MakeClone(const std::string&, int64_t clone_index, TimePoint at) override {
    SourceRecord r;
    r.created = r.updated = at;
    const std::string email =
        CloneEmail(StringAt(member_template_, {"email_address"}), clone_index);
    r.id = Md5Hex(Lowercase(email));
    r.body = member_template_;
    ReplaceAt(r.body, {"id"}, json::value(r.id));
    ReplaceAt(r.body, {"email_address"}, json::value(email));
    ReplaceAt(r.body, {"unique_email_id"}, json::value(r.id.substr(0, 10)));
    ReplaceAt(r.body, {"contact_id"}, json::value(Md5Hex("contact:" + Lowercase(email))));
    if (const auto* web_id = member_template_.if_contains("web_id"); web_id && web_id->is_int64()) {
      ReplaceAt(r.body, {"web_id"}, json::value(web_id->as_int64() + 1 + clone_index));
    }
    ReplaceAt(r.body, {"timestamp_opt"}, json::value(MailchimpTime(at)));
    ReplaceAt(r.body, {"_links"}, json::value(MemberLinks(r.id)));
    ApplyTouch("members", r, at);
    return r;
  }

  void ApplyTouch(const std::string&, SourceRecord& record, TimePoint at) override {
    ReplaceAt(record.body, {"last_changed"}, json::value(MailchimpTime(at)));
  }

  // --- Answers ------------------------------------------------------------------------------

  static Response Answer(int status, const json::value& body, const std::string& request_id,
                         const char* link) {
    Response r(status, json::serialize(body));
    r.content_type = status == 200 ? "application/json; charset=utf-8"
                                   : "application/problem+json; charset=utf-8";
    r.headers.emplace_back("X-Request-Id", request_id);
    r.headers.emplace_back("Link", link);
    return r;
  }

  Response Problem(int status, const std::string& title, const std::string& detail,
                   json::array errors = {}) const {
    const std::string request_id = RandomUuid();
    json::object body{{"type", problem_type_},
                      {"title", title},
                      {"status", status},
                      {"detail", detail},
                      {"instance", request_id}};
    if (!errors.empty()) body["errors"] = std::move(errors);
    return Answer(status, body, request_id, kProblemSchema);
  }

  Response InvalidResource(const std::string& field, const std::string& message) const {
    return Problem(400, "Invalid Resource",
                   "The resource submitted could not be validated. For field-specific details, "
                   "see the 'errors' array.",
                   json::array{json::object{{"field", field}, {"message", message}}});
  }

  Response NotFound(
      const std::string& detail = "The requested resource could not be found.") const {
    return Problem(404, "Resource Not Found", detail);
  }

  Response RateLimited(std::chrono::seconds retry_after) const {
    Response r = Problem(429, "Too Many Requests",
                         "You have exceeded the limit of 10 simultaneous connections.");
    r.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
    return r;
  }

  Response Fault(int status) override {
    switch (status) {
      case 401:
        return Problem(401, "API Key Invalid",
                       "Your API key may be invalid, or you've attempted to access the wrong "
                       "datacenter.");
      case 429:
        return RateLimited(std::chrono::seconds(1));
      case 500:
        return Problem(500, "Internal Server Error",
                       "An unexpected internal error has occurred. Please contact Support for "
                       "more information.");
      case 503:
        return Problem(503, "Service Unavailable",
                       "This service is temporarily unavailable. Please try again later.");
      default:
        return Problem(status, "Injected Fault", "A fault injected by the test.");
    }
  }

  // --- Routing ------------------------------------------------------------------------------

  Response Handle(const Request& request) override {
    const std::string header = request.header("authorization");
    if (header.empty()) {
      return Problem(401, "API Key Missing", "Your request did not include an API key.");
    }
    const auto basic = ParseBasicAuth(header);
    if (!basic || basic->second != api_key_) {
      return Problem(401, "API Key Invalid",
                     "Your API key may be invalid, or you've attempted to access the wrong "
                     "datacenter.");
    }

    // /3.0/lists/{list_id}/members[/{subscriber_hash}[/...]]
    std::vector<std::string> parts;
    {
      std::string_view rest = request.path;
      while (!rest.empty()) {
        if (rest.front() == '/') {
          rest.remove_prefix(1);
          continue;
        }
        const size_t slash = rest.find('/');
        parts.emplace_back(rest.substr(0, slash));
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
      }
    }
    if (parts.size() < 4 || parts[0] != "3.0" || parts[1] != "lists" || parts[3] != "members" ||
        parts[2] != list_id_) {
      return NotFound();
    }
    if (request.method != "GET") {
      Response r =
          Problem(405, "Method Not Allowed", "This fake serves only reads (GET) of list members.");
      r.headers.emplace_back("Allow", "GET");
      return r;
    }
    if (const auto retry_after = TakeQueuedRateLimit()) return RateLimited(*retry_after);
    if (parts.size() == 4) return ListMembers(request);
    if (parts.size() == 5) return OneMember(request, parts[4]);
    if (parts.size() == 6 && parts[5] == "activity") return MemberActivity(request, parts[4]);
    return NotFound();
  }

 public:
  void AddMemberActivity(const std::string& member_id, const std::string& action,
                         const std::string& campaign_id, TimePoint at) override {
    std::lock_guard lock(mu_);
    if (FindRecord("members", member_id) == nullptr) {
      throw std::invalid_argument("fake mailchimp: no member " + member_id);
    }
    activity_[member_id].push_back(
        json::object{{"action", action},
                     {"timestamp", MailchimpTime(at)},
                     {"url", action == "click" ? "https://example.com/offer/" + campaign_id : ""},
                     {"type", "regular"},
                     {"campaign_id", campaign_id},
                     {"title", "Campaign " + campaign_id},
                     {"parent_campaign", ""}});
  }

 private:
  Response MemberActivity(const Request& request, const std::string& hash) {
    const SourceRecord* record = FindRecord("members", Lowercase(hash));
    if (record == nullptr) record = FindRecord("members", Md5Hex(Lowercase(hash)));
    if (record == nullptr) return NotFound();
    const QueryParams params(request.query);
    std::set<std::string> actions;
    if (const auto filter = params.Get("action")) {
      std::string_view rest = *filter;
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        actions.emplace(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    }
    json::array events;
    if (auto it = activity_.find(record->id); it != activity_.end()) {
      // Newest first, at most 50 (recorded in time order, so from the back).
      for (auto e = it->second.rbegin(); e != it->second.rend() && events.size() < 50; ++e) {
        if (!actions.empty() && !actions.contains(StringAt(*e, {"action"}))) continue;
        events.push_back(*e);
      }
    }
    const std::string self = "/3.0/lists/" + list_id_ + "/members/" + record->id;
    const std::size_t total = events.size();
    json::value body = json::object{
        {"activity", std::move(events)},
        {"email_id", record->id},
        {"list_id", list_id_},
        {"total_items", total},
        {"_links",
         json::array{json::object{{"rel", "self"},
                                  {"href", Href(self + "/activity")},
                                  {"method", "GET"},
                                  {"targetSchema", std::string(kRealBase) +
                                                       "/schema/3.0/Definitions/Lists/Members/"
                                                       "Activity/Response.json"}},
                     json::object{{"rel", "parent"},
                                  {"href", Href(self)},
                                  {"method", "GET"},
                                  {"targetSchema", std::string(kRealBase) +
                                                       "/schema/3.0/Definitions/Lists/Members/"
                                                       "Response.json"}}}}};
    Project(body, params);
    CountPageServed("member_activity");
    return Answer(200, body, RandomUuid(), kInstanceSchema);
  }

  Response OneMember(const Request& request, const std::string& hash) const {
    const SourceRecord* record = FindRecord("members", Lowercase(hash));
    if (record == nullptr) record = FindRecord("members", Md5Hex(Lowercase(hash)));  // an email
    if (record == nullptr) return NotFound();
    json::value body = record->body;
    Project(body, QueryParams(request.query));
    return Answer(200, body, RandomUuid(), kInstanceSchema);
  }

  // A timestamp parameter in milliseconds: ISO 8601, a missing zone read as UTC, a date alone
  // as its midnight.
  static std::optional<int64_t> TimeParam(const std::string& text) {
    const auto t = ParseTimestamp(text, 0, /*allow_date_only=*/true);
    if (!t) return std::nullopt;
    return UnixMillis(*t);
  }

  Response ListMembers(const Request& request) {
    const QueryParams params(request.query);
    int64_t count = kCountDefault;
    if (const auto text = params.Get("count")) {
      const auto value = ParseInteger(*text);
      if (!value || *value < 1) {
        return InvalidResource("count", "count must be a positive integer; got \"" + *text + "\"");
      }
      count = std::min(*value, kCountMax);
    }
    int64_t offset = 0;
    if (const auto text = params.Get("offset")) {
      const auto value = ParseInteger(*text);
      if (!value || *value < 0) {
        return InvalidResource("offset",
                               "offset must be a non-negative integer; got \"" + *text + "\"");
      }
      offset = *value;
    }
    std::optional<int64_t> since_ms, before_ms;
    for (const char* name : {"since_last_changed", "before_last_changed"}) {
      const auto text = params.Get(name);
      if (!text) continue;
      const auto ms = TimeParam(*text);
      if (!ms) {
        return InvalidResource(name, std::string(name) +
                                         " must be an ISO 8601 time, such as "
                                         "2015-10-21T15:41:36+00:00; got \"" +
                                         *text + "\"");
      }
      (std::string_view(name) == "since_last_changed" ? since_ms : before_ms) = ms;
    }
    std::optional<std::string> status = params.Get("status");
    if (status && !std::set<std::string>{"subscribed", "unsubscribed", "cleaned", "pending",
                                         "transactional", "archived"}
                       .contains(*status)) {
      return InvalidResource("status", "\"" + *status + "\" is not a valid member status");
    }
    const auto sort_field = params.Get("sort_field");
    if (sort_field && *sort_field != "timestamp_opt" && *sort_field != "timestamp_signup" &&
        *sort_field != "last_changed") {
      return InvalidResource("sort_field", "\"" + *sort_field +
                                               "\" is not one of timestamp_opt, "
                                               "timestamp_signup, last_changed");
    }
    const auto sort_dir = params.Get("sort_dir");
    if (sort_dir && *sort_dir != "ASC" && *sort_dir != "DESC") {
      return InvalidResource("sort_dir", "\"" + *sort_dir + "\" is not one of ASC, DESC");
    }

    // Members changed after since_last_changed and before before_last_changed (both strictly;
    // last_changed has whole seconds), with `status`.
    std::vector<const SourceRecord*> matching;
    for (const auto& r : Records("members")) {
      const int64_t changed_ms = UnixSeconds(r.updated) * 1000;
      if (since_ms && changed_ms <= *since_ms) continue;
      if (before_ms && changed_ms >= *before_ms) continue;
      if (status && StringAt(r.body, {"status"}) != *status) continue;
      matching.push_back(&r);
    }
    if (sort_field) {
      auto key = [&](const SourceRecord* r) -> std::pair<std::string, int64_t> {
        if (*sort_field == "last_changed") return {{}, UnixSeconds(r->updated)};
        // timestamp_opt / timestamp_signup: the text as stored ("" sorts first).
        return {StringAt(r->body,
                         {*sort_field == "timestamp_opt" ? "timestamp_opt" : "timestamp_signup"}),
                0};
      };
      const bool descending = sort_dir && *sort_dir == "DESC";
      std::stable_sort(matching.begin(), matching.end(),
                       [&](const SourceRecord* a, const SourceRecord* b) {
                         const auto ka = key(a), kb = key(b);
                         if (ka != kb) return descending ? kb < ka : ka < kb;
                         return a->sequence < b->sequence;
                       });
    }

    json::array members;
    for (size_t i = static_cast<size_t>(offset);
         i < matching.size() && static_cast<int64_t>(members.size()) < count; ++i) {
      members.push_back(matching[i]->body);
    }
    json::value body = json::object{{"members", std::move(members)},
                                    {"list_id", list_id_},
                                    {"total_items", matching.size()},
                                    {"_links", CollectionLinks()}};
    Project(body, params);
    CountPageServed("members");
    return Answer(200, body, RandomUuid(), kCollectionSchema);
  }

  std::string list_id_;
  json::object member_template_;
  std::map<std::string, std::vector<json::object>> activity_;  // by member id, oldest first
  std::string problem_type_;
  std::string api_key_;
};

}  // namespace

std::unique_ptr<FakeSourceApi> MakeFakeMailchimpApi(FakeSourceApiOptions options) {
  return std::make_unique<FakeMailchimpApi>(std::move(options));
}

}  // namespace journeyd::fakes
