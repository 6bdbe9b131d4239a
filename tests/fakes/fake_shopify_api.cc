// The fake Shopify Admin REST API (2026-07): GET /admin/api/2026-07/customers.json and
// /admin/api/2026-07/orders.json, enforcing what the real one enforces:
// - X-Shopify-Access-Token must be the credential, else 401
//   {"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}.
// - limit 1..250 (default 50); anything else is a 400 (the real API's wording for this one is
//   not documented; the fake answers {"errors":{"limit":"Invalid value."}}).
// - Cursor pagination: records ordered by id ascending; a `Link` header carries
//   <{base}/admin/api/2026-07/{collection}.json?limit=N&page_info=…>; rel="next" (and
//   rel="previous" after the first page), and is absent on a single page. page_info is opaque and
//   carries the first request's filters; with page_info only limit and fields may be sent, any
//   other parameter is a 400 {"errors":{"<name>":"<name> cannot be passed when page_info is
//   present. See https://shopify.dev/api/usage/pagination-rest for more information."}} and an
//   edited or foreign page_info is a 400 {"errors":{"page_info":"Invalid value."}} (both
//   bodies as users of the real API report them).
// - Filters on the first page: updated_at_min/updated_at_max (inclusive), created_at_min/max,
//   since_id, ids, fields; orders also status (open by default; open, closed, cancelled or any;
//   seeded orders are open). A malformed value is a 400 {"errors":{"<name>":"Invalid value."}}.
//   A timestamp or date without a zone is read at the shop's UTC offset (the fixture's); the
//   comparison is at whole seconds, as served.
// - The leaky bucket: 40 calls, leaking 2 per second, reported in
//   X-Shopify-Shop-Api-Call-Limit: "used/40"; a call into a full bucket gets 429 with
//   Retry-After: 2.0 and {"errors":"Exceeded 2 calls per second for api client. Reduce request
//   rates to resume uninterrupted service."}. RateLimitNext queues the same 429 with its own
//   Retry-After ("<n>.0").
// Clones keep every fixture field; per clone the fake replaces the ids (also in
// admin_graphql_api_id and the addresses), the email, the phone of a customer (Shopify requires
// unique customer phones), an order's name/number/order_number/token, and the timestamps, which
// keep the fixture's UTC offset. Order clone n belongs to customer clone n (its `customer` has
// that id, email and phone), whether or not that customer was seeded.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "tests/fakes/fake_source_api_common.h"
#include "tests/fakes/fake_util.h"

namespace journeyd::fakes {
namespace {

namespace json = boost::json;
using std::chrono::steady_clock;

constexpr char kApiPrefix[] = "/admin/api/2026-07/";
constexpr int kBucketSize = 40;
constexpr double kLeakPerSecond = 2.0;
constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 250;
constexpr char kPaginationDoc[] = "https://shopify.dev/api/usage/pagination-rest";

Response Json(int status, const json::value& body) {
  Response response(status, json::serialize(body));
  response.content_type = "application/json; charset=utf-8";
  return response;
}

Response Errors(int status, const std::string& message) {
  return Json(status, json::object{{"errors", message}});
}

Response FieldError(const std::string& name, const std::string& message) {
  return Json(400, json::object{{"errors", json::object{{name, message}}}});
}

Response TooManyRequests(const std::string& retry_after) {
  Response response = Errors(429,
                             "Exceeded 2 calls per second for api client. Reduce request rates to "
                             "resume uninterrupted service.");
  response.headers.emplace_back("Retry-After", retry_after);
  return response;
}

int64_t NumericId(const SourceRecord& record) { return *ParseInteger(record.id); }

// The first-page filters, parsed.
struct Filters {
  std::optional<std::set<int64_t>> ids;
  std::optional<int64_t> since_id;
  std::optional<TimePoint> created_min, created_max, updated_min, updated_max;
  std::string status = "open";  // orders only
};

class FakeShopifyApi final : public FakeSourceApiBase {
 public:
  explicit FakeShopifyApi(FakeSourceApiOptions options)
      : FakeSourceApiBase("shopify", std::move(options), {"customers", "orders"}) {
    const auto dir = this->options().fixtures_dir / "polling" / "shopify";
    customer_ = First(LoadFixture(dir / "customers.json"), "customers");
    order_ = First(LoadFixture(dir / "orders.status_any.json"), "orders");
    customer_offset_ = UtcOffsetMinutes(StringAt(customer_, {"updated_at"})).value_or(0);
    order_offset_ = UtcOffsetMinutes(StringAt(order_, {"updated_at"})).value_or(0);
    last_leak_ = steady_clock::now();
    StartServer();
  }
  ~FakeShopifyApi() override { StopServer(); }

 private:
  static json::object First(const json::value& file, const char* key) {
    const json::object& top = RequireObject(file, key);
    const json::value* list = top.if_contains(key);
    if (!list || !list->is_array() || list->as_array().empty()) {
      throw std::runtime_error(std::string("shopify fixture has no ") + key);
    }
    return RequireObject(list->as_array().front(), key);
  }

  int OffsetOf(const std::string& collection) const {
    return collection == "customers" ? customer_offset_ : order_offset_;
  }

  // --- Seeding ---------------------------------------------------------------------------------

  int64_t CustomerId(int64_t n) const { return customer_.at("id").as_int64() + 1 + n; }

  // Shopify refuses two customers with one phone. NANP: the fixture's area code, then an
  // exchange from 200 and a line number from the clone number.
  static std::string CustomerPhone(int64_t n) {
    char phone[32];
    std::snprintf(phone, sizeof(phone), "+1613%03d%04d", static_cast<int>(200 + n / 10000 % 800),
                  static_cast<int>(n % 10000));
    return phone;
  }

  SourceRecord MakeClone(const std::string& collection, int64_t n, TimePoint at) override {
    SourceRecord record;
    record.created = record.updated = at;
    if (collection == "customers") {
      record.body = customer_;
      const int64_t id = CustomerId(n);
      record.id = std::to_string(id);
      json::object& body = record.body;
      body["id"] = id;
      body["admin_graphql_api_id"] = "gid://shopify/Customer/" + record.id;
      ReplaceAt(body, {"email"}, json::value(CloneEmail(StringAt(customer_, {"email"}), n)));
      ReplaceAt(body, {"phone"}, json::value(CustomerPhone(n)));
      if (auto* addresses = body.if_contains("addresses"); addresses && addresses->is_array()) {
        for (auto& address : addresses->as_array()) {
          if (!address.is_object()) continue;
          ReplaceAt(address.as_object(), {"id"}, id);
          ReplaceAt(address.as_object(), {"customer_id"}, id);
        }
      }
      ReplaceAt(body, {"default_address", "id"}, id);
      ReplaceAt(body, {"default_address", "customer_id"}, id);
    } else {
      record.body = order_;
      json::object& body = record.body;
      const int64_t id = order_.at("id").as_int64() + 1 + n;
      record.id = std::to_string(id);
      body["id"] = id;
      body["admin_graphql_api_id"] = "gid://shopify/Order/" + record.id;
      const int64_t order_number = order_.at("order_number").as_int64() + 1 + n;
      ReplaceAt(body, {"order_number"}, order_number);
      ReplaceAt(body, {"number"}, order_number - 1000);
      ReplaceAt(body, {"name"}, json::value("#" + std::to_string(order_number)));
      const std::string email = CloneEmail(StringAt(order_, {"email"}), n);
      ReplaceAt(body, {"email"}, json::value(email));
      ReplaceAt(body, {"contact_email"}, json::value(email));
      const std::string old_token = StringAt(order_, {"token"});
      const std::string token = RandomHex(16);
      ReplaceAt(body, {"token"}, json::value(token));
      std::string status_url = StringAt(order_, {"order_status_url"});
      if (auto pos = status_url.find(old_token); !old_token.empty() && pos != std::string::npos) {
        status_url.replace(pos, old_token.size(), token);
        ReplaceAt(body, {"order_status_url"}, json::value(status_url));
      }
      const int64_t customer_id = CustomerId(n);
      ReplaceAt(body, {"customer", "id"}, customer_id);
      ReplaceAt(body, {"customer", "email"},
                json::value(CloneEmail(StringAt(customer_, {"email"}), n)));
      ReplaceAt(body, {"customer", "admin_graphql_api_id"},
                json::value("gid://shopify/Customer/" + std::to_string(customer_id)));
      ReplaceAt(body, {"customer", "phone"}, json::value(CustomerPhone(n)));
      ReplaceAt(body, {"customer", "default_address", "id"}, customer_id);
      ReplaceAt(body, {"customer", "default_address", "customer_id"}, customer_id);
      ReplaceAt(body, {"processed_at"}, json::value(FormatRfc3339(at, order_offset_)));
    }
    const std::string stamp = FormatRfc3339(at, OffsetOf(collection));
    ReplaceAt(record.body, {"created_at"}, json::value(stamp));
    ReplaceAt(record.body, {"updated_at"}, json::value(stamp));
    return record;
  }

  void ApplyTouch(const std::string& collection, SourceRecord& record, TimePoint at) override {
    ReplaceAt(record.body, {"updated_at"}, json::value(FormatRfc3339(at, OffsetOf(collection))));
  }

  // --- Serving ---------------------------------------------------------------------------------

  Response Fault(int status) override {
    if (status == 429) return TooManyRequests("2.0");
    if (status == 401) return Unauthorized();
    if (status >= 500) return Errors(status, "Internal Server Error");
    return Errors(status, status == 404 ? "Not Found" : "Bad Request");
  }

  static Response Unauthorized() {
    return Errors(401,
                  "[API] Invalid API key or access token (unrecognized login or wrong password)");
  }

  void Leak() {
    const auto now = steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - last_leak_).count();
    used_ = std::max(0.0, used_ - elapsed * kLeakPerSecond);
    last_leak_ = now;
  }

  void AddCallLimit(Response* response) const {
    const int used = static_cast<int>(std::ceil(used_ - 1e-9));
    response->headers.emplace_back("X-Shopify-Shop-Api-Call-Limit",
                                   std::to_string(used) + "/" + std::to_string(kBucketSize));
  }

  Response Handle(const Request& request) override {
    std::string collection;
    if (request.path == std::string(kApiPrefix) + "customers.json") collection = "customers";
    if (request.path == std::string(kApiPrefix) + "orders.json") collection = "orders";
    if (collection.empty()) return Errors(404, "Not Found");
    if (request.method != "GET") {
      Response response = Errors(405, "Method Not Allowed: this fake only lists");
      response.headers.emplace_back("Allow", "GET");
      return response;
    }
    if (options().credential.empty() ||
        request.header("x-shopify-access-token") != options().credential) {
      return Unauthorized();
    }
    Leak();
    Response response;
    if (const auto forced = TakeQueuedRateLimit()) {
      response = TooManyRequests(std::to_string(forced->count()) + ".0");
    } else if (options().enforce_rate_limits && used_ + 1 > kBucketSize) {
      response = TooManyRequests("2.0");
    } else {
      if (options().enforce_rate_limits) used_ += 1;
      response = List(collection, request);
      if (response.status == 200) CountPageServed(collection);
    }
    AddCallLimit(&response);
    return response;
  }

  std::optional<Response> ParseFilters(const std::string& collection,
                                       const std::vector<std::pair<std::string, std::string>>& in,
                                       Filters* filters) const {
    auto invalid = [](const std::string& name) { return FieldError(name, "Invalid value."); };
    for (const auto& [name, value] : in) {
      auto timestamp = [&](std::optional<TimePoint>* out) -> bool {
        *out = ParseTimestamp(value, OffsetOf(collection), /*allow_date_only=*/true);
        return out->has_value();
      };
      if (name == "updated_at_min") {
        if (!timestamp(&filters->updated_min)) return invalid(name);
      } else if (name == "updated_at_max") {
        if (!timestamp(&filters->updated_max)) return invalid(name);
      } else if (name == "created_at_min") {
        if (!timestamp(&filters->created_min)) return invalid(name);
      } else if (name == "created_at_max") {
        if (!timestamp(&filters->created_max)) return invalid(name);
      } else if (name == "since_id") {
        filters->since_id = ParseInteger(value);
        if (!filters->since_id) return invalid(name);
      } else if (name == "ids") {
        std::set<int64_t> ids;
        std::string_view rest = value;
        while (!rest.empty()) {
          const size_t comma = rest.find(',');
          const auto id = ParseInteger(rest.substr(0, comma));
          if (!id) return invalid(name);
          ids.insert(*id);
          rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
        filters->ids = std::move(ids);
      } else if (name == "status" && collection == "orders") {
        if (value != "open" && value != "closed" && value != "cancelled" && value != "any") {
          return invalid(name);
        }
        filters->status = value;
      }
      // Other parameters are ignored, as the real API ignores what it does not know.
    }
    return std::nullopt;
  }

  static bool Matches(const std::string& collection, const SourceRecord& record,
                      const Filters& filters) {
    const int64_t id = NumericId(record);
    const auto updated = std::chrono::floor<std::chrono::seconds>(record.updated);
    const auto created = std::chrono::floor<std::chrono::seconds>(record.created);
    if (filters.ids && !filters.ids->contains(id)) return false;
    if (filters.since_id && id <= *filters.since_id) return false;
    if (filters.updated_min && updated < *filters.updated_min) return false;
    if (filters.updated_max && updated > *filters.updated_max) return false;
    if (filters.created_min && created < *filters.created_min) return false;
    if (filters.created_max && created > *filters.created_max) return false;
    if (collection == "orders" && filters.status != "any") {
      auto set = [&](const char* key) {
        const json::value* v = record.body.if_contains(key);
        return v != nullptr && !v->is_null();
      };
      const bool closed = set("closed_at");
      const bool cancelled = set("cancelled_at");
      if (filters.status == "open" && (closed || cancelled)) return false;
      if (filters.status == "closed" && !closed) return false;
      if (filters.status == "cancelled" && !cancelled) return false;
    }
    return true;
  }

  std::string PageUrl(const std::string& collection, int limit,
                      const std::optional<std::string>& fields, const json::object& cursor) const {
    std::vector<std::pair<std::string, std::string>> query{{"limit", std::to_string(limit)}};
    if (fields) query.emplace_back("fields", *fields);
    query.emplace_back("page_info", EncodeCursor(cursor));
    return base_url() + kApiPrefix + collection + ".json?" + BuildQuery(query);
  }

  Response List(const std::string& collection, const Request& request) const {
    const QueryParams params(request.query);
    int limit = kDefaultLimit;
    if (const auto text = params.Get("limit")) {
      const auto value = ParseInteger(*text);
      if (!value || *value < 1 || *value > kMaxLimit) return FieldError("limit", "Invalid value.");
      limit = static_cast<int>(*value);
    }
    const std::optional<std::string> fields = params.Get("fields");

    // The filters come from this request, or from the first one through page_info.
    std::vector<std::pair<std::string, std::string>> filter_params;
    std::optional<json::object> cursor;
    if (const auto page_info = params.Get("page_info")) {
      json::object refused;
      for (const auto& [name, value] : params.all()) {
        if (name == "page_info" || name == "limit" || name == "fields") continue;
        refused[name] = name + " cannot be passed when page_info is present. See " +
                        kPaginationDoc + " for more information.";
      }
      if (!refused.empty()) return Json(400, json::object{{"errors", std::move(refused)}});
      cursor = DecodeCursor(*page_info);
      const json::value* q = cursor ? cursor->if_contains("q") : nullptr;
      const json::value* id = cursor ? cursor->if_contains("id") : nullptr;
      const json::value* direction = cursor ? cursor->if_contains("d") : nullptr;
      const json::value* of = cursor ? cursor->if_contains("c") : nullptr;
      if (!q || !q->is_array() || !id || !id->is_int64() || !direction || !direction->is_string() ||
          !of || !of->is_string() || of->as_string() != collection) {
        return FieldError("page_info", "Invalid value.");
      }
      for (const auto& pair : q->as_array()) {
        const json::array* kv = pair.if_array();
        if (!kv || kv->size() != 2 || !(*kv)[0].is_string() || !(*kv)[1].is_string()) {
          return FieldError("page_info", "Invalid value.");
        }
        filter_params.emplace_back(std::string((*kv)[0].as_string()),
                                   std::string((*kv)[1].as_string()));
      }
    } else {
      for (const auto& [name, value] : params.all()) {
        if (name != "limit" && name != "fields") filter_params.emplace_back(name, value);
      }
    }
    Filters filters;
    if (auto error = ParseFilters(collection, filter_params, &filters)) return *error;

    std::vector<const SourceRecord*> matches;
    for (const auto& record : Records(collection)) {
      if (Matches(collection, record, filters)) matches.push_back(&record);
    }
    std::sort(matches.begin(), matches.end(), [](const SourceRecord* a, const SourceRecord* b) {
      return NumericId(*a) < NumericId(*b);
    });

    // The page: the first `limit` after the cursor, or the last `limit` before it.
    auto begin = matches.begin();
    auto end = matches.end();
    if (cursor) {
      const int64_t boundary = cursor->at("id").as_int64();
      auto after = std::upper_bound(
          matches.begin(), matches.end(), boundary,
          [](int64_t value, const SourceRecord* r) { return value < NumericId(*r); });
      auto before = std::lower_bound(
          matches.begin(), matches.end(), boundary,
          [](const SourceRecord* r, int64_t value) { return NumericId(*r) < value; });
      if (cursor->at("d").as_string() == "next") {
        begin = after;
        end = begin + std::min<std::ptrdiff_t>(limit, matches.end() - begin);
      } else {
        end = before;
        begin = end - std::min<std::ptrdiff_t>(limit, end - matches.begin());
      }
    } else {
      end = begin + std::min<std::ptrdiff_t>(limit, matches.end() - begin);
    }

    std::set<std::string> keep;
    if (fields) {
      std::string_view rest = *fields;
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        std::string name(rest.substr(0, comma));
        name.erase(0, name.find_first_not_of(' '));
        name.erase(name.find_last_not_of(' ') + 1);
        if (!name.empty()) keep.insert(name);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    }
    json::array items;
    for (auto it = begin; it != end; ++it) {
      if (!fields) {
        items.push_back((*it)->body);
        continue;
      }
      json::object subset;
      for (const auto& [key, value] : (*it)->body) {
        if (keep.contains(std::string(key))) subset[key] = value;
      }
      items.push_back(std::move(subset));
    }

    json::array query;
    for (const auto& [name, value] : filter_params) query.push_back(json::array{name, value});
    std::vector<std::string> links;
    if (cursor && begin != end && begin != matches.begin()) {
      json::object previous{
          {"c", collection}, {"d", "prev"}, {"id", NumericId(**begin)}, {"q", query}};
      links.push_back("<" + PageUrl(collection, limit, fields, previous) + ">; rel=\"previous\"");
    }
    if (begin != end && end != matches.end()) {
      json::object next{
          {"c", collection}, {"d", "next"}, {"id", NumericId(**(end - 1))}, {"q", query}};
      links.push_back("<" + PageUrl(collection, limit, fields, next) + ">; rel=\"next\"");
    }
    Response response = Json(200, json::object{{collection, std::move(items)}});
    if (!links.empty()) {
      std::string link = links[0];
      for (size_t i = 1; i < links.size(); ++i) link += ", " + links[i];
      response.headers.emplace_back("Link", link);
    }
    return response;
  }

  json::object customer_;
  json::object order_;
  int customer_offset_ = 0;
  int order_offset_ = 0;
  double used_ = 0;  // the bucket's level, guarded by mu_
  steady_clock::time_point last_leak_;
};

}  // namespace

std::unique_ptr<FakeSourceApi> MakeFakeShopifyApi(FakeSourceApiOptions options) {
  return std::make_unique<FakeShopifyApi>(std::move(options));
}

}  // namespace journeyd::fakes
