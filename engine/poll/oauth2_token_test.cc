#include "engine/poll/oauth2_token.h"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/delivery/http_transport.h"
#include "tests/fakes/fake_http_server.h"
#include "tests/fakes/fake_util.h"

namespace journeyd::poll {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr char kClientId[] = "journeyd client";
constexpr char kClientSecret[] = "p@ss:word/+~";
// RFC 6749 2.3.1: base64("journeyd+client:p%40ss%3Aword%2F%2B~"), worked out by hand so the
// test does not share an encoder with the code.
constexpr char kBasic[] = "Basic am91cm5leWQrY2xpZW50OnAlNDBzcyUzQXdvcmQlMkYlMkJ+";
constexpr char kPath[] = "/oauth/token";

fakes::Response OAuthError(int status, const std::string& error, const std::string& description) {
  return fakes::Response(
      status, json::serialize(json::object{{"error", error}, {"error_description", description}}));
}

std::optional<std::string> Field(const std::vector<std::pair<std::string, std::string>>& fields,
                                 const std::string& name) {
  for (const auto& [key, value] : fields) {
    if (key == name) return value;
  }
  return std::nullopt;
}

// A token endpoint that enforces RFC 6749 (sections 2.3.1, 3.2, 4.4, 6) and issues numbered
// tokens: at-1, at-2, ... Its refresh token is `refresh_token`; with `rotate`, each refresh
// answers a new one and revokes the old.
class TokenServer {
 public:
  TokenServer()
      : server_(std::make_unique<fakes::FakeHttpServer>(
            [this](const fakes::Request& request) { return Handle(request); },
            [](int status) { return OAuthError(status, "temporarily_unavailable", "fault"); })) {}

  std::string url() const { return server_->base_url() + kPath; }
  fakes::FakeHttpServer& server() { return *server_; }

  std::vector<fakes::Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::string refresh_token() const {
    std::lock_guard lock(mu_);
    return refresh_token_;
  }

  // Settings, changed between requests only.
  void set_refresh_token(std::string token) {
    std::lock_guard lock(mu_);
    refresh_token_ = std::move(token);
  }
  void set_rotate(bool rotate) {
    std::lock_guard lock(mu_);
    rotate_ = rotate;
  }
  void set_credentials_in_body(bool in_body) {
    std::lock_guard lock(mu_);
    credentials_in_body_ = in_body;
  }
  // Replaces the success answer of a valid request (the request is still checked).
  void set_answer(std::function<fakes::Response()> answer) {
    std::lock_guard lock(mu_);
    answer_ = std::move(answer);
  }

 private:
  fakes::Response Handle(const fakes::Request& request) {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (request.method != "POST") return OAuthError(405, "invalid_request", "POST only");
    if (request.path != kPath) return fakes::Response(404, "{}");
    if (request.header("content-type").rfind("application/x-www-form-urlencoded", 0) != 0) {
      return OAuthError(400, "invalid_request", "form body required");
    }
    const auto fields = fakes::ParseForm(request.body);
    for (size_t i = 0; i < fields.size(); ++i) {
      for (size_t j = i + 1; j < fields.size(); ++j) {
        if (fields[i].first == fields[j].first) {
          return OAuthError(400, "invalid_request", "repeated parameter " + fields[i].first);
        }
      }
    }

    // Client authentication: exactly one method, the one this server is set up for.
    const std::string authorization = request.header("authorization");
    const bool body_credentials = Field(fields, "client_id") || Field(fields, "client_secret");
    if (!authorization.empty() && body_credentials) {
      return OAuthError(400, "invalid_request", "more than one authentication method");
    }
    const bool client_ok =
        credentials_in_body_
            ? Field(fields, "client_id") == kClientId && Field(fields, "client_secret") ==
                                                             kClientSecret
            : authorization == kBasic;
    if (!client_ok) {
      fakes::Response refused = OAuthError(401, "invalid_client", "client authentication failed");
      refused.headers.emplace_back("WWW-Authenticate", "Basic realm=\"token\"");
      return refused;
    }

    const std::optional<std::string> grant = Field(fields, "grant_type");
    std::optional<std::string> rotated;
    if (grant == "refresh_token") {
      if (Field(fields, "refresh_token") != refresh_token_) {
        return OAuthError(400, "invalid_grant", "Token has been expired or revoked.");
      }
      if (rotate_) rotated = refresh_token_ = "rt-" + std::to_string(++rotations_ + 1);
    } else if (grant != "client_credentials") {
      return OAuthError(400, "unsupported_grant_type", "unknown grant");
    }

    if (answer_) return answer_();
    json::object token{{"access_token", "at-" + std::to_string(++issued_)},
                       {"token_type", "Bearer"},
                       {"expires_in", 3600}};
    if (rotated) token["refresh_token"] = *rotated;
    return fakes::Response(200, json::serialize(token));
  }

  mutable std::mutex mu_;
  std::vector<fakes::Request> requests_;
  std::string refresh_token_ = "rt-1";
  bool rotate_ = false;
  bool credentials_in_body_ = false;
  int issued_ = 0;
  int rotations_ = 0;
  std::function<fakes::Response()> answer_;
  std::unique_ptr<fakes::FakeHttpServer> server_;  // last: stops before the state it uses goes
};

// Short timeouts: everything is on loopback, and a hang should fail the test, not stall it.
delivery::TransportOptions QuickTransport() {
  delivery::TransportOptions options;
  options.connect_timeout = 2000ms;
  options.timeout = 5000ms;
  return options;
}

struct Rig {
  Rig() {
    settings.token_url = server.url();
    settings.client_id = kClientId;
    settings.client_secret = Secret(kClientSecret);
  }

  // A fresh OAuth2Token with the current settings.
  OAuth2Token Token() const { return OAuth2Token(settings, clock); }

  TokenServer server;
  ManualClock clock{std::chrono::system_clock::time_point(1'800'000'000s)};
  OAuth2Settings settings;
  delivery::HttpTransport transport{QuickTransport()};
};

void RequireToken(Result<std::string> token, const std::string& expected) {
  INFO((token.ok() ? "" : token.error().ToString()));
  REQUIRE(token.ok());
  CHECK(*token == expected);
}

TEST_CASE("OAuth2Token: client credentials, RFC-conformant and cached", "[oauth2]") {
  Rig rig;
  rig.settings.scopes = {"contacts.read", "orders.read"};
  OAuth2Token token = rig.Token();
  RequireToken(token.AccessToken(rig.transport), "at-1");
  RequireToken(token.AccessToken(rig.transport), "at-1");
  CHECK(rig.server.server().RequestCount() == 1);

  const auto requests = rig.server.requests();
  REQUIRE(requests.size() == 1);
  const fakes::Request& request = requests[0];
  CHECK(request.method == "POST");
  CHECK(request.header("content-type") == "application/x-www-form-urlencoded");
  CHECK(request.header("authorization") == kBasic);
  const auto fields = fakes::ParseForm(request.body);
  CHECK(Field(fields, "grant_type") == "client_credentials");
  CHECK(Field(fields, "scope") == "contacts.read orders.read");
  CHECK_FALSE(Field(fields, "client_secret"));
  CHECK_FALSE(Field(fields, "refresh_token"));
}

TEST_CASE("OAuth2Token renews the token a minute before it expires", "[oauth2]") {
  Rig rig;
  OAuth2Token token = rig.Token();
  RequireToken(token.AccessToken(rig.transport), "at-1");  // expires_in 3600
  rig.clock.Advance(3539s);  // 61 s left
  RequireToken(token.AccessToken(rig.transport), "at-1");
  CHECK(rig.server.server().RequestCount() == 1);
  rig.clock.Advance(2s);  // 59 s left
  RequireToken(token.AccessToken(rig.transport), "at-2");
  CHECK(rig.server.server().RequestCount() == 2);
  rig.clock.Advance(3000s);  // the new token counts from its own fetch
  RequireToken(token.AccessToken(rig.transport), "at-2");
  CHECK(rig.server.server().RequestCount() == 2);
}

TEST_CASE("OAuth2Token reads expires_in as a string, token_type in any case, or neither",
          "[oauth2]") {
  Rig rig;
  rig.server.set_answer([] {
    return fakes::Response(200, R"({"access_token":"short","token_type":"bearer",
                                    "expires_in":"120"})");
  });
  OAuth2Token token = rig.Token();
  RequireToken(token.AccessToken(rig.transport), "short");
  rig.clock.Advance(59s);  // 61 s left
  RequireToken(token.AccessToken(rig.transport), "short");
  CHECK(rig.server.server().RequestCount() == 1);
  rig.clock.Advance(2s);
  RequireToken(token.AccessToken(rig.transport), "short");
  CHECK(rig.server.server().RequestCount() == 2);

  // Without expires_in (and token_type) a token is kept until Invalidate.
  rig.server.set_answer([] { return fakes::Response(200, R"({"access_token":"forever"})"); });
  OAuth2Token lasting = rig.Token();
  RequireToken(lasting.AccessToken(rig.transport), "forever");
  rig.clock.Advance(24h * 365);
  RequireToken(lasting.AccessToken(rig.transport), "forever");
  CHECK(rig.server.server().RequestCount() == 3);
}

TEST_CASE("OAuth2Token::Invalidate makes the next call fetch a new token", "[oauth2]") {
  Rig rig;
  OAuth2Token token = rig.Token();
  RequireToken(token.AccessToken(rig.transport), "at-1");
  token.Invalidate();  // the API answered 401
  RequireToken(token.AccessToken(rig.transport), "at-2");
  RequireToken(token.AccessToken(rig.transport), "at-2");
  CHECK(rig.server.server().RequestCount() == 2);
}

TEST_CASE("OAuth2Token trades the refresh token and follows its rotation", "[oauth2]") {
  Rig rig;
  rig.server.set_rotate(true);
  rig.settings.grant = OAuth2Grant::kRefreshToken;
  rig.settings.refresh_token = Secret("rt-1");
  OAuth2Token token = rig.Token();
  RequireToken(token.AccessToken(rig.transport), "at-1");
  CHECK(rig.server.refresh_token() == "rt-2");  // rt-1 is revoked now
  token.Invalidate();
  RequireToken(token.AccessToken(rig.transport), "at-2");
  token.Invalidate();
  RequireToken(token.AccessToken(rig.transport), "at-3");

  const auto requests = rig.server.requests();
  REQUIRE(requests.size() == 3);
  const char* sent[] = {"rt-1", "rt-2", "rt-3"};
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto fields = fakes::ParseForm(requests[i].body);
    CHECK(Field(fields, "grant_type") == "refresh_token");
    CHECK(Field(fields, "refresh_token") == sent[i]);
    CHECK(requests[i].header("authorization") == kBasic);
  }

  // A server that does not rotate leaves the refresh token as it was.
  rig.server.set_rotate(false);
  rig.server.set_refresh_token("rt-fixed");
  rig.settings.refresh_token = Secret("rt-fixed");
  OAuth2Token fixed = rig.Token();
  for (int i = 0; i < 3; ++i) {
    fixed.Invalidate();
    REQUIRE(fixed.AccessToken(rig.transport).ok());
  }
}

TEST_CASE("OAuth2Token: a refused grant is kUnauthenticated and names no credential",
          "[oauth2]") {
  Rig rig;
  rig.server.set_refresh_token("rt-current");
  rig.settings.grant = OAuth2Grant::kRefreshToken;
  rig.settings.refresh_token = Secret("rt-revoked-secret");
  OAuth2Token token = rig.Token();
  auto refused = token.AccessToken(rig.transport);
  REQUIRE_FALSE(refused.ok());
  const Error& error = refused.error();
  CHECK(error.code == ErrorCode::kUnauthenticated);
  CHECK(error.message.find("invalid_grant") != std::string::npos);
  CHECK(error.message.find("Token has been expired or revoked.") != std::string::npos);
  CHECK(error.message.find("rt-revoked-secret") == std::string::npos);
  CHECK(error.message.find(kClientSecret) == std::string::npos);

  // Even when the server quotes the credential back.
  rig.server.set_refresh_token("rt-revoked-secret");
  rig.server.set_answer([] {
    return OAuthError(400, "invalid_grant", "refresh token rt-revoked-secret was revoked");
  });
  auto echoed = token.AccessToken(rig.transport);
  REQUIRE_FALSE(echoed.ok());
  CHECK(echoed.error().code == ErrorCode::kUnauthenticated);
  CHECK(echoed.error().message.find("rt-revoked-secret") == std::string::npos);
  CHECK(echoed.error().message.find("was revoked") != std::string::npos);

  // A wrong client secret: 401 invalid_client.
  rig.settings.grant = OAuth2Grant::kClientCredentials;
  rig.settings.client_secret = Secret("wrong-secret");
  auto wrong_client = rig.Token().AccessToken(rig.transport);
  REQUIRE_FALSE(wrong_client.ok());
  CHECK(wrong_client.error().code == ErrorCode::kUnauthenticated);
  CHECK(wrong_client.error().message.find("invalid_client") != std::string::npos);
  CHECK(wrong_client.error().message.find("wrong-secret") == std::string::npos);
}

TEST_CASE("OAuth2Token: 503, 429 and a refused connection are kUnavailable", "[oauth2]") {
  Rig rig;
  OAuth2Token token = rig.Token();

  rig.server.server().FailNext(1, 503);
  auto outage = token.AccessToken(rig.transport);
  REQUIRE_FALSE(outage.ok());
  CHECK(outage.error().code == ErrorCode::kUnavailable);
  CHECK(outage.error().message.find("503") != std::string::npos);

  rig.server.set_answer([] { return fakes::Response(503, "<html>Service Unavailable</html>"); });
  auto html = token.AccessToken(rig.transport);
  REQUIRE_FALSE(html.ok());
  CHECK(html.error().code == ErrorCode::kUnavailable);

  rig.server.set_answer([] { return OAuthError(429, "slow_down", "too many requests"); });
  auto limited = token.AccessToken(rig.transport);
  REQUIRE_FALSE(limited.ok());
  CHECK(limited.error().code == ErrorCode::kUnavailable);

  // A failure is not remembered: the next call asks again.
  rig.server.set_answer(nullptr);
  RequireToken(token.AccessToken(rig.transport), "at-1");

  // Nothing listens on a port whose server has gone.
  uint16_t port = 0;
  {
    fakes::FakeHttpServer gone([](const fakes::Request&) { return fakes::Response(200, "{}"); },
                               [](int status) { return fakes::Response(status, "{}"); });
    port = gone.port();
  }
  rig.settings.token_url = "http://127.0.0.1:" + std::to_string(port) + kPath;
  auto refused = rig.Token().AccessToken(rig.transport);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("OAuth2Token: an answer without a usable bearer token is kInvalidArgument",
          "[oauth2]") {
  Rig rig;
  for (const char* body : {R"({"token_type":"Bearer","expires_in":3600})",
                           R"({"access_token":"","token_type":"Bearer"})",
                           R"({"access_token":"mac-token","token_type":"mac"})",
                           R"({"access_token":"t","expires_in":"soon"})",
                           R"({"access_token":"t","expires_in":-5})", R"(["access_token"])",
                           "access_token=t"}) {
    INFO(body);
    const std::string text = body;
    rig.server.set_answer([text] { return fakes::Response(200, text); });
    auto token = rig.Token().AccessToken(rig.transport);
    REQUIRE_FALSE(token.ok());
    CHECK(token.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("OAuth2Token sends client credentials in the body when told to", "[oauth2]") {
  Rig rig;
  rig.server.set_credentials_in_body(true);
  rig.settings.credentials_in_body = true;
  rig.settings.scopes = {"read"};
  RequireToken(rig.Token().AccessToken(rig.transport), "at-1");

  const auto requests = rig.server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].header("authorization").empty());
  const auto fields = fakes::ParseForm(requests[0].body);
  CHECK(Field(fields, "grant_type") == "client_credentials");
  CHECK(Field(fields, "client_id") == kClientId);
  CHECK(Field(fields, "client_secret") == kClientSecret);
  CHECK(Field(fields, "scope") == "read");

  // A server that wants the body refuses Basic.
  rig.settings.credentials_in_body = false;
  auto basic = rig.Token().AccessToken(rig.transport);
  REQUIRE_FALSE(basic.ok());
  CHECK(basic.error().code == ErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace journeyd::poll
