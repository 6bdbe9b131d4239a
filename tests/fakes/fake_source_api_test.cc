// The fake vendor list APIs (Shopify, WooCommerce, Stripe) enforce the vendors' contracts, over
// real HTTP: authentication refusals in the vendors' shapes, page walks that return every seeded
// record exactly once, page-size bounds, incremental filters, Link headers and 429s.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/fakes/fake_source_api.h"
#include "tests/fakes/fake_source_api_common.h"
#include "tests/fakes/fake_util.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace journeyd::fakes {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using journeyd::testing::Headers;
using journeyd::testing::HttpResult;

constexpr char kHost[] = "127.0.0.1";
constexpr char kShopifyToken[] = "shpat_0123456789abcdef0123456789abcdef";
constexpr char kWooCredential[] = "ck_0123456789abcdef:cs_fedcba9876543210";
constexpr char kStripeKey[] = "sk_test_51FakeKey0123456789abcdefS8wL";

// 2026-03-01T09:00:00Z, whole seconds so that served timestamps compare exactly.
const TimePoint kT0 =
    TimePoint(std::chrono::sys_days(std::chrono::year(2026) / std::chrono::March / 1) + 9h);

std::unique_ptr<FakeSourceApi> MakeFake(const std::string& vendor, const std::string& credential) {
  FakeSourceApiOptions options;
  options.fixtures_dir = journeyd::testing::FixturesDir();
  options.credential = credential;
  return MakeFakeSourceApi(vendor, std::move(options));
}

HttpResult Get(FakeSourceApi& api, const std::string& target, const Headers& headers = {}) {
  auto result = journeyd::testing::HttpGet(kHost, api.server().port(), target, headers);
  REQUIRE(result.ok());
  return *result;
}

json::value Body(const HttpResult& result) { return json::parse(result.body); }

std::string Str(const json::value& value) {
  return value.is_string() ? std::string(value.as_string()) : json::serialize(value);
}

// rel -> URL, from a Link header of `<url>; rel="x", <url>; rel="y"`.
std::map<std::string, std::string> Links(const std::string& header) {
  static const std::regex kLink(R"re(<([^>]*)>; rel="([a-z]+)")re");
  std::map<std::string, std::string> links;
  for (auto it = std::sregex_iterator(header.begin(), header.end(), kLink);
       it != std::sregex_iterator(); ++it) {
    links[(*it)[2]] = (*it)[1];
  }
  return links;
}

// A link's target on the fake: the URL without "http://127.0.0.1:<port>".
std::string TargetOf(FakeSourceApi& api, const std::string& url) {
  REQUIRE(url.rfind(api.server().base_url(), 0) == 0);
  return url.substr(api.server().base_url().size());
}

std::vector<std::string> Ids(const json::array& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) {
    const auto& id = r.at("id");
    ids.push_back(id.is_string() ? std::string(id.as_string()) : std::to_string(id.as_int64()));
  }
  return ids;
}

// =============================================================================================
// Shopify
// =============================================================================================

Headers ShopifyAuth() { return {{"X-Shopify-Access-Token", kShopifyToken}}; }

TEST_CASE("shopify: the access token is required, in Shopify's 401 shape", "[fake-source]") {
  auto api = MakeFake("shopify", kShopifyToken);
  CHECK(api->vendor() == "shopify");
  CHECK(api->collections() == std::vector<std::string>{"customers", "orders"});
  api->Seed("customers", 1, kT0);
  const std::string target = "/admin/api/2026-07/customers.json";
  for (const Headers& headers :
       {Headers{}, Headers{{"X-Shopify-Access-Token", "shpat_wrong"}},
        Headers{{"Authorization", std::string("Bearer ") + kShopifyToken}}}) {
    const HttpResult refused = Get(*api, target, headers);
    CHECK(refused.status == 401);
    CHECK(Body(refused) == json::parse(R"j({"errors":"[API] Invalid API key or access token )j"
                                       R"j((unrecognized login or wrong password)"})j"));
  }
  const HttpResult ok = Get(*api, target, ShopifyAuth());
  CHECK(ok.status == 200);
  CHECK(ok.header("x-shopify-shop-api-call-limit") == "1/40");
  CHECK(api->PagesServed() == std::map<std::string, int>{{"customers", 1}});
  // Another API version or resource is not served.
  CHECK(Get(*api, "/admin/api/2024-01/customers.json", ShopifyAuth()).status == 404);
}

TEST_CASE("shopify: a Link walk returns every customer once, by id, and can walk back",
          "[fake-source]") {
  auto api = MakeFake("shopify", kShopifyToken);
  const std::vector<std::string> seeded = api->Seed("customers", 120, kT0);
  REQUIRE(seeded.size() == 120);

  std::vector<std::string> walked;
  std::vector<std::string> pages;
  std::string target = "/admin/api/2026-07/customers.json?limit=50";
  std::map<std::string, std::string> last_links;
  while (true) {
    const HttpResult page = Get(*api, target, ShopifyAuth());
    REQUIRE(page.status == 200);
    pages.push_back(target);
    const json::value body = Body(page);
    const auto& customers = body.at("customers").as_array();
    for (const auto& id : Ids(customers)) walked.push_back(id);
    last_links = Links(page.header("link"));
    if (pages.size() == 1) {
      CHECK(customers.size() == 50);
      CHECK_FALSE(last_links.contains("previous"));  // the first page has no previous
    } else {
      CHECK(last_links.contains("previous"));
    }
    if (!last_links.contains("next")) break;
    // <{base}/admin/api/2026-07/customers.json?limit=50&page_info=…>; rel="next"
    const std::regex shape(R"(http://127\.0\.0\.1:\d+/admin/api/2026-07/customers\.json)"
                           R"(\?limit=50&page_info=[A-Za-z0-9_-]+)");
    CHECK(std::regex_match(last_links.at("next"), shape));
    target = TargetOf(*api, last_links.at("next"));
  }
  CHECK(pages.size() == 3);
  CHECK(walked == seeded);  // ascending ids, each once
  CHECK(std::set<std::string>(walked.begin(), walked.end()).size() == 120);
  CHECK(api->PagesServed().at("customers") == 3);

  // The last page's previous link gives the second page again.
  const HttpResult back = Get(*api, TargetOf(*api, last_links.at("previous")), ShopifyAuth());
  REQUIRE(back.status == 200);
  const auto back_ids = Ids(Body(back).at("customers").as_array());
  CHECK(back_ids == std::vector<std::string>(seeded.begin() + 50, seeded.begin() + 100));

  // A single page has no Link header at all.
  const HttpResult all = Get(*api, "/admin/api/2026-07/customers.json?limit=250", ShopifyAuth());
  CHECK(Body(all).at("customers").as_array().size() == 120);
  CHECK(all.headers.count("link") == 0);
}

TEST_CASE("shopify: clones keep the fixture's fields with their own id, email and phone",
          "[fake-source]") {
  auto api = MakeFake("shopify", kShopifyToken);
  const auto customer_ids = api->Seed("customers", 2, kT0);
  const auto order_ids = api->Seed("orders", 2, kT0);
  const auto customers =
      Body(Get(*api, "/admin/api/2026-07/customers.json", ShopifyAuth())).at("customers");
  const auto fixture =
      LoadFixture(journeyd::testing::FixturesDir() / "polling" / "shopify" / "customers.json")
          .at("customers")
          .at(0)
          .as_object();
  const auto& first = customers.at(0).as_object();
  for (const auto& [key, value] : fixture) CHECK(first.contains(key));
  CHECK(first.size() == fixture.size());
  CHECK(first.at("email") == "bob.norman.0@mail.example.com");
  CHECK(customers.at(1).at("email") == "bob.norman.1@mail.example.com");
  CHECK(first.at("phone") != customers.at(1).at("phone"));
  CHECK(Str(first.at("admin_graphql_api_id")) == "gid://shopify/Customer/" + customer_ids[0]);
  CHECK(first.at("tags") == "Léon, Noël");
  // The fixture's -05:00 offset is kept.
  CHECK(first.at("updated_at") == "2026-03-01T04:00:00-05:00");
  CHECK(customers.at(1).at("updated_at") == "2026-03-01T04:00:01-05:00");

  // Orders are open (the default status), and order n belongs to customer n.
  const auto orders = Body(Get(*api, "/admin/api/2026-07/orders.json", ShopifyAuth())).at("orders");
  REQUIRE(orders.as_array().size() == 2);
  CHECK(Ids(orders.as_array()) == order_ids);
  CHECK(orders.at(1).at("customer").at("id").as_int64() == std::stoll(customer_ids[1]));
  CHECK(orders.at(1).at("customer").at("phone") == customers.at(1).at("phone"));
  CHECK(orders.at(1).at("email") == "bob.norman.1@mail.example.com");
  CHECK(orders.at(0).at("name") != orders.at(1).at("name"));
  CHECK_FALSE(orders.at(0).at("line_items").as_array().empty());
  CHECK(Body(Get(*api, "/admin/api/2026-07/orders.json?status=any", ShopifyAuth()))
            .at("orders")
            .as_array()
            .size() == 2);
  CHECK(Body(Get(*api, "/admin/api/2026-07/orders.json?status=closed", ShopifyAuth()))
            .at("orders")
            .as_array()
            .empty());
  CHECK(Get(*api, "/admin/api/2026-07/orders.json?status=bogus", ShopifyAuth()).status == 400);
}

TEST_CASE("shopify: limit is 1..250 and page_info travels alone", "[fake-source]") {
  auto api = MakeFake("shopify", kShopifyToken);
  api->Seed("customers", 60, kT0);
  const std::string base = "/admin/api/2026-07/customers.json";
  for (const char* bad : {"0", "251", "-1", "ten", ""}) {
    const HttpResult refused = Get(*api, base + "?limit=" + bad, ShopifyAuth());
    CHECK(refused.status == 400);
    CHECK(Body(refused).at("errors").as_object().contains("limit"));
  }
  CHECK(Body(Get(*api, base + "?limit=1", ShopifyAuth())).at("customers").as_array().size() == 1);
  CHECK(Body(Get(*api, base, ShopifyAuth())).at("customers").as_array().size() == 50);

  const HttpResult first =
      Get(*api, base + "?limit=10&updated_at_min=2026-01-01T00:00:00Z", ShopifyAuth());
  const std::string next = TargetOf(*api, Links(first.header("link")).at("next"));
  // The filter rides in page_info; sending it again is refused with Shopify's message.
  const HttpResult refused =
      Get(*api, next + "&updated_at_min=2026-01-01T00:00:00Z", ShopifyAuth());
  CHECK(refused.status == 400);
  CHECK(Body(refused) ==
        json::parse(R"({"errors":{"updated_at_min":"updated_at_min cannot be passed when )"
                    R"(page_info is present. See https://shopify.dev/api/usage/pagination-rest )"
                    R"(for more information."}})"));
  CHECK(Get(*api, next + "&fields=id,email", ShopifyAuth()).status == 200);
  // An edited page_info is not a page_info.
  const HttpResult edited = Get(*api, next + "x", ShopifyAuth());
  CHECK(edited.status == 400);
  CHECK(Body(edited) == json::parse(R"({"errors":{"page_info":"Invalid value."}})"));
  CHECK(Get(*api, base + "?page_info=abc", ShopifyAuth()).status == 400);
  // A page_info of another resource is refused too.
  api->Seed("orders", 20, kT0);
  const HttpResult orders = Get(*api, "/admin/api/2026-07/orders.json?limit=5", ShopifyAuth());
  const std::string orders_next = TargetOf(*api, Links(orders.header("link")).at("next"));
  const std::string page_info = orders_next.substr(orders_next.find("page_info="));
  CHECK(Get(*api, base + "?" + page_info, ShopifyAuth()).status == 400);
}

TEST_CASE("shopify: updated_at_min is inclusive and holds across pages", "[fake-source]") {
  auto api = MakeFake("shopify", kShopifyToken);
  const auto ids = api->Seed("customers", 10, kT0);  // updated kT0 + 0..9 s
  api->Touch("customers", ids[2], kT0 + 1h);
  api->Touch("customers", ids[7], kT0 + 2h);
  const std::string base = "/admin/api/2026-07/customers.json";

  // Only the two touched ones changed after kT0 + 30 min; '+' must be sent as %2B.
  const std::string half_hour = UrlEncode(FormatRfc3339(kT0 + 30min, 60));  // "+01:00"
  auto touched = Body(Get(*api, base + "?updated_at_min=" + half_hour, ShopifyAuth()));
  CHECK(Ids(touched.at("customers").as_array()) == std::vector<std::string>{ids[2], ids[7]});
  CHECK(touched.at("customers").at(0).at("updated_at") == "2026-03-01T05:00:00-05:00");

  // Inclusive: a record updated exactly at the bound is in.
  auto from_five = Body(Get(*api, base + "?updated_at_min=2026-03-01T09:00:05Z", ShopifyAuth()));
  CHECK(Ids(from_five.at("customers").as_array()) ==
        std::vector<std::string>{ids[2], ids[5], ids[6], ids[7], ids[8], ids[9]});

  // One per page, the filter still holds on every page.
  std::vector<std::string> walked;
  std::string target = base + "?limit=1&updated_at_min=2026-03-01T09:00:05Z";
  for (int guard = 0; guard < 20; ++guard) {
    const HttpResult page = Get(*api, target, ShopifyAuth());
    REQUIRE(page.status == 200);
    for (const auto& id : Ids(Body(page).at("customers").as_array())) walked.push_back(id);
    const auto links = Links(page.header("link"));
    if (!links.contains("next")) break;
    target = TargetOf(*api, links.at("next"));
  }
  CHECK(walked == std::vector<std::string>{ids[2], ids[5], ids[6], ids[7], ids[8], ids[9]});

  CHECK(Get(*api, base + "?updated_at_min=yesterday", ShopifyAuth()).status == 400);
}

TEST_CASE("shopify: 429s carry Retry-After and the leaky bucket fills at 40", "[fake-source]") {
  auto api = MakeFake("shopify", kShopifyToken);
  api->Seed("customers", 3, kT0);
  const std::string target = "/admin/api/2026-07/customers.json";

  api->RateLimitNext(1, 7s);
  const HttpResult forced = Get(*api, target, ShopifyAuth());
  CHECK(forced.status == 429);
  CHECK(forced.header("retry-after") == "7.0");
  CHECK(Body(forced) == json::parse(R"({"errors":"Exceeded 2 calls per second for api client. )"
                                    R"(Reduce request rates to resume uninterrupted service."})"));
  CHECK(Get(*api, target, ShopifyAuth()).status == 200);
  CHECK(api->PagesServed().at("customers") == 1);  // the 429 is not a page

  // A burst on one connection: the bucket holds 40 and leaks 2 a second.
  auto connection = journeyd::testing::HttpConnection::Connect(kHost, api->server().port());
  REQUIRE(connection.ok());
  std::optional<HttpResult> throttled;
  for (int i = 0; i < 60 && !throttled; ++i) {
    auto result = (*connection)->Request("GET", target, {}, ShopifyAuth());
    REQUIRE(result.ok());
    if (result->status == 429) throttled = *result;
  }
  REQUIRE(throttled.has_value());
  CHECK(throttled->header("retry-after") == "2.0");
  CHECK(throttled->header("x-shopify-shop-api-call-limit").ends_with("/40"));
}

// =============================================================================================
// WooCommerce
// =============================================================================================

Headers WooBasic(const std::string& credential = kWooCredential) {
  return {{"Authorization", "Basic " + Base64Encode(credential)}};
}

TEST_CASE("woocommerce: keys by Basic or query, refusals in WooCommerce's shapes",
          "[fake-source]") {
  auto api = MakeFake("woocommerce", kWooCredential);
  api->Seed("customers", 2, kT0);
  const std::string target = "/wp-json/wc/v3/customers";

  const HttpResult anonymous = Get(*api, target);
  CHECK(anonymous.status == 401);
  CHECK(Body(anonymous) == json::parse(R"({"code":"woocommerce_rest_cannot_view",)"
                                       R"("message":"Sorry, you cannot list resources.",)"
                                       R"("data":{"status":401}})"));
  // An unknown key leaves the request anonymous; the right key with a wrong secret is an error.
  CHECK(Body(Get(*api, target, WooBasic("ck_other:cs_fedcba9876543210"))).at("code") ==
        "woocommerce_rest_cannot_view");
  const HttpResult wrong_secret = Get(*api, target, WooBasic("ck_0123456789abcdef:cs_wrong"));
  CHECK(wrong_secret.status == 401);
  CHECK(Body(wrong_secret) == json::parse(R"({"code":"woocommerce_rest_authentication_error",)"
                                          R"("message":"Consumer secret is invalid.",)"
                                          R"("data":{"status":401}})"));
  // WordPress validates parameters before it checks permissions.
  CHECK(Get(*api, target + "?per_page=500").status == 400);

  CHECK(Get(*api, target, WooBasic()).status == 200);
  CHECK(Get(*api, target + "?consumer_key=ck_0123456789abcdef&consumer_secret=cs_fedcba9876543210")
            .status == 200);
  CHECK(api->PagesServed().at("customers") == 2);
  CHECK(Get(*api, "/wp-json/wc/v3/products", WooBasic()).status == 404);
  CHECK(Body(Get(*api, "/wp-json/wc/v3/products", WooBasic())).at("code") == "rest_no_route");
}

TEST_CASE("woocommerce: a page walk returns every customer once, with X-WP headers and Link",
          "[fake-source]") {
  auto api = MakeFake("woocommerce", kWooCredential);
  const auto seeded = api->Seed("customers", 30, kT0);
  std::vector<std::string> walked;
  std::string target = "/wp-json/wc/v3/customers?orderby=id&order=asc&per_page=7";
  int pages = 0;
  while (true) {
    const HttpResult page = Get(*api, target, WooBasic());
    REQUIRE(page.status == 200);
    ++pages;
    CHECK(page.header("x-wp-total") == "30");
    CHECK(page.header("x-wp-totalpages") == "5");
    for (const auto& id : Ids(Body(page).as_array())) walked.push_back(id);
    const auto links = Links(page.header("link"));
    CHECK(links.contains("prev") == (pages > 1));
    if (!links.contains("next")) break;
    const std::regex shape(R"(http://127\.0\.0\.1:\d+/wp-json/wc/v3/customers)"
                           R"(\?orderby=id&order=asc&per_page=7&page=\d)");
    CHECK(std::regex_match(links.at("next"), shape));
    target = TargetOf(*api, links.at("next"));
  }
  CHECK(pages == 5);
  CHECK(walked == seeded);
  CHECK(api->PagesServed().at("customers") == 5);

  const HttpResult past = Get(*api, "/wp-json/wc/v3/customers?per_page=7&page=9", WooBasic());
  CHECK(past.status == 200);
  CHECK(Body(past).as_array().empty());

  // Clones: distinct ids, emails and usernames; dates in the site's -03:00 and in GMT.
  const auto first = Body(Get(*api, "/wp-json/wc/v3/customers?orderby=id&per_page=1", WooBasic()))
                         .at(0)
                         .as_object();
  CHECK(first.at("email") == "joao.silva.0@example.com");
  CHECK(first.at("billing").at("email") == "joao.silva.0@example.com");
  CHECK(first.at("username") == "joao.silva.0");
  CHECK(first.at("date_modified_gmt") == "2026-03-01T09:00:00");
  CHECK(first.at("date_modified") == "2026-03-01T06:00:00");
  CHECK(Str(first.at("_links").at("self").at(0).at("href")) ==
        api->base_url() + "/wp-json/wc/v3/customers/" + seeded[0]);
}

TEST_CASE("woocommerce: WordPress refuses bad arguments with rest_invalid_param", "[fake-source]") {
  auto api = MakeFake("woocommerce", kWooCredential);
  api->Seed("orders", 3, kT0);
  const HttpResult big = Get(*api, "/wp-json/wc/v3/orders?per_page=101", WooBasic());
  CHECK(big.status == 400);
  const std::string bounds = "per_page must be between 1 (inclusive) and 100 (inclusive)";
  CHECK(Body(big) ==
        json::value{
            {"code", "rest_invalid_param"},
            {"message", "Invalid parameter(s): per_page"},
            {"data",
             {{"status", 400},
              {"params", {{"per_page", bounds}}},
              {"details",
               {{"per_page",
                 {{"code", "rest_out_of_bounds"}, {"message", bounds}, {"data", nullptr}}}}}}}});
  const HttpResult several =
      Get(*api, "/wp-json/wc/v3/orders?per_page=0&page=x&order=up", WooBasic());
  CHECK(Body(several).at("message") == "Invalid parameter(s): page, per_page, order");
  CHECK(Body(several).at("data").at("params").at("order") == "order is not one of asc and desc.");
  CHECK(Get(*api, "/wp-json/wc/v3/orders?modified_after=2026-03-01", WooBasic()).status == 400);
  // Customers cannot be ordered by modification date.
  const HttpResult orderby = Get(*api, "/wp-json/wc/v3/customers?orderby=modified", WooBasic());
  CHECK(orderby.status == 400);
  CHECK(Body(orderby).at("data").at("params").at("orderby") ==
        "orderby is not one of id, include, name, and registered_date.");
  CHECK(Get(*api, "/wp-json/wc/v3/orders?per_page=100", WooBasic()).status == 200);
}

TEST_CASE("woocommerce: orders filter and sort by modification, customers have no such filter",
          "[fake-source]") {
  auto api = MakeFake("woocommerce", kWooCredential);
  const auto orders = api->Seed("orders", 5, kT0);  // modified kT0 + 0..4 s
  api->Touch("orders", orders[0], kT0 + 1h);

  // Default order: newest created first.
  CHECK(Ids(Body(Get(*api, "/wp-json/wc/v3/orders", WooBasic())).as_array()) ==
        std::vector<std::string>{orders[4], orders[3], orders[2], orders[1], orders[0]});
  // By modification, ascending: the touched order comes last.
  const auto by_modified =
      Body(Get(*api, "/wp-json/wc/v3/orders?orderby=modified&order=asc", WooBasic()));
  CHECK(Ids(by_modified.as_array()) ==
        std::vector<std::string>{orders[1], orders[2], orders[3], orders[4], orders[0]});
  CHECK(by_modified.at(4).at("date_modified_gmt") == "2026-03-01T10:00:00");

  // modified_after is exclusive; with dates_are_gmt a zone-less time is UTC.
  auto after = [&](const std::string& query) {
    const HttpResult r =
        Get(*api, "/wp-json/wc/v3/orders?orderby=id&order=asc&" + query, WooBasic());
    REQUIRE(r.status == 200);
    return Ids(Body(r).as_array());
  };
  CHECK(after("modified_after=2026-03-01T09:00:02&dates_are_gmt=true") ==
        std::vector<std::string>{orders[0], orders[3], orders[4]});
  // Without dates_are_gmt the same text is site-local (-03:00): three hours later in UTC.
  CHECK(after("modified_after=2026-03-01T09:00:02") == std::vector<std::string>{});
  CHECK(after("modified_after=2026-03-01T06:00:02") ==
        std::vector<std::string>{orders[0], orders[3], orders[4]});
  CHECK(after("modified_after=2026-03-01T09:30:00Z") == std::vector<std::string>{orders[0]});

  // Customers: modified_after is not a parameter of the route, so WordPress ignores it.
  const auto customers = api->Seed("customers", 3, kT0);
  const HttpResult all =
      Get(*api, "/wp-json/wc/v3/customers?modified_after=2030-01-01T00:00:00", WooBasic());
  CHECK(all.status == 200);
  CHECK(Body(all).as_array().size() == 3);
}

TEST_CASE("woocommerce: a queued 429 comes before WordPress, with Retry-After", "[fake-source]") {
  auto api = MakeFake("woocommerce", kWooCredential);
  api->Seed("orders", 1, kT0);
  api->RateLimitNext(2, 30s);
  for (int i = 0; i < 2; ++i) {
    const HttpResult limited = Get(*api, "/wp-json/wc/v3/orders", WooBasic());
    CHECK(limited.status == 429);
    CHECK(limited.header("retry-after") == "30");
    CHECK(Body(limited).at("data").at("status") == 429);
  }
  CHECK(Get(*api, "/wp-json/wc/v3/orders", WooBasic()).status == 200);
  CHECK(api->PagesServed() == std::map<std::string, int>{{"orders", 1}});
}

// =============================================================================================
// Stripe
// =============================================================================================

Headers StripeBearer(const std::string& key = kStripeKey) {
  return {{"Authorization", "Bearer " + key}};
}

TEST_CASE("stripe: the secret key by Bearer or Basic, refusals in Stripe's shape",
          "[fake-source]") {
  auto api = MakeFake("stripe", kStripeKey);
  CHECK(api->collections() ==
        std::vector<std::string>{"customers", "charges", "checkout_sessions"});
  api->Seed("customers", 1, kT0);

  const HttpResult none = Get(*api, "/v1/customers");
  CHECK(none.status == 401);
  CHECK(Body(none).at("error").at("type") == "invalid_request_error");
  CHECK(std::string(Body(none).at("error").at("message").as_string())
            .starts_with("You did not provide an API key."));

  const HttpResult wrong = Get(*api, "/v1/customers", StripeBearer("sk_test_wrongkey00001234"));
  CHECK(wrong.status == 401);
  CHECK(Body(wrong) ==
        json::parse(R"({"error":{"message":"Invalid API Key provided: )"
                    R"(sk_test_************1234","type":"invalid_request_error"}})"));
  CHECK(wrong.header("www-authenticate") == "Basic realm=\"Stripe\"");

  CHECK(Get(*api, "/v1/customers", StripeBearer()).status == 200);
  CHECK(Get(*api, "/v1/customers",
            {{"Authorization", "Basic " + Base64Encode(std::string(kStripeKey) + ":")}})
            .status == 200);
  CHECK(Get(*api, "/v1/invoices", StripeBearer()).status == 404);
}

TEST_CASE("stripe: starting_after walks every object once, newest first", "[fake-source]") {
  auto api = MakeFake("stripe", kStripeKey);
  const auto seeded = api->Seed("customers", 25, kT0);  // created kT0 + 0..24 s
  const std::vector<std::string> newest_first(seeded.rbegin(), seeded.rend());

  std::vector<std::string> walked;
  std::vector<bool> has_more;
  std::string target = "/v1/customers?limit=10";
  while (true) {
    const HttpResult page = Get(*api, target, StripeBearer());
    REQUIRE(page.status == 200);
    const json::value body = Body(page);
    CHECK(body.at("object") == "list");
    CHECK(body.at("url") == "/v1/customers");
    const auto ids = Ids(body.at("data").as_array());
    walked.insert(walked.end(), ids.begin(), ids.end());
    has_more.push_back(body.at("has_more").as_bool());
    if (!body.at("has_more").as_bool()) break;
    target = "/v1/customers?limit=10&starting_after=" + ids.back();
  }
  CHECK(has_more == std::vector<bool>{true, true, false});
  CHECK(walked == newest_first);
  CHECK(api->PagesServed().at("customers") == 3);

  // ending_before the third page's first object gives the second page again.
  const auto back =
      Body(Get(*api, "/v1/customers?limit=10&ending_before=" + newest_first[20], StripeBearer()));
  CHECK(Ids(back.at("data").as_array()) ==
        std::vector<std::string>(newest_first.begin() + 10, newest_first.begin() + 20));
  CHECK(back.at("has_more").as_bool());

  // Default limit 10; created filters in unix seconds.
  CHECK(Body(Get(*api, "/v1/customers", StripeBearer())).at("data").as_array().size() == 10);
  const int64_t t20 = UnixSeconds(kT0) + 20;
  const auto recent = Body(
      Get(*api, "/v1/customers?limit=100&created%5Bgte%5D=" + std::to_string(t20), StripeBearer()));
  CHECK(Ids(recent.at("data").as_array()) ==
        std::vector<std::string>(newest_first.begin(), newest_first.begin() + 5));
  CHECK(Body(Get(*api, "/v1/customers?created%5Blt%5D=" + std::to_string(UnixSeconds(kT0) + 1),
                 StripeBearer()))
            .at("data")
            .as_array()
            .size() == 1);
}

TEST_CASE("stripe: limit, cursors and unknown parameters are refused as Stripe does",
          "[fake-source]") {
  auto api = MakeFake("stripe", kStripeKey);
  api->Seed("charges", 3, kT0);
  for (const auto& [query, message] : std::vector<std::pair<std::string, std::string>>{
           {"limit=0", "This value must be greater than or equal to 1."},
           {"limit=101", "This value must be less than or equal to 100."},
           {"limit=ten", "Invalid integer: ten"}}) {
    const HttpResult refused = Get(*api, "/v1/charges?" + query, StripeBearer());
    CHECK(refused.status == 400);
    CHECK(Str(Body(refused).at("error").at("message")) == message);
    CHECK(Body(refused).at("error").at("param") == "limit");
    CHECK(Body(refused).at("error").at("type") == "invalid_request_error");
  }
  CHECK(Get(*api, "/v1/charges?limit=100", StripeBearer()).status == 200);

  const HttpResult missing = Get(*api, "/v1/charges?starting_after=ch_nope", StripeBearer());
  CHECK(missing.status == 400);
  CHECK(Body(missing).at("error").at("code") == "resource_missing");
  CHECK(Body(missing).at("error").at("param") == "starting_after");
  CHECK(Body(missing).at("error").at("message") == "No such charge: 'ch_nope'");

  const HttpResult unknown = Get(*api, "/v1/charges?updated%5Bgte%5D=1", StripeBearer());
  CHECK(unknown.status == 400);
  CHECK(Body(unknown).at("error").at("message") == "Received unknown parameter: updated[gte]");
  CHECK(Get(*api, "/v1/charges?created%5Bgte%5D=soon", StripeBearer()).status == 400);
  CHECK(Get(*api, "/v1/charges?starting_after=a&ending_before=b", StripeBearer()).status == 400);
  CHECK(Get(*api, "/v1/charges?expand%5B%5D=data.customer", StripeBearer()).status == 200);
}

TEST_CASE("stripe: charges and checkout sessions are cloned from the OpenAPI fixtures",
          "[fake-source]") {
  auto api = MakeFake("stripe", kStripeKey);
  const auto sessions = api->Seed("checkout_sessions", 2, kT0);
  const auto charges = api->Seed("charges", 2, kT0);
  CHECK(sessions[0].starts_with("cs_test_"));
  CHECK(sessions[0].size() == std::string("cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPq"
                                          "kfIhd6tVY8XB1OLY")
                                  .size());
  CHECK(charges[0].starts_with("ch_"));

  const auto list = Body(Get(*api, "/v1/checkout/sessions", StripeBearer()));
  CHECK(list.at("url") == "/v1/checkout/sessions");
  const auto& newest = list.at("data").at(0).as_object();
  CHECK(Str(newest.at("id")) == sessions[1]);
  CHECK(newest.at("object") == "checkout.session");
  CHECK(newest.at("created").as_int64() == UnixSeconds(kT0) + 1);
  CHECK(newest.at("customer_details").at("email") == "customer.1@example.com");
  CHECK(std::string(newest.at("url").as_string()).ends_with(sessions[1]));

  const auto charge = Body(Get(*api, "/v1/charges?limit=1", StripeBearer())).at("data").at(0);
  CHECK(Str(charge.at("refunds").at("url")) == "/v1/charges/" + charges[1] + "/refunds");
  CHECK(charge.at("billing_details").at("email") == "customer.1@example.com");
  CHECK(charge.at("payment_method_details").at("card").at("last4") == "4242");
}

TEST_CASE("stripe: a queued 429 is Stripe's rate_limit error with the given Retry-After",
          "[fake-source]") {
  auto api = MakeFake("stripe", kStripeKey);
  api->Seed("customers", 1, kT0);
  api->RateLimitNext(1, 3s);
  const HttpResult limited = Get(*api, "/v1/customers", StripeBearer());
  CHECK(limited.status == 429);
  CHECK(limited.header("retry-after") == "3");
  CHECK(Body(limited).at("error").at("code") == "rate_limit");
  CHECK(Body(limited).at("error").at("type") == "invalid_request_error");
  CHECK(Get(*api, "/v1/customers", StripeBearer()).status == 200);
  CHECK(api->PagesServed() == std::map<std::string, int>{{"customers", 1}});
}

// =============================================================================================
// The factory and the shared contract
// =============================================================================================

TEST_CASE("fake source APIs: unknown vendors, collections and ids are refused", "[fake-source]") {
  CHECK_THROWS_AS(MakeFake("hubspot", "x"), std::invalid_argument);
  for (const char* vendor : {"shopify", "woocommerce", "stripe"}) {
    FakeSourceApiOptions options;
    options.fixtures_dir = "/nonexistent/fixtures";
    options.credential = "x";
    CHECK_THROWS_AS(MakeFakeSourceApi(vendor, options), std::runtime_error);

    auto api = MakeFake(vendor, "x");
    CHECK(api->vendor() == vendor);
    CHECK(api->base_url() == api->server().base_url());
    CHECK_THROWS_AS(api->Seed("tickets", 1, kT0), std::invalid_argument);
    const auto first = api->Seed("customers", 2, kT0);
    const auto second = api->Seed("customers", 2, kT0);
    std::set<std::string> all(first.begin(), first.end());
    all.insert(second.begin(), second.end());
    CHECK(all.size() == 4);  // ids never repeat across Seed calls
    CHECK_NOTHROW(api->Touch("customers", first[0], kT0 + 1min));
    CHECK_THROWS_AS(api->Touch("customers", "nope", kT0), std::invalid_argument);
  }
}

TEST_CASE("shopify: FailNext answers in Shopify's error shape", "[fake-source]") {
  auto api = MakeFake("shopify", kShopifyToken);
  api->server().FailNext(1, 503);
  const HttpResult failed = Get(*api, "/admin/api/2026-07/customers.json", ShopifyAuth());
  CHECK(failed.status == 503);
  CHECK(Body(failed).at("errors") == "Internal Server Error");
  CHECK(Get(*api, "/admin/api/2026-07/customers.json", ShopifyAuth()).status == 200);
}

}  // namespace
}  // namespace journeyd::fakes
