// ApiClient sends the requests of one sync run to a source API: it adds the source's
// authentication, paces requests to its rate limits (a fixed rate, a vendor's leaky-bucket
// header), and retries what such APIs expect to be retried (429 and 503 honouring Retry-After,
// other 5xx, timeouts and network failures) with capped exponential backoff. What cannot be
// retried comes back as an error value naming the status, never a credential. One per run;
// not thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "engine/base/clock.h"
#include "engine/base/result.h"
#include "engine/delivery/http_exchange.h"
#include "engine/delivery/http_transport.h"
#include "engine/poll/oauth2_token.h"
#include "engine/poll/poll_settings.h"
#include "engine/poll/run_control.h"

namespace journeyd::poll {

struct ApiClientStats {
  int64_t requests = 0;
  int64_t retries = 0;
  int64_t rate_limited = 0;  // 429 answers
  std::chrono::milliseconds waited{0};
};

class ApiClient {
 public:
  ApiClient(const PollSettings& settings, const Clock& clock, RunControl& control,
            delivery::TransportOptions transport = {});

  // A 2xx response. Errors: kUnauthenticated (401, 403: check the credentials),
  // kInvalidArgument (another 4xx: the request is wrong, or a resume token went stale),
  // kUnavailable (retries exhausted, a Retry-After beyond rate_limit.max_wait, or stopped).
  Result<delivery::HttpResponse> Send(delivery::HttpRequest request);

  const ApiClientStats& stats() const { return stats_; }

 private:
  Status Authenticate(delivery::HttpRequest& request);
  // How long to wait before retrying `response`: its Retry-After, else backoff for `attempt`.
  std::chrono::milliseconds RetryDelay(const delivery::HttpResponse& response, int attempt) const;
  void Pace();
  void NoteBucket(const delivery::HttpResponse& response);

  const PollSettings& settings_;
  const Clock& clock_;
  RunControl& control_;
  delivery::HttpTransport transport_;
  std::optional<OAuth2Token> oauth_;
  ApiClientStats stats_;
  std::optional<std::chrono::steady_clock::time_point> last_request_;
  std::chrono::milliseconds bucket_pause_{0};
};

// A Retry-After value (delay-seconds, possibly fractional as Shopify sends, or an HTTP-date)
// as a delay from `now`; nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

}  // namespace journeyd::poll
