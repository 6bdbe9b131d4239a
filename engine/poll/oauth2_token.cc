#include "engine/poll/oauth2_token.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "engine/base/form_encoding.h"
#include "engine/delivery/http_transport.h"

namespace journeyd::poll {

namespace json = boost::json;
using std::chrono::seconds;

namespace {

// A token is renewed this long before it expires, so that a request sent with it does not
// arrive at the API just after it lapsed.
constexpr seconds kRenewBefore{60};
// expires_in beyond this (ten years) is treated as this, so the time arithmetic cannot overflow.
constexpr int64_t kMaxExpiresIn = int64_t{10} * 365 * 24 * 3600;
// Server text quoted in an error is cut here: an error message is one line in a log.
constexpr size_t kMaxQuoted = 200;

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// application/x-www-form-urlencoded: RFC 3986 unreserved characters stay, a space becomes '+',
// every other byte %XX.
std::string FormEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

std::string FormEncode(const FormFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += FormEscape(name) + "=" + FormEscape(value);
  }
  return out;
}

std::string Base64(std::string_view bytes) {
  // EVP_EncodeBlock writes a terminating NUL after the text; the extra byte takes it.
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(std::max(written, 0)));
  return out;
}

std::string_view StringField(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return value->get_string();
}

// expires_in as a number of seconds: a JSON number, or a numeric string, which some providers
// send. nullopt when absent; an error when it is there but not a non-negative number.
Result<std::optional<int64_t>> ParseExpiresIn(const json::object& object) {
  const json::value* value = object.if_contains("expires_in");
  if (value == nullptr || value->is_null()) return std::optional<int64_t>();
  const Error bad = InvalidArgument("OAuth2 token answer has a malformed expires_in");
  double number = 0;
  if (value->is_int64()) {
    number = static_cast<double>(value->get_int64());
  } else if (value->is_uint64()) {
    number = static_cast<double>(value->get_uint64());
  } else if (value->is_double()) {
    number = value->get_double();
  } else if (value->is_string()) {
    const std::string_view text = value->get_string();
    int64_t parsed = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec != std::errc() || end != text.data() + text.size()) return bad;
    number = static_cast<double>(parsed);
  } else {
    return bad;
  }
  if (!(number >= 0)) return bad;  // also refuses NaN
  return std::optional<int64_t>(static_cast<int64_t>(std::min<double>(number, kMaxExpiresIn)));
}

// The POST to the token endpoint: the grant, the scope and the client's authentication.
Result<delivery::HttpRequest> TokenRequest(const OAuth2Settings& settings) {
  const std::string_view url = settings.token_url;
  if (!(url.substr(0, 7) == "http://" || url.substr(0, 8) == "https://")) {
    return InvalidArgument("OAuth2 token_url must be an absolute http(s) URL");
  }

  FormFields fields;
  if (settings.grant == OAuth2Grant::kRefreshToken) {
    if (settings.refresh_token.empty()) {
      return InvalidArgument("OAuth2 refresh_token grant without a refresh token");
    }
    fields.emplace_back("grant_type", "refresh_token");
    fields.emplace_back("refresh_token", settings.refresh_token.Reveal());
  } else {
    fields.emplace_back("grant_type", "client_credentials");
  }
  if (!settings.scopes.empty()) {
    std::string scope;
    for (const std::string& s : settings.scopes) scope += (scope.empty() ? "" : " ") + s;
    fields.emplace_back("scope", std::move(scope));
  }

  delivery::HttpRequest request;
  request.method = "POST";
  request.url = settings.token_url;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  // A public client (no id) authenticates with nothing but its grant. RFC 6749 forbids using
  // more than one method, so it is either the header or the body.
  if (!settings.client_id.empty()) {
    if (settings.credentials_in_body) {
      fields.emplace_back("client_id", settings.client_id);
      if (!settings.client_secret.empty()) {
        fields.emplace_back("client_secret", settings.client_secret.Reveal());
      }
    } else {
      // RFC 6749 2.3.1: both parts form-encoded before joining, so a ':' in the id survives.
      request.headers.emplace_back(
          "Authorization", "Basic " + Base64(FormEscape(settings.client_id) + ":" +
                                             FormEscape(settings.client_secret.Reveal())));
    }
  }
  request.body = FormEncode(fields);
  return request;
}

// What a successful token answer says.
struct Answer {
  std::string access_token;
  std::optional<int64_t> expires_in;  // seconds; nullopt: no expiry given
  std::string refresh_token;          // empty: not rotated
};

Result<Answer> Accept(const delivery::HttpResponse& response) {
  if (response.status == 0) {
    return Unavailable("OAuth2 token request failed: " + response.transport_error);
  }
  const int status = response.status;

  // Error bodies are quoted only through their `error` fields: an HTML page says nothing useful.
  json::object object;
  bool is_object = false;
  {
    boost::system::error_code ec;
    json::value parsed = json::parse(response.body, ec);
    if (!ec && parsed.is_object()) {
      object = std::move(parsed.get_object());
      is_object = true;
    }
  }
  const std::string_view error = StringField(object, "error");
  std::string detail = "HTTP " + std::to_string(status);
  if (!error.empty()) {
    detail += ": " + std::string(error.substr(0, kMaxQuoted));
    const std::string_view description = StringField(object, "error_description");
    if (!description.empty()) detail += " (" + std::string(description.substr(0, kMaxQuoted)) + ")";
  }

  if (status == 408 || status == 429 || status >= 500) {
    return Unavailable("OAuth2 token endpoint is unavailable: " + detail);
  }
  // 401 is the client's authentication failing; 400 with `error` is the grant refused
  // (invalid_grant: a revoked or expired refresh token). Either needs an admin, not a retry.
  if (status == 401 || (status == 400 && !error.empty())) {
    return Error{ErrorCode::kUnauthenticated, "OAuth2 token endpoint refused the grant: " + detail};
  }
  if (status == 403) {
    return Error{ErrorCode::kPermissionDenied, "OAuth2 token endpoint refused access: " + detail};
  }
  if (status / 100 != 2) {
    return InvalidArgument("OAuth2 token endpoint answered " + detail);
  }

  if (!is_object) return InvalidArgument("OAuth2 token answer is not a JSON object");
  const json::value* access_token = object.if_contains("access_token");
  if (access_token == nullptr || !access_token->is_string() ||
      access_token->get_string().empty()) {
    // Some servers refuse with 200 and an `error`; that is a refusal all the same.
    if (!error.empty()) {
      return Error{ErrorCode::kUnauthenticated,
                   "OAuth2 token endpoint refused the grant: " + detail};
    }
    return InvalidArgument("OAuth2 token answer has no access_token");
  }
  // Only a bearer token can be sent as "Authorization: Bearer"; a MAC or DPoP token needs a
  // proof this client does not make. RFC 6749 5.1: the type is case-insensitive.
  if (const json::value* type = object.if_contains("token_type"); type != nullptr) {
    if (!type->is_string() || !EqualsIgnoringCase(type->get_string(), "bearer")) {
      std::string shown = type->is_string() ? std::string(type->get_string()) : "non-string";
      return InvalidArgument("OAuth2 token_type " + shown.substr(0, kMaxQuoted) +
                             " is not Bearer");
    }
  }
  auto expires_in = ParseExpiresIn(object);
  if (!expires_in.ok()) return expires_in.error();

  Answer answer;
  answer.access_token = std::string(access_token->get_string());
  answer.expires_in = *expires_in;
  answer.refresh_token = std::string(StringField(object, "refresh_token"));
  return answer;
}

// A server may echo what it was sent ("refresh token xyz is revoked"), as sent or form-encoded;
// the credentials are cut out of any message before it leaves.
Error Scrub(Error error, const OAuth2Settings& settings) {
  for (const Secret* secret : {&settings.client_secret, &settings.refresh_token}) {
    if (secret->empty()) continue;
    for (const std::string& text : {secret->Reveal(), FormEscape(secret->Reveal())}) {
      for (size_t at = error.message.find(text); at != std::string::npos;
           at = error.message.find(text, at + 3)) {
        error.message.replace(at, text.size(), "***");
      }
    }
  }
  return error;
}

}  // namespace

OAuth2Token::OAuth2Token(OAuth2Settings settings, const Clock& clock)
    : settings_(std::move(settings)), clock_(clock) {}

void OAuth2Token::Invalidate() {
  access_token_.clear();
  expires_at_.reset();
}

Result<std::string> OAuth2Token::AccessToken(delivery::HttpTransport& transport) {
  if (!access_token_.empty() &&
      (!expires_at_ || clock_.Monotonic() + kRenewBefore < *expires_at_)) {
    return access_token_;
  }

  auto request = TokenRequest(settings_);
  if (!request.ok()) return request.error();

  // Expiry counts from before the request: the server's clock started no later than that.
  const auto sent_at = clock_.Monotonic();
  const delivery::HttpResponse response = transport.Send(*request);
  auto token = Accept(response);
  if (!token.ok()) return Scrub(token.error(), settings_);
  access_token_ = std::move(token->access_token);
  expires_at_.reset();
  if (token->expires_in) expires_at_ = sent_at + seconds(*token->expires_in);
  // Rotation: the server may invalidate the old refresh token as soon as it issued this one.
  if (settings_.grant == OAuth2Grant::kRefreshToken && !token->refresh_token.empty()) {
    settings_.refresh_token = Secret(std::move(token->refresh_token));
  }
  return access_token_;
}

}  // namespace journeyd::poll
