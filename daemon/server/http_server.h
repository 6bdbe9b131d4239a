// HttpServer accepts HTTP/1.1 connections on the daemon's io_context and runs each request
// through the Router. It enforces the configured limits (body 413, header 431, header/body/idle
// timeouts, max connections) and drains gracefully: Stop() closes the listener, lets in-flight
// requests finish and be answered with "Connection: close", and closes idle connections.
// Every answered request is counted in HttpMetrics when one is given. Thread-safe: handlers may
// answer from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "daemon/server/http_metrics.h"
#include "daemon/server/router.h"
#include "engine/base/result.h"
#include "engine/config/config.h"

namespace journeyd::server {

class HttpSession;

class HttpServer : public std::enable_shared_from_this<HttpServer> {
 public:
  // `metrics` may be null (no counting); it must outlive the server otherwise.
  HttpServer(boost::asio::io_context& io, const Router& router, config::ServerLimits limits,
             HttpMetrics* metrics = nullptr);

  // Binds and starts accepting. Returns the bound endpoint (port 0 picks a free port).
  Result<boost::asio::ip::tcp::endpoint> Listen(const config::HostPort& address);

  // Stops accepting and asks every connection to close once its current request is answered.
  // `on_drained` runs (on the io_context) when no connection is left.
  void Stop(std::function<void()> on_drained);

  size_t active_connections() const { return active_.load(); }

  // Called by sessions.
  void OnSessionStart(const std::shared_ptr<HttpSession>& session);
  void OnSessionEnd(HttpSession* session);
  bool draining() const { return draining_.load(); }
  const config::ServerLimits& limits() const { return limits_; }
  const Router& router() const { return router_; }
  HttpMetrics* metrics() const { return metrics_; }

 private:
  void DoAccept();

  boost::asio::io_context& io_;
  const Router& router_;
  const config::ServerLimits limits_;
  HttpMetrics* const metrics_;
  boost::asio::ip::tcp::acceptor acceptor_;
  // After a failed accept (EMFILE: out of descriptors) the next waits on this timer, so that
  // the loop neither spins nor floods the log until a descriptor frees. Both on the acceptor's
  // strand, as is accept_failing_ (a failure episode is logged once).
  boost::asio::steady_timer accept_retry_;
  bool accept_failing_ = false;
  std::atomic<size_t> active_{0};
  std::atomic<bool> draining_{false};

  std::mutex mu_;
  // Keyed by address so that a closing session removes itself in O(1).
  std::unordered_map<HttpSession*, std::weak_ptr<HttpSession>> sessions_;  // GUARDED_BY(mu_)
  std::function<void()> on_drained_;     // GUARDED_BY(mu_)
};

}  // namespace journeyd::server
