// FakeSquareApi: the Square Connect v2 list and search endpoints journeyd polls, enforcing the
// contract rather than answering anything:
//
//   GET  /v2/customers         ListCustomers: query cursor, limit (1..100, default 100, else 400
//                              VALUE_TOO_LOW/VALUE_TOO_HIGH), sort_field (DEFAULT|CREATED_AT),
//                              sort_order (ASC|DESC), count.
//   POST /v2/customers/search  SearchCustomers: body {limit 1..100, cursor, count,
//                              query:{filter:{created_at|updated_at:{start_at,end_at}},
//                              sort:{field:DEFAULT|CREATED_AT, order:ASC|DESC}}}.
//   POST /v2/orders/search     SearchOrders: body {location_ids (required, 1..10, locations of
//                              this merchant), cursor, limit (1..1000, default 500),
//                              return_entries, query:{filter:{date_time_filter:{created_at|
//                              updated_at|closed_at:{start_at,end_at}}, state_filter:{states}},
//                              sort:{sort_field, sort_order (default DESC)}}}; a date_time_filter
//                              requires sort_field to name the same timestamp, and a range
//                              without end_at ends at the time of the walk's first request.
//
// Authentication is `Authorization: Bearer <access token>`; anything else is 401
// AUTHENTICATION_ERROR/UNAUTHORIZED with Square's detail text. `Square-Version`, when sent, must
// be a YYYY-MM-DD date. Pagination is by opaque cursor: `cursor` is in the answer while more
// results remain, and a search cursor is only valid with the query it was issued for. Errors
// are {"errors":[{category, code, detail, field}]} with codes from the ErrorCode enum of
// shared/fixtures/polling/square/square-connect-openapi.json. Like Square, unknown body fields
// are ignored (a misspelt `sort.order` in SearchOrders silently sorts DESC, as reported in
// square/square-ruby-sdk#28), and empty lists are left out of answers (no results is `{}`).
//
// Records: customers are clones of ListCustomersResponse.example.json's customer, orders of
// RetrieveOrderResponse.example.json's order (SearchOrdersResponse.example.json only holds
// order_entries); every seeded order is at that order's location, D7AVYMEAPJ3A3, the merchant's
// only location. Touch sets updated_at and bumps `version`, as a Square edit does.
//
// Inferred, not verified against a live account: the codes for a search cursor reused with
// another query (INVALID_CURSOR), for an unknown location id (INVALID_VALUE), for a
// date_time_filter whose field differs from sort_field (BAD_REQUEST), the detail texts other
// than the 401's and INVALID_ENUM_VALUE's, the `{}` of an empty page, and that the customers'
// updated_at / created_at ranges include both ends (documented for orders only). Filters the
// fake does not implement (email_address, creation_source, ...) are refused with a 400 that
// says so, rather than ignored.
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <mutex>
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
using std::chrono::system_clock;

constexpr int kCustomerLimitMax = 100;
constexpr int kCustomerLimitDefault = 100;
constexpr int kOrderLimitMax = 1000;
constexpr int kOrderLimitDefault = 500;
constexpr size_t kMaxLocationIds = 10;

constexpr char kUnauthorizedDetail[] =
    "The `Authorization` http header of your request was incorrect or expired. The header value "
    "is expected to be of the format \"Bearer TOKEN\" (without quotation marks), where TOKEN is a "
    "valid access token (e.g. \"Bearer ABC123def456GHI789jkl0\"). For more information, see "
    "https://developer.squareup.com/docs/build-basics/using-rest-api#__set-the-headers__ .";
constexpr char kMalformedAuthDetail[] =
    "The `Authorization` http header of your request was malformed. The header value is "
    "expected to be of the format \"Bearer TOKEN\" (without quotation marks), where TOKEN is to "
    "be replaced with your access token (e.g. \"Bearer ABC123def456GHI789jkl0\"). For more "
    "information, see "
    "https://developer.squareup.com/docs/build-basics/using-rest-api#__set-the-headers__ .";

int64_t Millis(TimePoint t) { return UnixMillis(t); }

bool AllDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// RFC 3339 with its zone ("2018-01-01T00:00:00-00:00", "2016-03-23T20:21:54.859Z"), in
// milliseconds since the epoch.
std::optional<int64_t> ParseRfc3339(std::string_view text) {
  const auto t = ParseTimestamp(text, std::nullopt);
  if (!t || text.size() < 20 || text[10] == ' ') return std::nullopt;
  return Millis(*t);
}

// Ids unique within a fake: a random prefix per fake, then the clone's index, in `alphabet`.
std::string CloneId(const std::string& prefix, int64_t index, std::string_view alphabet,
                    size_t width) {
  std::string digits;
  auto n = static_cast<uint64_t>(index);
  do {
    digits.insert(digits.begin(), alphabet[n % alphabet.size()]);
    n /= alphabet.size();
  } while (n > 0);
  if (digits.size() < width) digits.insert(0, width - digits.size(), alphabet[0]);
  return prefix + digits;
}

// `length` random characters of `alphabet`.
std::string RandomOf(std::string_view alphabet, size_t length) {
  const std::string hex = RandomHex(length);
  std::string out;
  for (size_t i = 0; i < length; ++i) {
    out += alphabet[static_cast<size_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16)) %
                    alphabet.size()];
  }
  return out;
}

constexpr std::string_view kUpperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::string_view kMixedAlnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// A record's place in one ordering: the primary key (a time or a name), then creation order.
struct SortKey {
  int64_t time = 0;
  std::string text;
  int64_t seq = 0;
};

// -1, 0, 1 as a orders before b in ascending order.
int Compare(const SortKey& a, const SortKey& b) {
  if (a.time != b.time) return a.time < b.time ? -1 : 1;
  if (a.text != b.text) return a.text < b.text ? -1 : 1;
  if (a.seq != b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

enum class Endpoint { kListCustomers, kSearchCustomers, kSearchOrders };

// What a cursor continues: the query it was issued for, where the last page ended, and (for
// SearchOrders without end_at) the end the range was given on the first request.
struct CursorState {
  Endpoint endpoint;
  std::string fingerprint;
  SortKey last;
  std::optional<int64_t> frozen_end_ms;
};

struct TimeRange {
  std::optional<int64_t> start_ms;
  std::optional<int64_t> end_ms;
  bool Contains(int64_t t) const {
    return (!start_ms || t >= *start_ms) && (!end_ms || t <= *end_ms);
  }
};

struct Refusal {
  int status;
  std::string category;
  std::string code;
  std::string detail;
  std::string field;
};

class FakeSquareApi final : public FakeSourceApiBase {
 public:
  explicit FakeSquareApi(FakeSourceApiOptions options)
      : FakeSourceApiBase("square", std::move(options), {"customers", "orders"}) {
    const auto dir = this->options().fixtures_dir / "polling" / "square";
    const json::value customers = LoadFixture(dir / "ListCustomersResponse.example.json");
    const json::value order = LoadFixture(dir / "RetrieveOrderResponse.example.json");
    const auto* list = RequireObject(customers, "ListCustomersResponse").if_contains("customers");
    if (list == nullptr || !list->is_array() || list->as_array().empty()) {
      throw std::runtime_error("fake square: ListCustomersResponse.example.json has no customer");
    }
    customer_template_ = RequireObject(list->as_array().front(), "customers[0]");
    const auto* order_body = RequireObject(order, "RetrieveOrderResponse").if_contains("order");
    if (order_body == nullptr) {
      throw std::runtime_error("fake square: RetrieveOrderResponse.example.json has no order");
    }
    order_template_ = RequireObject(*order_body, "order");
    location_id_ = StringAt(order_template_, {"location_id"});
    if (location_id_.empty()) throw std::runtime_error("fake square: the order has no location");
    StartServer();
  }
  ~FakeSquareApi() override { StopServer(); }

 private:
  SourceRecord MakeClone(const std::string& collection, int64_t clone_index,
                         TimePoint at) override {
    SourceRecord r;
    if (collection == "customers") {
      r.id = CloneId(customer_prefix_, clone_index, kUpperAlnum, 26 - customer_prefix_.size());
      r.body = customer_template_;
      ReplaceAt(
          r.body, {"email_address"},
          json::value(CloneEmail(StringAt(customer_template_, {"email_address"}), clone_index)));
    } else {
      r.id = CloneId(order_prefix_, clone_index, kMixedAlnum, 27 - order_prefix_.size());
      r.body = order_template_;
    }
    r.created = r.updated = at;
    ReplaceAt(r.body, {"id"}, json::value(r.id));
    ReplaceAt(r.body, {"created_at"}, json::value(FormatIso8601(at)));
    ReplaceAt(r.body, {"updated_at"}, json::value(FormatIso8601(at)));
    return r;
  }

  // An edit at Square sets updated_at and bumps the object's version.
  void ApplyTouch(const std::string&, SourceRecord& record, TimePoint at) override {
    ReplaceAt(record.body, {"updated_at"}, json::value(FormatIso8601(at)));
    if (auto* version = record.body.if_contains("version"); version && version->is_int64()) {
      *version = version->as_int64() + 1;
    }
  }

  // --- Answers ------------------------------------------------------------------------------

  static Response Errors(int status, const std::string& category, const std::string& code,
                         const std::string& detail, const std::string& field = {}) {
    json::object error{{"category", category}, {"code", code}, {"detail", detail}};
    if (!field.empty()) error["field"] = field;
    Response r(status, json::serialize(json::object{{"errors", json::array{error}}}));
    r.content_type = "application/json";
    return r;
  }
  static Response Errors(const Refusal& refusal) {
    return Errors(refusal.status, refusal.category, refusal.code, refusal.detail, refusal.field);
  }
  static Refusal Invalid(const std::string& code, const std::string& detail,
                         const std::string& field = {}) {
    return {400, "INVALID_REQUEST_ERROR", code, detail, field};
  }
  static Response Ok(const json::object& body) {
    Response r(200, json::serialize(body));
    r.content_type = "application/json";
    return r;
  }

  Response RateLimited(std::chrono::seconds retry_after) const {
    Response r = Errors(
        429, "RATE_LIMIT_ERROR", "RATE_LIMITED",
        "Rate limit exceeded. Retry after " + std::to_string(retry_after.count()) + " seconds.");
    r.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
    return r;
  }

  Response Fault(int status) override {
    if (status == 429) return RateLimited(std::chrono::seconds(1));
    if (status == 503) {
      return Errors(503, "API_ERROR", "SERVICE_UNAVAILABLE", "Service Unavailable");
    }
    if (status == 504) return Errors(504, "API_ERROR", "GATEWAY_TIMEOUT", "Gateway Timeout");
    if (status >= 500) {
      return Errors(status, "API_ERROR", "INTERNAL_SERVER_ERROR", "An internal error occurred.");
    }
    if (status == 401)
      return Errors(401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", kUnauthorizedDetail);
    return Errors(status, "INVALID_REQUEST_ERROR", "BAD_REQUEST", "Injected fault.");
  }

  // --- Routing ------------------------------------------------------------------------------

  Response Handle(const Request& request) override {
    std::optional<Endpoint> endpoint;
    std::string allowed;
    if (request.path == "/v2/customers") {
      endpoint = Endpoint::kListCustomers;
      allowed = "GET";
    } else if (request.path == "/v2/customers/search") {
      endpoint = Endpoint::kSearchCustomers;
      allowed = "POST";
    } else if (request.path == "/v2/orders/search") {
      endpoint = Endpoint::kSearchOrders;
      allowed = "POST";
    }

    const std::string auth = request.header("authorization");
    if (auth.rfind("Bearer ", 0) != 0 || auth.size() == 7) {
      return Errors(401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", kMalformedAuthDetail);
    }
    if (auth.substr(7) != options().credential) {
      return Errors(401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", kUnauthorizedDetail);
    }
    if (!endpoint) {
      return Errors(404, "INVALID_REQUEST_ERROR", "NOT_FOUND",
                    "API endpoint for URL path `" + request.path + "` and HTTP method `" +
                        request.method + "` is not found.");
    }
    if (request.method != allowed) {
      // POST /v2/customers (CreateCustomer) exists at Square, but this fake only serves reads.
      return Errors(405, "INVALID_REQUEST_ERROR", "METHOD_NOT_ALLOWED",
                    "This fake serves only " + allowed + " " + request.path + ".");
    }
    if (const std::string version = request.header("square-version"); !version.empty()) {
      const bool ok = version.size() == 10 && AllDigits(version.substr(0, 4)) &&
                      version[4] == '-' && AllDigits(version.substr(5, 2)) && version[7] == '-' &&
                      AllDigits(version.substr(8, 2));
      if (!ok) {
        return Errors(400, "INVALID_REQUEST_ERROR", "INVALID_SQUARE_VERSION_FORMAT",
                      "Invalid Square-Version format: `" + version +
                          "`. Expected a date in the format YYYY-MM-DD.");
      }
    }
    if (const auto retry_after = TakeQueuedRateLimit()) return RateLimited(*retry_after);
    switch (*endpoint) {
      case Endpoint::kListCustomers:
        return ListCustomers(request);
      case Endpoint::kSearchCustomers:
        return SearchCustomers(request);
      case Endpoint::kSearchOrders:
        return SearchOrders(request);
    }
    return Errors(500, "API_ERROR", "INTERNAL_SERVER_ERROR", "unreachable");
  }

  // --- Parameter checks ---------------------------------------------------------------------

  // An integer query parameter: digits with an optional sign.
  static std::optional<Refusal> QueryInt(const std::string& name, const std::string& text,
                                         int64_t* out) {
    const auto value = ParseInteger(text);
    if (!value) {
      return Invalid("EXPECTED_INTEGER", "Expected an integer value for `" + name + "`.", name);
    }
    *out = *value;
    return std::nullopt;
  }

  static std::optional<Refusal> CheckLimit(const std::string& field, int64_t limit, int64_t max) {
    if (limit < 1) {
      return Invalid(
          "VALUE_TOO_LOW",
          "`" + field + "` must be greater than or equal to 1; got " + std::to_string(limit) + ".",
          field);
    }
    if (limit > max) {
      return Invalid("VALUE_TOO_HIGH",
                     "`" + field + "` must be less than or equal to " + std::to_string(max) +
                         "; got " + std::to_string(limit) + ".",
                     field);
    }
    return std::nullopt;
  }

  static std::optional<Refusal> CheckEnum(const std::string& field, const std::string& value,
                                          const std::set<std::string>& allowed) {
    if (allowed.contains(value)) return std::nullopt;
    return Invalid("INVALID_ENUM_VALUE",
                   "`" + value + "` is not a valid enum value for `" + field + "`.", field);
  }

  // A body integer: a JSON integer (Square refuses "10" and 10.5).
  static std::optional<Refusal> BodyInt(const json::object& body, const std::string& name,
                                        std::optional<int64_t>* out) {
    const json::value* v = body.if_contains(name);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (v->is_int64()) {
      *out = v->as_int64();
    } else if (v->is_uint64()) {
      *out = static_cast<int64_t>(std::min<uint64_t>(v->as_uint64(), INT64_MAX));
    } else {
      return Invalid("EXPECTED_INTEGER", "Expected an integer value for `" + name + "`.", name);
    }
    return std::nullopt;
  }

  static std::optional<Refusal> BodyString(const json::object& body, const std::string& name,
                                           const std::string& path,
                                           std::optional<std::string>* out) {
    const json::value* v = body.if_contains(name);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_string()) {
      return Invalid("EXPECTED_STRING", "Expected a string value for `" + path + "`.", path);
    }
    *out = std::string(v->as_string());
    return std::nullopt;
  }

  static std::optional<Refusal> BodyBool(const json::object& body, const std::string& name,
                                         bool* out) {
    const json::value* v = body.if_contains(name);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_bool()) {
      return Invalid("EXPECTED_BOOLEAN", "Expected a boolean value for `" + name + "`.", name);
    }
    *out = v->as_bool();
    return std::nullopt;
  }

  // An object member that may be absent or null; refuses another type.
  static std::optional<Refusal> BodyObject(const json::object& body, const std::string& name,
                                           const std::string& path, const json::object** out) {
    *out = nullptr;
    const json::value* v = body.if_contains(name);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_object()) {
      return Invalid("EXPECTED_OBJECT", "Expected an object value for `" + path + "`.", path);
    }
    *out = &v->as_object();
    return std::nullopt;
  }

  static std::optional<Refusal> ParseTimeRange(const json::object& range, const std::string& path,
                                               TimeRange* out) {
    for (const char* bound : {"start_at", "end_at"}) {
      std::optional<std::string> text;
      const std::string field = path + "." + bound;
      if (auto refusal = BodyString(range, bound, field, &text)) return refusal;
      if (!text) continue;
      const auto ms = ParseRfc3339(*text);
      if (!ms) {
        return Invalid("INVALID_TIME",
                       "Invalid RFC 3339 timestamp `" + *text + "` for `" + field + "`.", field);
      }
      (std::string_view(bound) == "start_at" ? out->start_ms : out->end_ms) = ms;
    }
    if (out->start_ms && out->end_ms && *out->end_ms < *out->start_ms) {
      return Invalid("INVALID_TIME_RANGE", "The end of `" + path + "` is before its start.", path);
    }
    return std::nullopt;
  }

  static std::optional<Refusal> ParseBody(const Request& request, json::object* out) {
    const std::string type = Lowercase(request.header("content-type"));
    if (!type.empty() && type.rfind("application/json", 0) != 0) {
      return Invalid("INVALID_CONTENT_TYPE", "Invalid Content-Type `" +
                                                 request.header("content-type") +
                                                 "`; expected application/json.");
    }
    boost::system::error_code ec;
    json::value body = json::parse(request.body, ec);
    if (ec || !body.is_object()) {
      return Invalid("EXPECTED_JSON_BODY", "The request body is not a JSON object.");
    }
    *out = std::move(body.as_object());
    return std::nullopt;
  }

  // --- Pages --------------------------------------------------------------------------------

  // Looks up `token`, issued by `endpoint` for `fingerprint`.
  std::optional<Refusal> ResumeCursor(const std::string& token, Endpoint endpoint,
                                      const std::string& fingerprint,
                                      const CursorState** out) const {
    auto it = cursors_.find(token);
    if (it == cursors_.end() || it->second.endpoint != endpoint) {
      return Invalid("INVALID_CURSOR", "The pagination cursor `" + token + "` is invalid.",
                     "cursor");
    }
    if (it->second.fingerprint != fingerprint) {
      return Invalid("INVALID_CURSOR",
                     "The pagination cursor must be used with the query it was returned for.",
                     "cursor");
    }
    *out = &it->second;
    return std::nullopt;
  }

  std::string IssueCursor(CursorState state) {
    std::string token;
    do {
      token = RandomHex(12);
    } while (cursors_.contains(token));
    cursors_.emplace(token, std::move(state));
    return token;
  }

  struct Candidate {
    SortKey key;
    const SourceRecord* record;
  };

  // Sorts `items`, drops those at or before `after`, and returns up to `limit` of the rest;
  // *more tells whether any remain after the page.
  static std::vector<Candidate> Page(std::vector<Candidate> items, bool descending,
                                     const std::optional<SortKey>& after, int64_t limit,
                                     bool* more) {
    auto before = [descending](const SortKey& a, const SortKey& b) {
      const int c = Compare(a, b);
      return descending ? c > 0 : c < 0;
    };
    std::sort(items.begin(), items.end(),
              [&](const Candidate& a, const Candidate& b) { return before(a.key, b.key); });
    auto first = items.begin();
    if (after) {
      first = std::find_if(items.begin(), items.end(),
                           [&](const Candidate& c) { return before(*after, c.key); });
    }
    std::vector<Candidate> page;
    for (auto it = first; it != items.end() && static_cast<int64_t>(page.size()) < limit; ++it) {
      page.push_back(*it);
    }
    *more = static_cast<int64_t>(page.size()) < std::distance(first, items.end());
    return page;
  }

  // Customers in the DEFAULT order are alphabetical by given and family name.
  static SortKey CustomerKey(const SourceRecord& r, bool by_created_at) {
    SortKey key;
    key.seq = r.sequence;
    if (by_created_at) {
      key.time = Millis(r.created);
    } else {
      auto text = [&](const char* name) {
        const json::value* v = r.body.if_contains(name);
        return v && v->is_string() ? Lowercase(v->as_string()) : std::string();
      };
      key.text = text("given_name") + '\x1f' + text("family_name");
    }
    return key;
  }

  json::object CustomersAnswer(const std::vector<Candidate>& page, bool more, CursorState next,
                               std::optional<size_t> count) {
    json::object body;
    if (!page.empty()) {
      json::array customers;
      for (const auto& c : page) customers.push_back(c.record->body);
      body["customers"] = std::move(customers);
    }
    if (more) {
      next.last = page.back().key;
      body["cursor"] = IssueCursor(std::move(next));
    }
    if (count) body["count"] = *count;
    return body;
  }

  Response ListCustomers(const Request& request) {
    std::map<std::string, std::string> params;
    for (auto& [name, value] : ParseForm(request.query)) params.emplace(name, value);
    auto param = [&](const std::string& name) -> const std::string* {
      auto it = params.find(name);
      return it == params.end() ? nullptr : &it->second;
    };

    int64_t limit = kCustomerLimitDefault;
    if (const auto* text = param("limit")) {
      if (auto refusal = QueryInt("limit", *text, &limit)) return Errors(*refusal);
      if (auto refusal = CheckLimit("limit", limit, kCustomerLimitMax)) return Errors(*refusal);
    }
    std::string sort_field = "DEFAULT";
    if (const auto* text = param("sort_field")) {
      if (auto refusal = CheckEnum("sort_field", *text, {"DEFAULT", "CREATED_AT"})) {
        return Errors(*refusal);
      }
      sort_field = *text;
    }
    std::string sort_order = "ASC";
    if (const auto* text = param("sort_order")) {
      if (auto refusal = CheckEnum("sort_order", *text, {"ASC", "DESC"})) return Errors(*refusal);
      sort_order = *text;
    }
    bool want_count = false;
    if (const auto* text = param("count")) {
      if (*text != "true" && *text != "false") {
        return Errors(
            Invalid("EXPECTED_BOOLEAN", "Expected a boolean value for `count`.", "count"));
      }
      want_count = *text == "true";
    }

    std::optional<SortKey> after;
    if (const auto* token = param("cursor")) {
      // A cursor continues the listing it came from: sort parameters may be repeated with it,
      // but parameters that differ from its listing's are refused rather than mixed into the walk.
      auto it = cursors_.find(*token);
      const std::string fingerprint =
          param("sort_field") || param("sort_order") || it == cursors_.end()
              ? sort_field + " " + sort_order
              : it->second.fingerprint;
      const CursorState* state = nullptr;
      if (auto refusal = ResumeCursor(*token, Endpoint::kListCustomers, fingerprint, &state)) {
        return Errors(*refusal);
      }
      after = state->last;
      const size_t space = state->fingerprint.find(' ');
      sort_field = state->fingerprint.substr(0, space);
      sort_order = state->fingerprint.substr(space + 1);
    }

    std::vector<Candidate> items;
    for (const auto& r : Records("customers")) {
      items.push_back({CustomerKey(r, sort_field == "CREATED_AT"), &r});
    }
    bool more = false;
    const auto page = Page(items, sort_order == "DESC", after, limit, &more);
    CountPageServed("customers");
    return Ok(CustomersAnswer(page, more,
                              {Endpoint::kListCustomers, sort_field + " " + sort_order, {}, {}},
                              want_count ? std::optional<size_t>(items.size()) : std::nullopt));
  }

  Response SearchCustomers(const Request& request) {
    json::object body;
    if (auto refusal = ParseBody(request, &body)) return Errors(*refusal);
    std::optional<int64_t> limit;
    if (auto refusal = BodyInt(body, "limit", &limit)) return Errors(*refusal);
    if (limit) {
      if (auto refusal = CheckLimit("limit", *limit, kCustomerLimitMax)) return Errors(*refusal);
    }
    std::optional<std::string> cursor;
    if (auto refusal = BodyString(body, "cursor", "cursor", &cursor)) return Errors(*refusal);
    bool want_count = false;
    if (auto refusal = BodyBool(body, "count", &want_count)) return Errors(*refusal);

    const json::object* query = nullptr;
    if (auto refusal = BodyObject(body, "query", "query", &query)) return Errors(*refusal);
    TimeRange created, updated;
    std::string sort_field = "DEFAULT", sort_order = "ASC";
    if (query != nullptr) {
      const json::object* filter = nullptr;
      if (auto refusal = BodyObject(*query, "filter", "query.filter", &filter)) {
        return Errors(*refusal);
      }
      if (filter != nullptr) {
        for (const auto& [name, value] : *filter) {
          const std::string key(name);
          const std::string path = "query.filter." + key;
          if (key == "created_at" || key == "updated_at") {
            if (value.is_null()) continue;
            if (!value.is_object()) {
              return Errors(
                  Invalid("EXPECTED_OBJECT", "Expected an object value for `" + path + "`.", path));
            }
            if (auto refusal = ParseTimeRange(value.as_object(), path,
                                              key == "created_at" ? &created : &updated)) {
              return Errors(*refusal);
            }
          } else {
            return Errors(Invalid("BAD_REQUEST",
                                  "The fake Square API does not implement the `" + path +
                                      "` filter; journeyd filters on updated_at only.",
                                  path));
          }
        }
      }
      const json::object* sort = nullptr;
      if (auto refusal = BodyObject(*query, "sort", "query.sort", &sort)) return Errors(*refusal);
      if (sort != nullptr) {
        std::optional<std::string> field, order;
        if (auto refusal = BodyString(*sort, "field", "query.sort.field", &field)) {
          return Errors(*refusal);
        }
        if (auto refusal = BodyString(*sort, "order", "query.sort.order", &order)) {
          return Errors(*refusal);
        }
        if (field) {
          if (auto refusal = CheckEnum("query.sort.field", *field, {"DEFAULT", "CREATED_AT"})) {
            return Errors(*refusal);
          }
          sort_field = *field;
        }
        if (order) {
          if (auto refusal = CheckEnum("query.sort.order", *order, {"ASC", "DESC"})) {
            return Errors(*refusal);
          }
          sort_order = *order;
        }
      }
    }

    const std::string fingerprint = query ? json::serialize(*query) : "null";
    std::optional<SortKey> after;
    if (cursor) {
      const CursorState* state = nullptr;
      if (auto refusal = ResumeCursor(*cursor, Endpoint::kSearchCustomers, fingerprint, &state)) {
        return Errors(*refusal);
      }
      after = state->last;
    }

    std::vector<Candidate> items;
    for (const auto& r : Records("customers")) {
      if (!created.Contains(Millis(r.created)) || !updated.Contains(Millis(r.updated))) continue;
      items.push_back({CustomerKey(r, sort_field == "CREATED_AT"), &r});
    }
    bool more = false;
    const auto page =
        Page(items, sort_order == "DESC", after, limit.value_or(kCustomerLimitDefault), &more);
    CountPageServed("customers");
    return Ok(CustomersAnswer(page, more, {Endpoint::kSearchCustomers, fingerprint, {}, {}},
                              want_count ? std::optional<size_t>(items.size()) : std::nullopt));
  }

  Response SearchOrders(const Request& request) {
    json::object body;
    if (auto refusal = ParseBody(request, &body)) return Errors(*refusal);

    const json::value* locations = body.if_contains("location_ids");
    if (locations == nullptr || locations->is_null()) {
      return Errors(Invalid("MISSING_REQUIRED_PARAMETER", "Field must be set: `location_ids`.",
                            "location_ids"));
    }
    if (!locations->is_array()) {
      return Errors(
          Invalid("EXPECTED_ARRAY", "Expected an array value for `location_ids`.", "location_ids"));
    }
    const json::array& location_ids = locations->as_array();
    if (location_ids.empty()) {
      return Errors(Invalid("ARRAY_EMPTY", "`location_ids` must not be empty.", "location_ids"));
    }
    if (location_ids.size() > kMaxLocationIds) {
      return Errors(Invalid("ARRAY_LENGTH_TOO_LONG",
                            "`location_ids` must have at most " + std::to_string(kMaxLocationIds) +
                                " elements; got " + std::to_string(location_ids.size()) + ".",
                            "location_ids"));
    }
    std::set<std::string> wanted_locations;
    for (size_t i = 0; i < location_ids.size(); ++i) {
      const std::string field = "location_ids[" + std::to_string(i) + "]";
      if (!location_ids[i].is_string()) {
        return Errors(
            Invalid("EXPECTED_STRING", "Expected a string value for `" + field + "`.", field));
      }
      const std::string id(location_ids[i].as_string());
      if (id != location_id_) {
        return Errors(Invalid("INVALID_VALUE",
                              "Location `" + id + "` is not a location of this merchant.", field));
      }
      wanted_locations.insert(id);
    }

    std::optional<int64_t> limit;
    if (auto refusal = BodyInt(body, "limit", &limit)) return Errors(*refusal);
    if (limit) {
      if (auto refusal = CheckLimit("limit", *limit, kOrderLimitMax)) return Errors(*refusal);
    }
    std::optional<std::string> cursor;
    if (auto refusal = BodyString(body, "cursor", "cursor", &cursor)) return Errors(*refusal);
    bool return_entries = false;
    if (auto refusal = BodyBool(body, "return_entries", &return_entries)) return Errors(*refusal);

    const json::object* query = nullptr;
    if (auto refusal = BodyObject(body, "query", "query", &query)) return Errors(*refusal);
    std::string filter_field;  // "created_at", "updated_at" or "closed_at"
    TimeRange range;
    std::optional<std::set<std::string>> states;
    std::string sort_field = "CREATED_AT", sort_order = "DESC";
    if (query != nullptr) {
      const json::object* filter = nullptr;
      if (auto refusal = BodyObject(*query, "filter", "query.filter", &filter)) {
        return Errors(*refusal);
      }
      if (filter != nullptr) {
        for (const auto& [name, value] : *filter) {
          const std::string key(name);
          const std::string path = "query.filter." + key;
          if (value.is_null()) continue;
          if (!value.is_object()) {
            return Errors(
                Invalid("EXPECTED_OBJECT", "Expected an object value for `" + path + "`.", path));
          }
          if (key == "date_time_filter") {
            for (const auto& [field_name, field_range] : value.as_object()) {
              const std::string field(field_name);
              const std::string field_path = path + "." + field;
              if (field_range.is_null()) continue;
              if (field != "created_at" && field != "updated_at" && field != "closed_at") {
                continue;  // an unknown field, ignored as Square ignores unknown fields
              }
              if (!field_range.is_object()) {
                return Errors(Invalid("EXPECTED_OBJECT",
                                      "Expected an object value for `" + field_path + "`.",
                                      field_path));
              }
              if (!filter_field.empty()) {
                return Errors(Invalid("BAD_REQUEST",
                                      "Only one time range can be set in `" + path + "`.", path));
              }
              filter_field = field;
              if (auto refusal = ParseTimeRange(field_range.as_object(), field_path, &range)) {
                return Errors(*refusal);
              }
            }
          } else if (key == "state_filter") {
            const json::value* list = value.as_object().if_contains("states");
            if (list == nullptr || !list->is_array()) {
              return Errors(Invalid("MISSING_REQUIRED_PARAMETER",
                                    "Field must be set: `" + path + ".states`.", path + ".states"));
            }
            states.emplace();
            for (const auto& s : list->as_array()) {
              const std::string state = s.is_string() ? std::string(s.as_string()) : "";
              if (auto refusal = CheckEnum(path + ".states", state,
                                           {"OPEN", "COMPLETED", "CANCELED", "DRAFT"})) {
                return Errors(*refusal);
              }
              states->insert(state);
            }
          } else {
            return Errors(Invalid("BAD_REQUEST",
                                  "The fake Square API does not implement the `" + path +
                                      "` filter; journeyd filters on updated_at only.",
                                  path));
          }
        }
      }
      const json::object* sort = nullptr;
      if (auto refusal = BodyObject(*query, "sort", "query.sort", &sort)) return Errors(*refusal);
      if (sort != nullptr) {
        std::optional<std::string> field, order;
        if (auto refusal = BodyString(*sort, "sort_field", "query.sort.sort_field", &field)) {
          return Errors(*refusal);
        }
        if (!field) {
          return Errors(Invalid("MISSING_REQUIRED_PARAMETER",
                                "Field must be set: `query.sort.sort_field`.",
                                "query.sort.sort_field"));
        }
        if (auto refusal = CheckEnum("query.sort.sort_field", *field,
                                     {"CREATED_AT", "UPDATED_AT", "CLOSED_AT"})) {
          return Errors(*refusal);
        }
        sort_field = *field;
        if (auto refusal = BodyString(*sort, "sort_order", "query.sort.sort_order", &order)) {
          return Errors(*refusal);
        }
        if (order) {
          if (auto refusal = CheckEnum("query.sort.sort_order", *order, {"ASC", "DESC"})) {
            return Errors(*refusal);
          }
          sort_order = *order;
        }
      }
    }
    // "If you use the DateTimeFilter in a SearchOrders query, you must set the sort_field in
    // OrdersSort to the same field you filter for."
    if (!filter_field.empty() && Lowercase(sort_field) != filter_field) {
      std::string wanted = filter_field;
      std::transform(wanted.begin(), wanted.end(), wanted.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
      return Errors(Invalid("BAD_REQUEST",
                            "When filtering by `" + filter_field +
                                "` in `query.filter.date_time_filter`, `query.sort.sort_field` "
                                "must be `" +
                                wanted + "`; got `" + sort_field + "`.",
                            "query.sort.sort_field"));
    }

    json::array location_list;
    for (const auto& id : wanted_locations) location_list.push_back(json::value(id));
    const std::string fingerprint = (query ? json::serialize(*query) : std::string("null")) + " " +
                                    json::serialize(location_list) +
                                    (return_entries ? " entries" : " orders");
    std::optional<SortKey> after;
    std::optional<int64_t> frozen_end;
    if (cursor) {
      const CursorState* state = nullptr;
      if (auto refusal = ResumeCursor(*cursor, Endpoint::kSearchOrders, fingerprint, &state)) {
        return Errors(*refusal);
      }
      after = state->last;
      frozen_end = state->frozen_end_ms;
    } else if (!filter_field.empty() && !range.end_ms) {
      // "If the end time is absent, it defaults to the time of the first request for the cursor."
      frozen_end = Millis(system_clock::now());
    }
    if (frozen_end) range.end_ms = frozen_end;

    auto time_of = [](const SourceRecord& r, const std::string& field) -> std::optional<int64_t> {
      if (field == "CREATED_AT" || field == "created_at") return Millis(r.created);
      if (field == "UPDATED_AT" || field == "updated_at") return Millis(r.updated);
      const json::value* closed = r.body.if_contains("closed_at");
      if (closed == nullptr || !closed->is_string()) return std::nullopt;
      return ParseRfc3339(closed->as_string());
    };
    std::vector<Candidate> items;
    for (const auto& r : Records("orders")) {
      const json::value* location = r.body.if_contains("location_id");
      if (location == nullptr || !location->is_string() ||
          !wanted_locations.contains(std::string(location->as_string()))) {
        continue;
      }
      if (states) {
        const json::value* state = r.body.if_contains("state");
        if (state == nullptr || !state->is_string() ||
            !states->contains(std::string(state->as_string()))) {
          continue;
        }
      }
      if (!filter_field.empty()) {
        const auto t = time_of(r, filter_field);
        if (!t || !range.Contains(*t)) continue;
      }
      const auto sort_time = time_of(r, sort_field);
      if (!sort_time) continue;  // no closed_at: not in a CLOSED_AT ordering
      items.push_back({SortKey{*sort_time, {}, r.sequence}, &r});
    }
    bool more = false;
    const auto page =
        Page(items, sort_order == "DESC", after, limit.value_or(kOrderLimitDefault), &more);
    CountPageServed("orders");

    json::object answer;
    if (!page.empty()) {
      json::array list;
      for (const auto& c : page) {
        if (return_entries) {
          json::object entry{{"order_id", c.record->id},
                             {"location_id", c.record->body.at("location_id")}};
          if (const auto* version = c.record->body.if_contains("version")) {
            entry["version"] = *version;
          }
          list.push_back(std::move(entry));
        } else {
          list.push_back(c.record->body);
        }
      }
      answer[return_entries ? "order_entries" : "orders"] = std::move(list);
    }
    if (more) {
      answer["cursor"] =
          IssueCursor({Endpoint::kSearchOrders, fingerprint, page.back().key, frozen_end});
    }
    return Ok(answer);
  }

  json::object customer_template_;
  json::object order_template_;
  std::string location_id_;
  // Id prefixes, random per fake so that two fakes never share an id.
  const std::string customer_prefix_ = RandomOf(kUpperAlnum, 14);
  const std::string order_prefix_ = "CAISE" + RandomOf(kMixedAlnum, 10);

  std::map<std::string, CursorState> cursors_;  // guarded by mu_
};

}  // namespace

std::unique_ptr<FakeSourceApi> MakeFakeSquareApi(FakeSourceApiOptions options) {
  return std::make_unique<FakeSquareApi>(std::move(options));
}

}  // namespace journeyd::fakes
