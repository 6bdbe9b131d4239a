// The request a target wants sent and the response it gets back, as plain values: targets build
// and read these, and only the delivery worker's HttpTransport touches the network, so a target
// can be tested without one and the preview target can record requests instead of sending them.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace journeyd::delivery {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  HeaderList headers;  // never logged: they carry credentials
  std::string body;
};

struct HttpResponse {
  // 0 when no HTTP answer came (connection refused, reset, timeout, TLS failure): then
  // `transport_error` says what happened.
  int status = 0;
  HeaderList headers;  // names lower-cased
  std::string body;
  std::string transport_error;
  bool timed_out = false;

  // The first header of that (lower-case) name, or "" when absent.
  std::string_view header(std::string_view lower_name) const;
};

}  // namespace journeyd::delivery
