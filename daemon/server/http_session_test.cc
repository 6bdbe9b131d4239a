// HttpSession's framing checks, on a real HttpServer on loopback fed raw bytes: what a request
// smuggler sends must be refused whole, never half-served with the rest read as a new request.
#include "daemon/server/http_session.h"

#include <catch2/catch.hpp>

#include <poll.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "daemon/server/http_errors.h"
#include "daemon/server/http_server.h"
#include "daemon/server/router.h"

namespace journeyd::server {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;

// A server on 127.0.0.1 with two routes; counts the requests its handlers saw.
class TestServer {
 public:
  TestServer() {
    router_.Add(http::verb::post, "/hooks", [this](RequestContext& ctx, Respond respond) {
      ++posts;
      respond(JsonResponse(ctx.request, http::status::ok, {{"bytes", ctx.request.body().size()}}));
    });
    router_.Add(http::verb::get, "/probe", [this](RequestContext& ctx, Respond respond) {
      ++probes;
      respond(JsonResponse(ctx.request, http::status::ok, {{"status", "ok"}}));
    });
    server_ = std::make_shared<HttpServer>(io_, router_, config::ServerLimits{});
    auto bound = server_->Listen({"127.0.0.1", 0});
    REQUIRE(bound.ok());
    port_ = bound->port();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    io_.stop();
    thread_.join();
  }

  // Sends `bytes` on a new connection and returns all the server answered until it closed
  // (or 3 s passed: then without the "<closed>" the caller can check for).
  std::string Exchange(const std::string& bytes) {
    net::io_context io;
    net::ip::tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), port_});
    net::write(socket, net::buffer(bytes));
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{socket.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      boost::system::error_code ec;
      const size_t n = socket.read_some(net::buffer(buffer), ec);
      if (ec) return out + "<closed>";
      out.append(buffer, n);
    }
    return out;
  }

  std::atomic<int> posts{0};
  std::atomic<int> probes{0};

 private:
  net::io_context io_;
  Router router_;
  std::shared_ptr<HttpServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_CASE("a Transfer-Encoding that does not end in chunked is refused, not smuggled",
          "[http]") {
  TestServer server;
  // The body of each is a complete second request: served, it would be a smuggled request.
  const std::string smuggled = "GET /probe HTTP/1.1\r\nHost: x\r\n\r\n";
  for (const char* coding : {"gzip", "chunked, identity", "xchunked", "identity"}) {
    INFO("Transfer-Encoding: " << coding);
    const std::string answer = server.Exchange(
        std::string("POST /hooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: ") +
        coding + "\r\n\r\n" + smuggled);
    CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 400 Bad Request"));
    CHECK_THAT(answer, Catch::Contains("Transfer-Encoding must end in chunked"));
    CHECK_THAT(answer, Catch::EndsWith("<closed>"));
    CHECK(Count(answer, "HTTP/1.1 ") == 1);
  }
  CHECK(server.posts == 0);
  CHECK(server.probes == 0);

  // Chunked framing still works, and a pipelined request after it is served in turn.
  const std::string chunked = server.Exchange(
      "POST /hooks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "2\r\n{}\r\n0\r\n\r\n"
      "GET /probe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(Count(chunked, "HTTP/1.1 200 OK") == 2);
  CHECK_THAT(chunked, Catch::Contains(R"({"bytes":2})"));
  CHECK(server.posts == 1);
  CHECK(server.probes == 1);
}

}  // namespace
}  // namespace journeyd::server
