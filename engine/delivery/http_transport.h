// HttpTransport sends one HttpRequest at a time over libcurl for one delivery worker. It keeps
// one easy handle so connections (and TLS sessions) are reused between requests, verifies TLS
// peers and host names, takes proxies from the environment (http_proxy, https_proxy, no_proxy,
// as libcurl does), and bounds every request by a connect and a total timeout. Network failures
// come back as an HttpResponse with status 0, never as exceptions. Not thread-safe: one per
// worker thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "engine/delivery/http_exchange.h"

namespace journeyd::delivery {

struct TransportOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30000};  // the whole exchange
  std::string user_agent = "journeyd";
  std::string ca_file;  // extra CA bundle (PEM); empty: the system's
};

class HttpTransport {
 public:
  explicit HttpTransport(TransportOptions options = {});
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  HttpResponse Send(const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace journeyd::delivery
