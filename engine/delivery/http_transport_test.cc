#include "engine/delivery/http_transport.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

namespace journeyd::delivery {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

struct SeenRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// A loopback HTTP/1.1 server on its own thread. It answers "/status/N" with status N, "/slow"
// after two seconds, and anything else with 200 echoing the body; every answer carries a
// mixed-case header. Keeps connections alive and counts the ones it accepts.
class TestServer {
 public:
  TestServer() : acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(port()) + target;
  }
  int connections() const { return connections_.load(); }
  std::vector<SeenRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(tcp::socket socket, TestServer* server)
        : stream_(std::move(socket)), timer_(stream_.get_executor()), server_(server) {}

    void Read() {
      request_ = {};
      http::async_read(stream_, buffer_, request_,
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         if (!ec) self->Answer();
                       });
    }

   private:
    void Answer() {
      server_->Record(request_);
      const std::string target(request_.target());
      response_ = {};
      response_.version(11);
      response_.keep_alive(request_.keep_alive());
      response_.set("X-Request-ID", "abc123");
      response_.set(http::field::content_type, "text/plain");
      if (target.rfind("/status/", 0) == 0) {
        response_.result(static_cast<unsigned>(std::stoi(target.substr(8))));
        response_.body() = "status " + target.substr(8);
      } else {
        response_.result(http::status::ok);
        response_.body() = "echo:" + request_.body();
      }
      response_.prepare_payload();
      if (target == "/slow") {
        timer_.expires_after(2s);
        timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Write(); });
      } else {
        Write();
      }
    }

    void Write() {
      http::async_write(stream_, response_,
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (!ec && self->response_.keep_alive()) self->Read();
                        });
    }

    beast::tcp_stream stream_;
    net::steady_timer timer_;
    TestServer* server_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
  };

  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      ++connections_;
      std::make_shared<Session>(std::move(socket), this)->Read();
      Accept();
    });
  }

  void Record(const http::request<http::string_body>& request) {
    SeenRequest seen;
    seen.method = std::string(request.method_string());
    seen.target = std::string(request.target());
    seen.body = request.body();
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      seen.headers[name] = std::string(field.value());
    }
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(std::move(seen));
  }

  net::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<SeenRequest> requests_;
};

TEST_CASE("transport posts a body with its headers and reads the answer", "[delivery]") {
  TestServer server;
  HttpTransport transport({1000ms, 5000ms, "journeyd-test/1", ""});
  HttpRequest request;
  request.url = server.url("/contacts?x=1");
  request.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer t0k3n"}};
  // Large enough that libcurl would ask for 100-continue if allowed.
  request.body = "{\"email\":\"ada@example.com\",\"pad\":\"" + std::string(4096, 'x') + "\"}";
  HttpResponse response = transport.Send(request);

  CHECK(response.transport_error.empty());
  CHECK(response.status == 200);
  CHECK(response.body == "echo:" + request.body);
  CHECK(response.header("x-request-id") == "abc123");
  CHECK(response.header("content-type") == "text/plain");
  CHECK(response.header("X-Request-Id") == "abc123");
  CHECK(response.header("absent").empty());
  for (const auto& [name, value] : response.headers) {
    CHECK(std::none_of(name.begin(), name.end(),
                       [](unsigned char c) { return std::isupper(c) != 0; }));
  }

  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].target == "/contacts?x=1");
  CHECK(seen[0].body == request.body);
  CHECK(seen[0].headers["content-type"] == "application/json");
  CHECK(seen[0].headers["authorization"] == "Bearer t0k3n");
  CHECK(seen[0].headers["user-agent"] == "journeyd-test/1");
  CHECK(seen[0].headers["content-length"] == std::to_string(request.body.size()));
  CHECK(seen[0].headers.count("expect") == 0);
}

TEST_CASE("transport passes status codes through and reuses its connection", "[delivery]") {
  TestServer server;
  HttpTransport transport;
  for (int status : {201, 404, 429, 500, 302}) {
    HttpRequest request;
    request.method = "GET";
    request.url = server.url("/status/" + std::to_string(status));
    HttpResponse response = transport.Send(request);
    CHECK(response.status == status);
    CHECK(response.body == "status " + std::to_string(status));
    CHECK(response.transport_error.empty());
  }
  auto seen = server.requests();
  REQUIRE(seen.size() == 5);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].headers.count("content-length") == 0);
  CHECK(server.connections() == 1);
}

TEST_CASE("transport sends PATCH, PUT and DELETE with and without bodies", "[delivery]") {
  TestServer server;
  HttpTransport transport;
  HttpRequest patch;
  patch.method = "PATCH";
  patch.url = server.url("/contacts/7");
  patch.headers = {{"Content-Type", "application/json"}};
  patch.body = R"({"firstname":"Ada"})";
  HttpResponse response = transport.Send(patch);
  CHECK(response.status == 200);
  CHECK(response.body == "echo:" + patch.body);

  HttpRequest del;
  del.method = "DELETE";
  del.url = server.url("/contacts/7");
  CHECK(transport.Send(del).status == 200);

  // The previous request's body and method must not leak into the next one.
  HttpRequest post;
  post.url = server.url("/empty");
  CHECK(transport.Send(post).status == 200);

  auto seen = server.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].method == "PATCH");
  CHECK(seen[0].body == patch.body);
  CHECK(seen[0].headers["content-type"] == "application/json");
  CHECK(seen[1].method == "DELETE");
  CHECK(seen[1].body.empty());
  CHECK(seen[1].headers.count("content-length") == 0);
  CHECK(seen[2].method == "POST");
  CHECK(seen[2].body.empty());
  CHECK(seen[2].headers["content-length"] == "0");
  // No content type the target did not choose.
  CHECK(seen[2].headers.count("content-type") == 0);
  CHECK(server.connections() == 1);
}

TEST_CASE("transport reports a slow server as timed out", "[delivery]") {
  TestServer server;
  HttpTransport transport({1000ms, 200ms, "journeyd", ""});
  HttpRequest request;
  request.url = server.url("/slow");
  const auto start = std::chrono::steady_clock::now();
  HttpResponse response = transport.Send(request);
  CHECK(std::chrono::steady_clock::now() - start < 1500ms);
  CHECK(response.status == 0);
  CHECK(response.timed_out);
  CHECK_FALSE(response.transport_error.empty());

  // The handle stays usable after a failure.
  request.url = server.url("/status/202");
  CHECK(transport.Send(request).status == 202);
}

TEST_CASE("transport reports a refused connection as status 0", "[delivery]") {
  uint16_t port = 0;
  {
    net::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  HttpTransport transport({1000ms, 2000ms, "journeyd", ""});
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  HttpResponse response = transport.Send(request);
  CHECK(response.status == 0);
  CHECK_FALSE(response.timed_out);
  CHECK_FALSE(response.transport_error.empty());
  INFO(response.transport_error);
  CHECK(response.headers.empty());
}

TEST_CASE("HttpResponse::header finds the first of a name in any case", "[delivery]") {
  HttpResponse response;
  response.headers = {{"retry-after", "5"}, {"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}};
  CHECK(response.header("retry-after") == "5");
  CHECK(response.header("set-cookie") == "a=1");
  CHECK(response.header("x-missing").empty());
}

}  // namespace
}  // namespace journeyd::delivery
