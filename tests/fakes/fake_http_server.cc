#include "tests/fakes/fake_http_server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "tests/fakes/fake_util.h"

namespace journeyd::fakes {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string Request::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string{} : it->second;
}

namespace {

class Session;

}  // namespace

// Everything runs on one io thread, so the acceptor and the session list need no lock: a fake
// is not where throughput matters, and one thread keeps SetDown free of races with accepts.
// Only the fault settings and the log are shared with callers' threads.
class ServerCore {
 public:
  ServerCore(FakeHttpServer::Handler handler, FakeHttpServer::FaultResponder fault,
             FakeHttpServerOptions options)
      : handler_(std::move(handler)),
        fault_(std::move(fault)),
        options_(options),
        port_(options.port) {
    Listen();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~ServerCore() {
    RunOnIo([this] {
      CloseAcceptor();
      CloseSessions();
    });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return port_; }
  bool down() const { return down_; }

  void SetDown(bool down) {
    RunOnIo([this, down] {
      if (down == down_) return;
      // The listener stays open: a down server resets every connection at once. Closing and
      // re-binding the port instead races with the clients' own sockets on it (a reconnecting
      // client can hold the port), and a reset is what a crashed CRM's load balancer gives.
      down_ = down;
      if (down) CloseSessions();
    });
  }

  void FailNext(int n, int status) {
    std::lock_guard lock(mu_);
    fail_remaining_ = std::max(0, n);
    fail_status_ = status;
  }

  void SetDelay(std::chrono::milliseconds delay, std::string path_prefix) {
    std::lock_guard lock(mu_);
    delay_ms_ = delay.count();
    delay_prefix_ = std::move(path_prefix);
  }
  std::chrono::milliseconds delay(const std::string& path) const {
    std::lock_guard lock(mu_);
    if (!path.starts_with(delay_prefix_)) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(delay_ms_.load());
  }

  // Runs the fault injection or the handler, and logs the exchange.
  Response Answer(const Request& request) {
    LoggedRequest entry{request.method, request.target, 0, request.body,
                        std::chrono::system_clock::now()};
    std::optional<int> fault_status;
    {
      std::lock_guard lock(mu_);
      if (fail_remaining_ > 0) {
        --fail_remaining_;
        fault_status = fail_status_;
      }
    }
    Response response;
    try {
      if (fault_status) {
        response = fault_ ? fault_(*fault_status)
                          : Response{*fault_status, R"({"error":"injected fault"})"};
      } else {
        response = handler_(request);
      }
    } catch (const std::exception& e) {
      // A fake's bug must show up as a failed request, not as a crashed test process.
      response = Response{500, std::string(R"({"error":"fake handler threw: )") + e.what() + "\"}"};
    }
    entry.status = response.status;
    std::lock_guard lock(mu_);
    ++request_count_;
    ++status_counts_[response.status];
    if (options_.log_limit > 0) {
      log_.push_back(std::move(entry));
      while (log_.size() > options_.log_limit) log_.pop_front();
    }
    return response;
  }

  std::vector<LoggedRequest> Log() const {
    std::lock_guard lock(mu_);
    return {log_.begin(), log_.end()};
  }
  void ClearLog() {
    std::lock_guard lock(mu_);
    log_.clear();
    request_count_ = 0;
    status_counts_.clear();
  }
  size_t RequestCount() const {
    std::lock_guard lock(mu_);
    return request_count_;
  }
  std::map<int, size_t> StatusCounts() const {
    std::lock_guard lock(mu_);
    return status_counts_;
  }

 private:
  // Runs `f` on the io thread and waits for it, rethrowing what it throws.
  template <class F>
  void RunOnIo(F f) {
    if (io_.get_executor().running_in_this_thread()) return f();
    std::promise<void> done;
    asio::post(io_, [&] {
      try {
        f();
        done.set_value();
      } catch (...) {
        done.set_exception(std::current_exception());
      }
    });
    done.get_future().get();
  }

  // io thread (or the constructor, before the thread exists).
  void Listen() {
    try {
      const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port_);
      acceptor_.open(endpoint.protocol());
      // Coming back up after SetDown must get the same port despite sockets in TIME_WAIT.
      acceptor_.set_option(asio::socket_base::reuse_address(true));
      acceptor_.bind(endpoint);
      acceptor_.listen(asio::socket_base::max_listen_connections);
      port_ = acceptor_.local_endpoint().port();
    } catch (const boost::system::system_error& e) {
      beast::error_code ignored;
      acceptor_.close(ignored);
      throw std::runtime_error("fake server cannot listen on 127.0.0.1:" + std::to_string(port_) +
                               ": " + e.what());
    }
    Accept(++accept_generation_);
  }

  void Accept(uint64_t generation) {
    acceptor_.async_accept([this, generation](beast::error_code ec, tcp::socket socket) {
      // An accept of a closed acceptor may complete after it was reopened: drop it.
      if (ec == asio::error::operation_aborted || generation != accept_generation_) return;
      if (!ec && down_) {
        beast::error_code ignored;
        socket.set_option(asio::socket_base::linger(true, 0), ignored);
        socket.close(ignored);
      } else if (!ec) {
        StartSession(std::move(socket));
      }
      Accept(generation);
    });
  }

  void CloseAcceptor() {
    ++accept_generation_;
    beast::error_code ignored;
    acceptor_.close(ignored);
  }

  void StartSession(tcp::socket socket);
  void CloseSessions();

  const FakeHttpServer::Handler handler_;
  const FakeHttpServer::FaultResponder fault_;
  const FakeHttpServerOptions options_;

  // io thread only.
  std::vector<std::weak_ptr<Session>> sessions_;
  uint64_t accept_generation_ = 0;

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  tcp::acceptor acceptor_{io_};
  std::atomic<uint16_t> port_;
  std::atomic<bool> down_{false};
  std::atomic<int64_t> delay_ms_{0};
  std::string delay_prefix_;  // guarded by mu_

  mutable std::mutex mu_;
  int fail_remaining_ = 0;               // guarded by mu_
  int fail_status_ = 0;                  // guarded by mu_
  std::deque<LoggedRequest> log_;        // guarded by mu_
  size_t request_count_ = 0;             // guarded by mu_
  std::map<int, size_t> status_counts_;  // guarded by mu_

  std::thread thread_;
};

namespace {

// One connection: read a request, answer it (after the delay), repeat while kept alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerCore* server)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), server_(server) {}

  void Start() { Read(); }

  // An outage: RST rather than FIN, so a client mid-request sees a reset.
  void Abort() {
    beast::error_code ignored;
    socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
    timer_.cancel();
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(64 << 20);
    http::async_read(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) return;  // EOF, reset, abort or a malformed request: drop the connection
    http::request<http::string_body> in = parser_->release();
    Request request;
    request.method = std::string(in.method_string());
    request.target = std::string(in.target());
    const size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    for (const auto& field : in) {
      request.headers[Lowercase(field.name_string())] = std::string(field.value());
    }
    request.body = std::move(in.body());

    const auto delay = server_->delay(request.path);
    const Response answer = server_->Answer(request);
    response_ = {};
    response_.version(in.version());
    response_.result(static_cast<unsigned>(answer.status));
    for (const auto& [name, value] : answer.headers) response_.set(name, value);
    if (!answer.body.empty()) {
      response_.set(http::field::content_type, answer.content_type);
      response_.body() = answer.body;
    }
    response_.keep_alive(in.keep_alive());
    response_.prepare_payload();

    if (delay.count() <= 0) return Write();
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](beast::error_code timer_ec) {
      if (timer_ec || !self->socket_.is_open()) return;
      self->Write();
    });
  }

  void Write() {
    http::async_write(socket_, response_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (!self->response_.keep_alive()) {
                          beast::error_code ignored;
                          self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                          return;
                        }
                        self->Read();
                      });
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  ServerCore* const server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

void ServerCore::StartSession(tcp::socket socket) {
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto session = std::make_shared<Session>(std::move(socket), this);
  std::erase_if(sessions_, [](const std::weak_ptr<Session>& s) { return s.expired(); });
  sessions_.push_back(session);
  session->Start();
}

void ServerCore::CloseSessions() {
  for (const auto& weak : sessions_) {
    if (auto session = weak.lock()) session->Abort();
  }
  sessions_.clear();
}

class FakeHttpServer::Impl : public ServerCore {
 public:
  using ServerCore::ServerCore;
};

FakeHttpServer::FakeHttpServer(Handler handler, FaultResponder fault, FakeHttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(handler), std::move(fault), options)) {}

FakeHttpServer::~FakeHttpServer() = default;

uint16_t FakeHttpServer::port() const { return impl_->port(); }
std::string FakeHttpServer::address() const { return "127.0.0.1:" + std::to_string(port()); }
std::string FakeHttpServer::base_url() const { return "http://" + address(); }
void FakeHttpServer::SetDown(bool down) { impl_->SetDown(down); }
bool FakeHttpServer::IsDown() const { return impl_->down(); }
void FakeHttpServer::FailNext(int n, int status) { impl_->FailNext(n, status); }
void FakeHttpServer::SetDelay(std::chrono::milliseconds delay, std::string path_prefix) {
  impl_->SetDelay(delay, std::move(path_prefix));
}
std::vector<LoggedRequest> FakeHttpServer::Log() const { return impl_->Log(); }
void FakeHttpServer::ClearLog() { impl_->ClearLog(); }
size_t FakeHttpServer::RequestCount() const { return impl_->RequestCount(); }
std::map<int, size_t> FakeHttpServer::StatusCounts() const { return impl_->StatusCounts(); }

}  // namespace journeyd::fakes
