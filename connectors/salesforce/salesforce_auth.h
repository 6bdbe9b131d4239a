// OAuth 2.0 for the Salesforce target: the two server-to-server flows a connected app offers
// without a browser. Client credentials posts the consumer key and secret; the JWT bearer flow
// posts an RS256 assertion signed with the private key whose certificate is on the connected
// app, so no secret travels at all. Either answers an access token and the org's instance_url,
// which every data request is addressed to. Salesforce does not say when a token expires: the
// data API answers 401 INVALID_SESSION_ID and the caller asks for a new one.
//
// Nothing here logs, and errors carry Salesforce's error_description, never a credential.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/result.h"
#include "engine/base/secret.h"
#include "engine/delivery/http_exchange.h"

namespace journeyd::delivery {
class HttpTransport;
}

namespace journeyd::connectors::salesforce {

enum class AuthFlow { kClientCredentials, kJwtBearer };

// An RSA private key for signing assertions. Immutable once loaded, so one key may be shared by
// every delivery worker's session.
class RsaPrivateKey {
 public:
  // A PEM private key (PKCS#8 or PKCS#1), unencrypted: a daemon has nobody to ask for a
  // passphrase. kInvalidArgument when it is not readable or not RSA.
  static Result<std::shared_ptr<const RsaPrivateKey>> FromPem(std::string_view pem);
  static Result<std::shared_ptr<const RsaPrivateKey>> LoadFile(const std::filesystem::path& path);

  ~RsaPrivateKey();
  RsaPrivateKey(const RsaPrivateKey&) = delete;
  RsaPrivateKey& operator=(const RsaPrivateKey&) = delete;

  // RSASSA-PKCS1-v1_5 with SHA-256 over `data`: the raw signature bytes.
  Result<std::string> SignRs256(std::string_view data) const;

 private:
  struct Key;
  explicit RsaPrivateKey(std::unique_ptr<Key> key);
  std::unique_ptr<Key> key_;
};

// RFC 4648 §5 alphabet without padding, as JWTs are written.
std::string Base64UrlEncode(std::string_view bytes);

// application/x-www-form-urlencoded: every byte but the unreserved ones percent-encoded, so
// that a '+' or '&' in a secret survives.
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

struct JwtClaims {
  std::string issuer;    // iss: the connected app's consumer key
  std::string subject;   // sub: the username the integration acts as
  std::string audience;  // aud: the login host (login or test.salesforce.com, or My Domain)
  std::chrono::system_clock::time_point expires{};  // exp: Salesforce allows 3 minutes ahead
};

// "header.claims.signature", each part base64url, header {"alg":"RS256"}.
Result<std::string> MakeJwtAssertion(const RsaPrivateKey& key, const JwtClaims& claims);

struct OAuthSettings {
  AuthFlow flow = AuthFlow::kClientCredentials;
  std::string token_url;  // <login_url>/services/oauth2/token
  Secret client_id;
  Secret client_secret;                      // client credentials
  std::string username;                      // JWT bearer: sub
  std::string audience;                      // JWT bearer: aud
  std::shared_ptr<const RsaPrivateKey> key;  // JWT bearer
};

struct AccessToken {
  Secret token;
  std::string instance_url;  // "https://acme.my.salesforce.com", no trailing '/'
};

// The token request of `settings.flow`, built at `now` (the assertion's exp counts from it).
Result<delivery::HttpRequest> MakeTokenRequest(const OAuthSettings& settings,
                                               std::chrono::system_clock::time_point now);

// The token out of the token endpoint's answer. kUnauthenticated with Salesforce's
// "error: error_description" when it refused the credentials; kUnavailable when no answer came
// or the endpoint failed (5xx, 429), which a later attempt may get past.
Result<AccessToken> ParseTokenResponse(const delivery::HttpResponse& response);

// Both of the above over `http`.
Result<AccessToken> RequestToken(const OAuthSettings& settings, delivery::HttpTransport& http,
                                 std::chrono::system_clock::time_point now);

}  // namespace journeyd::connectors::salesforce
