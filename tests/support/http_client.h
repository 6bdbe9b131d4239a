// A blocking HTTP/1.1 client for tests (Boost.Beast): one request per call, or several over one
// kept-alive connection with HttpConnection. Loopback only; errors come back as values.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/result.h"

namespace journeyd::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  bool keep_alive = false;
  std::string header(const std::string& name) const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpConnection {
 public:
  static Result<std::unique_ptr<HttpConnection>> Connect(const std::string& host, uint16_t port);
  ~HttpConnection();
  Result<HttpResult> Request(const std::string& method, const std::string& target,
                             const std::string& body = {}, const Headers& headers = {},
                             std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Sends raw bytes (for malformed-request tests) and reads one response.
  Result<HttpResult> RawRequest(const std::string& bytes,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the server has closed the connection (reads EOF within `timeout`).
  bool ClosedByPeer(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit HttpConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

Result<HttpResult> HttpRequest(const std::string& host, uint16_t port, const std::string& method,
                               const std::string& target, const std::string& body = {},
                               const Headers& headers = {});
inline Result<HttpResult> HttpGet(const std::string& host, uint16_t port,
                                  const std::string& target, const Headers& headers = {}) {
  return HttpRequest(host, port, "GET", target, {}, headers);
}

}  // namespace journeyd::testing
