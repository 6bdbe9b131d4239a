// FakeZendeskApi: Zendesk Support's cursor-based incremental exports as journeyd polls them,
// enforcing the contract rather than answering anything:
//
//   GET /api/v2/incremental/tickets/cursor.json   {tickets:[...], after_cursor, after_url,
//   GET /api/v2/incremental/users/cursor.json      before_cursor, before_url, end_of_stream}
//                                                  (".json" optional, as at Zendesk)
//
// The first request of an export gives start_time (unix seconds; at least a minute in the
// past, else 422 "Too recent start_time"); later ones give cursor=<after_cursor> instead (a
// cursor wins over a start_time). per_page is 1..1000 (default 1000). Records are ordered by
// their update time, then id: tickets by generated_timestamp, users by updated_at. Items
// changed within the minute before the request are left out (measured on the real wall
// clock), so a record updated "now" is served only by a request made a minute later.
// end_of_stream is true on the page that reaches that cutoff, and after_cursor is still given
// there: resuming from it later returns exactly what changed since, which is how journeyd is
// meant to poll. Cursors look like Zendesk's (base64 of "<timestamp>.0||<id>|", e.g. the
// fixture's MTU3NjYxMzUzOS4wfHw0Njd8); one that does not decode is refused.
//
// Authentication: "Authorization: Bearer <OAuth token>" equal to the credential, or, when the
// credential is "<email>/token:<api token>", HTTP Basic with exactly that user and password;
// anything else is 401 {"error":"Couldn't authenticate you"}. The incremental exports allow 10
// requests per rolling minute for the account (both endpoints together; refused requests do not
// count), past which the answer is 429 with Retry-After (seconds until a request is free) and
// the body of shared/fixtures/polling/zendesk/error_429_incremental_rate_limit.json; RateLimitNext
// queues the same 429 with a chosen Retry-After.
//
// Records: tickets are clones of incremental_tickets_cursor.page1.json's ticket (35436, "Help,
// my printer is on fire!"); Seed and Touch set updated_at and generated_timestamp. No fixture
// holds a user of the incremental user export, so the user record is built here from the user
// object Zendesk documents in its Users API (developer.zendesk.com/api-reference/ticketing/
// users/users/, "JSON format": id, url, name, email, created_at, updated_at, time_zone,
// iana_time_zone, phone, shared_phone_number, photo, locale_id, locale, organization_id, role,
// verified, external_id, tags, alias, active, shared, shared_agent, last_login_at,
// two_factor_auth_enabled, signature, details, notes, role_type, custom_role_id, moderator,
// ticket_restriction, only_private_comments, restricted_agent, suspended, chat_only,
// default_group_id, report_csv, user_fields), with the values of Zendesk's documented example
// end user; users carry no generated_timestamp, so Seed and Touch set updated_at only.
//
// Inferred, not verified against a live account: the status and wording of the refusals of a
// missing or malformed start_time (422 InvalidValue, as for a too recent one), of a bad cursor
// or per_page (400 InvalidPaginationParameter), and the exact window of the rate limit (a
// rolling minute here).
#include <boost/json.hpp>

#include <algorithm>
#include <deque>
#include <optional>
#include <stdexcept>
#include <utility>

#include "tests/fakes/fake_source_api.h"
#include "tests/fakes/fake_source_api_common.h"
#include "tests/fakes/fake_util.h"

namespace journeyd::fakes {

namespace {

namespace json = boost::json;
using std::chrono::steady_clock;
using std::chrono::system_clock;

constexpr int64_t kPerPageMax = 1000;
constexpr int64_t kExclusionSeconds = 60;  // items changed this recently are not exported
constexpr int kRequestsPerMinute = 10;
constexpr std::chrono::seconds kRateWindow{60};
constexpr int64_t kFirstTicketId = 100001;
constexpr int64_t kFirstUserId = 369531345753;

// Zendesk's timestamps: "2011-05-05T10:38:52Z".
std::string ZendeskTime(TimePoint t) { return FormatWallClock(t, 0) + "Z"; }

// A place in an export: everything up to (timestamp, id) has been served.
struct Position {
  int64_t timestamp = 0;
  int64_t id = 0;
  friend bool operator<(const Position& a, const Position& b) {
    return a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.id < b.id;
  }
};

std::string EncodePosition(const Position& p) {
  std::string text =
      Base64Encode(std::to_string(p.timestamp) + ".0||" + std::to_string(p.id) + "|");
  text.erase(std::find(text.begin(), text.end(), '='), text.end());
  return text;
}

std::optional<Position> DecodePosition(std::string_view cursor) {
  std::string decoded;
  if (cursor.empty() || cursor.find_first_of("-_") != std::string_view::npos ||
      !Base64UrlDecode(cursor, &decoded)) {
    return std::nullopt;
  }
  // "<timestamp>.0||<id>|"
  const size_t dot = decoded.find(".0||");
  if (dot == std::string::npos || decoded.empty() || decoded.back() != '|') return std::nullopt;
  const auto timestamp = ParseInteger(std::string_view(decoded).substr(0, dot));
  const auto id = ParseInteger(std::string_view(decoded).substr(dot + 4, decoded.size() - dot - 5));
  if (!timestamp || !id || *timestamp < 0 || *id < 0) return std::nullopt;
  return Position{*timestamp, *id};
}

// The user object of Zendesk's Users API documentation (an end user), without a photo.
json::object UserTemplate() {
  return {{"id", 0},
          {"url", ""},
          {"name", "Sample customer"},
          {"email", "customer@example.com"},
          {"created_at", ""},
          {"updated_at", ""},
          {"time_zone", "Osaka"},
          {"iana_time_zone", "Asia/Tokyo"},
          {"phone", nullptr},
          {"shared_phone_number", nullptr},
          {"photo", nullptr},
          {"locale_id", 1},
          {"locale", "en-US"},
          {"organization_id", nullptr},
          {"role", "end-user"},
          {"verified", false},
          {"external_id", nullptr},
          {"tags", json::array{}},
          {"alias", nullptr},
          {"active", true},
          {"shared", false},
          {"shared_agent", false},
          {"last_login_at", nullptr},
          {"two_factor_auth_enabled", false},
          {"signature", nullptr},
          {"details", nullptr},
          {"notes", nullptr},
          {"role_type", nullptr},
          {"custom_role_id", nullptr},
          {"moderator", false},
          {"ticket_restriction", "requested"},
          {"only_private_comments", false},
          {"restricted_agent", true},
          {"suspended", false},
          {"chat_only", false},
          {"default_group_id", nullptr},
          {"report_csv", false},
          {"user_fields", json::object{}}};
}

Response Json(int status, const json::value& body) {
  Response r(status, json::serialize(body));
  r.content_type = "application/json; charset=utf-8";
  return r;
}

Response ZendeskError(int status, const std::string& error, const std::string& description) {
  return Json(status, json::object{{"error", error}, {"description", description}});
}

class FakeZendeskApi final : public FakeSourceApiBase {
 public:
  explicit FakeZendeskApi(FakeSourceApiOptions options)
      : FakeSourceApiBase("zendesk", std::move(options), {"tickets", "users"}) {
    const auto dir = this->options().fixtures_dir / "polling" / "zendesk";
    const json::value page = LoadFixture(dir / "incremental_tickets_cursor.page1.json");
    const auto* tickets = RequireObject(page, "incremental tickets page").if_contains("tickets");
    if (tickets == nullptr || !tickets->is_array() || tickets->as_array().empty()) {
      throw std::runtime_error("fake zendesk: incremental_tickets_cursor.page1.json has no ticket");
    }
    ticket_template_ = RequireObject(tickets->as_array().front(), "tickets[0]");
    rate_limit_body_ = LoadFixture(dir / "error_429_incremental_rate_limit.json");
    RequireObject(rate_limit_body_, "error_429_incremental_rate_limit");
    user_template_ = UserTemplate();

    const std::string& credential = this->options().credential;
    if (const size_t marker = credential.find("/token:"); marker != std::string::npos) {
      basic_user_ = credential.substr(0, marker + 6);
      basic_password_ = credential.substr(marker + 7);
    }
    StartServer();
  }
  ~FakeZendeskApi() override { StopServer(); }

 private:
  SourceRecord MakeClone(const std::string& collection, int64_t clone_index,
                         TimePoint at) override {
    SourceRecord r;
    r.created = r.updated = at;
    const bool ticket = collection == "tickets";
    const int64_t id = (ticket ? kFirstTicketId : kFirstUserId) + clone_index;
    r.id = std::to_string(id);
    r.body = ticket ? ticket_template_ : user_template_;
    ReplaceAt(r.body, {"id"}, json::value(id));
    ReplaceAt(r.body, {"url"},
              json::value(base_url() + "/api/v2/" + collection + "/" + r.id + ".json"));
    ReplaceAt(r.body, {"created_at"}, json::value(ZendeskTime(at)));
    if (!ticket) {
      ReplaceAt(r.body, {"email"},
                json::value(CloneEmail(StringAt(user_template_, {"email"}), clone_index)));
    }
    ApplyTouch(collection, r, at);
    return r;
  }

  void ApplyTouch(const std::string&, SourceRecord& record, TimePoint at) override {
    ReplaceAt(record.body, {"updated_at"}, json::value(ZendeskTime(at)));
    ReplaceAt(record.body, {"generated_timestamp"}, json::value(UnixSeconds(at)));
  }

  // --- Answers ------------------------------------------------------------------------------

  Response RateLimited(std::chrono::seconds retry_after) const {
    Response r = Json(429, rate_limit_body_);
    r.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
    return r;
  }

  Response Fault(int status) override {
    if (status == 429) return RateLimited(std::chrono::seconds(kRateWindow));
    if (status == 401) return Json(401, json::object{{"error", "Couldn't authenticate you"}});
    if (status == 503) {
      return ZendeskError(503, "ServiceUnavailable", "Zendesk is temporarily unavailable");
    }
    if (status >= 500) return ZendeskError(status, "InternalError", "Internal server error");
    return ZendeskError(status, "InvalidValue", "Injected fault");
  }

  bool Authenticated(const Request& request) const {
    const std::string header = request.header("authorization");
    if (!basic_user_.empty()) {
      const auto basic = ParseBasicAuth(header);
      return basic && basic->first == basic_user_ && basic->second == basic_password_;
    }
    const auto bearer = ParseBearer(header);
    return bearer && *bearer == options().credential;
  }

  // Admits one export request against the account's 10 per minute, or gives the wait.
  std::optional<std::chrono::seconds> Throttle() {
    const auto now = steady_clock::now();
    while (!admitted_.empty() && now - admitted_.front() >= kRateWindow) admitted_.pop_front();
    if (static_cast<int>(admitted_.size()) >= kRequestsPerMinute) {
      const auto wait =
          std::chrono::ceil<std::chrono::seconds>(admitted_.front() + kRateWindow - now);
      return std::max(wait, std::chrono::seconds(1));
    }
    admitted_.push_back(now);
    return std::nullopt;
  }

  // --- Routing ------------------------------------------------------------------------------

  Response Handle(const Request& request) override {
    std::string collection;
    for (const char* name : {"tickets", "users"}) {
      const std::string base = std::string("/api/v2/incremental/") + name + "/cursor";
      if (request.path == base || request.path == base + ".json") collection = name;
    }
    if (!Authenticated(request)) {
      return Json(401, json::object{{"error", "Couldn't authenticate you"}});
    }
    if (collection.empty() || request.method != "GET") {
      return ZendeskError(404, "InvalidEndpoint", "Not found");
    }
    if (const auto retry_after = TakeQueuedRateLimit()) return RateLimited(*retry_after);
    if (const auto retry_after = Throttle()) return RateLimited(*retry_after);
    return Export(request, collection);
  }

  Response Export(const Request& request, const std::string& collection) {
    const QueryParams params(request.query);
    const int64_t now = UnixSeconds(system_clock::now());

    int64_t per_page = kPerPageMax;
    const auto per_page_text = params.Get("per_page");
    if (per_page_text) {
      const auto value = ParseInteger(*per_page_text);
      if (!value || *value < 1 || *value > kPerPageMax) {
        return ZendeskError(400, "InvalidPaginationParameter",
                            "per_page must be an integer from 1 to " + std::to_string(kPerPageMax) +
                                "; got \"" + *per_page_text + "\"");
      }
      per_page = *value;
    }

    Position from;  // served: everything at or before it
    std::optional<std::string> cursor = params.Get("cursor");
    if (cursor) {
      const auto position = DecodePosition(*cursor);
      if (!position) {
        return ZendeskError(400, "InvalidPaginationParameter",
                            "Invalid cursor: \"" + *cursor + "\"");
      }
      from = *position;
    } else {
      const auto start_text = params.Get("start_time");
      if (!start_text) {
        return ZendeskError(422, "InvalidValue",
                            "start_time is required for the first request of an export; "
                            "later requests give cursor");
      }
      const auto start = ParseInteger(*start_text);
      if (!start || *start < 0) {
        return ZendeskError(
            422, "InvalidValue",
            "start_time must be a unix epoch time in seconds; got \"" + *start_text + "\"");
      }
      if (*start > now - kExclusionSeconds) {
        return ZendeskError(422, "InvalidValue",
                            "Too recent start_time. Use a start_time older than 1 minute");
      }
      from = Position{*start, 0};  // everything changed at or after start_time
    }

    const bool tickets = collection == "tickets";
    std::vector<std::pair<Position, const SourceRecord*>> items;
    for (const auto& r : Records(collection)) {
      const int64_t timestamp = UnixSeconds(r.updated);
      const Position p{timestamp, std::stoll(r.id)};
      if (timestamp > now - kExclusionSeconds) continue;  // changed within the last minute
      if (from < p) items.emplace_back(p, &r);
    }
    std::sort(items.begin(), items.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    const size_t count = std::min(items.size(), static_cast<size_t>(per_page));
    const bool end_of_stream = count == items.size();
    const Position after = count > 0 ? items[count - 1].first : from;

    json::array list;
    for (size_t i = 0; i < count; ++i) list.push_back(items[i].second->body);

    auto url = [&](const Position& p) {
      std::vector<std::pair<std::string, std::string>> query{{"cursor", EncodePosition(p)}};
      if (per_page_text) query.emplace_back("per_page", std::to_string(per_page));
      return json::value(base_url() + request.path + "?" + BuildQuery(query));
    };
    json::object body;
    body["after_cursor"] = EncodePosition(after);
    body["after_url"] = url(after);
    body["before_cursor"] = cursor ? json::value(EncodePosition(from)) : json::value(nullptr);
    body["before_url"] = cursor ? url(from) : json::value(nullptr);
    body["end_of_stream"] = end_of_stream;
    body[tickets ? "tickets" : "users"] = std::move(list);
    CountPageServed(collection);
    return Json(200, body);
  }

  json::object ticket_template_;
  json::object user_template_;
  json::value rate_limit_body_;
  std::string basic_user_;  // "<email>/token" when the credential is an API token
  std::string basic_password_;

  std::deque<steady_clock::time_point> admitted_;  // guarded by mu_
};

}  // namespace

std::unique_ptr<FakeSourceApi> MakeFakeZendeskApi(FakeSourceApiOptions options) {
  return std::make_unique<FakeZendeskApi>(std::move(options));
}

}  // namespace journeyd::fakes
