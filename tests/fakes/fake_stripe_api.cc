// The fake Stripe API's list endpoints: GET /v1/customers, /v1/charges and /v1/checkout/sessions
// (collections "customers", "charges", "checkout_sessions"), enforcing what Stripe enforces:
// - The secret key as "Authorization: Bearer <key>" or as the Basic user. Without one: 401
//   "You did not provide an API key. …"; with another: 401 {"error":{"message":"Invalid API Key
//   provided: sk_test_********abcd","type":"invalid_request_error"}} (the key masked as Stripe
//   does: its prefix and last four characters). Both carry WWW-Authenticate: Basic realm="Stripe".
// - Lists are newest first (created descending; objects created in the same second in reverse
//   creation order), in the envelope {"object":"list","url":"/v1/…","has_more":…,"data":[…]}.
// - limit 1..100 (default 10): otherwise 400 "This value must be less than or equal to 100." /
//   "… greater than or equal to 1." / "Invalid integer: x", param "limit", code
//   parameter_invalid_integer.
// - starting_after=<id> gives the objects after that one, ending_before=<id> those before it
//   (still newest first); an id the list does not hold is a 400 resource_missing "No such
//   customer: 'cus_…'" with param starting_after / ending_before; both at once is a 400.
// - created / created[gt|gte|lt|lte] in unix seconds (a non-integer is a 400 naming the param);
//   customers also email, charges and checkout sessions customer, checkout sessions status and
//   customer_details[email]; expand[] is accepted. Any other parameter is a 400 "Received unknown
//   parameter: <name>", as Stripe refuses what it does not know.
// - 429 (RateLimitNext): {"error":{"code":"rate_limit","doc_url":"https://stripe.com/docs/
//   error-codes/rate-limit","message":"Request rate limit exceeded. …","type":
//   "invalid_request_error"}} plus the given Retry-After (Stripe itself sends none).
// - Stripe objects have no update time and lists no update filter: Touch checks the id and
//   changes nothing (a change is only visible through events, which this fake does not serve).
// Clones keep every fixture field; per clone the fake replaces id (also inside url fields),
// created (and a session's expires_at, a day later), the email (customer.email,
// charge.billing_details.email, session.customer_details.email, the fixtures' nulls included:
// clone n of each collection gets customer clone n's "customer.<n>@example.com") and a
// customer's invoice_prefix (unique per account).
#include <algorithm>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <tuple>

#include "tests/fakes/fake_source_api_common.h"
#include "tests/fakes/fake_util.h"

namespace journeyd::fakes {
namespace {

namespace json = boost::json;

constexpr int kDefaultLimit = 10;
constexpr int kMaxLimit = 100;

struct Resource {
  const char* collection;  // "checkout_sessions"
  const char* fixture;     // "checkout.session": the key in fixtures3's "resources"
  const char* path;        // "/v1/checkout/sessions"
  const char* noun;        // "checkout.session", as in "No such checkout.session: '…'"
};

constexpr Resource kResources[] = {
    {"customers", "customer", "/v1/customers", "customer"},
    {"charges", "charge", "/v1/charges", "charge"},
    {"checkout_sessions", "checkout.session", "/v1/checkout/sessions", "checkout.session"},
};

const Resource* ResourceByPath(const std::string& path) {
  for (const auto& r : kResources) {
    if (path == r.path) return &r;
  }
  return nullptr;
}

Response Json(int status, const json::value& body) {
  Response response(status, json::serialize(body));
  response.content_type = "application/json";
  return response;
}

Response StripeError(int status, const std::string& message,
                     std::optional<std::string> param = std::nullopt,
                     std::optional<std::string> code = std::nullopt,
                     std::string type = "invalid_request_error") {
  json::object error{{"message", message}, {"type", std::move(type)}};
  if (param) error["param"] = *param;
  if (code) {
    error["code"] = *code;
    std::string doc = *code;
    std::replace(doc.begin(), doc.end(), '_', '-');
    error["doc_url"] = "https://stripe.com/docs/error-codes/" + doc;
  }
  return Json(status, json::object{{"error", std::move(error)}});
}

Response TooManyRequests(std::optional<std::chrono::seconds> retry_after) {
  Response response = StripeError(429,
                                  "Request rate limit exceeded. You can learn more about rate "
                                  "limits here https://stripe.com/docs/rate-limits.",
                                  std::nullopt, "rate_limit");
  if (retry_after)
    response.headers.emplace_back("Retry-After", std::to_string(retry_after->count()));
  return response;
}

constexpr char kAlphanumeric[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::string Base62(int64_t n, size_t width) {
  std::string out;
  do {
    out.insert(out.begin(), kAlphanumeric[n % 62]);
    n /= 62;
  } while (n > 0);
  if (out.size() < width) out.insert(0, width - out.size(), '0');
  return out;
}

// Stripe's "sk_test_************S8wL".
std::string MaskKey(const std::string& key) {
  size_t prefix = key.find('_');
  if (prefix != std::string::npos) prefix = key.find('_', prefix + 1);
  prefix = prefix == std::string::npos ? std::min<size_t>(3, key.size()) : prefix + 1;
  if (key.size() <= prefix + 4) return key.substr(0, prefix) + "****";
  return key.substr(0, prefix) + std::string(key.size() - prefix - 4, '*') +
         key.substr(key.size() - 4);
}

// List order: created descending, then the later-created first.
bool Newer(const SourceRecord& a, const SourceRecord& b) {
  const int64_t ca = UnixSeconds(a.created), cb = UnixSeconds(b.created);
  return ca != cb ? ca > cb : a.sequence > b.sequence;
}

struct ListParams {
  int limit = kDefaultLimit;
  std::optional<std::string> starting_after, ending_before;
  std::optional<int64_t> created_eq, created_gt, created_gte, created_lt, created_lte;
  std::optional<std::string> email, customer, status, customer_details_email;
};

class FakeStripeApi final : public FakeSourceApiBase {
 public:
  explicit FakeStripeApi(FakeSourceApiOptions options)
      : FakeSourceApiBase("stripe", std::move(options),
                          {"customers", "charges", "checkout_sessions"}) {
    const json::value fixtures = LoadFixture(this->options().fixtures_dir / "polling" / "stripe" /
                                             "stripe-openapi-fixtures3.json");
    const json::object& top = RequireObject(fixtures, "stripe fixtures");
    const json::value* resources = top.if_contains("resources");
    if (!resources || !resources->is_object()) {
      throw std::runtime_error("stripe fixtures have no \"resources\"");
    }
    for (const auto& r : kResources) {
      const json::value* example = resources->as_object().if_contains(r.fixture);
      if (!example) throw std::runtime_error(std::string("stripe fixtures have no ") + r.fixture);
      templates_[r.collection] = RequireObject(*example, r.fixture);
    }
    tag_ = Base62(static_cast<int64_t>(std::stoull(RandomHex(4), nullptr, 16) % 14776336), 4);
    StartServer();
  }
  ~FakeStripeApi() override { StopServer(); }

 private:
  // --- Seeding ---------------------------------------------------------------------------------

  SourceRecord MakeClone(const std::string& collection, int64_t n, TimePoint at) override {
    const json::object& example = templates_.at(collection);
    SourceRecord record;
    record.created = record.updated = at;
    record.body = example;
    json::object& body = record.body;
    // Same prefix and length as the fixture's id: "cus_" + 14, "ch_" + 24, "cs_test_" + 58.
    const std::string old_id = StringAt(example, {"id"});
    const size_t underscore = old_id.rfind('_');
    const size_t prefix = underscore == std::string::npos ? 0 : underscore + 1;
    const size_t width = std::max<size_t>(old_id.size() - prefix, 10) - tag_.size();
    record.id = old_id.substr(0, prefix) + tag_ + Base62(n, width);
    body["id"] = record.id;
    ReplaceAt(body, {"created"}, UnixSeconds(at));
    // Clone n of every collection carries customer clone n's email: one person per n.
    const std::string email = CloneEmail("", n);
    if (collection == "customers") {
      ReplaceAt(body, {"email"}, json::value(email));
      char prefix_text[16];
      std::snprintf(prefix_text, sizeof(prefix_text), "%07llX",
                    static_cast<unsigned long long>(0x7FE1104 + n));
      ReplaceAt(body, {"invoice_prefix"}, json::value(std::string(prefix_text)));
    } else if (collection == "charges") {
      ReplaceAt(body, {"billing_details", "email"}, json::value(email));
      ReplaceAt(body, {"refunds", "url"}, json::value("/v1/charges/" + record.id + "/refunds"));
    } else {
      ReplaceAt(body, {"customer_details", "email"}, json::value(email));
      ReplaceAt(body, {"expires_at"}, UnixSeconds(at) + 86400);
      std::string url = StringAt(example, {"url"});
      if (auto pos = url.find(old_id); pos != std::string::npos) {
        url.replace(pos, old_id.size(), record.id);
        ReplaceAt(body, {"url"}, json::value(url));
      }
    }
    return record;
  }

  void ApplyTouch(const std::string&, SourceRecord&, TimePoint) override {}

  // --- Serving ---------------------------------------------------------------------------------

  Response Fault(int status) override {
    if (status == 429) return TooManyRequests(std::nullopt);
    if (status >= 500) {
      return StripeError(status, "An unknown error occurred", std::nullopt, std::nullopt,
                         "api_error");
    }
    return StripeError(status, "Injected fault.");
  }

  Response Handle(const Request& request) override {
    Response response = Route(request);
    std::string request_id = "req_";
    const std::string bytes = RandomHex(14);
    for (size_t i = 0; i + 1 < bytes.size(); i += 2) {
      request_id += kAlphanumeric[std::stoi(bytes.substr(i, 2), nullptr, 16) % 62];
    }
    response.headers.emplace_back("Request-Id", request_id);
    return response;
  }

  Response Route(const Request& request) {
    const Resource* resource = ResourceByPath(request.path);
    if (!resource || request.method != "GET") {
      return StripeError(404, "Unrecognized request URL (" + request.method + ": " + request.path +
                                  "). Please see https://stripe.com/docs or we can help at "
                                  "https://support.stripe.com/.");
    }
    const std::string header = request.header("authorization");
    std::optional<std::string> key = ParseBearer(header);
    if (!key) {
      if (auto basic = ParseBasicAuth(header); basic && !basic->first.empty()) key = basic->first;
    }
    if (!key || key->empty()) {
      Response r = StripeError(
          401,
          "You did not provide an API key. You need to provide your API key in the Authorization "
          "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
          "https://stripe.com/docs/api#authentication for details, or we can help at "
          "https://support.stripe.com/.");
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Stripe\"");
      return r;
    }
    if (options().credential.empty() || *key != options().credential) {
      Response r = StripeError(401, "Invalid API Key provided: " + MaskKey(*key));
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Stripe\"");
      return r;
    }
    if (const auto retry_after = TakeQueuedRateLimit()) return TooManyRequests(*retry_after);

    ListParams list;
    if (auto invalid = Parse(*resource, QueryParams(request.query), &list)) return *invalid;
    Response response = List(*resource, list);
    if (response.status == 200) CountPageServed(resource->collection);
    return response;
  }

  static std::optional<Response> Parse(const Resource& resource, const QueryParams& params,
                                       ListParams* list) {
    const std::string collection = resource.collection;
    std::set<std::string> known{"limit", "starting_after", "ending_before", "created"};
    if (collection == "customers") known.insert({"email", "test_clock"});
    if (collection == "charges") known.insert({"customer", "payment_intent", "transfer_group"});
    if (collection == "checkout_sessions") {
      known.insert({"customer", "customer_details", "payment_intent", "payment_link", "status",
                    "subscription"});
    }
    for (const auto& [name, value] : params.all()) {
      const size_t bracket = name.find('[');
      const std::string base = name.substr(0, bracket);
      const std::string sub =
          bracket == std::string::npos ? "" : name.substr(bracket + 1, name.size() - bracket - 2);
      bool ok = false;
      if (base == "expand") {
        ok = bracket != std::string::npos && name.back() == ']';
      } else if (base == "created") {
        ok = bracket == std::string::npos ||
             (name.back() == ']' && (sub == "gt" || sub == "gte" || sub == "lt" || sub == "lte"));
      } else if (base == "customer_details") {
        ok = known.contains(base) && name == "customer_details[email]";
      } else {
        ok = known.contains(base) && bracket == std::string::npos;
      }
      if (!ok) return StripeError(400, "Received unknown parameter: " + name, name);
    }

    if (const auto text = params.Get("limit")) {
      const auto value = ParseInteger(*text);
      if (!value) {
        return StripeError(400, "Invalid integer: " + *text, "limit", "parameter_invalid_integer");
      }
      if (*value < 1) {
        return StripeError(400, "This value must be greater than or equal to 1.", "limit",
                           "parameter_invalid_integer");
      }
      if (*value > kMaxLimit) {
        return StripeError(400, "This value must be less than or equal to 100.", "limit",
                           "parameter_invalid_integer");
      }
      list->limit = static_cast<int>(*value);
    }
    for (auto [name, out] :
         {std::pair{"created", &list->created_eq}, std::pair{"created[gt]", &list->created_gt},
          std::pair{"created[gte]", &list->created_gte},
          std::pair{"created[lt]", &list->created_lt},
          std::pair{"created[lte]", &list->created_lte}}) {
      const auto text = params.Get(name);
      if (!text) continue;
      *out = ParseInteger(*text);
      if (!*out) {
        return StripeError(400, "Invalid integer: " + *text, std::string(name),
                           "parameter_invalid_integer");
      }
    }
    auto nonempty = [&](const char* name) -> std::optional<std::string> {
      auto value = params.Get(name);
      if (value && value->empty()) return std::nullopt;
      return value;
    };
    list->starting_after = nonempty("starting_after");
    list->ending_before = nonempty("ending_before");
    if (list->starting_after && list->ending_before) {
      return StripeError(400,
                         "You may only specify one of these parameters: ending_before, "
                         "starting_after.",
                         "ending_before");
    }
    list->email = nonempty("email");
    list->customer = nonempty("customer");
    list->status = nonempty("status");
    list->customer_details_email = nonempty("customer_details[email]");
    return std::nullopt;
  }

  static bool Matches(const SourceRecord& record, const ListParams& list) {
    const int64_t created = UnixSeconds(record.created);
    if (list.created_eq && created != *list.created_eq) return false;
    if (list.created_gt && !(created > *list.created_gt)) return false;
    if (list.created_gte && !(created >= *list.created_gte)) return false;
    if (list.created_lt && !(created < *list.created_lt)) return false;
    if (list.created_lte && !(created <= *list.created_lte)) return false;
    if (list.email && StringAt(record.body, {"email"}) != *list.email) return false;
    if (list.customer && StringAt(record.body, {"customer"}) != *list.customer) return false;
    if (list.status && StringAt(record.body, {"status"}) != *list.status) return false;
    if (list.customer_details_email &&
        StringAt(record.body, {"customer_details", "email"}) != *list.customer_details_email) {
      return false;
    }
    return true;
  }

  Response List(const Resource& resource, const ListParams& list) const {
    const std::string collection = resource.collection;
    const SourceRecord* anchor = nullptr;
    for (auto [value, param] : {std::pair{&list.starting_after, "starting_after"},
                                std::pair{&list.ending_before, "ending_before"}}) {
      if (!*value) continue;
      anchor = FindRecord(collection, **value);
      if (!anchor) {
        return StripeError(400, std::string("No such ") + resource.noun + ": '" + **value + "'",
                           std::string(param), "resource_missing");
      }
    }

    std::vector<const SourceRecord*> matches;
    for (const auto& record : Records(collection)) {
      if (Matches(record, list)) matches.push_back(&record);
    }
    std::sort(matches.begin(), matches.end(),
              [](const SourceRecord* a, const SourceRecord* b) { return Newer(*a, *b); });

    auto begin = matches.begin();
    auto end = matches.end();
    bool has_more = false;
    if (list.ending_before) {
      // The `limit` objects just before the anchor, still newest first.
      end = std::partition_point(matches.begin(), matches.end(),
                                 [&](const SourceRecord* r) { return Newer(*r, *anchor); });
      begin = end - std::min<std::ptrdiff_t>(list.limit, end - matches.begin());
      has_more = begin != matches.begin();
    } else {
      if (list.starting_after) {
        begin = std::partition_point(matches.begin(), matches.end(),
                                     [&](const SourceRecord* r) { return !Newer(*anchor, *r); });
      }
      end = begin + std::min<std::ptrdiff_t>(list.limit, matches.end() - begin);
      has_more = end != matches.end();
    }
    json::array data;
    for (auto it = begin; it != end; ++it) data.push_back((*it)->body);
    return Json(200, json::object{{"object", "list"},
                                  {"data", std::move(data)},
                                  {"has_more", has_more},
                                  {"url", resource.path}});
  }

  std::map<std::string, json::object> templates_;
  std::string tag_;  // four base62 characters that set this fake's ids apart from another's
};

}  // namespace

std::unique_ptr<FakeSourceApi> MakeFakeStripeApi(FakeSourceApiOptions options) {
  return std::make_unique<FakeStripeApi>(std::move(options));
}

}  // namespace journeyd::fakes
