#include "daemon/routes/session.h"

#include <catch2/catch.hpp>

#include "daemon/routes/auth.h"

namespace journeyd::routes {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using std::chrono::system_clock;

config::Config Tokens(std::string admin, std::string read) {
  config::Config c;
  c.server.admin_token = Secret(std::move(admin));
  c.server.read_token = Secret(std::move(read));
  return c;
}

const system_clock::time_point kNow{seconds(1'800'000'000)};

TEST_CASE("a session cookie carries its role and expires after the session lifetime",
          "[session]") {
  const auto config = Tokens("admin-token-1", "read-token-1");
  const std::string admin = IssueSessionCookie(config, Role::kAdmin, kNow);
  const std::string read = IssueSessionCookie(config, Role::kRead, kNow);
  REQUIRE(!admin.empty());
  REQUIRE(admin != read);

  auto a = VerifySessionCookie(config, admin, kNow + hours(1));
  REQUIRE(a);
  CHECK(a->role == Role::kAdmin);
  CHECK(a->expires_at == kNow + kSessionLifetime);
  CHECK(a->csrf_token.size() == 64);
  auto r = VerifySessionCookie(config, read, kNow);
  REQUIRE(r);
  CHECK(r->role == Role::kRead);
  CHECK(r->csrf_token != a->csrf_token);

  CHECK_FALSE(VerifySessionCookie(config, admin, kNow + kSessionLifetime));
  // Two sessions of one role have different CSRF tokens.
  const std::string admin2 = IssueSessionCookie(config, Role::kAdmin, kNow);
  CHECK(VerifySessionCookie(config, admin2, kNow)->csrf_token != a->csrf_token);
}

TEST_CASE("a forged, altered or orphaned session cookie is refused", "[session]") {
  const auto config = Tokens("admin-token-1", "read-token-1");
  const std::string read = IssueSessionCookie(config, Role::kRead, kNow);

  // Promoting a read session to admin breaks its MAC.
  std::string promoted = read;
  promoted[3] = 'a';
  CHECK_FALSE(VerifySessionCookie(config, promoted, kNow));
  // So does pushing the expiry out.
  std::string later = read;
  later[5] = later[5] == '9' ? '8' : '9';
  CHECK_FALSE(VerifySessionCookie(config, later, kNow));
  std::string bad_mac = read;
  bad_mac.back() = bad_mac.back() == '0' ? '1' : '0';
  CHECK_FALSE(VerifySessionCookie(config, bad_mac, kNow));
  for (std::string_view junk : {"", "v1", "v1.a.1.2", "v2.a.1.2.3", "v1.x.1.2.3", "v1.a.nan.2.3"}) {
    CHECK_FALSE(VerifySessionCookie(config, junk, kNow));
  }
  // Rotating the token ends the sessions it started.
  CHECK_FALSE(VerifySessionCookie(Tokens("admin-token-1", "read-token-2"), read, kNow));
  CHECK(VerifySessionCookie(Tokens("admin-token-2", "read-token-1"), read, kNow));
  // No session for a role without a token.
  CHECK(IssueSessionCookie(Tokens("admin-token-1", ""), Role::kRead, kNow).empty());
}

TEST_CASE("cookies are found in a Cookie header and set HttpOnly, SameSite=Strict", "[session]") {
  CHECK(CookieValue("a=1; journeyd_session=v1.x; b=2", kSessionCookie) == "v1.x");
  CHECK(CookieValue("journeyd_session=abc", kSessionCookie) == "abc");
  CHECK(CookieValue("xjourneyd_session=abc", kSessionCookie) == std::nullopt);
  CHECK(CookieValue("", kSessionCookie) == std::nullopt);
  CHECK(SessionSetCookie("abc") ==
        "journeyd_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200");
  CHECK(SessionSetCookie("") == "journeyd_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

TEST_CASE("a session authenticates reads, and writes only with its CSRF token", "[session]") {
  const auto config = Tokens("admin-token-1", "read-token-1");
  const std::string cookie = IssueSessionCookie(config, Role::kAdmin, system_clock::now());
  server::HttpRequest request{server::http::verb::post, "/api/v1/dlq/replay", 11};
  request.set(server::http::field::cookie, "journeyd_session=" + cookie);
  int status = 0;
  const server::Respond respond = [&](server::HttpResponse r) { status = r.result_int(); };

  CHECK(Identify(request, config).role == Role::kAdmin);
  CHECK_FALSE(Authorize(request, config, Role::kAdmin, respond));
  CHECK(status == 403);
  request.set(kCsrfHeader, "0000");
  CHECK_FALSE(Authorize(request, config, Role::kAdmin, respond));
  request.set(kCsrfHeader, Identify(request, config).session->csrf_token);
  status = 0;
  CHECK(Authorize(request, config, Role::kAdmin, respond));
  CHECK(status == 0);

  // A GET needs no CSRF token; a wrong bearer token is not rescued by a valid cookie.
  request.method(server::http::verb::get);
  request.erase(kCsrfHeader);
  CHECK(Authorize(request, config, Role::kRead, respond));
  request.set(server::http::field::authorization, "Bearer wrong");
  CHECK_FALSE(Authorize(request, config, Role::kRead, respond));
  CHECK(status == 401);
}

}  // namespace
}  // namespace journeyd::routes
