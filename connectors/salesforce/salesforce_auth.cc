#include "connectors/salesforce/salesforce_auth.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "connectors/common/encoding.h"
#include "connectors/common/json.h"
#include "engine/delivery/http_transport.h"

namespace journeyd::connectors::salesforce {

namespace json = boost::json;

namespace {

constexpr std::string_view kJwtGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

// OpenSSL's last error as text, and the queue cleared so it does not leak into the next call.
std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// Declines every passphrase: without it OpenSSL would prompt on the daemon's terminal.
int NoPassphrase(char*, int, int, void*) { return 0; }

Error Unauthenticated(std::string message) {
  return {ErrorCode::kUnauthenticated, std::move(message)};
}

}  // namespace

struct RsaPrivateKey::Key {
  explicit Key(EVP_PKEY* k) : pkey(k) {}
  ~Key() { EVP_PKEY_free(pkey); }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  EVP_PKEY* pkey;
};

RsaPrivateKey::RsaPrivateKey(std::unique_ptr<Key> key) : key_(std::move(key)) {}
RsaPrivateKey::~RsaPrivateKey() = default;

Result<std::shared_ptr<const RsaPrivateKey>> RsaPrivateKey::FromPem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return Internal("BIO_new_mem_buf: " + OpenSslError());
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, NoPassphrase, nullptr);
  BIO_free(bio);
  if (pkey == nullptr) {
    ERR_clear_error();
    return InvalidArgument(
        "not a PEM private key (an encrypted key must be decrypted first: "
        "openssl pkey -in key.pem -out plain.pem)");
  }
  auto key = std::make_unique<Key>(pkey);
  if (EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA) {
    return InvalidArgument("not an RSA private key (the JWT bearer flow signs with RS256)");
  }
  return std::shared_ptr<const RsaPrivateKey>(new RsaPrivateKey(std::move(key)));
}

Result<std::shared_ptr<const RsaPrivateKey>> RsaPrivateKey::LoadFile(
    const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  auto key = FromPem(text.str());
  if (!key.ok()) return InvalidArgument(path.string() + ": " + key.error().message);
  return key;
}

Result<std::string> RsaPrivateKey::SignRs256(std::string_view data) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return Internal("EVP_MD_CTX_new: " + OpenSslError());
  size_t length = 0;
  std::string signature;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
            EVP_DigestSign(ctx, nullptr, &length, bytes, data.size()) == 1;
  if (ok) {
    signature.resize(length);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length, bytes,
                        data.size()) == 1;
    signature.resize(length);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return Internal("RS256 signing failed: " + OpenSslError());
  return signature;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out = common::Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  auto append = [](std::string& out, std::string_view text) {
    for (char ch : text) {
      const auto c = static_cast<unsigned char>(ch);
      const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                              c == '~';
      if (unreserved) {
        out += ch;
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 0x0f];
      }
    }
  };
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!out.empty()) out += '&';
    append(out, key);
    out += '=';
    append(out, value);
  }
  return out;
}

Result<std::string> MakeJwtAssertion(const RsaPrivateKey& key, const JwtClaims& claims) {
  const int64_t exp =
      std::chrono::duration_cast<std::chrono::seconds>(claims.expires.time_since_epoch()).count();
  const json::object body{{"iss", claims.issuer},
                          {"sub", claims.subject},
                          {"aud", claims.audience},
                          {"exp", exp}};
  const std::string signed_part = Base64UrlEncode(R"({"alg":"RS256"})") + "." +
                                  Base64UrlEncode(json::serialize(body));
  auto signature = key.SignRs256(signed_part);
  if (!signature.ok()) return signature.error();
  return signed_part + "." + Base64UrlEncode(*signature);
}

Result<delivery::HttpRequest> MakeTokenRequest(const OAuthSettings& settings,
                                               std::chrono::system_clock::time_point now) {
  delivery::HttpRequest request;
  request.method = "POST";
  request.url = settings.token_url;
  request.headers = {{"content-type", "application/x-www-form-urlencoded"},
                     {"accept", "application/json"}};
  if (settings.flow == AuthFlow::kClientCredentials) {
    request.body = FormEncode({{"grant_type", "client_credentials"},
                               {"client_id", settings.client_id.Reveal()},
                               {"client_secret", settings.client_secret.Reveal()}});
    return request;
  }
  if (settings.key == nullptr) return Internal("jwt_bearer without a private key");
  // Salesforce refuses an exp more than 3 minutes ahead; 3 minutes is also all a replayed
  // assertion would be good for.
  auto assertion = MakeJwtAssertion(
      *settings.key, {settings.client_id.Reveal(), settings.username, settings.audience,
                      now + std::chrono::seconds(180)});
  if (!assertion.ok()) return assertion.error();
  request.body = FormEncode({{"grant_type", std::string(kJwtGrant)}, {"assertion", *assertion}});
  return request;
}

Result<AccessToken> ParseTokenResponse(const delivery::HttpResponse& response) {
  if (response.status == 0) {
    return Unavailable("token endpoint unreachable: " + response.transport_error);
  }
  auto body = common::ParseJson(response.body);
  const std::string status = "HTTP " + std::to_string(response.status);
  if (response.status == 429 || response.status >= 500) {
    return Unavailable("token endpoint answered " + status);
  }
  if (response.status < 200 || response.status >= 300) {
    // {"error":"invalid_client","error_description":"invalid client credentials"}
    std::string what;
    if (body.ok()) {
      what = common::ScalarText(common::FindMember(*body, "error"));
      const std::string description =
          common::ScalarText(common::FindMember(*body, "error_description"));
      if (!description.empty()) what += (what.empty() ? "" : ": ") + description;
    }
    return Unauthenticated("Salesforce refused the token request (" + status + ")" +
                           (what.empty() ? "" : ": " + what));
  }
  if (!body.ok()) return Unauthenticated("token response is not JSON");
  AccessToken token;
  token.token = Secret(common::ScalarText(common::FindMember(*body, "access_token")));
  token.instance_url = common::ScalarText(common::FindMember(*body, "instance_url"));
  while (token.instance_url.ends_with('/')) token.instance_url.pop_back();
  if (token.token.empty()) return Unauthenticated("token response has no access_token");
  if (!token.instance_url.starts_with("https://") && !token.instance_url.starts_with("http://")) {
    return Unauthenticated("token response has no usable instance_url");
  }
  return token;
}

Result<AccessToken> RequestToken(const OAuthSettings& settings, delivery::HttpTransport& http,
                                 std::chrono::system_clock::time_point now) {
  auto request = MakeTokenRequest(settings, now);
  if (!request.ok()) return request.error();
  return ParseTokenResponse(http.Send(*request));
}

}  // namespace journeyd::connectors::salesforce
