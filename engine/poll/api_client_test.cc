#include "engine/poll/api_client.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/fakes/fake_http_server.h"
#include "tests/fakes/recording_api.h"
#include "tests/fakes/fake_util.h"

namespace journeyd::poll {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using std::chrono::system_clock;

// "Sun, 01 Mar 2026 10:00:00 GMT", worked out with `date -u -d ... +%s`.
const system_clock::time_point kMarch1 = system_clock::time_point(1772359200s);

TEST_CASE("api client: ParseRetryAfter reads delay-seconds, fractions and HTTP dates", "[poll]") {
  const auto now = kMarch1 - 10s;
  CHECK(ParseRetryAfter("2", now) == milliseconds(2000));
  CHECK(ParseRetryAfter("2.0", now) == milliseconds(2000));
  CHECK(ParseRetryAfter("0.5", now) == milliseconds(500));  // Shopify's fractional seconds
  CHECK(ParseRetryAfter("0", now) == milliseconds(0));
  CHECK(ParseRetryAfter("  3 ", now) == milliseconds(3000));
  CHECK(ParseRetryAfter("120", now) == milliseconds(120000));

  // An HTTP-date is a delay from `now`; one in the past means "now".
  CHECK(ParseRetryAfter("Sun, 01 Mar 2026 10:00:00 GMT", now) == milliseconds(10000));
  CHECK(ParseRetryAfter("Sun, 01 Mar 2026 10:00:00 GMT", kMarch1 - 90s) == milliseconds(90000));
  CHECK(ParseRetryAfter("Sun, 01 Mar 2026 10:00:00 GMT", kMarch1 + 1h) == milliseconds(0));

  // Absent or unreadable.
  CHECK_FALSE(ParseRetryAfter("", now).has_value());
  CHECK_FALSE(ParseRetryAfter("   ", now).has_value());
  CHECK_FALSE(ParseRetryAfter("soon", now).has_value());
  CHECK_FALSE(ParseRetryAfter("2s", now).has_value());
  CHECK_FALSE(ParseRetryAfter("2026-03-01T10:00:00Z", now).has_value());
  CHECK_FALSE(ParseRetryAfter("Sun, 01 Mar 2026 25:00:00 GMT", now).has_value());
  // Negative delays, and absurd ones (more than a week), are not honoured.
  CHECK_FALSE(ParseRetryAfter("-1", now).has_value());
  CHECK_FALSE(ParseRetryAfter("-0.5", now).has_value());
  CHECK_FALSE(ParseRetryAfter("1e12", now).has_value());
  CHECK_FALSE(ParseRetryAfter("nan", now).has_value());
}

using FakeApi = fakes::RecordingApi;

fakes::Response Ok() { return fakes::Response(200, R"({"items":[]})"); }

PollSettings Settings() {
  PollSettings settings;
  settings.rate_limit.requests_per_second = 0;
  settings.rate_limit.max_retries = 3;
  settings.rate_limit.max_wait = 5s;
  return settings;
}

delivery::HttpRequest Get(const FakeApi& api, const std::string& target = "/v1/things?limit=5") {
  delivery::HttpRequest request;
  request.method = "GET";
  request.url = api.url(target);
  request.headers.emplace_back("Accept", "application/json");
  return request;
}

struct Sent {
  Result<delivery::HttpResponse> response;
  milliseconds took;
  ApiClientStats stats;
};

Sent SendOnce(const PollSettings& settings, const delivery::HttpRequest& request,
              RunControl* control = nullptr) {
  static const SystemClock clock;
  RunControl own;
  ApiClient client(settings, clock, control != nullptr ? *control : own);
  const auto start = steady_clock::now();
  auto response = client.Send(request);
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  return Sent{std::move(response), took, client.stats()};
}

TEST_CASE("api client: adds each kind of authentication", "[poll]") {
  FakeApi api([](const fakes::Request&) { return Ok(); });

  SECTION("none") {
    PollSettings settings = Settings();
    auto sent = SendOnce(settings, Get(api));
    REQUIRE(sent.response.ok());
    CHECK(sent.response->status == 200);
    CHECK(sent.response->body == R"({"items":[]})");
    REQUIRE(api.requests().size() == 1);
    CHECK(api.requests()[0].header("authorization").empty());
    CHECK(api.requests()[0].target == "/v1/things?limit=5");
    CHECK(api.requests()[0].header("accept") == "application/json");
  }

  SECTION("bearer") {
    PollSettings settings = Settings();
    settings.auth.type = AuthKind::kBearer;
    settings.auth.token = Secret("sk_test_bearer_123");
    REQUIRE(SendOnce(settings, Get(api)).response.ok());
    REQUIRE(api.requests().size() == 1);
    CHECK(api.requests()[0].header("authorization") == "Bearer sk_test_bearer_123");
  }

  SECTION("basic with username and password") {
    PollSettings settings = Settings();
    settings.auth.type = AuthKind::kBasic;
    settings.auth.username = "Aladdin";
    settings.auth.password = Secret("open sesame");
    REQUIRE(SendOnce(settings, Get(api)).response.ok());
    REQUIRE(api.requests().size() == 1);
    // RFC 7617's own example.
    CHECK(api.requests()[0].header("authorization") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  }

  SECTION("basic with token user:pass") {
    PollSettings settings = Settings();
    settings.auth.type = AuthKind::kBasic;
    settings.auth.token = Secret("user:pass");
    REQUIRE(SendOnce(settings, Get(api)).response.ok());
    REQUIRE(api.requests().size() == 1);
    CHECK(api.requests()[0].header("authorization") == "Basic dXNlcjpwYXNz");
  }

  SECTION("header") {
    PollSettings settings = Settings();
    settings.auth.type = AuthKind::kHeader;
    settings.auth.name = "X-Shopify-Access-Token";
    settings.auth.token = Secret("shpat_abc");
    REQUIRE(SendOnce(settings, Get(api)).response.ok());
    REQUIRE(api.requests().size() == 1);
    CHECK(api.requests()[0].header("x-shopify-access-token") == "shpat_abc");
    CHECK(api.requests()[0].header("authorization").empty());
  }

  SECTION("query") {
    PollSettings settings = Settings();
    settings.auth.type = AuthKind::kQuery;
    settings.auth.name = "api_key";
    settings.auth.token = Secret("k3y-s3cr3t");
    REQUIRE(SendOnce(settings, Get(api)).response.ok());
    REQUIRE(api.requests().size() == 1);
    const auto requests = api.requests();
    const fakes::Request& r = requests[0];
    INFO("sent " << r.target);
    CHECK(r.path == "/v1/things");
    // The request's own parameters stay; the key is added.
    const auto fields = fakes::ParseForm(r.query);
    CHECK(fields == std::vector<std::pair<std::string, std::string>>{{"limit", "5"},
                                                                     {"api_key", "k3y-s3cr3t"}});
    CHECK(r.header("authorization").empty());
  }
}

TEST_CASE("api client: an API key in the query never appears in an error", "[poll]") {
  FakeApi api([](const fakes::Request&) { return fakes::Response(404, R"({"error":"no such list"})"); });
  PollSettings settings = Settings();
  settings.auth.type = AuthKind::kQuery;
  settings.auth.name = "apikey";
  settings.auth.token = Secret("very-secret-key-42");
  auto sent = SendOnce(settings, Get(api, "/3.0/lists/x/members?count=5"));
  REQUIRE_FALSE(sent.response.ok());
  CHECK(sent.response.error().code == ErrorCode::kNotFound);
  // It was sent...
  REQUIRE(api.requests().size() == 1);
  CHECK_THAT(api.requests()[0].query, Catch::Contains("apikey=very-secret-key-42"));
  // ...but the error names the path and status only.
  const std::string& message = sent.response.error().message;
  CHECK_THAT(message, Catch::Contains("/3.0/lists/x/members"));
  CHECK_THAT(message, Catch::Contains("404"));
  CHECK_THAT(message, Catch::Contains("no such list"));
  CHECK_THAT(message, !Catch::Contains("very-secret-key-42"));
  CHECK_THAT(message, !Catch::Contains("apikey"));
}

// An API that echoes the request it refused ("invalid request GET /x?apikey=...") must not put
// the key into the error message, which ends up in sync_runs.detail and the logs.
TEST_CASE("api client: a credential echoed in an error body is not quoted", "[poll]") {
  FakeApi api([](const fakes::Request& request) {
    return fakes::Response(400, R"({"error":"bad request )" + request.target + R"("})");
  });
  PollSettings settings = Settings();
  settings.auth.type = AuthKind::kQuery;
  settings.auth.name = "apikey";
  settings.auth.token = Secret("very-secret-key-42");
  auto sent = SendOnce(settings, Get(api, "/v1/things"));
  REQUIRE_FALSE(sent.response.ok());
  CHECK(sent.response.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(sent.response.error().message, !Catch::Contains("very-secret-key-42"));
}

TEST_CASE("api client: 429 with Retry-After is waited out and retried", "[poll]") {
  std::atomic<int> calls{0};
  FakeApi api([&](const fakes::Request&) {
    if (calls++ == 0) {
      fakes::Response limited(429, R"({"errors":"Exceeded 2 calls per second"})");
      limited.headers.emplace_back("Retry-After", "1");
      return limited;
    }
    return Ok();
  });
  PollSettings settings = Settings();
  settings.rate_limit.max_wait = 5s;
  auto sent = SendOnce(settings, Get(api));
  REQUIRE(sent.response.ok());
  CHECK(sent.response->status == 200);
  CHECK(api.requests().size() == 2);
  CHECK(sent.took >= 950ms);
  CHECK(sent.took < 4s);
  CHECK(sent.stats.requests == 2);
  CHECK(sent.stats.retries == 1);
  CHECK(sent.stats.rate_limited == 1);
  CHECK(sent.stats.waited >= 1000ms);
}

TEST_CASE("api client: a Retry-After beyond max_wait ends the request at once", "[poll]") {
  FakeApi api([](const fakes::Request&) {
    fakes::Response limited(429, "{}");
    limited.headers.emplace_back("Retry-After", "120");
    return limited;
  });
  PollSettings settings = Settings();
  settings.rate_limit.max_wait = 5s;
  auto sent = SendOnce(settings, Get(api));
  REQUIRE_FALSE(sent.response.ok());
  CHECK(sent.response.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(sent.response.error().message, Catch::Contains("max_wait"));
  CHECK_THAT(sent.response.error().message, Catch::Contains("429"));
  CHECK(sent.took < 2s);
  CHECK(api.requests().size() == 1);
  CHECK(sent.stats.retries == 0);
  CHECK(sent.stats.rate_limited == 1);
}

TEST_CASE("api client: 503 is retried up to max_retries, then given up", "[poll]") {
  FakeApi api([](const fakes::Request&) {
    fakes::Response down(503, "Service Unavailable");
    down.headers.emplace_back("Retry-After", "0");  // no need to wait in a test
    return down;
  });
  PollSettings settings = Settings();
  settings.rate_limit.max_retries = 2;
  auto sent = SendOnce(settings, Get(api));
  REQUIRE_FALSE(sent.response.ok());
  CHECK(sent.response.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(sent.response.error().message, Catch::Contains("gave up after 3 attempts"));
  CHECK_THAT(sent.response.error().message, Catch::Contains("503"));
  CHECK(api.requests().size() == 3);
  CHECK(sent.stats.retries == 2);
  CHECK(sent.took < 2s);
}

TEST_CASE("api client: a 500 without Retry-After backs off, then succeeds", "[poll]") {
  std::atomic<int> calls{0};
  FakeApi api([&](const fakes::Request&) {
    return calls++ == 0 ? fakes::Response(500, "oops") : Ok();
  });
  PollSettings settings = Settings();
  settings.rate_limit.max_retries = 1;
  auto sent = SendOnce(settings, Get(api));
  REQUIRE(sent.response.ok());
  CHECK(api.requests().size() == 2);
  // The first backoff is 1 s plus up to 25% jitter.
  CHECK(sent.took >= 950ms);
  CHECK(sent.took < 3s);
}

TEST_CASE("api client: max_retries 0 gives up after one attempt", "[poll]") {
  FakeApi api([](const fakes::Request&) { return fakes::Response(502, "bad gateway"); });
  PollSettings settings = Settings();
  settings.rate_limit.max_retries = 0;
  auto sent = SendOnce(settings, Get(api));
  REQUIRE_FALSE(sent.response.ok());
  CHECK(sent.response.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(sent.response.error().message, Catch::Contains("gave up after 1 attempts"));
  CHECK(api.requests().size() == 1);
}

TEST_CASE("api client: other 4xx are not retried", "[poll]") {
  FakeApi api([](const fakes::Request& r) {
    if (r.path == "/missing") return fakes::Response(404, R"({"error":"not found"})");
    if (r.path == "/bad") return fakes::Response(400, "line one\nline two");
    if (r.path == "/denied") return fakes::Response(401, R"({"error":"invalid token"})");
    return fakes::Response(403, R"({"error":"missing scope read_orders"})");
  });
  PollSettings settings = Settings();
  settings.auth.type = AuthKind::kBearer;
  settings.auth.token = Secret("tok_secret_value");

  auto missing = SendOnce(settings, Get(api, "/missing"));
  REQUIRE_FALSE(missing.response.ok());
  CHECK(missing.response.error().code == ErrorCode::kNotFound);
  CHECK_THAT(missing.response.error().message, Catch::Contains("GET"));
  CHECK_THAT(missing.response.error().message, Catch::Contains("/missing"));
  CHECK_THAT(missing.response.error().message, Catch::Contains("404"));
  CHECK(api.count("/missing") == 1);

  auto bad = SendOnce(settings, Get(api, "/bad"));
  REQUIRE_FALSE(bad.response.ok());
  CHECK(bad.response.error().code == ErrorCode::kInvalidArgument);
  // The body is quoted on one line.
  CHECK_THAT(bad.response.error().message, Catch::Contains("line one line two"));
  CHECK(api.count("/bad") == 1);

  auto denied = SendOnce(settings, Get(api, "/denied"));
  REQUIRE_FALSE(denied.response.ok());
  CHECK(denied.response.error().code == ErrorCode::kUnauthenticated);
  CHECK_THAT(denied.response.error().message, Catch::Contains("401"));
  CHECK_THAT(denied.response.error().message, Catch::Contains("credentials"));
  CHECK_THAT(denied.response.error().message, !Catch::Contains("tok_secret_value"));
  CHECK(api.count("/denied") == 1);

  auto forbidden = SendOnce(settings, Get(api, "/forbidden"));
  REQUIRE_FALSE(forbidden.response.ok());
  CHECK(forbidden.response.error().code == ErrorCode::kUnauthenticated);
  CHECK_THAT(forbidden.response.error().message, Catch::Contains("403"));
  CHECK(api.count("/forbidden") == 1);
}

TEST_CASE("api client: a network failure is retried, then reported", "[poll]") {
  // A port nothing listens on: bind a server, note its port, and let it go.
  std::string url;
  {
    FakeApi gone([](const fakes::Request&) { return Ok(); });
    url = gone.url("/v1/things");
  }
  PollSettings settings = Settings();
  settings.rate_limit.max_retries = 0;
  settings.auth.type = AuthKind::kQuery;
  settings.auth.name = "key";
  settings.auth.token = Secret("net-secret-key");
  delivery::HttpRequest request;
  request.method = "GET";
  request.url = url;
  auto sent = SendOnce(settings, request);
  REQUIRE_FALSE(sent.response.ok());
  CHECK(sent.response.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(sent.response.error().message, Catch::Contains("/v1/things"));
  CHECK_THAT(sent.response.error().message, Catch::Contains("gave up after 1 attempts"));
  CHECK_THAT(sent.response.error().message, !Catch::Contains("net-secret-key"));
  CHECK(sent.stats.requests == 1);
}

TEST_CASE("api client: OAuth2 fetches a token and refetches it once after a 401", "[poll]") {
  std::mutex mu;
  int issued = 0;
  std::set<std::string> valid;  // access tokens the API accepts
  bool accept_new = true;       // whether a freshly issued token is accepted
  std::vector<std::string> grants;
  FakeApi api([&](const fakes::Request& r) {
    std::lock_guard lock(mu);
    if (r.path == "/oauth/token") {
      if (r.method != "POST") return fakes::Response(405, "{}");
      for (const auto& [key, value] : fakes::ParseForm(r.body)) {
        if (key == "grant_type") grants.push_back(value);
      }
      if (r.header("authorization") != "Basic " + fakes::Base64Encode("cid:csecret")) {
        return fakes::Response(401, R"({"error":"invalid_client"})");
      }
      const std::string token = "at-" + std::to_string(++issued);
      if (accept_new) valid.insert(token);
      return fakes::Response(
          200, R"({"access_token":")" + token + R"(","token_type":"Bearer","expires_in":3600})");
    }
    const std::string auth = r.header("authorization");
    if (auth.rfind("Bearer ", 0) != 0 || valid.count(auth.substr(7)) == 0) {
      return fakes::Response(401, R"({"error":"invalid_token"})");
    }
    return Ok();
  });

  PollSettings settings = Settings();
  settings.auth.type = AuthKind::kOAuth2;
  settings.auth.grant = OAuth2Grant::kClientCredentials;
  settings.auth.token_url = api.url("/oauth/token");
  settings.auth.client_id = "cid";
  settings.auth.client_secret = Secret("csecret");

  const SystemClock clock;
  RunControl control;
  ApiClient client(settings, clock, control);

  // The first request fetches a token; the second reuses it.
  REQUIRE(client.Send(Get(api, "/data")).ok());
  REQUIRE(client.Send(Get(api, "/data")).ok());
  CHECK(api.count("/oauth/token") == 1);
  CHECK(api.count("/data") == 2);
  {
    std::lock_guard lock(mu);
    CHECK(grants == std::vector<std::string>{"client_credentials"});
  }

  // The API revokes at-1: the next request is answered 401, the client forgets the token,
  // fetches at-2 and sends the request again with it.
  {
    std::lock_guard lock(mu);
    valid.erase("at-1");
  }
  auto after_revoke = client.Send(Get(api, "/data"));
  REQUIRE(after_revoke.ok());
  CHECK(api.count("/oauth/token") == 2);
  CHECK(api.count("/data") == 4);
  const auto requests = api.requests();
  REQUIRE(requests.size() == 6);
  CHECK(requests[3].header("authorization") == "Bearer at-1");
  CHECK(requests[4].path == "/oauth/token");
  CHECK(requests[5].header("authorization") == "Bearer at-2");

  // When a fresh token is refused too, the client gives up after that one retry.
  {
    std::lock_guard lock(mu);
    valid.clear();
    accept_new = false;
  }
  auto refused = client.Send(Get(api, "/data"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kUnauthenticated);
  CHECK(api.count("/oauth/token") == 3);
  CHECK(api.count("/data") == 6);
  CHECK_THAT(refused.error().message, !Catch::Contains("csecret"));
}

TEST_CASE("api client: a refused OAuth2 grant fails the request without calling the API",
          "[poll]") {
  FakeApi api([](const fakes::Request& r) {
    if (r.path == "/oauth/token") {
      return fakes::Response(400, R"({"error":"invalid_grant","error_description":"revoked"})");
    }
    return Ok();
  });
  PollSettings settings = Settings();
  settings.auth.type = AuthKind::kOAuth2;
  settings.auth.grant = OAuth2Grant::kRefreshToken;
  settings.auth.token_url = api.url("/oauth/token");
  settings.auth.client_id = "cid";
  settings.auth.client_secret = Secret("csecret");
  settings.auth.refresh_token = Secret("rt-secret");
  auto sent = SendOnce(settings, Get(api, "/data"));
  REQUIRE_FALSE(sent.response.ok());
  CHECK(sent.response.error().code == ErrorCode::kUnauthenticated);
  CHECK_THAT(sent.response.error().message, Catch::Contains("invalid_grant"));
  CHECK_THAT(sent.response.error().message, !Catch::Contains("rt-secret"));
  CHECK(api.count("/data") == 0);
}

TEST_CASE("api client: RequestStop ends a long Retry-After wait at once", "[poll]") {
  FakeApi api([](const fakes::Request&) {
    fakes::Response limited(429, "{}");
    limited.headers.emplace_back("Retry-After", "30");
    return limited;
  });
  PollSettings settings = Settings();
  settings.rate_limit.max_wait = 5min;
  RunControl control;
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    control.RequestStop();
  });
  auto sent = SendOnce(settings, Get(api), &control);
  stopper.join();
  REQUIRE_FALSE(sent.response.ok());
  CHECK(sent.response.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(sent.response.error().message, Catch::Contains("stopped"));
  CHECK(sent.took >= 250ms);
  CHECK(sent.took < 5s);
  CHECK(api.requests().size() == 1);

  // Once stopped, nothing more is sent.
  auto again = SendOnce(settings, Get(api), &control);
  REQUIRE_FALSE(again.response.ok());
  CHECK(again.response.error().code == ErrorCode::kUnavailable);
  CHECK(api.requests().size() == 1);
}

TEST_CASE("api client: paces requests to requests_per_second and a bucket header", "[poll]") {
  SECTION("a fixed rate") {
    FakeApi api([](const fakes::Request&) { return Ok(); });
    PollSettings settings = Settings();
    settings.rate_limit.requests_per_second = 10;  // 100 ms apart
    const SystemClock clock;
    RunControl control;
    ApiClient client(settings, clock, control);
    const auto start = steady_clock::now();
    for (int i = 0; i < 4; ++i) REQUIRE(client.Send(Get(api)).ok());
    CHECK(steady_clock::now() - start >= 280ms);
    CHECK(client.stats().requests == 4);
    CHECK(client.stats().waited > 0ms);
  }

  SECTION("a leaky bucket nearly full") {
    std::atomic<int> calls{0};
    FakeApi api([&](const fakes::Request&) {
      fakes::Response ok = Ok();
      // 38 of 40 used: 6 above 80%; at 20 per second that is 300 ms to drain.
      ok.headers.emplace_back("X-Shopify-Shop-Api-Call-Limit", calls++ == 0 ? "38/40" : "1/40");
      return ok;
    });
    PollSettings settings = Settings();
    settings.rate_limit.bucket_header = "X-Shopify-Shop-Api-Call-Limit";
    settings.rate_limit.bucket_leak_per_second = 20;
    const SystemClock clock;
    RunControl control;
    ApiClient client(settings, clock, control);
    REQUIRE(client.Send(Get(api)).ok());
    const auto start = steady_clock::now();
    REQUIRE(client.Send(Get(api)).ok());
    CHECK(steady_clock::now() - start >= 280ms);
    // Once the bucket reads low again, no more pauses.
    const auto third = steady_clock::now();
    REQUIRE(client.Send(Get(api)).ok());
    CHECK(steady_clock::now() - third < 250ms);
  }
}

}  // namespace
}  // namespace journeyd::poll
