#include "engine/poll/stream_reader.h"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "tests/fakes/fake_http_server.h"
#include "tests/fakes/recording_api.h"
#include "tests/fakes/fake_util.h"

namespace journeyd::poll {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using std::chrono::system_clock;

// 2026-07-01T00:00:00Z.
const system_clock::time_point kNow = system_clock::time_point(1782864000s);

TEST_CASE("stream reader: NextLink finds the rel=next URL of a Link header", "[poll]") {
  // Shopify: previous before next.
  CHECK(NextLink("<https://shop.myshopify.com/admin/api/2026-07/customers.json?limit=50&"
                 "page_info=prev123>; rel=\"previous\", "
                 "<https://shop.myshopify.com/admin/api/2026-07/customers.json?limit=50&"
                 "page_info=next456>; rel=\"next\"") ==
        "https://shop.myshopify.com/admin/api/2026-07/customers.json?limit=50&page_info=next456");
  // GitHub / WooCommerce: next first, then others.
  CHECK(NextLink("<https://api.example.test/items?page=2>; rel=\"next\", "
                 "<https://api.example.test/items?page=5>; rel=\"last\"") ==
        "https://api.example.test/items?page=2");
  // Unquoted rel, possibly followed by more parameters.
  CHECK(NextLink("<https://x.test/a?page=2>; rel=next") == "https://x.test/a?page=2");
  CHECK(NextLink("<https://x.test/a?page=2>;rel=next;title=\"more\"") ==
        "https://x.test/a?page=2");
  CHECK(NextLink("<https://x.test/a?page=1>; rel=prev, <https://x.test/a?page=3>; rel=next") ==
        "https://x.test/a?page=3");
  // Several relation types in one rel.
  CHECK(NextLink("<https://x.test/a?page=9>; rel=\"next last\"") == "https://x.test/a?page=9");
  CHECK(NextLink("<https://x.test/a?page=1>; rel=\"prev first\", "
                 "<https://x.test/a?page=3>; rel=\"last next\"") ==
        "https://x.test/a?page=3");
  // Other parameters before rel.
  CHECK(NextLink("<https://x.test/a?page=2>; type=\"application/json\"; rel=\"next\"") ==
        "https://x.test/a?page=2");
  // Commas and semicolons inside the URL.
  CHECK(NextLink("<https://x.test/a?ids=1,2;3>; rel=\"next\"") == "https://x.test/a?ids=1,2;3");

  // No next.
  CHECK(NextLink("").empty());
  CHECK(NextLink("garbage").empty());
  CHECK(NextLink("<https://x.test/a?page=1>; rel=\"previous\"").empty());
  CHECK(NextLink("<https://x.test/a?page=5>; rel=\"last\", <https://x.test/a?page=1>; rel=first")
            .empty());
  CHECK(NextLink("<https://x.test/a?page=2>; rel=\"nextpage\"").empty());
  CHECK(NextLink("<https://x.test/a?page=2>").empty());
  CHECK(NextLink("<https://x.test/a?page=2; rel=\"next\"").empty());  // unclosed <
}

using FakeApi = fakes::RecordingApi;

// The query of a request as a map (last value wins).
std::map<std::string, std::string> Query(const fakes::Request& r) {
  std::map<std::string, std::string> out;
  for (auto& [key, value] : fakes::ParseForm(r.query)) out[key] = value;
  return out;
}

int QueryInt(const fakes::Request& r, const std::string& key, int fallback) {
  const auto q = Query(r);
  auto it = q.find(key);
  return it == q.end() ? fallback : std::stoi(it->second);
}

json::object Record(int id, const std::string& updated_at = "2026-07-01T10:00:00Z") {
  return json::object{{"id", id}, {"updated_at", updated_at}, {"name", "r" + std::to_string(id)}};
}

json::array Records(int from, int to) {  // ids [from, to)
  json::array out;
  for (int i = from; i < to; ++i) out.push_back(Record(i));
  return out;
}

fakes::Response Json(const json::value& body) { return fakes::Response(200, json::serialize(body)); }

// One stream against one fake API.
struct Rig {
  explicit Rig(FakeApi::Handler handler) : api(std::move(handler)), clock(kNow) {
    settings.base_url = api.base_url();
    settings.rate_limit.max_retries = 0;
    settings.rate_limit.requests_per_second = 0;
    settings.auth.type = AuthKind::kBearer;
    settings.auth.token = Secret("sk_secret");
    StreamSettings stream;
    stream.name = "customers";
    stream.event_type = "acme.customer";
    stream.page_size = 3;
    stream.request.path = "/v1/customers";
    settings.streams.push_back(stream);
  }

  StreamSettings& stream() { return settings.streams.front(); }

  std::unique_ptr<StreamReader> Reader(StreamState state = {}) {
    // Earlier readers may still hold their client: keep every one.
    clients.push_back(std::make_unique<ApiClient>(settings, clock, control));
    return std::make_unique<StreamReader>(settings, stream(), "acme_poll", std::move(state),
                                          *clients.back(), clock);
  }

  // Every page until done (at most 50).
  std::vector<Page> ReadAll(StreamReader& reader) {
    std::vector<Page> pages;
    while (!reader.done()) {
      REQUIRE(pages.size() < 50);
      auto page = reader.Next();
      INFO((page.ok() ? std::string() : page.error().ToString()));
      REQUIRE(page.ok());
      pages.push_back(std::move(*page));
    }
    return pages;
  }

  static std::vector<std::string> Ids(const std::vector<Page>& pages) {
    std::vector<std::string> ids;
    for (const Page& p : pages) {
      for (const RawEvent& e : p.events) {
        ids.push_back(std::string(json::parse(e.body).at("id").is_int64()
                                      ? std::to_string(json::parse(e.body).at("id").as_int64())
                                      : std::string(json::parse(e.body).at("id").as_string())));
      }
    }
    return ids;
  }

  FakeApi api;
  ManualClock clock;
  PollSettings settings;
  RunControl control;
  std::vector<std::unique_ptr<ApiClient>> clients;
};

std::vector<std::string> Seq(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(std::to_string(i));
  return out;
}

TEST_CASE("stream reader: page pagination stops at the total pages header", "[poll]") {
  // 6 records, 3 a page: two full pages. The header says so, so no third request is made.
  Rig rig([](const fakes::Request& r) {
    const int page = QueryInt(r, "page", 1);
    const int per_page = QueryInt(r, "per_page", 10);
    const int from = 1 + (page - 1) * per_page;
    fakes::Response response = Json(Records(from, std::min(from + per_page, 7)));
    response.headers.emplace_back("X-WP-TotalPages", "2");
    return response;
  });
  rig.stream().request.query = {{"per_page", "{{page_size}}"}};
  rig.stream().pagination.type = PaginationKind::kPage;
  rig.stream().pagination.param = "page";
  rig.stream().pagination.total_pages_header = "X-WP-TotalPages";
  auto reader = rig.Reader();
  const auto pages = rig.ReadAll(*reader);
  REQUIRE(pages.size() == 2);
  CHECK(Rig::Ids(pages) == Seq(1, 7));
  CHECK_FALSE(pages[0].last);
  CHECK(pages[1].last);
  const auto requests = rig.api.requests();
  REQUIRE(requests.size() == 2);
  CHECK(Query(requests[0]) == std::map<std::string, std::string>{{"page", "1"}, {"per_page", "3"}});
  CHECK(Query(requests[1]) == std::map<std::string, std::string>{{"page", "2"}, {"per_page", "3"}});
  CHECK(requests[0].header("authorization") == "Bearer sk_secret");
  // Between pages the state says where to continue.
  REQUIRE(pages[0].state.resume.has_value());
  CHECK(pages[0].state.resume->kind == PageToken::Kind::kNumber);
  CHECK(pages[0].state.resume->value == "2");
  CHECK_FALSE(pages[1].state.resume.has_value());
}

TEST_CASE("stream reader: page pagination without a header stops at a short page", "[poll]") {
  Rig rig([](const fakes::Request& r) {
    const int page = QueryInt(r, "page", 0);
    const int from = page * 3;  // the first page is 0
    return Json(Records(from, std::min(from + 3, 7)));
  });
  rig.stream().pagination.type = PaginationKind::kPage;
  rig.stream().pagination.param = "page";
  rig.stream().pagination.first = 0;
  auto reader = rig.Reader();
  const auto pages = rig.ReadAll(*reader);
  REQUIRE(pages.size() == 3);
  CHECK(Rig::Ids(pages) == Seq(0, 7));
  const auto requests = rig.api.requests();
  REQUIRE(requests.size() == 3);
  CHECK(Query(requests[0]).at("page") == "0");
  CHECK(Query(requests[2]).at("page") == "2");
}

TEST_CASE("stream reader: offset pagination stops at the total in the body", "[poll]") {
  Rig rig([](const fakes::Request& r) {
    const int offset = QueryInt(r, "offset", 0);
    const int count = QueryInt(r, "count", 10);
    return Json(json::object{{"members", Records(offset, std::min(offset + count, 6))},
                             {"total_items", 6}});
  });
  rig.stream().records = "members";
  rig.stream().request.query = {{"count", "{{page_size}}"}};
  rig.stream().pagination.type = PaginationKind::kOffset;
  rig.stream().pagination.param = "offset";
  rig.stream().pagination.total_path = "total_items";
  auto reader = rig.Reader();
  const auto pages = rig.ReadAll(*reader);
  REQUIRE(pages.size() == 2);
  CHECK(Rig::Ids(pages) == Seq(0, 6));
  const auto requests = rig.api.requests();
  REQUIRE(requests.size() == 2);  // the total says there is no third page
  CHECK(Query(requests[0]).at("offset") == "0");
  CHECK(Query(requests[1]).at("offset") == "3");
  REQUIRE(pages[0].state.resume.has_value());
  CHECK(pages[0].state.resume->value == "3");
}

TEST_CASE("stream reader: cursor pagination with the token in the body", "[poll]") {
  // Three pages behind tokens; follow-ups leave out the filter, as Zendesk requires.
  Rig rig([](const fakes::Request& r) {
    const auto q = Query(r);
    const std::string cursor = q.count("cursor") ? q.at("cursor") : "";
    if (cursor.empty()) {
      if (q.count("updated_since") == 0) return fakes::Response(400, R"({"error":"since"})");
      return Json(json::object{{"data", Records(1, 4)}, {"meta", {{"next", "tok-2"}}}});
    }
    if (q.count("updated_since")) return fakes::Response(400, R"({"error":"both"})");
    if (cursor == "tok-2") {
      return Json(json::object{{"data", Records(4, 7)}, {"meta", {{"next", "tok-3"}}}});
    }
    if (cursor == "tok-3") return Json(json::object{{"data", Records(7, 8)}, {"meta", {{"next", nullptr}}}});
    return fakes::Response(400, R"({"error":"bad cursor"})");
  });
  rig.stream().records = "data";
  rig.stream().request.query = {{"updated_since", "{{cursor}}"}, {"limit", "{{page_size}}"}};
  rig.stream().pagination.type = PaginationKind::kCursor;
  rig.stream().pagination.param = "cursor";
  rig.stream().pagination.cursor_path = "meta.next";
  rig.stream().pagination.drop_on_next = {"updated_since"};
  rig.stream().cursor.start = "2026-06-01T00:00:00Z";
  auto reader = rig.Reader();
  const auto pages = rig.ReadAll(*reader);
  REQUIRE(pages.size() == 3);
  CHECK(Rig::Ids(pages) == Seq(1, 8));
  const auto requests = rig.api.requests();
  REQUIRE(requests.size() == 3);
  CHECK(Query(requests[0]) == std::map<std::string, std::string>{
                                  {"limit", "3"}, {"updated_since", "2026-06-01T00:00:00.000Z"}});
  CHECK(Query(requests[1]) ==
        std::map<std::string, std::string>{{"cursor", "tok-2"}, {"limit", "3"}});
  CHECK(Query(requests[2]) ==
        std::map<std::string, std::string>{{"cursor", "tok-3"}, {"limit", "3"}});
  REQUIRE(pages[0].state.resume.has_value());
  CHECK(pages[0].state.resume == PageToken{PageToken::Kind::kToken, "tok-2"});
  CHECK(pages[0].state.read_from == "2026-06-01T00:00:00.000Z");
  CHECK(pages[1].state.resume == PageToken{PageToken::Kind::kToken, "tok-3"});
  CHECK_FALSE(pages[2].state.resume.has_value());
}

TEST_CASE("stream reader: cursor from the last record's field until has_more is false",
          "[poll]") {
  // Stripe: starting_after=<last id>, has_more says whether to go on.
  Rig rig([](const fakes::Request& r) {
    const auto q = Query(r);
    const int after = q.count("starting_after") ? std::stoi(q.at("starting_after").substr(4)) : 0;
    json::array data;
    for (int i = after + 1; i <= std::min(after + 2, 5); ++i) {
      data.push_back(json::object{{"id", "cus_" + std::to_string(i)}, {"object", "customer"}});
    }
    return Json(json::object{{"object", "list"}, {"data", data}, {"has_more", after + 2 < 5}});
  });
  rig.stream().records = "data";
  rig.stream().page_size = 2;
  rig.stream().pagination.type = PaginationKind::kCursor;
  rig.stream().pagination.param = "starting_after";
  rig.stream().pagination.cursor_record_field = "id";
  rig.stream().pagination.stop_path = "has_more";
  rig.stream().pagination.stop_value = false;
  auto reader = rig.Reader();
  const auto pages = rig.ReadAll(*reader);
  REQUIRE(pages.size() == 3);
  CHECK(Rig::Ids(pages) ==
        std::vector<std::string>{"cus_1", "cus_2", "cus_3", "cus_4", "cus_5"});
  const auto requests = rig.api.requests();
  REQUIRE(requests.size() == 3);  // has_more: false on the third: no fourth request
  CHECK(Query(requests[0]).count("starting_after") == 0);
  CHECK(Query(requests[1]).at("starting_after") == "cus_2");
  CHECK(Query(requests[2]).at("starting_after") == "cus_4");
}

TEST_CASE("stream reader: next_url pagination follows the body's URL", "[poll]") {
  std::string base;
  Rig rig([&](const fakes::Request& r) {
    const auto q = Query(r);
    const int page = q.count("p") ? std::stoi(q.at("p")) : 1;
    json::object body{{"users", Records(page * 10, page * 10 + 2)}};
    body["after_url"] = page < 3 ? json::value(base + "/v1/customers?p=" + std::to_string(page + 1))
                                 : json::value(nullptr);
    return Json(body);
  });
  base = rig.api.base_url();
  rig.stream().records = "users";
  rig.stream().pagination.type = PaginationKind::kNextUrl;
  rig.stream().pagination.next_url_path = "after_url";
  auto reader = rig.Reader();
  const auto pages = rig.ReadAll(*reader);
  REQUIRE(pages.size() == 3);
  CHECK(Rig::Ids(pages) == std::vector<std::string>{"10", "11", "20", "21", "30", "31"});
  const auto requests = rig.api.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[1].target == "/v1/customers?p=2");
  // The vendor's URL gets the credentials too (same origin).
  CHECK(requests[2].header("authorization") == "Bearer sk_secret");
  REQUIRE(pages[0].state.resume.has_value());
  CHECK(pages[0].state.resume->kind == PageToken::Kind::kUrl);
}

TEST_CASE("stream reader: link_header pagination follows rel=next on the same origin", "[poll]") {
  std::string base;
  Rig rig([&](const fakes::Request& r) {
    const auto q = Query(r);
    const std::string info = q.count("page_info") ? q.at("page_info") : "";
    fakes::Response response;
    if (info.empty()) {
      response = Json(json::object{{"customers", Records(1, 4)}});
      response.headers.emplace_back(
          "Link", "<" + base + "/v1/customers?limit=3&page_info=p2>; rel=\"next\"");
    } else if (info == "p2") {
      response = Json(json::object{{"customers", Records(4, 5)}});
      response.headers.emplace_back(
          "Link", "<" + base + "/v1/customers?limit=3&page_info=p1>; rel=\"previous\"");
    } else {
      response = fakes::Response(400, "{}");
    }
    return response;
  });
  base = rig.api.base_url();
  rig.stream().records = "customers";
  rig.stream().request.query = {{"limit", "{{page_size}}"}, {"updated_at_min", "{{cursor}}"}};
  rig.stream().pagination.type = PaginationKind::kLinkHeader;
  auto reader = rig.Reader();
  const auto pages = rig.ReadAll(*reader);
  REQUIRE(pages.size() == 2);
  CHECK(Rig::Ids(pages) == Seq(1, 5));
  const auto requests = rig.api.requests();
  REQUIRE(requests.size() == 2);
  // An empty cursor leaves its parameter out; the next URL is used unchanged.
  CHECK(requests[0].target == "/v1/customers?limit=3");
  CHECK(requests[1].target == "/v1/customers?limit=3&page_info=p2");
}

TEST_CASE("stream reader: a next page URL on another host is refused, not fetched", "[poll]") {
  FakeApi elsewhere([](const fakes::Request&) { return Json(json::array()); });
  // Same host name, other port: another origin. And another host name on the same port.
  const std::string other_port = elsewhere.base_url() + "/v1/customers?page_info=steal";
  Rig rig([&](const fakes::Request&) {
    fakes::Response response = Json(Records(1, 3));
    response.headers.emplace_back("Link", "<" + other_port + ">; rel=\"next\"");
    return response;
  });
  rig.stream().pagination.type = PaginationKind::kLinkHeader;

  auto reader = rig.Reader();
  auto first = reader->Next();
  REQUIRE(first.ok());
  CHECK(first->events.size() == 2);
  CHECK_FALSE(reader->done());
  auto second = reader->Next();
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(second.error().message, Catch::Contains("refusing"));
  CHECK(elsewhere.request_count() == 0);
  CHECK(rig.api.request_count() == 1);

  // "localhost" is not "127.0.0.1", even on the same port. A stored next-page URL that does
  // not fit base_url (the config moved the API) is a stale token: the read starts again at the
  // first page, on base_url, and the foreign URL is never fetched.
  const std::string base = rig.api.base_url();
  StreamState state;
  state.resume = PageToken{PageToken::Kind::kUrl,
                           "http://localhost:" + base.substr(base.rfind(':') + 1) +
                               "/v1/customers?page_info=x"};
  auto resumed = rig.Reader(state);
  auto restarted = resumed->Next();
  REQUIRE(restarted.ok());
  CHECK(restarted->events.size() == 2);
  CHECK(rig.api.request_count() == 2);
  CHECK(elsewhere.request_count() == 0);
}

TEST_CASE("stream reader: records become events", "[poll]") {
  const std::string body = R"({"result": {"items": [
      {"id": "evt_1", "type": "acme.customer.created", "email": "a@example.test"},
      {"type": "acme.customer.updated", "email": "no-id@example.test"},
      {"id": "evt_3", "email": "no-type@example.test"},
      {"id": 4, "type": "acme.customer.deleted"}
    ]}})";
  Rig rig([&](const fakes::Request&) { return fakes::Response(200, body); });
  rig.stream().records = "result.items";
  rig.stream().wrap = "data.object";
  rig.stream().event_type = "{{record.type}}";
  auto reader = rig.Reader();
  auto page = reader->Next();
  REQUIRE(page.ok());
  CHECK(page->last);
  CHECK(reader->done());
  REQUIRE(page->events.size() == 2);

  const RawEvent& e = page->events[0];
  CHECK(e.source == "acme_poll");
  CHECK(e.event_type == "acme.customer.created");
  CHECK(e.content_type == "application/json");
  CHECK(e.received_at == kNow);
  // Wrapped as the body of a webhook event.
  CHECK(json::parse(e.body) ==
        json::parse(R"({"data":{"object":{"id":"evt_1","type":"acme.customer.created",
                                           "email":"a@example.test"}}})"));
  CHECK(e.headers == std::vector<std::pair<std::string, std::string>>{
                         {"x-journeyd-stream", "customers"}});
  CHECK(std::regex_match(e.external_id, std::regex("customers:evt_1:[0-9a-f]{16}")));

  CHECK(page->events[1].event_type == "acme.customer.deleted");
  CHECK(std::regex_match(page->events[1].external_id, std::regex("customers:4:[0-9a-f]{16}")));

  // A record without an id, and one whose event type renders empty, are reported, not stored;
  // the messages do not carry the record.
  REQUIRE(page->bad_records.size() == 2);
  CHECK_THAT(page->bad_records[0], Catch::Contains("without 'id'"));
  CHECK_THAT(page->bad_records[0], Catch::Contains("customers"));
  CHECK_THAT(page->bad_records[0], !Catch::Contains("no-id@example.test"));
  CHECK_THAT(page->bad_records[1], Catch::Contains("evt_3"));
  CHECK_THAT(page->bad_records[1], Catch::Contains("no event type"));
  CHECK_THAT(page->bad_records[1], !Catch::Contains("no-type@example.test"));
}

// A templated event type with fixed text around the placeholder, as the Stripe preset writes
// ("charge.{{record.status}}"), must not store a record that lacks the field as "charge.".
TEST_CASE("stream reader: a record lacking the event type's field is a bad record", "[poll]") {
  Rig rig([](const fakes::Request&) {
    return fakes::Response(200, R"([{"id":"ch_1","status":"succeeded"},{"id":"ch_2"}])");
  });
  rig.stream().event_type = "charge.{{record.status}}";
  auto reader = rig.Reader();
  auto page = reader->Next();
  REQUIRE(page.ok());
  REQUIRE_FALSE(page->events.empty());
  CHECK(page->events[0].event_type == "charge.succeeded");
  CHECK(page->events.size() == 1);
  CHECK(page->bad_records.size() == 1);
}

TEST_CASE("stream reader: the body may be the record list, id_field may be a path", "[poll]") {
  Rig rig([](const fakes::Request&) {
    return fakes::Response(200, R"([{"meta":{"uid":"u1"},"v":1},{"meta":{"uid":"u2"}}])");
  });
  rig.stream().id_field = "meta.uid";
  auto reader = rig.Reader();
  auto page = reader->Next();
  REQUIRE(page.ok());
  REQUIRE(page->events.size() == 2);
  CHECK_THAT(page->events[0].external_id, Catch::StartsWith("customers:u1:"));
  CHECK(json::parse(page->events[0].body) == json::parse(R"({"meta":{"uid":"u1"},"v":1})"));
  CHECK(page->bad_records.empty());
}

TEST_CASE("stream reader: external ids are stable for a record and change with it", "[poll]") {
  std::mutex mu;
  std::string email = "a@example.test";
  Rig rig([&](const fakes::Request&) {
    std::lock_guard lock(mu);
    return Json(json::array{json::object{{"id", "c1"}, {"email", email}},
                            json::object{{"id", "c2"}, {"email", "b@example.test"}}});
  });
  const auto read = [&] {
    auto reader = rig.Reader();
    auto page = reader->Next();
    REQUIRE(page.ok());
    REQUIRE(page->events.size() == 2);
    return std::make_pair(page->events[0].external_id, page->events[1].external_id);
  };
  const auto first = read();
  const auto again = read();
  CHECK(first == again);
  CHECK(first.first != first.second);
  {
    std::lock_guard lock(mu);
    email = "changed@example.test";
  }
  const auto changed = read();
  CHECK(changed.first != first.first);
  CHECK_THAT(changed.first, Catch::StartsWith("customers:c1:"));
  CHECK(changed.second == first.second);  // the other record did not change
}

// Two pages of customers whose updated_at are not in order across pages.
fakes::Response TwoUnorderedPages(const fakes::Request& r) {
  const int page = QueryInt(r, "page", 1);
  fakes::Response response =
      page == 1
          ? Json(json::array{Record(1, "2026-07-01T10:00:00Z"), Record(2, "2026-07-01T11:00:00Z")})
          : Json(json::array{Record(3, "2026-07-01T12:00:00Z"), Record(4, "2026-07-01T09:00:00Z")});
  response.headers.emplace_back("X-Total-Pages", "2");
  return response;
}

TEST_CASE("stream reader: the state after each page", "[poll]") {
  Rig rig(TwoUnorderedPages);
  rig.stream().page_size = 2;
  rig.stream().request.query = {{"since", "{{cursor}}"}};
  rig.stream().pagination.type = PaginationKind::kPage;
  rig.stream().pagination.param = "page";
  rig.stream().pagination.total_pages_header = "X-Total-Pages";
  rig.stream().cursor.field = "updated_at";

  SECTION("unordered: the cursor moves only when the read finishes") {
    StreamState start;
    start.cursor = "2026-07-01T08:00:00Z";
    auto reader = rig.Reader(start);
    auto one = reader->Next();
    REQUIRE(one.ok());
    CHECK_FALSE(one->last);
    CHECK(one->state.cursor == "2026-07-01T08:00:00Z");
    CHECK(one->state.pending == "2026-07-01T11:00:00Z");
    CHECK(one->state.resume == PageToken{PageToken::Kind::kNumber, "2"});
    CHECK(one->state.read_from == "2026-07-01T08:00:00.000Z");

    auto two = reader->Next();
    REQUIRE(two.ok());
    CHECK(two->last);
    CHECK(two->state.cursor == "2026-07-01T12:00:00Z");  // the highest seen, not the last
    CHECK(two->state.pending.empty());
    CHECK_FALSE(two->state.resume.has_value());
    CHECK(two->state.read_from.empty());
    const auto requests = rig.api.requests();
    REQUIRE(requests.size() == 2);
    // Both pages ask the same question.
    CHECK(Query(requests[0]).at("since") == "2026-07-01T08:00:00.000Z");
    CHECK(Query(requests[1]).at("since") == "2026-07-01T08:00:00.000Z");
  }

  SECTION("ordered: the cursor moves with each page") {
    rig.stream().cursor.ordered = true;
    auto reader = rig.Reader();
    auto one = reader->Next();
    REQUIRE(one.ok());
    CHECK(one->state.cursor == "2026-07-01T11:00:00Z");
    CHECK(one->state.pending == "2026-07-01T11:00:00Z");
    CHECK(one->state.read_from.empty());  // a first read: no filter
    auto two = reader->Next();
    REQUIRE(two.ok());
    CHECK(two->state.cursor == "2026-07-01T12:00:00Z");
    CHECK(two->state.pending.empty());
    CHECK(Query(rig.api.requests()[0]).count("since") == 0);
  }

  SECTION("the saved cursor is sent less the lookback, in the stream's format") {
    rig.stream().cursor.lookback = 5min;
    rig.stream().cursor.format = CursorFormat::kUnix;
    StreamState start;
    start.cursor = "2026-07-01T00:05:00Z";
    auto reader = rig.Reader(start);
    REQUIRE(reader->NextRequest().ok());
    CHECK_THAT(reader->NextRequest()->url, Catch::Contains("since=1782864000"));
    CHECK(rig.ReadAll(*reader).size() == 2);
    CHECK(Query(rig.api.requests()[0]).at("since") == "1782864000");
  }

  SECTION("a first run starts at cursor.start before now") {
    rig.stream().cursor.start = "30d";
    rig.stream().cursor.format = CursorFormat::kUnixMillis;
    auto reader = rig.Reader();
    CHECK(rig.ReadAll(*reader).size() == 2);
    CHECK(Query(rig.api.requests()[0]).at("since") ==
          std::to_string((1782864000LL - 30LL * 86400) * 1000));
  }
}

TEST_CASE("stream reader: max_pages ends the run and keeps where to resume", "[poll]") {
  Rig rig([](const fakes::Request& r) {
    const int page = QueryInt(r, "page", 1);
    return Json(Records(page * 10, page * 10 + (page < 3 ? 3 : 1)));
  });
  rig.stream().request.query = {{"since", "{{cursor}}"}};
  rig.stream().pagination.type = PaginationKind::kPage;
  rig.stream().pagination.param = "page";
  rig.stream().cursor.field = "updated_at";
  rig.stream().cursor.start = "2026-06-30T00:00:00Z";
  rig.settings.max_pages = 1;

  auto reader = rig.Reader();
  auto one = reader->Next();
  REQUIRE(one.ok());
  CHECK(one->last);
  CHECK(reader->done());
  CHECK(one->events.size() == 3);
  REQUIRE(one->state.resume.has_value());
  CHECK(*one->state.resume == PageToken{PageToken::Kind::kNumber, "2"});
  CHECK(one->state.read_from == "2026-06-30T00:00:00.000Z");
  CHECK(one->state.pending == "2026-07-01T10:00:00Z");
  CHECK(one->state.cursor.empty());

  // The next run continues at page 2 with the same filter, even on another day.
  rig.clock.Advance(24h);
  auto next_run = rig.Reader(one->state);
  auto two = next_run->Next();
  REQUIRE(two.ok());
  CHECK(next_run->done());  // max_pages again
  rig.settings.max_pages = 0;
  auto last_run = rig.Reader(two->state);
  auto rest = rig.ReadAll(*last_run);
  const auto requests = rig.api.requests();
  REQUIRE(requests.size() == 3);
  CHECK(Query(requests[1]) == std::map<std::string, std::string>{
                                  {"page", "2"}, {"since", "2026-06-30T00:00:00.000Z"}});
  CHECK(Query(requests[2]) == std::map<std::string, std::string>{
                                  {"page", "3"}, {"since", "2026-06-30T00:00:00.000Z"}});
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].last);
  CHECK_FALSE(rest[0].state.resume.has_value());
  CHECK(rest[0].state.cursor == "2026-07-01T10:00:00Z");
}

TEST_CASE("stream reader: a stale resume token restarts the read from the cursor", "[poll]") {
  Rig rig([](const fakes::Request& r) {
    const auto q = Query(r);
    if (q.count("cursor") && q.at("cursor") == "expired") {
      return fakes::Response(400, R"({"error":"cursor expired"})");
    }
    if (q.count("cursor")) return Json(json::object{{"data", Records(4, 6)}, {"next", nullptr}});
    return Json(json::object{{"data", Records(1, 4)}, {"next", "fresh"}});
  });
  rig.stream().records = "data";
  rig.stream().request.query = {{"since", "{{cursor}}"}};
  rig.stream().pagination.type = PaginationKind::kCursor;
  rig.stream().pagination.param = "cursor";
  rig.stream().pagination.cursor_path = "next";
  rig.stream().pagination.drop_on_next = {"since"};
  rig.stream().cursor.field = "updated_at";

  StreamState stored;
  stored.cursor = "2026-06-01T00:00:00Z";
  stored.read_from = "2026-05-01T00:00:00.000Z";
  stored.resume = PageToken{PageToken::Kind::kToken, "expired"};
  auto reader = rig.Reader(stored);
  auto first = reader->Next();
  REQUIRE(first.ok());
  CHECK(first->events.size() == 3);  // the restarted read's first page
  REQUIRE(first->state.resume.has_value());
  CHECK(first->state.resume->value == "fresh");
  // Restarted from the cursor, not the stale read's filter.
  CHECK(first->state.read_from == "2026-06-01T00:00:00.000Z");
  auto rest = rig.ReadAll(*reader);
  REQUIRE(rest.size() == 1);
  const auto requests = rig.api.requests();
  REQUIRE(requests.size() == 3);
  CHECK(Query(requests[0]) == std::map<std::string, std::string>{{"cursor", "expired"}});
  CHECK(Query(requests[1]) ==
        std::map<std::string, std::string>{{"since", "2026-06-01T00:00:00.000Z"}});
  CHECK(Query(requests[2]) == std::map<std::string, std::string>{{"cursor", "fresh"}});

  // A 400 on a later page of a read that did not resume is an error, not a restart.
  Rig strict([](const fakes::Request& r) {
    if (!Query(r).count("cursor")) return Json(json::object{{"data", Records(1, 4)}, {"next", "x"}});
    return fakes::Response(400, R"({"error":"cursor expired"})");
  });
  strict.stream() = rig.stream();
  auto fresh = strict.Reader();
  REQUIRE(fresh->Next().ok());
  auto failed = fresh->Next();
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == ErrorCode::kInvalidArgument);
  CHECK(strict.api.request_count() == 2);
}

TEST_CASE("stream reader: cursor in a POST body, page size as a number", "[poll]") {
  // Square's search endpoints: POST, the cursor in the body.
  Rig rig([](const fakes::Request& r) {
    if (r.method != "POST") return fakes::Response(405, "{}");
    if (r.header("content-type") != "application/json") return fakes::Response(415, "{}");
    const json::value body = json::parse(r.body);
    const json::value* cursor = body.as_object().if_contains("cursor");
    if (cursor == nullptr) {
      return Json(json::object{{"customers", Records(1, 3)}, {"cursor", "c2"}});
    }
    return Json(json::object{{"customers", Records(3, 4)}});
  });
  rig.stream().request.method = "POST";
  rig.stream().request.path = "/v2/customers/search";
  rig.stream().request.body.value = json::parse(
      R"({"limit":"{{page_size}}","query":{"filter":{"updated_at":{"start_at":"{{cursor}}"}}}})");
  rig.stream().records = "customers";
  rig.stream().page_size = 2;
  rig.stream().pagination.type = PaginationKind::kCursor;
  rig.stream().pagination.param = "cursor";
  rig.stream().pagination.in_body = true;
  rig.stream().pagination.cursor_path = "cursor";

  auto reader = rig.Reader();
  auto pages = rig.ReadAll(*reader);
  REQUIRE(pages.size() == 2);
  CHECK(Rig::Ids(pages) == Seq(1, 4));
  const auto requests = rig.api.requests();
  REQUIRE(requests.size() == 2);
  CHECK(json::parse(requests[0].body) == json::parse(R"({"limit":2})"));
  CHECK(json::parse(requests[1].body) == json::parse(R"({"limit":2,"cursor":"c2"})"));
  CHECK(requests[1].target == "/v2/customers/search");  // not in the query

  // With a cursor the filter is sent.
  StreamState state;
  state.cursor = "2026-06-01T00:00:00Z";
  auto later = rig.Reader(state);
  auto request = later->NextRequest();
  REQUIRE(request.ok());
  CHECK(request->method == "POST");
  CHECK(json::parse(request->body) ==
        json::parse(R"({"limit":2,"query":{"filter":{"updated_at":
                       {"start_at":"2026-06-01T00:00:00.000Z"}}}})"));
}

TEST_CASE("stream reader: responses that are not what the stream describes", "[poll]") {
  std::mutex mu;
  std::string answer;
  Rig rig([&](const fakes::Request&) {
    std::lock_guard lock(mu);
    return fakes::Response(200, answer);
  });
  rig.stream().records = "items";
  const auto set = [&](std::string text) {
    std::lock_guard lock(mu);
    answer = std::move(text);
  };

  set("<html>maintenance</html>");
  auto html = rig.Reader()->Next();
  REQUIRE_FALSE(html.ok());
  CHECK(html.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(html.error().message, Catch::Contains("not JSON"));

  set(R"({"items": {"id": 1}})");
  auto not_list = rig.Reader()->Next();
  REQUIRE_FALSE(not_list.ok());
  CHECK_THAT(not_list.error().message, Catch::Contains("'items'"));
  CHECK_THAT(not_list.error().message, Catch::Contains("not a list"));

  // A missing (or null) list is an empty page.
  for (const std::string& empty : {std::string(R"({"other": 1})"), std::string(R"({"items": null})")}) {
    set(empty);
    auto reader = rig.Reader();
    auto page = reader->Next();
    REQUIRE(page.ok());
    CHECK(page->events.empty());
    CHECK(page->last);
  }
}

TEST_CASE("stream reader: a page repeating its token with no records ends the read", "[poll]") {
  Rig rig([](const fakes::Request& r) {
    if (!Query(r).count("cursor")) return Json(json::object{{"items", Records(1, 3)}, {"next", "same"}});
    return Json(json::object{{"items", json::array()}, {"next", "same"}});
  });
  rig.stream().records = "items";
  rig.stream().pagination.type = PaginationKind::kCursor;
  rig.stream().pagination.param = "cursor";
  rig.stream().pagination.cursor_path = "next";
  auto reader = rig.Reader();
  auto pages = rig.ReadAll(*reader);
  CHECK(pages.size() == 2);
  CHECK(rig.api.request_count() == 2);
}

}  // namespace
}  // namespace journeyd::poll
