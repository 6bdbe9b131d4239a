// OAuth2Token gets and keeps the access token of a polled API that uses OAuth 2.0 (RFC 6749):
// the refresh-token grant (a long-lived refresh token, given once by an admin, traded for
// short-lived access tokens) or the client-credentials grant (the client's own id and secret).
// A token is reused until shortly before its expires_in; a 401 from the API calls Invalidate
// and the next AccessToken fetches a fresh one. A refresh token the server rotates (answers a
// new refresh_token) replaces the old one in memory.
//
// Errors carry the server's `error` and `error_description`, never a credential; nothing here
// logs. Thread-compatible: one per sync run of one source.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/clock.h"
#include "engine/base/result.h"
#include "engine/base/secret.h"

namespace journeyd::delivery {
class HttpTransport;
}

namespace journeyd::poll {

enum class OAuth2Grant { kRefreshToken, kClientCredentials };

struct OAuth2Settings {
  OAuth2Grant grant = OAuth2Grant::kClientCredentials;
  std::string token_url;  // absolute http(s) URL
  std::string client_id;
  Secret client_secret;
  Secret refresh_token;             // for kRefreshToken
  std::vector<std::string> scopes;  // sent space-separated as `scope` when not empty
  // Client authentication: HTTP Basic (RFC 6749 2.3.1, the default), or client_id and
  // client_secret as form fields in the body, which some providers require.
  bool credentials_in_body = false;
};

class OAuth2Token {
 public:
  OAuth2Token(OAuth2Settings settings, const Clock& clock);

  // A valid access token, fetched with a POST of application/x-www-form-urlencoded to
  // token_url when there is none or it expires within 60 s (a token without expires_in is kept
  // until Invalidate). kUnauthenticated when the server refuses the grant (400/401 with
  // `error`, e.g. invalid_grant), kUnavailable for network failures, 429 and 5xx (the caller
  // retries later), kInvalidArgument for an answer without access_token.
  Result<std::string> AccessToken(delivery::HttpTransport& transport);

  // Forgets the access token (the API answered 401 with it).
  void Invalidate();

 private:
  OAuth2Settings settings_;
  const Clock& clock_;
  std::string access_token_;
  std::optional<std::chrono::steady_clock::time_point> expires_at_;
};

}  // namespace journeyd::poll
