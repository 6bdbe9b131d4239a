// The fake WooCommerce REST API v3: GET /wp-json/wc/v3/customers and /wp-json/wc/v3/orders,
// enforcing what WordPress and WooCommerce enforce (checked against WooCommerce's
// class-wc-rest-authentication.php and its v1..v3 customers/CRUD controllers):
// - Credentials: consumer_key and consumer_secret query parameters when both are given, else
//   HTTP Basic consumer_key:consumer_secret (the credential is "ck_…:cs_…"). The right key with a
//   wrong secret is a 401 {"code":"woocommerce_rest_authentication_error","message":"Consumer
//   secret is invalid.","data":{"status":401}}. An unknown key or none leaves the request
//   anonymous, and WordPress then validates the parameters (400 first) and refuses the listing:
//   401 {"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list
//   resources.","data":{"status":401}}. (Over plain HTTP the real plugin only accepts OAuth 1.0a;
//   the fake behaves as the HTTPS site journeyd talks to.)
// - WordPress's argument validation, all failures in one 400 {"code":"rest_invalid_param",
//   "message":"Invalid parameter(s): a, b","data":{"status":400,"params":{…},"details":{…}}}:
//   page >= 1, per_page 1..100 (default 10), offset, order asc|desc, orderby (customers: id,
//   include, name, registered_date, default name; orders: date, id, include, title, slug,
//   modified, default date), email, role; orders also after/before/modified_after/
//   modified_before (RFC 3339 date-times, seconds required), dates_are_gmt (boolean), customer.
// - Customers have no modified_after: WordPress drops parameters a route does not register, so
//   the fake ignores it too and lists every customer. Poll customers by listing them all.
// - Order filters: modified_after/after are exclusive (>), modified_before/before exclusive (<),
//   compared at whole seconds. With dates_are_gmt=true they compare with date_modified_gmt /
//   date_created_gmt and a time without a zone is UTC; otherwise with the site-local
//   date_modified / date_created and a time without a zone is site-local. (A time with a zone
//   is taken at its zone; real WordPress converts it to site-local even for the GMT columns, so
//   journeyd should send dates_are_gmt=true with a zone-less UTC time.)
// - Ordering: orderby/order, ties by id in the same direction; defaults as above (orders: newest
//   created first; customers: by name ascending).
// - Paging headers: X-WP-Total, X-WP-TotalPages, and Link <…?…&page=N>; rel="prev", <…>;
//   rel="next" (the request's own query with page replaced). A page past the end is [].
// - The site's UTC offset is the fixture's (date_modified minus date_modified_gmt).
// - WooCommerce core has no rate limiter (hosts and WAFs answer 429). RateLimitNext answers before
//   WordPress looks at the request: 429 with Retry-After and a WP_Error-shaped body
//   {"code":"rate_limit_exceeded","message":"Too many requests. Please wait <n> seconds before
//   trying again.","data":{"status":429}} (the fake's own choice of wording).
// Clones keep every fixture field; per clone the fake replaces id, email (and billing.email),
// username (unique in WordPress), an order's number and order_key, the dates and the _links.
#include <algorithm>
#include <cstdint>
#include <regex>
#include <set>
#include <stdexcept>
#include <tuple>

#include "tests/fakes/fake_source_api_common.h"
#include "tests/fakes/fake_util.h"

namespace journeyd::fakes {
namespace {

namespace json = boost::json;

constexpr char kRestPrefix[] = "/wp-json/wc/v3/";

Response Json(int status, const json::value& body) {
  Response response(status, json::serialize(body));
  response.content_type = "application/json; charset=UTF-8";
  return response;
}

Response WpError(int status, const std::string& code, const std::string& message) {
  return Json(status, json::object{{"code", code},
                                   {"message", message},
                                   {"data", json::object{{"status", status}}}});
}

struct ParamError {
  std::string name;
  std::string code;
  std::string message;
};

// wp_sprintf's "%l": "a", "a and b", "a, b, and c".
std::string ListWords(const std::vector<std::string>& words) {
  if (words.size() == 1) return words[0];
  if (words.size() == 2) return words[0] + " and " + words[1];
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    out += (i == 0 ? "" : ", ") + std::string(i + 1 == words.size() ? "and " : "") + words[i];
  }
  return out;
}

// WordPress's rest_parse_date pattern.
bool IsWpDateTime(const std::string& text) {
  static const std::regex kPattern(
      R"(^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:\d{2})?)?$)");
  return std::regex_match(text, kPattern);
}

bool IsWpBoolean(const std::string& text) {
  const std::string lower = Lowercase(text);
  return lower == "true" || lower == "false" || lower == "1" || lower == "0";
}

// A WordPress list parameter: "1,2" or repeated "name[]=1&name[]=2".
std::vector<std::string> ListParam(const QueryParams& params, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& [key, value] : params.all()) {
    if (key != name && key.rfind(name + "[", 0) != 0) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string item(rest.substr(0, comma));
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      if (!item.empty()) out.push_back(item);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  return out;
}

struct ListRequest {
  int page = 1;
  int per_page = 10;
  int64_t offset = 0;
  bool ascending = false;
  std::string orderby;
  std::vector<int64_t> include;
  std::set<int64_t> exclude;
  std::optional<std::string> email;
  std::optional<std::string> role;
  std::optional<std::string> search;
  // Orders.
  bool dates_are_gmt = false;
  std::optional<TimePoint> after, before, modified_after, modified_before;
  std::optional<int64_t> customer;
  std::vector<std::string> statuses;
};

class FakeWooCommerceApi final : public FakeSourceApiBase {
 public:
  explicit FakeWooCommerceApi(FakeSourceApiOptions options)
      : FakeSourceApiBase("woocommerce", std::move(options), {"customers", "orders"}) {
    const auto dir = this->options().fixtures_dir / "polling" / "woocommerce";
    customer_ = First(LoadFixture(dir / "customers_list.json"), "customers_list.json");
    order_ = First(LoadFixture(dir / "orders_list.json"), "orders_list.json");
    site_offset_ = SiteOffset(customer_);
    const size_t colon = this->options().credential.find(':');
    if (colon != std::string::npos) {
      consumer_key_ = this->options().credential.substr(0, colon);
      consumer_secret_ = this->options().credential.substr(colon + 1);
    }
    StartServer();
  }
  ~FakeWooCommerceApi() override { StopServer(); }

 private:
  static json::object First(const json::value& file, const char* name) {
    if (!file.is_array() || file.as_array().empty()) {
      throw std::runtime_error(std::string("woocommerce fixture ") + name + " has no record");
    }
    return RequireObject(file.as_array().front(), name);
  }

  // Site-local minus GMT, from the fixture's own pair of dates.
  static int SiteOffset(const json::object& record) {
    const auto local = ParseTimestamp(StringAt(record, {"date_modified"}), 0);
    const auto gmt = ParseTimestamp(StringAt(record, {"date_modified_gmt"}), 0);
    if (!local || !gmt) throw std::runtime_error("woocommerce fixture has no date_modified(_gmt)");
    return static_cast<int>(
        std::chrono::duration_cast<std::chrono::minutes>(*local - *gmt).count());
  }

  // --- Seeding ---------------------------------------------------------------------------------

  void SetDates(json::object& body, const char* field, TimePoint at) const {
    ReplaceAt(body, {field}, json::value(FormatWallClock(at, site_offset_)));
    ReplaceAt(body, {std::string(field) + "_gmt"}, json::value(FormatWallClock(at, 0)));
  }

  void SetLinks(json::object& body, const std::string& collection, const std::string& id) const {
    const std::string base = base_url() + kRestPrefix + collection;
    if (auto* self = body.if_contains("_links"); self && self->is_object()) {
      auto set_first = [&](const char* rel, const std::string& href) {
        json::value* links = self->as_object().if_contains(rel);
        if (links && links->is_array() && !links->as_array().empty() &&
            links->as_array()[0].is_object()) {
          ReplaceAt(links->as_array()[0].as_object(), {"href"}, json::value(href));
        }
      };
      set_first("self", base + "/" + id);
      set_first("collection", base);
    }
  }

  SourceRecord MakeClone(const std::string& collection, int64_t n, TimePoint at) override {
    SourceRecord record;
    record.created = record.updated = at;
    const bool customers = collection == "customers";
    record.body = customers ? customer_ : order_;
    json::object& body = record.body;
    const int64_t id = (customers ? customer_ : order_).at("id").as_int64() + 1 + n;
    record.id = std::to_string(id);
    body["id"] = id;
    if (customers) {
      const std::string email = CloneEmail(StringAt(customer_, {"email"}), n);
      ReplaceAt(body, {"email"}, json::value(email));
      ReplaceAt(body, {"billing", "email"}, json::value(email));
      ReplaceAt(body, {"username"},
                json::value(StringAt(customer_, {"username"}) + "." + std::to_string(n)));
    } else {
      ReplaceAt(body, {"number"}, json::value(record.id));
      ReplaceAt(body, {"order_key"}, json::value("wc_order_" + RandomHex(7).substr(0, 13)));
      ReplaceAt(body, {"billing", "email"},
                json::value(CloneEmail(StringAt(order_, {"billing", "email"}), n)));
    }
    SetDates(body, "date_created", at);
    SetDates(body, "date_modified", at);
    SetLinks(body, collection, record.id);
    return record;
  }

  void ApplyTouch(const std::string&, SourceRecord& record, TimePoint at) override {
    SetDates(record.body, "date_modified", at);
  }

  // --- Serving ---------------------------------------------------------------------------------

  static Response TooManyRequests(std::chrono::seconds retry_after) {
    Response response =
        WpError(429, "rate_limit_exceeded",
                "Too many requests. Please wait " + std::to_string(retry_after.count()) +
                    " seconds before trying again.");
    response.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
    return response;
  }

  Response Fault(int status) override {
    if (status == 429) return TooManyRequests(std::chrono::seconds(1));
    if (status >= 500) {
      return WpError(status, "internal_server_error",
                     "<p>There has been a critical error on this website.</p>");
    }
    return WpError(status, "rest_invalid_param", "Injected fault.");
  }

  Response Handle(const Request& request) override {
    std::string collection;
    if (request.path == std::string(kRestPrefix) + "customers") collection = "customers";
    if (request.path == std::string(kRestPrefix) + "orders") collection = "orders";
    if (collection.empty() || request.method != "GET") {
      return WpError(404, "rest_no_route",
                     "No route was found matching the URL and request method.");
    }
    if (const auto retry_after = TakeQueuedRateLimit()) return TooManyRequests(*retry_after);

    const QueryParams params(request.query);
    // WC_REST_Authentication::perform_basic_authentication: the query first, then Basic.
    std::string key, secret;
    if (!params.Get("consumer_key").value_or("").empty() &&
        !params.Get("consumer_secret").value_or("").empty()) {
      key = *params.Get("consumer_key");
      secret = *params.Get("consumer_secret");
    } else if (auto basic = ParseBasicAuth(request.header("authorization"));
               basic && !basic->first.empty() && !basic->second.empty()) {
      key = basic->first;
      secret = basic->second;
    }
    const bool known_key = !consumer_key_.empty() && key == consumer_key_;
    if (known_key && secret != consumer_secret_) {
      return WpError(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.");
    }

    ListRequest list;
    if (auto invalid = Validate(collection, params, &list)) return *invalid;
    if (!known_key) {
      return WpError(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.");
    }
    Response response = List(collection, params, list);
    if (response.status == 200) CountPageServed(collection);
    return response;
  }

  // WP_REST_Request::has_valid_params: every registered argument, in registration order.
  std::optional<Response> Validate(const std::string& collection, const QueryParams& params,
                                   ListRequest* list) const {
    const bool orders = collection == "orders";
    std::vector<ParamError> errors;
    auto integer = [&](const std::string& name, int64_t minimum, std::optional<int64_t> maximum,
                       auto assign) {
      const auto text = params.Get(name);
      if (!text) return;
      const auto value = ParseInteger(*text);
      if (!value) {
        errors.push_back({name, "rest_invalid_type", name + " is not of type integer."});
      } else if (*value < minimum || (maximum && *value > *maximum)) {
        errors.push_back(
            {name, "rest_out_of_bounds",
             maximum ? name + " must be between " + std::to_string(minimum) + " (inclusive) and " +
                           std::to_string(*maximum) + " (inclusive)"
                     : name + " must be greater than or equal to " + std::to_string(minimum)});
      } else {
        assign(*value);
      }
    };
    auto one_of = [&](const std::string& name, const std::vector<std::string>& allowed,
                      std::string* out) {
      const auto text = params.Get(name);
      if (!text) return;
      if (std::find(allowed.begin(), allowed.end(), *text) == allowed.end()) {
        errors.push_back(
            {name, "rest_not_in_enum", name + " is not one of " + ListWords(allowed) + "."});
      } else {
        *out = *text;
      }
    };
    auto date = [&](const std::string& name, std::optional<std::string>* out) {
      const auto text = params.Get(name);
      if (!text) return;
      if (!IsWpDateTime(*text)) {
        errors.push_back({name, "rest_invalid_date", "Invalid date."});
      } else {
        *out = *text;
      }
    };

    std::string context = "view";
    one_of("context", {"view", "edit"}, &context);
    integer("page", 1, std::nullopt, [&](int64_t v) { list->page = static_cast<int>(v); });
    integer("per_page", 1, 100, [&](int64_t v) { list->per_page = static_cast<int>(v); });
    list->search = params.Get("search");
    std::optional<std::string> after, before, modified_after, modified_before;
    if (orders) {
      date("after", &after);
      date("before", &before);
      date("modified_after", &modified_after);
      date("modified_before", &modified_before);
      if (const auto gmt = params.Get("dates_are_gmt")) {
        if (!IsWpBoolean(*gmt)) {
          errors.push_back(
              {"dates_are_gmt", "rest_invalid_type", "dates_are_gmt is not of type boolean."});
        } else {
          list->dates_are_gmt = Lowercase(*gmt) == "true" || *gmt == "1";
        }
      }
    }
    for (const auto& item : ListParam(params, "exclude")) {
      if (auto id = ParseInteger(item)) list->exclude.insert(*id);
    }
    for (const auto& item : ListParam(params, "include")) {
      if (auto id = ParseInteger(item)) list->include.push_back(*id);
    }
    // offset is only type-checked, then absint()-ed.
    integer("offset", INT64_MIN, std::nullopt, [&](int64_t v) { list->offset = v < 0 ? -v : v; });
    std::string order = orders ? "desc" : "asc";
    one_of("order", {"asc", "desc"}, &order);
    list->ascending = order == "asc";
    list->orderby = orders ? "date" : "name";
    one_of("orderby",
           orders ? std::vector<std::string>{"date", "id", "include", "title", "slug", "modified"}
                  : std::vector<std::string>{"id", "include", "name", "registered_date"},
           &list->orderby);
    if (orders) {
      list->statuses = ListParam(params, "status");
      integer("customer", 0, std::nullopt, [&](int64_t v) { list->customer = v; });
    } else {
      if (const auto email = params.Get("email")) {
        if (!IsPlausibleEmail(*email)) {
          errors.push_back({"email", "rest_invalid_email", "Invalid email address."});
        } else {
          list->email = *email;
        }
      }
      std::string role = "customer";
      one_of("role",
             {"all", "administrator", "editor", "author", "contributor", "subscriber", "customer",
              "shop_manager"},
             &role);
      list->role = role;
    }

    if (!errors.empty()) {
      json::object messages, details;
      std::vector<std::string> names;
      for (const auto& e : errors) {
        names.push_back(e.name);
        messages[e.name] = e.message;
        details[e.name] = json::object{{"code", e.code}, {"message", e.message}, {"data", nullptr}};
      }
      std::string joined;
      for (const auto& n : names) joined += (joined.empty() ? "" : ", ") + n;
      return Json(400, json::object{{"code", "rest_invalid_param"},
                                    {"message", "Invalid parameter(s): " + joined},
                                    {"data", json::object{{"status", 400},
                                                          {"params", std::move(messages)},
                                                          {"details", std::move(details)}}}});
    }

    // The comparison frame: GMT columns with dates_are_gmt, site-local ones otherwise; a time
    // with its own zone is taken at that zone.
    const int frame = list->dates_are_gmt ? 0 : site_offset_;
    auto resolve = [&](const std::optional<std::string>& text, std::optional<TimePoint>* out) {
      if (text) *out = ParseTimestamp(*text, frame);
    };
    resolve(after, &list->after);
    resolve(before, &list->before);
    resolve(modified_after, &list->modified_after);
    resolve(modified_before, &list->modified_before);
    return std::nullopt;
  }

  bool Matches(const std::string& collection, const SourceRecord& record,
               const ListRequest& list) const {
    const int64_t id = *ParseInteger(record.id);
    if (!list.include.empty() &&
        std::find(list.include.begin(), list.include.end(), id) == list.include.end()) {
      return false;
    }
    if (list.exclude.contains(id)) return false;
    if (list.search) {
      if (Lowercase(json::serialize(record.body)).find(Lowercase(*list.search)) ==
          std::string::npos) {
        return false;
      }
    }
    if (collection == "customers") {
      if (list.email && Lowercase(StringAt(record.body, {"email"})) != Lowercase(*list.email)) {
        return false;
      }
      if (list.role && *list.role != "all" && StringAt(record.body, {"role"}) != *list.role) {
        return false;
      }
      return true;
    }
    // MySQL DATETIME columns: whole seconds.
    const auto created = std::chrono::floor<std::chrono::seconds>(record.created);
    const auto modified = std::chrono::floor<std::chrono::seconds>(record.updated);
    if (list.after && !(created > *list.after)) return false;
    if (list.before && !(created < *list.before)) return false;
    if (list.modified_after && !(modified > *list.modified_after)) return false;
    if (list.modified_before && !(modified < *list.modified_before)) return false;
    if (list.customer) {
      const json::value* customer = record.body.if_contains("customer_id");
      if (!customer || !customer->is_int64() || customer->as_int64() != *list.customer) {
        return false;
      }
    }
    if (!list.statuses.empty() &&
        std::find(list.statuses.begin(), list.statuses.end(), "any") == list.statuses.end() &&
        std::find(list.statuses.begin(), list.statuses.end(), StringAt(record.body, {"status"})) ==
            list.statuses.end()) {
      return false;
    }
    return true;
  }

  Response List(const std::string& collection, const QueryParams& params,
                const ListRequest& list) const {
    std::vector<const SourceRecord*> matches;
    for (const auto& record : Records(collection)) {
      if (Matches(collection, record, list)) matches.push_back(&record);
    }
    // The sort key, then the id, both in the requested direction (WooCommerce appends ID to
    // date and modified; for the others the id is what MySQL falls back to).
    using Key = std::tuple<std::string, int64_t, int64_t>;
    auto key = [&](const SourceRecord& r) -> Key {
      const int64_t id = *ParseInteger(r.id);
      const std::string& by = list.orderby;
      if (by == "date" || by == "registered_date" || by == "title" || by == "slug") {
        return {FormatWallClock(r.created, 0), id, 0};
      }
      if (by == "modified") return {FormatWallClock(r.updated, 0), id, 0};
      if (by == "name") {
        return {StringAt(r.body, {"first_name"}) + " " + StringAt(r.body, {"last_name"}), id, 0};
      }
      if (by == "include" && !list.include.empty()) {
        const auto pos = std::find(list.include.begin(), list.include.end(), id);
        return {"", pos - list.include.begin(), id};
      }
      return {"", id, 0};
    };
    std::vector<std::pair<Key, const SourceRecord*>> keyed;
    keyed.reserve(matches.size());
    for (const SourceRecord* r : matches) keyed.emplace_back(key(*r), r);
    std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
      return list.ascending ? a.first < b.first : b.first < a.first;
    });
    for (size_t i = 0; i < keyed.size(); ++i) matches[i] = keyed[i].second;

    const int64_t total = static_cast<int64_t>(matches.size());
    const int64_t max_pages = (total + list.per_page - 1) / list.per_page;
    const int64_t start =
        list.offset > 0 ? list.offset : static_cast<int64_t>(list.page - 1) * list.per_page;
    const int64_t page = list.offset > 0 ? list.offset / list.per_page + 1 : list.page;
    json::array items;
    for (int64_t i = start; i < total && i < start + list.per_page; ++i) {
      items.push_back(matches[static_cast<size_t>(i)]->body);
    }

    Response response = Json(200, items);
    response.headers.emplace_back("X-WP-Total", std::to_string(total));
    response.headers.emplace_back("X-WP-TotalPages", std::to_string(max_pages));
    // add_query_arg: the request's query with page replaced in place, or appended.
    auto link = [&](int64_t target_page) {
      auto query = params.all();
      bool replaced = false;
      for (auto& [name, value] : query) {
        if (name == "page") {
          value = std::to_string(target_page);
          replaced = true;
        }
      }
      if (!replaced) query.emplace_back("page", std::to_string(target_page));
      return "<" + base_url() + kRestPrefix + collection + "?" + BuildQuery(query) + ">";
    };
    std::string links;
    if (page > 1) links = link(std::min(page - 1, max_pages)) + "; rel=\"prev\"";
    if (max_pages > page) {
      links += (links.empty() ? "" : ", ") + link(page + 1) + "; rel=\"next\"";
    }
    if (!links.empty()) response.headers.emplace_back("Link", links);
    return response;
  }

  json::object customer_;
  json::object order_;
  int site_offset_ = 0;
  std::string consumer_key_;
  std::string consumer_secret_;
};

}  // namespace

std::unique_ptr<FakeSourceApi> MakeFakeWooCommerceApi(FakeSourceApiOptions options) {
  return std::make_unique<FakeWooCommerceApi>(std::move(options));
}

}  // namespace journeyd::fakes
