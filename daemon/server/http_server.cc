#include "daemon/server/http_server.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

#include "daemon/server/http_session.h"

namespace journeyd::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
constexpr std::chrono::milliseconds kAcceptRetry{50};
}  // namespace

HttpServer::HttpServer(net::io_context& io, const Router& router, config::ServerLimits limits,
                       HttpMetrics* metrics)
    : io_(io),
      router_(router),
      limits_(limits),
      metrics_(metrics),
      acceptor_(net::make_strand(io)),
      accept_retry_(acceptor_.get_executor()) {}

Result<tcp::endpoint> HttpServer::Listen(const config::HostPort& address) {
  boost::system::error_code ec;
  const auto ip = net::ip::make_address(address.host, ec);
  tcp::endpoint endpoint;
  if (ec) {
    // Not a literal address: resolve a host name such as "localhost".
    tcp::resolver resolver(io_);
    auto results = resolver.resolve(address.host, std::to_string(address.port), ec);
    if (ec || results.empty()) {
      return Unavailable("cannot resolve listen host '" + address.host + "': " + ec.message());
    }
    endpoint = results.begin()->endpoint();
  } else {
    endpoint = tcp::endpoint(ip, address.port);
  }
  const auto fail = [&](std::string_view what) {
    return Unavailable("cannot " + std::string(what) + " " + address.ToString() + ": " +
                       ec.message());
  };
  if (acceptor_.open(endpoint.protocol(), ec); ec) return fail("open");
  if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec) return fail("configure");
  if (acceptor_.bind(endpoint, ec); ec) return fail("bind");
  if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) return fail("listen on");
  auto bound = acceptor_.local_endpoint(ec);
  if (ec) return fail("read address of");
  net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->DoAccept(); });
  return bound;
}

void HttpServer::DoAccept() {
  acceptor_.async_accept(
      net::make_strand(io_), [self = shared_from_this()](boost::system::error_code ec,
                                                         tcp::socket socket) {
        if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
        if (ec) {
          // EMFILE and friends: the connection waits in the listen backlog. Retrying at once
          // would fail at once, a busy loop writing a warning per try (a million lines in
          // seconds): try again shortly, and log the episode once.
          if (!self->accept_failing_) {
            const bool out_of_files = ec == net::error::no_descriptors ||
                                      ec == boost::system::errc::too_many_files_open_in_system;
            spdlog::warn("accept failed: {}; retrying every {} ms until it succeeds{}",
                         ec.message(), kAcceptRetry.count(),
                         out_of_files ? " (raise the open-files limit, LimitNOFILE, well above "
                                        "server.limits.max_connections)"
                                      : "");
            self->accept_failing_ = true;
          }
          self->accept_retry_.expires_after(kAcceptRetry);
          self->accept_retry_.async_wait([self](boost::system::error_code wait_ec) {
            if (!wait_ec && !self->draining_.load()) self->DoAccept();
          });
          return;
        }
        if (self->accept_failing_) {
          spdlog::info("accepting connections again");
          self->accept_failing_ = false;
        }
        if (self->active_.load() >= static_cast<size_t>(self->limits_.max_connections)) {
          // Refuse without a session: a tiny answer that fits the socket buffer, then close.
          static constexpr std::string_view kBusy =
              "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
              "Retry-After: 1\r\nConnection: close\r\nContent-Length: 79\r\n\r\n"
              "{\"error\":{\"code\":\"unavailable\",\"message\":\"too many connections; retry\"}}\n";
          boost::system::error_code ignored;
          socket.non_blocking(true, ignored);
          socket.write_some(net::buffer(kBusy), ignored);
          socket.close(ignored);
        } else {
          // An answer is one small write; Nagle's algorithm would hold it back while the
          // client's delayed ACK for the previous one is outstanding.
          boost::system::error_code ignored;
          socket.set_option(net::ip::tcp::no_delay(true), ignored);
          std::make_shared<HttpSession>(std::move(socket), self)->Start();
        }
        if (!self->draining_.load()) self->DoAccept();
      });
}

void HttpServer::Stop(std::function<void()> on_drained) {
  draining_.store(true);
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
    self->accept_retry_.cancel();
  });
  std::vector<std::shared_ptr<HttpSession>> live;
  {
    std::lock_guard lock(mu_);
    on_drained_ = std::move(on_drained);
    for (const auto& [address, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
    if (active_.load() == 0 && on_drained_) net::post(io_, std::exchange(on_drained_, {}));
  }
  for (auto& session : live) session->Drain();
}

void HttpServer::OnSessionStart(const std::shared_ptr<HttpSession>& session) {
  std::lock_guard lock(mu_);
  ++active_;
  sessions_.emplace(session.get(), session);
}

void HttpServer::OnSessionEnd(HttpSession* session) {
  std::lock_guard lock(mu_);
  sessions_.erase(session);
  if (--active_ == 0 && draining_.load() && on_drained_) {
    net::post(io_, std::exchange(on_drained_, {}));
  }
}

}  // namespace journeyd::server
