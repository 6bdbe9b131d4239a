#include "engine/poll/api_client.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>
#include <thread>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "engine/mapping/normalize.h"

namespace journeyd::poll {

namespace {

using std::chrono::milliseconds;

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool Retryable(int status) { return status == 0 || status == 429 || status >= 500; }

// Every credential of `auth`, and the parts of a "user:password" token, blanked out of `text`:
// an API may echo the request it refused, key and all.
std::string Scrub(std::string text, const AuthSettings& auth) {
  std::vector<std::string> secrets{auth.token.Reveal(), auth.password.Reveal(),
                                   auth.client_secret.Reveal(), auth.refresh_token.Reveal()};
  if (auto colon = auth.token.Reveal().find(':'); colon != std::string::npos) {
    secrets.push_back(auth.token.Reveal().substr(0, colon));
    secrets.push_back(auth.token.Reveal().substr(colon + 1));
  }
  for (const std::string& secret : secrets) {
    // Short values would blank ordinary words; no real credential is that short.
    if (secret.size() < 6) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

// What an error says about a response, without its body when that could echo a credential:
// vendors' error bodies are short JSON naming the problem, so the first 200 bytes are kept,
// with any credential the body echoes blanked (ApiClient::Send).
std::string Describe(const delivery::HttpRequest& request, const delivery::HttpResponse& r) {
  std::string where = request.method + " " + request.url;
  // The query may hold an API key (auth type query): keep only the path.
  if (auto q = where.find('?'); q != std::string::npos) where.resize(q);
  if (r.status == 0) return where + ": " + (r.transport_error.empty() ? "no answer" : r.transport_error);
  std::string body = r.body.substr(0, 200);
  for (char& c : body) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return where + " answered " + std::to_string(r.status) + (body.empty() ? "" : ": " + body);
}

}  // namespace

std::optional<milliseconds> ParseRetryAfter(std::string_view value,
                                            std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  double seconds = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (error == std::errc() && end == value.data() + value.size()) {
    if (!(seconds >= 0) || seconds > 86400.0 * 7) return std::nullopt;
    return milliseconds(static_cast<int64_t>(std::ceil(seconds * 1000)));
  }
  auto at = mapping::ParseTimeWithFormat(value, "%a, %d %b %Y %H:%M:%S GMT");
  if (!at) return std::nullopt;
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(*at - now));
}

ApiClient::ApiClient(const PollSettings& settings, const Clock& clock, RunControl& control,
                     delivery::TransportOptions transport)
    : settings_(settings), clock_(clock), control_(control), transport_(std::move(transport)) {
  if (settings_.auth.type == AuthKind::kOAuth2) {
    const AuthSettings& a = settings_.auth;
    oauth_.emplace(OAuth2Settings{a.grant, a.token_url, a.client_id, a.client_secret,
                                  a.refresh_token, a.scopes, a.credentials_in_body},
                   clock_);
  }
}

Status ApiClient::Authenticate(delivery::HttpRequest& request) {
  const AuthSettings& auth = settings_.auth;
  switch (auth.type) {
    case AuthKind::kNone:
      break;
    case AuthKind::kBearer:
      request.headers.emplace_back("Authorization", "Bearer " + auth.token.Reveal());
      break;
    case AuthKind::kBasic: {
      const std::string pair = auth.username.empty()
                                   ? auth.token.Reveal()
                                   : auth.username + ":" + auth.password.Reveal();
      request.headers.emplace_back("Authorization", "Basic " + Base64(pair));
      break;
    }
    case AuthKind::kHeader:
      request.headers.emplace_back(auth.name, auth.token.Reveal());
      break;
    case AuthKind::kQuery: {
      auto url = boost::urls::parse_uri(request.url);
      if (!url) return InvalidArgument("cannot add the API key to a malformed URL");
      boost::urls::url with_key(*url);
      with_key.params().set(auth.name, auth.token.Reveal());
      request.url = std::string(with_key.buffer());
      break;
    }
    case AuthKind::kOAuth2: {
      auto token = oauth_->AccessToken(transport_);
      if (!token.ok()) return token.error();
      request.headers.emplace_back("Authorization", "Bearer " + *token);
      break;
    }
  }
  return OkStatus();
}

void ApiClient::Pace() {
  milliseconds pause = bucket_pause_;
  if (settings_.rate_limit.requests_per_second > 0 && last_request_) {
    const auto interval = milliseconds(
        static_cast<int64_t>(std::ceil(1000.0 / settings_.rate_limit.requests_per_second)));
    const auto since = std::chrono::duration_cast<milliseconds>(clock_.Monotonic() - *last_request_);
    pause = std::max(pause, interval - since);
  }
  if (pause > milliseconds(0)) {
    stats_.waited += pause;
    (void)control_.SleepFor(pause);
  }
  bucket_pause_ = milliseconds(0);
}

void ApiClient::NoteBucket(const delivery::HttpResponse& response) {
  const std::string& name = settings_.rate_limit.bucket_header;
  if (name.empty()) return;
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string_view value = response.header(lower);
  const size_t slash = value.find('/');
  if (slash == std::string_view::npos) return;
  double used = 0, size = 0;
  auto a = std::from_chars(value.data(), value.data() + slash, used);
  auto b = std::from_chars(value.data() + slash + 1, value.data() + value.size(), size);
  if (a.ec != std::errc() || b.ec != std::errc() || size <= 0) return;
  // Above 80% full, wait for the bucket to drain back to 80%: keeps room for the shop's own
  // apps, which share the bucket, instead of running it into 429s.
  const double excess = used - 0.8 * size;
  const double leak = std::max(0.1, settings_.rate_limit.bucket_leak_per_second);
  if (excess > 0) bucket_pause_ = milliseconds(static_cast<int64_t>(std::ceil(excess / leak * 1000)));
}

milliseconds ApiClient::RetryDelay(const delivery::HttpResponse& response, int attempt) const {
  if (response.status == 429 || response.status == 503) {
    if (auto after = ParseRetryAfter(response.header("retry-after"), clock_.Now())) return *after;
  }
  // 1 s, 2 s, 4 s... capped at 60 s, with up to 25% jitter so that retries of many sources
  // do not arrive together.
  const int64_t base = std::min<int64_t>(60000, int64_t{1000} << std::min(attempt, 6));
  thread_local std::mt19937_64 random{std::random_device{}()};
  return milliseconds(base + std::uniform_int_distribution<int64_t>(0, base / 4)(random));
}

Result<delivery::HttpResponse> ApiClient::Send(delivery::HttpRequest request) {
  const delivery::HttpRequest unauthenticated = request;
  const auto describe = [this](const delivery::HttpRequest& r, const delivery::HttpResponse& a) {
    return Scrub(Describe(r, a), settings_.auth);
  };
  bool reauthenticated = false;
  for (int attempt = 0;; ++attempt) {
    if (control_.stopped()) return Unavailable("the sync run was stopped");
    delivery::HttpRequest sent = unauthenticated;
    if (Status s = Authenticate(sent); !s.ok()) return s.error();
    Pace();
    last_request_ = clock_.Monotonic();
    ++stats_.requests;
    delivery::HttpResponse response = transport_.Send(sent);
    NoteBucket(response);
    if (response.status >= 200 && response.status < 300) return response;
    if (response.status == 401 && oauth_ && !reauthenticated) {
      // An access token can be revoked or expire early; one fresh token before giving up.
      oauth_->Invalidate();
      reauthenticated = true;
      --attempt;
      continue;
    }
    if (response.status == 401 || response.status == 403) {
      return Error{ErrorCode::kUnauthenticated,
                   describe(unauthenticated, response) + " (check the source's credentials)"};
    }
    if (response.status == 404 || response.status == 410) {
      // Told apart from other refusals: a child stream's parent can be gone (a deleted member).
      return Error{ErrorCode::kNotFound, describe(unauthenticated, response)};
    }
    if (!Retryable(response.status)) {
      return InvalidArgument(describe(unauthenticated, response));
    }
    if (response.status == 429) ++stats_.rate_limited;
    if (attempt >= settings_.rate_limit.max_retries) {
      return Unavailable(describe(unauthenticated, response) + " (gave up after " +
                         std::to_string(attempt + 1) + " attempts)");
    }
    const milliseconds delay = RetryDelay(response, attempt);
    if (delay > settings_.rate_limit.max_wait) {
      return Unavailable(describe(unauthenticated, response) + " (asked to wait " +
                         std::to_string(delay.count() / 1000) +
                         " s, more than rate_limit.max_wait; the next run resumes here)");
    }
    ++stats_.retries;
    stats_.waited += delay;
    if (!control_.SleepFor(delay)) return Unavailable("the sync run was stopped");
  }
}

}  // namespace journeyd::poll
