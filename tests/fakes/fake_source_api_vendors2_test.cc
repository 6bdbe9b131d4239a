// The fake Square, Zendesk and Mailchimp list APIs enforce their vendors' contracts: each test
// talks to a fake over real HTTP (tests/support/http_client.h) and checks what a real account
// would refuse or serve: authentication, cursor / offset walks that return every seeded record
// exactly once, page-size bounds, incremental filters, and the 429 shapes with Retry-After.
#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/fakes/fake_source_api.h"
#include "tests/fakes/fake_util.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace journeyd::fakes {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using journeyd::testing::Headers;
using journeyd::testing::HttpResult;
using std::chrono::system_clock;

constexpr char kHost[] = "127.0.0.1";

std::unique_ptr<FakeSourceApi> MakeFake(std::string_view vendor, const std::string& credential) {
  FakeSourceApiOptions options;
  options.fixtures_dir = journeyd::testing::FixturesDir();
  options.credential = credential;
  return MakeFakeSourceApi(vendor, std::move(options));
}

HttpResult Send(FakeSourceApi& fake, const std::string& method, const std::string& target,
                const std::string& body = {}, const Headers& headers = {}) {
  auto result =
      journeyd::testing::HttpRequest(kHost, fake.server().port(), method, target, body, headers);
  REQUIRE(result.ok());
  return *result;
}

json::value Json(const std::string& text) { return json::parse(text); }

json::value Fixture(const std::string& relative) {
  return Json(journeyd::testing::ReadFile(journeyd::testing::FixturesDir() / "polling" / relative));
}

std::set<std::string> Keys(const json::value& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.as_object()) keys.emplace(key);
  return keys;
}

std::string Str(const json::value& v) { return std::string(v.as_string()); }

// The id of a JSON record as text, whether the vendor spells it as a string or a number.
std::string IdOf(const json::value& record) {
  const json::value& id = record.at("id");
  return id.is_string() ? Str(id) : std::to_string(id.to_number<int64_t>());
}

system_clock::time_point At(int64_t unix_seconds) {
  return system_clock::time_point(std::chrono::seconds(unix_seconds));
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(system_clock::now().time_since_epoch())
      .count();
}

// The target (path and query) of an absolute URL the fake handed out.
std::string TargetOf(FakeSourceApi& fake, const std::string& url) {
  REQUIRE(url.rfind(fake.base_url(), 0) == 0);
  return url.substr(fake.base_url().size());
}

std::string Md5Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  REQUIRE(EVP_Digest(text.data(), text.size(), digest, &size, EVP_md5(), nullptr) == 1);
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// --- Square ---------------------------------------------------------------------------------

constexpr char kSquareToken[] = "EAAAl-square-sandbox-token";
constexpr char kSquareLocation[] = "D7AVYMEAPJ3A3";  // RetrieveOrderResponse.example.json's

Headers SquareAuth() {
  return {{"Authorization", std::string("Bearer ") + kSquareToken},
          {"Square-Version", "2025-01-23"},
          {"Content-Type", "application/json"}};
}

json::object SquareError(const HttpResult& r) {
  const json::value body = Json(r.body);
  REQUIRE(body.at("errors").as_array().size() == 1);
  return body.at("errors").as_array()[0].as_object();
}

TEST_CASE("square fake: refuses a missing, malformed or wrong access token", "[fake-source]") {
  auto fake = MakeFake("square", kSquareToken);
  CHECK(fake->vendor() == "square");
  CHECK(fake->collections() == std::vector<std::string>{"customers", "orders"});
  fake->Seed("customers", 3, At(1767225600));

  for (const Headers& headers :
       {Headers{}, Headers{{"Authorization", "Bearer wrong-token"}},
        Headers{{"Authorization", kSquareToken}},
        Headers{{"Authorization", "Basic " + Base64Encode(std::string(kSquareToken) + ":")}}}) {
    const HttpResult r = Send(*fake, "GET", "/v2/customers", {}, headers);
    CHECK(r.status == 401);
    const json::object error = SquareError(r);
    CHECK(error.at("category") == "AUTHENTICATION_ERROR");
    CHECK(error.at("code") == "UNAUTHORIZED");
    CHECK(Str(error.at("detail")).find("Bearer TOKEN") != std::string::npos);
  }
  const HttpResult search =
      Send(*fake, "POST", "/v2/orders/search", R"({"location_ids":["D7AVYMEAPJ3A3"]})",
           {{"Authorization", "Bearer nope"}});
  CHECK(search.status == 401);
  CHECK(fake->PagesServed()["customers"] == 0);
  CHECK(fake->PagesServed()["orders"] == 0);

  // The right token, with a malformed Square-Version, is still refused.
  const HttpResult version = Send(
      *fake, "GET", "/v2/customers", {},
      {{"Authorization", std::string("Bearer ") + kSquareToken}, {"Square-Version", "latest"}});
  CHECK(version.status == 400);
  CHECK(SquareError(version).at("code") == "INVALID_SQUARE_VERSION_FORMAT");

  const HttpResult ok = Send(*fake, "GET", "/v2/customers", {}, SquareAuth());
  CHECK(ok.status == 200);
  CHECK(Json(ok.body).at("customers").as_array().size() == 3);
}

TEST_CASE("square fake: ListCustomers cursors walk every customer exactly once", "[fake-source]") {
  auto fake = MakeFake("square", kSquareToken);
  const auto first = At(1767225600);  // 2026-01-01T00:00:00Z
  const auto ids = fake->Seed("customers", 250, first);
  REQUIRE(ids.size() == 250);
  REQUIRE(std::set<std::string>(ids.begin(), ids.end()).size() == 250);

  std::vector<std::string> seen;
  std::set<std::string> emails;
  std::vector<size_t> page_sizes;
  std::string target = "/v2/customers?limit=100&sort_field=CREATED_AT&sort_order=ASC";
  for (int guard = 0; guard < 10; ++guard) {
    const HttpResult r = Send(*fake, "GET", target, {}, SquareAuth());
    REQUIRE(r.status == 200);
    const json::value body = Json(r.body);
    const auto& customers = body.at("customers").as_array();
    page_sizes.push_back(customers.size());
    for (const auto& c : customers) {
      seen.push_back(Str(c.at("id")));
      emails.insert(Str(c.at("email_address")));
    }
    const auto* cursor = body.as_object().if_contains("cursor");
    if (cursor == nullptr) break;
    target = "/v2/customers?limit=100&cursor=" + Str(*cursor);
  }
  CHECK(page_sizes == std::vector<size_t>{100, 100, 50});
  CHECK(seen == ids);  // CREATED_AT ASC is the seeding order
  CHECK(emails.size() == 250);
  CHECK(fake->PagesServed()["customers"] == 3);

  // Clones keep every field of the documented example; id, email and times are their own.
  const json::value example =
      Fixture("square/ListCustomersResponse.example.json").at("customers").as_array()[0];
  const HttpResult one =
      Send(*fake, "GET", "/v2/customers?limit=1&sort_field=CREATED_AT", {}, SquareAuth());
  const json::value customer = Json(one.body).at("customers").as_array()[0];
  CHECK(Keys(customer) == Keys(example));
  CHECK(customer.at("given_name") == example.at("given_name"));
  CHECK(customer.at("address") == example.at("address"));
  CHECK(Str(customer.at("id")) == ids[0]);
  CHECK(Str(customer.at("id")).size() == 26);
  CHECK(Str(customer.at("email_address")) == "Amelia.Earhart.0@example.com");
  CHECK(Str(customer.at("created_at")) == "2026-01-01T00:00:00.000Z");
  CHECK(Str(customer.at("updated_at")) == "2026-01-01T00:00:00.000Z");

  // DESC reverses the order.
  const HttpResult desc =
      Send(*fake, "GET", "/v2/customers?limit=2&sort_field=CREATED_AT&sort_order=DESC", {},
           SquareAuth());
  const json::value desc_body = Json(desc.body);
  const auto& newest = desc_body.at("customers").as_array();
  CHECK(Str(newest[0].at("id")) == ids[249]);
  CHECK(Str(newest[1].at("id")) == ids[248]);
}

TEST_CASE("square fake: refuses out-of-range limits, bad enums and unknown cursors",
          "[fake-source]") {
  auto fake = MakeFake("square", kSquareToken);
  fake->Seed("customers", 5, At(1767225600));
  struct Case {
    std::string target;
    std::string code;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           {"/v2/customers?limit=0", "VALUE_TOO_LOW", "limit"},
           {"/v2/customers?limit=-5", "VALUE_TOO_LOW", "limit"},
           {"/v2/customers?limit=101", "VALUE_TOO_HIGH", "limit"},
           {"/v2/customers?limit=ten", "EXPECTED_INTEGER", "limit"},
           {"/v2/customers?sort_order=", "INVALID_ENUM_VALUE", "sort_order"},
           {"/v2/customers?sort_field=UPDATED_AT", "INVALID_ENUM_VALUE", "sort_field"},
           {"/v2/customers?cursor=not-a-cursor", "INVALID_CURSOR", "cursor"}}) {
    INFO(c.target);
    const HttpResult r = Send(*fake, "GET", c.target, {}, SquareAuth());
    CHECK(r.status == 400);
    const json::object error = SquareError(r);
    CHECK(error.at("category") == "INVALID_REQUEST_ERROR");
    CHECK(Str(error.at("code")) == c.code);
    CHECK(Str(error.at("field")) == c.field);
  }
  for (const auto& [limit, code] : std::vector<std::pair<std::string, std::string>>{
           {"0", "VALUE_TOO_LOW"}, {"101", "VALUE_TOO_HIGH"}, {"\"10\"", "EXPECTED_INTEGER"}}) {
    const HttpResult r =
        Send(*fake, "POST", "/v2/customers/search", R"({"limit":)" + limit + "}", SquareAuth());
    CHECK(r.status == 400);
    CHECK(Str(SquareError(r).at("code")) == code);
  }
  CHECK(Send(*fake, "GET", "/v2/customers?limit=1", {}, SquareAuth()).status == 200);
  CHECK(Send(*fake, "GET", "/v2/customers?limit=100", {}, SquareAuth()).status == 200);
  CHECK(fake->PagesServed()["customers"] == 2);
}

TEST_CASE("square fake: SearchCustomers filters on updated_at and pins its cursor to the query",
          "[fake-source]") {
  auto fake = MakeFake("square", kSquareToken);
  const int64_t t0 = 1767225600;
  const auto ids = fake->Seed("customers", 20, At(t0));
  // Two customers edited an hour later: an incremental poll must find exactly them.
  fake->Touch("customers", ids[3], At(t0 + 3600));
  fake->Touch("customers", ids[17], At(t0 + 3601));

  const std::string query = R"({"filter":{"updated_at":{"start_at":"2026-01-01T01:00:00Z"}},)"
                            R"("sort":{"field":"CREATED_AT","order":"ASC"}})";
  std::vector<std::string> seen;
  std::string cursor;
  for (int guard = 0; guard < 5; ++guard) {
    const std::string body = R"({"limit":1,"query":)" + query +
                             (cursor.empty() ? "" : R"(,"cursor":")" + cursor + "\"") + "}";
    const HttpResult r = Send(*fake, "POST", "/v2/customers/search", body, SquareAuth());
    REQUIRE(r.status == 200);
    const json::value page = Json(r.body);
    for (const auto& c : page.at("customers").as_array()) {
      seen.push_back(Str(c.at("id")));
      CHECK(c.at("version") == 2);  // an edit bumps the version
    }
    const auto* next = page.as_object().if_contains("cursor");
    if (next == nullptr) break;
    cursor = Str(*next);
  }
  CHECK(seen == std::vector<std::string>{ids[3], ids[17]});

  // A cursor belongs to its query.
  const HttpResult first = Send(*fake, "POST", "/v2/customers/search",
                                R"({"limit":1,"query":)" + query + "}", SquareAuth());
  const std::string token = Str(Json(first.body).at("cursor"));
  const HttpResult other = Send(*fake, "POST", "/v2/customers/search",
                                R"({"limit":1,"cursor":")" + token + R"("})", SquareAuth());
  CHECK(other.status == 400);
  CHECK(SquareError(other).at("code") == "INVALID_CURSOR");

  // Nothing updated since: Square answers an empty object, not an empty list.
  const HttpResult none =
      Send(*fake, "POST", "/v2/customers/search",
           R"({"query":{"filter":{"updated_at":{"start_at":"2027-01-01T00:00:00+00:00"}}}})",
           SquareAuth());
  CHECK(none.status == 200);
  CHECK(Json(none.body).as_object().empty());

  const HttpResult bad_time =
      Send(*fake, "POST", "/v2/customers/search",
           R"({"query":{"filter":{"updated_at":{"start_at":"yesterday"}}}})", SquareAuth());
  CHECK(bad_time.status == 400);
  CHECK(SquareError(bad_time).at("code") == "INVALID_TIME");
  const HttpResult bad_sort = Send(*fake, "POST", "/v2/customers/search",
                                   R"({"query":{"sort":{"field":"UPDATED_AT"}}})", SquareAuth());
  CHECK(bad_sort.status == 400);
  CHECK(SquareError(bad_sort).at("code") == "INVALID_ENUM_VALUE");
}

TEST_CASE("square fake: SearchOrders requires locations and a sort matching its time filter",
          "[fake-source]") {
  auto fake = MakeFake("square", kSquareToken);
  const int64_t t0 = 1767225600;
  const auto ids = fake->Seed("orders", 30, At(t0));
  struct Case {
    std::string body;
    std::string code;
  };
  const std::string eleven = R"(["D7AVYMEAPJ3A3","A","B","C","D","E","F","G","H","I","J"])";
  for (const Case& c : std::vector<Case>{
           {R"({})", "MISSING_REQUIRED_PARAMETER"},
           {R"({"location_ids":[]})", "ARRAY_EMPTY"},
           {R"({"location_ids":)" + eleven + "}", "ARRAY_LENGTH_TOO_LONG"},
           {R"({"location_ids":["057P5VYJ4A5X1"]})", "INVALID_VALUE"},
           {R"({"location_ids":["D7AVYMEAPJ3A3"],"limit":1001})", "VALUE_TOO_HIGH"},
           {R"({"location_ids":["D7AVYMEAPJ3A3"],"limit":0})", "VALUE_TOO_LOW"},
           {R"({"location_ids":["D7AVYMEAPJ3A3"],"query":{"filter":{"date_time_filter":)"
            R"({"updated_at":{"start_at":"2026-01-01T00:00:00Z"}}}}})",
            "BAD_REQUEST"},  // sort_field defaults to CREATED_AT
           {R"({"location_ids":["D7AVYMEAPJ3A3"],"query":{"filter":{"date_time_filter":)"
            R"({"updated_at":{"start_at":"2026-01-01T00:00:00Z"}}},)"
            R"("sort":{"sort_field":"CREATED_AT","sort_order":"ASC"}}})",
            "BAD_REQUEST"},
           {"not json", "EXPECTED_JSON_BODY"}}) {
    INFO(c.body);
    const HttpResult r = Send(*fake, "POST", "/v2/orders/search", c.body, SquareAuth());
    CHECK(r.status == 400);
    CHECK(Str(SquareError(r).at("code")) == c.code);
  }
  CHECK(fake->PagesServed()["orders"] == 0);

  // Edits move orders to the end of an UPDATED_AT ASC walk that starts after the seeding.
  fake->Touch("orders", ids[0], At(t0 + 100));
  fake->Touch("orders", ids[5], At(t0 + 101));
  const std::string query = R"("query":{"filter":{"date_time_filter":)"
                            R"({"updated_at":{"start_at":"2026-01-01T00:00:02Z"}}},)"
                            R"("sort":{"sort_field":"UPDATED_AT","sort_order":"ASC"}})";
  std::vector<std::string> seen;
  std::vector<size_t> page_sizes;
  std::string cursor;
  for (int guard = 0; guard < 10; ++guard) {
    const std::string body = R"({"location_ids":["D7AVYMEAPJ3A3"],"limit":7,)" + query +
                             (cursor.empty() ? "" : R"(,"cursor":")" + cursor + "\"") + "}";
    const HttpResult r = Send(*fake, "POST", "/v2/orders/search", body, SquareAuth());
    REQUIRE(r.status == 200);
    const json::value page = Json(r.body);
    const auto& orders = page.at("orders").as_array();
    page_sizes.push_back(orders.size());
    for (const auto& o : orders) {
      seen.push_back(Str(o.at("id")));
      CHECK(o.at("location_id") == kSquareLocation);
    }
    const auto* next = page.as_object().if_contains("cursor");
    if (next == nullptr) break;
    cursor = Str(*next);
  }
  // Orders 2..29 unedited (updated at t0+2..t0+29), then the two edited ones.
  std::vector<std::string> expected(ids.begin() + 2, ids.end());
  expected.erase(std::find(expected.begin(), expected.end(), ids[5]));
  expected.push_back(ids[0]);
  expected.push_back(ids[5]);
  CHECK(seen == expected);
  CHECK(page_sizes == std::vector<size_t>{7, 7, 7, 7, 1});
  CHECK(fake->PagesServed()["orders"] == 5);

  // Orders clone the documented order, keeping its fields.
  const json::value example = Fixture("square/RetrieveOrderResponse.example.json").at("order");
  const HttpResult entries =
      Send(*fake, "POST", "/v2/orders/search",
           R"({"location_ids":["D7AVYMEAPJ3A3"],"limit":1,"return_entries":true})", SquareAuth());
  REQUIRE(entries.status == 200);
  const json::value entry = Json(entries.body).at("order_entries").as_array()[0];
  CHECK(entry.at("location_id") == kSquareLocation);
  const HttpResult full = Send(*fake, "POST", "/v2/orders/search",
                               R"({"location_ids":["D7AVYMEAPJ3A3"],"limit":1})", SquareAuth());
  const json::value order = Json(full.body).at("orders").as_array()[0];
  CHECK(Keys(order) == Keys(example));
  CHECK(order.at("line_items") == example.at("line_items"));
  // Default sort: CREATED_AT DESC, so the newest order first.
  CHECK(Str(order.at("id")) == ids[29]);
  CHECK(Str(entry.at("order_id")) == ids[29]);
  // Square ignores unknown fields: "order" instead of "sort_order" leaves the DESC default.
  const HttpResult misspelt = Send(*fake, "POST", "/v2/orders/search",
                                   R"({"location_ids":["D7AVYMEAPJ3A3"],"limit":1,)"
                                   R"("query":{"sort":{"sort_field":"UPDATED_AT","order":"ASC"}}})",
                                   SquareAuth());
  CHECK(Str(Json(misspelt.body).at("orders").as_array()[0].at("id")) == ids[5]);
}

TEST_CASE("square fake: RateLimitNext answers RATE_LIMITED with Retry-After", "[fake-source]") {
  auto fake = MakeFake("square", kSquareToken);
  fake->Seed("customers", 2, At(1767225600));
  fake->RateLimitNext(2, 7s);
  for (int i = 0; i < 2; ++i) {
    const HttpResult r = Send(*fake, "GET", "/v2/customers", {}, SquareAuth());
    CHECK(r.status == 429);
    CHECK(r.header("retry-after") == "7");
    const json::object error = SquareError(r);
    CHECK(error.at("category") == "RATE_LIMIT_ERROR");
    CHECK(error.at("code") == "RATE_LIMITED");
  }
  CHECK(Send(*fake, "GET", "/v2/customers", {}, SquareAuth()).status == 200);
  CHECK(fake->PagesServed()["customers"] == 1);
}

// --- Zendesk --------------------------------------------------------------------------------

constexpr char kZendeskToken[] = "zendesk-oauth-token";

Headers ZendeskAuth() { return {{"Authorization", std::string("Bearer ") + kZendeskToken}}; }

TEST_CASE("zendesk fake: refuses requests without the OAuth token or API token", "[fake-source]") {
  auto oauth = MakeFake("zendesk", kZendeskToken);
  const std::string target =
      "/api/v2/incremental/tickets/cursor.json?start_time=" + std::to_string(UnixNow() - 3600);
  for (const Headers& headers :
       {Headers{}, Headers{{"Authorization", "Bearer wrong"}},
        Headers{{"Authorization",
                 "Basic " + Base64Encode("agent@example.com:" + std::string(kZendeskToken))}}}) {
    const HttpResult r = Send(*oauth, "GET", target, {}, headers);
    CHECK(r.status == 401);
    CHECK(Json(r.body) == json::object{{"error", "Couldn't authenticate you"}});
  }
  CHECK(Send(*oauth, "GET", target, {}, ZendeskAuth()).status == 200);

  // An API token: Basic "<email>/token:<token>" only.
  auto api_token = MakeFake("zendesk", "agent@example.com/token:abc123");
  CHECK(Send(*api_token, "GET", target, {},
             {{"Authorization", "Basic " + Base64Encode("agent@example.com/token:abc123")}})
            .status == 200);
  CHECK(Send(*api_token, "GET", target, {},
             {{"Authorization", "Basic " + Base64Encode("agent@example.com/token:wrong")}})
            .status == 401);
  CHECK(Send(*api_token, "GET", target, {}, {{"Authorization", "Bearer abc123"}}).status == 401);
  CHECK(api_token->PagesServed()["tickets"] == 1);
}

TEST_CASE("zendesk fake: a ticket export walks every ticket once by generated_timestamp",
          "[fake-source]") {
  auto fake = MakeFake("zendesk", kZendeskToken);
  const int64_t now = UnixNow();
  const auto ids = fake->Seed("tickets", 2500, At(now - 7200));

  std::vector<std::string> seen;
  std::vector<bool> ends;
  std::vector<int64_t> stamps;
  std::string target =
      "/api/v2/incremental/tickets/cursor.json?start_time=" + std::to_string(now - 10800);
  for (int guard = 0; guard < 6; ++guard) {
    const HttpResult r = Send(*fake, "GET", target, {}, ZendeskAuth());
    REQUIRE(r.status == 200);
    const json::value page = Json(r.body);
    CHECK(Keys(page) == std::set<std::string>{"after_cursor", "after_url", "before_cursor",
                                              "before_url", "end_of_stream", "tickets"});
    for (const auto& t : page.at("tickets").as_array()) {
      seen.push_back(IdOf(t));
      stamps.push_back(t.at("generated_timestamp").as_int64());
    }
    ends.push_back(page.at("end_of_stream").as_bool());
    REQUIRE(page.at("after_cursor").is_string());
    if (page.at("end_of_stream").as_bool()) break;
    target = TargetOf(*fake, Str(page.at("after_url")));
  }
  CHECK(ends == std::vector<bool>{false, false, true});
  CHECK(seen == ids);
  CHECK(std::is_sorted(stamps.begin(), stamps.end()));
  CHECK(fake->PagesServed()["tickets"] == 3);

  // Clones keep the documented ticket's fields; id, url and times are their own.
  const json::value example =
      Fixture("zendesk/incremental_tickets_cursor.page1.json").at("tickets").as_array()[0];
  const HttpResult first = Send(*fake, "GET",
                                "/api/v2/incremental/tickets/cursor.json?per_page=1&start_time=" +
                                    std::to_string(now - 10800),
                                {}, ZendeskAuth());
  const json::value ticket = Json(first.body).at("tickets").as_array()[0];
  CHECK(Keys(ticket) == Keys(example));
  CHECK(ticket.at("subject") == example.at("subject"));
  CHECK(IdOf(ticket) == ids[0]);
  CHECK(ticket.at("generated_timestamp").as_int64() == now - 7200);
  CHECK(Str(ticket.at("url")) == fake->base_url() + "/api/v2/tickets/" + ids[0] + ".json");
  CHECK(Json(first.body).at("before_cursor").is_null());
}

TEST_CASE("zendesk fake: refuses bad per_page, start_time and cursors", "[fake-source]") {
  auto fake = MakeFake("zendesk", kZendeskToken);
  const std::string base = "/api/v2/incremental/users/cursor.json?";
  const std::string start = "start_time=" + std::to_string(UnixNow() - 3600);
  struct Case {
    std::string query;
    int status;
    std::string error;
  };
  for (const Case& c :
       std::vector<Case>{{start + "&per_page=1001", 400, "InvalidPaginationParameter"},
                         {start + "&per_page=0", 400, "InvalidPaginationParameter"},
                         {"", 422, "InvalidValue"},
                         {"start_time=" + std::to_string(UnixNow() - 30), 422, "InvalidValue"},
                         {"start_time=" + std::to_string(UnixNow() + 3600), 422, "InvalidValue"},
                         {"start_time=yesterday", 422, "InvalidValue"},
                         {"cursor=%21%21not-base64", 400, "InvalidPaginationParameter"}}) {
    INFO(c.query);
    const HttpResult r = Send(*fake, "GET", base + c.query, {}, ZendeskAuth());
    CHECK(r.status == c.status);
    CHECK(Str(Json(r.body).at("error")) == c.error);
  }
  const HttpResult recent =
      Send(*fake, "GET", base + "start_time=" + std::to_string(UnixNow() - 10), {}, ZendeskAuth());
  CHECK(Str(Json(recent.body).at("description")).find("Too recent start_time") !=
        std::string::npos);
  CHECK(Send(*fake, "GET", base + start + "&per_page=1000", {}, ZendeskAuth()).status == 200);
  CHECK(fake->PagesServed()["users"] == 1);
}

TEST_CASE("zendesk fake: the last minute is excluded and a resumed export sees later changes",
          "[fake-source]") {
  auto fake = MakeFake("zendesk", kZendeskToken);
  const int64_t now = UnixNow();
  const auto old_users = fake->Seed("users", 3, At(now - 600));
  const auto fresh = fake->Seed("users", 1, system_clock::now());  // updated "now"
  const auto almost = fake->Seed("users", 1, At(now - 50));        // 50 s ago: still too recent

  const std::string path = "/api/v2/incremental/users/cursor.json";
  const HttpResult r1 =
      Send(*fake, "GET", path + "?start_time=" + std::to_string(now - 3600), {}, ZendeskAuth());
  REQUIRE(r1.status == 200);
  const json::value page1 = Json(r1.body);
  std::vector<std::string> seen;
  for (const auto& u : page1.at("users").as_array()) seen.push_back(IdOf(u));
  CHECK(seen == old_users);
  CHECK(page1.at("end_of_stream").as_bool());
  const std::string cursor1 = Str(page1.at("after_cursor"));

  // The users are the documented user object, with their own id and email.
  const json::value user = page1.at("users").as_array()[0];
  for (const char* field : {"id", "url", "name", "email", "phone", "created_at", "updated_at",
                            "role", "time_zone", "locale", "active", "user_fields"}) {
    CHECK(user.as_object().contains(field));
  }
  CHECK(Str(user.at("email")) == "customer.0@example.com");

  // Resuming at once: nothing new is older than a minute, and the cursor stays usable.
  const HttpResult r2 = Send(*fake, "GET", path + "?cursor=" + cursor1, {}, ZendeskAuth());
  REQUIRE(r2.status == 200);
  const json::value page2 = Json(r2.body);
  CHECK(page2.at("users").as_array().empty());
  CHECK(page2.at("end_of_stream").as_bool());
  CHECK(Str(page2.at("after_cursor")) == cursor1);

  // An edit made two minutes ago (after the export's last record) and the 50-second-old user
  // once it is 61 seconds old appear on resuming from the saved cursor; the fresh one does not.
  fake->Touch("users", old_users[1], At(now - 120));
  fake->Touch("users", almost[0], At(now - 61));
  const HttpResult r3 = Send(*fake, "GET", path + "?cursor=" + cursor1, {}, ZendeskAuth());
  REQUIRE(r3.status == 200);
  const json::value page3 = Json(r3.body);
  seen.clear();
  for (const auto& u : page3.at("users").as_array()) seen.push_back(IdOf(u));
  CHECK(seen == std::vector<std::string>{old_users[1], almost[0]});
  CHECK(page3.at("end_of_stream").as_bool());
  CHECK(Str(page3.at("after_cursor")) != cursor1);
  CHECK(std::find(seen.begin(), seen.end(), fresh[0]) == seen.end());

  // And from the newest cursor, nothing again.
  const HttpResult r4 =
      Send(*fake, "GET", TargetOf(*fake, Str(page3.at("after_url"))), {}, ZendeskAuth());
  CHECK(Json(r4.body).at("users").as_array().empty());
  CHECK(fake->PagesServed()["users"] == 4);
}

TEST_CASE("zendesk fake: 10 export requests a minute, then 429 with Retry-After", "[fake-source]") {
  const json::value limit_body = Fixture("zendesk/error_429_incremental_rate_limit.json");
  auto fake = MakeFake("zendesk", kZendeskToken);
  const std::string target =
      "/api/v2/incremental/tickets/cursor.json?start_time=" + std::to_string(UnixNow() - 3600);
  for (int i = 0; i < 10; ++i) {
    INFO(i);
    CHECK(Send(*fake, "GET", target, {}, ZendeskAuth()).status == 200);
  }
  const HttpResult limited = Send(*fake, "GET", target, {}, ZendeskAuth());
  CHECK(limited.status == 429);
  CHECK(Json(limited.body) == limit_body);
  const int retry_after = std::stoi(limited.header("retry-after"));
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 60);
  CHECK(fake->PagesServed()["tickets"] == 10);

  auto forced = MakeFake("zendesk", kZendeskToken);
  forced->RateLimitNext(1, 42s);
  const HttpResult r = Send(*forced, "GET", target, {}, ZendeskAuth());
  CHECK(r.status == 429);
  CHECK(r.header("retry-after") == "42");
  CHECK(Json(r.body) == limit_body);
  CHECK(Send(*forced, "GET", target, {}, ZendeskAuth()).status == 200);
}

// --- Mailchimp ------------------------------------------------------------------------------

constexpr char kMailchimpCredential[] = "anystring:0123456789abcdef0123456789abcdef-us3";
constexpr char kListId[] = "a36b032126";  // the recordings' list

Headers MailchimpAuth(const std::string& user = "anystring") {
  return {
      {"Authorization", "Basic " + Base64Encode(user + ":0123456789abcdef0123456789abcdef-us3")}};
}

std::string Members(const std::string& query = {}) {
  return std::string("/3.0/lists/") + kListId + "/members" + (query.empty() ? "" : "?" + query);
}

void CheckProblem(const HttpResult& r, int status, const std::string& title) {
  CHECK(r.status == status);
  CHECK(r.header("content-type").rfind("application/problem+json", 0) == 0);
  const json::value body = Json(r.body);
  CHECK(Keys(body).contains("type"));
  CHECK(Str(body.at("title")) == title);
  CHECK(body.at("status").to_number<int>() == status);
  CHECK(Str(body.at("instance")) == r.header("x-request-id"));
}

TEST_CASE("mailchimp fake: Basic auth with the API key as password, else problem+json 401",
          "[fake-source]") {
  auto fake = MakeFake("mailchimp", kMailchimpCredential);
  fake->Seed("members", 2, At(1767225600));
  CheckProblem(Send(*fake, "GET", Members()), 401, "API Key Missing");
  CheckProblem(Send(*fake, "GET", Members(), {},
                    {{"Authorization", "Basic " + Base64Encode("anystring:wrong-us3")}}),
               401, "API Key Invalid");
  CheckProblem(Send(*fake, "GET", Members(), {},
                    {{"Authorization", "Bearer 0123456789abcdef0123456789abcdef-us3"}}),
               401, "API Key Invalid");
  // Any user name will do.
  CHECK(Send(*fake, "GET", Members(), {}, MailchimpAuth("someone-else")).status == 200);
  CheckProblem(Send(*fake, "GET", "/3.0/lists/0000000000/members", {}, MailchimpAuth()), 404,
               "Resource Not Found");
  CHECK(fake->PagesServed()["members"] == 1);

  // The 401's shape is the recorded problem document's.
  const json::value recorded = Fixture("mailchimp/error_405_problem_json.recorded.json");
  const HttpResult r = Send(*fake, "GET", Members());
  CHECK(Keys(Json(r.body)) == Keys(recorded.at("body")));
  CHECK(Json(r.body).at("type") == recorded.at("body").at("type"));
}

TEST_CASE("mailchimp fake: an offset walk returns every member once", "[fake-source]") {
  auto fake = MakeFake("mailchimp", kMailchimpCredential);
  const auto ids = fake->Seed("members", 25, At(1767225600));
  std::vector<std::string> seen;
  std::vector<size_t> sizes;
  for (int offset = 0; offset <= 30; offset += 10) {
    const HttpResult r = Send(*fake, "GET",
                              Members("count=10&offset=" + std::to_string(offset) +
                                      "&sort_field=last_changed&sort_dir=ASC"),
                              {}, MailchimpAuth());
    REQUIRE(r.status == 200);
    const json::value page = Json(r.body);
    CHECK(page.at("total_items") == 25);
    CHECK(page.at("list_id") == kListId);
    sizes.push_back(page.at("members").as_array().size());
    for (const auto& m : page.at("members").as_array()) {
      seen.push_back(Str(m.at("id")));
      // The id is the subscriber hash: MD5 of the lower-cased email.
      CHECK(Str(m.at("id")) == Md5Hex(Lowercase(Str(m.at("email_address")))));
    }
  }
  CHECK(sizes == std::vector<size_t>{10, 10, 5, 0});
  CHECK(seen == ids);
  CHECK(fake->PagesServed()["members"] == 4);

  // Shapes are the recorded ones; clones keep the recorded member's fields.
  const json::value recorded = Fixture("mailchimp/list_members.recorded_01.json");
  const json::value& recorded_member = recorded.at("body").at("members").as_array()[0];
  const HttpResult r = Send(*fake, "GET", Members("count=1"), {}, MailchimpAuth());
  const json::value page = Json(r.body);
  CHECK(Keys(page) == Keys(recorded.at("body")));
  const json::value& member = page.at("members").as_array()[0];
  CHECK(Keys(member) == Keys(recorded_member));
  CHECK(member.at("merge_fields") == recorded_member.at("merge_fields"));
  CHECK(member.at("status") == "subscribed");
  CHECK(Str(member.at("last_changed")) == "2026-01-01T00:00:00+00:00");
  CHECK(r.header("link").find("Collection.json") != std::string::npos);

  // count: the default is 10, above 1000 Mailchimp answers 1000; 0 or junk is refused.
  CHECK(Json(Send(*fake, "GET", Members(), {}, MailchimpAuth()).body)
            .at("members")
            .as_array()
            .size() == 10);
  fake->Seed("members", 1000, At(1767229200));
  const HttpResult big = Send(*fake, "GET", Members("count=5000"), {}, MailchimpAuth());
  CHECK(Json(big.body).at("members").as_array().size() == 1000);
  CHECK(Json(big.body).at("total_items") == 1025);
  CheckProblem(Send(*fake, "GET", Members("count=0"), {}, MailchimpAuth()), 400,
               "Invalid Resource");
  CheckProblem(Send(*fake, "GET", Members("offset=-1"), {}, MailchimpAuth()), 400,
               "Invalid Resource");
  CheckProblem(
      Send(*fake, "GET", Members("sort_dir=UP&sort_field=last_changed"), {}, MailchimpAuth()), 400,
      "Invalid Resource");
}

TEST_CASE("mailchimp fake: since_last_changed serves only later changes, sorted by last_changed",
          "[fake-source]") {
  auto fake = MakeFake("mailchimp", kMailchimpCredential);
  const int64_t t0 = 1767225600;  // 2026-01-01T00:00:00Z
  const auto ids = fake->Seed("members", 10, At(t0));
  fake->Touch("members", ids[0], At(t0 + 100));

  auto page = [&](const std::string& query) {
    const HttpResult r = Send(*fake, "GET", Members(query), {}, MailchimpAuth());
    REQUIRE(r.status == 200);
    return Json(r.body);
  };
  auto page_ids = [](const json::value& body) {
    std::vector<std::string> out;
    for (const auto& m : body.at("members").as_array()) out.push_back(Str(m.at("id")));
    return out;
  };
  // Strictly after 00:00:05: members 6..9, then the edited member 0.
  const json::value asc = page(
      "since_last_changed=2026-01-01T00%3A00%3A05%2B00%3A00&sort_field=last_changed&sort_dir=ASC"
      "&count=100");
  CHECK(page_ids(asc) == std::vector<std::string>{ids[6], ids[7], ids[8], ids[9], ids[0]});
  CHECK(asc.at("total_items") == 5);
  const json::value desc =
      page("since_last_changed=2026-01-01T00%3A00%3A04.999Z&sort_field=last_changed&sort_dir=DESC");
  CHECK(page_ids(desc).front() == ids[0]);
  CHECK(desc.at("total_items") == 6);
  CHECK(Str(desc.at("members").as_array()[0].at("last_changed")) == "2026-01-01T00:01:40+00:00");
  // Nothing later: an empty page with total_items 0, as recorded.
  const json::value none = page("since_last_changed=2027-01-01T00%3A00%3A00Z");
  CHECK(none.at("members").as_array().empty());
  CHECK(none.at("total_items") == 0);
  // An unencoded '+' is a space in a query string: that timestamp is refused.
  CheckProblem(Send(*fake, "GET", Members("since_last_changed=2026-01-01T00:00:05+00:00"), {},
                    MailchimpAuth()),
               400, "Invalid Resource");
}

TEST_CASE("mailchimp fake: fields and exclude_fields take paths from the answer's root",
          "[fake-source]") {
  auto fake = MakeFake("mailchimp", kMailchimpCredential);
  fake->Seed("members", 3, At(1767225600));
  auto get = [&](const std::string& query) {
    const HttpResult r = Send(*fake, "GET", Members(query), {}, MailchimpAuth());
    REQUIRE(r.status == 200);
    return Json(r.body);
  };
  const json::value excluded = get("exclude_fields=members.email_address,_links");
  CHECK_FALSE(excluded.as_object().contains("_links"));
  for (const auto& m : excluded.at("members").as_array()) {
    CHECK_FALSE(m.as_object().contains("email_address"));
    CHECK(m.as_object().contains("id"));
  }
  // As recorded: exclude_fields=email_address names no top-level field and removes nothing.
  const json::value kept = get("exclude_fields=email_address");
  CHECK(kept.at("members").as_array()[0].as_object().contains("email_address"));
  const json::value only = get("fields=members.id,members.merge_fields.FNAME,total_items");
  CHECK(Keys(only) == std::set<std::string>{"members", "total_items"});
  const json::value& member = only.at("members").as_array()[0];
  CHECK(Keys(member) == std::set<std::string>{"id", "merge_fields"});
  CHECK(Keys(member.at("merge_fields")) == std::set<std::string>{"FNAME"});
}

TEST_CASE("mailchimp fake: RateLimitNext answers problem+json 429 with Retry-After",
          "[fake-source]") {
  auto fake = MakeFake("mailchimp", kMailchimpCredential);
  const auto ids = fake->Seed("members", 1, At(1767225600));
  fake->RateLimitNext(1, 30s);
  const HttpResult r = Send(*fake, "GET", Members(), {}, MailchimpAuth());
  CheckProblem(r, 429, "Too Many Requests");
  CHECK(r.header("retry-after") == "30");
  CHECK(Send(*fake, "GET", Members(), {}, MailchimpAuth()).status == 200);
  CHECK(fake->PagesServed()["members"] == 1);

  // One member by subscriber hash.
  const HttpResult one = Send(*fake, "GET", Members() + "/" + ids[0], {}, MailchimpAuth());
  CHECK(one.status == 200);
  CHECK(Str(Json(one.body).at("id")) == ids[0]);
  CHECK(fake->PagesServed()["members"] == 1);
}

TEST_CASE("mailchimp fake: a member's activity, newest first, the last 50, filtered by action",
          "[fake-source]") {
  auto fake = MakeFake("mailchimp", kMailchimpCredential);
  const auto ids = fake->Seed("members", 2, At(1767225600));
  const std::string activity = Members() + "/" + ids[0] + "/activity";
  CheckProblem(Send(*fake, "GET", activity), 401, "API Key Missing");
  CheckProblem(Send(*fake, "GET", Members() + "/0000/activity", {}, MailchimpAuth()), 404,
               "Resource Not Found");
  CHECK_THROWS_AS(fake->AddMemberActivity("nobody", "open", "c1", At(1767225700)),
                  std::invalid_argument);

  // None yet: an empty list, not an error.
  HttpResult r = Send(*fake, "GET", activity, {}, MailchimpAuth());
  REQUIRE(r.status == 200);
  CHECK(Json(r.body).at("activity").as_array().empty());
  CHECK(Json(r.body).at("total_items") == 0);

  for (int i = 0; i < 60; ++i) {
    fake->AddMemberActivity(ids[0], i % 2 == 0 ? "open" : "click", "c" + std::to_string(i),
                            At(1767225700 + i));
  }
  fake->AddMemberActivity(ids[1], "bounce", "c0", At(1767225700));
  r = Send(*fake, "GET", activity, {}, MailchimpAuth());
  REQUIRE(r.status == 200);
  const json::value body = Json(r.body);
  CHECK(Keys(body) ==
        std::set<std::string>{"activity", "email_id", "list_id", "total_items", "_links"});
  CHECK(Str(body.at("email_id")) == ids[0]);
  const auto& events = body.at("activity").as_array();
  REQUIRE(events.size() == 50);
  CHECK(Keys(events[0]) == std::set<std::string>{"action", "timestamp", "url", "type",
                                                 "campaign_id", "title", "parent_campaign"});
  CHECK(Str(events[0].at("campaign_id")) == "c59");  // newest first
  CHECK(Str(events[49].at("campaign_id")) == "c10");
  CHECK(Str(events[0].at("action")) == "click");
  CHECK(Str(events[0].at("url")).rfind("https://", 0) == 0);
  CHECK(Str(events[1].at("url")).empty());  // an open has no URL

  const HttpResult opens = Send(*fake, "GET", activity + "?action=open", {}, MailchimpAuth());
  const json::value open_body = Json(opens.body);
  for (const auto& e : open_body.at("activity").as_array()) CHECK(Str(e.at("action")) == "open");
  CHECK(open_body.at("activity").as_array().size() == 30);
  // Activity does not change the member (Mailchimp keeps last_changed).
  const HttpResult member = Send(*fake, "GET", Members() + "/" + ids[0], {}, MailchimpAuth());
  CHECK(Str(Json(member.body).at("last_changed")) == "2026-01-01T00:00:00+00:00");
  CHECK(fake->PagesServed()["member_activity"] == 3);
  // Other vendors have no member activity.
  auto shopify = MakeFake("shopify", "shpat_x");
  CHECK_THROWS_AS(shopify->AddMemberActivity("1", "open", "c", At(0)), std::logic_error);
}

}  // namespace
}  // namespace journeyd::fakes
