// The server's limits through the real daemon: header size, slow and idle clients, connection
// cap, pipelining, and inbox backpressure.
#include <catch2/catch.hpp>

#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>

#include "engine/storage/sqlite/sqlite_db.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;

std::string Config(const std::string& limits, const std::string& ingest = "") {
  return R"(server:
  listen: 127.0.0.1:8080
  admin_token: ${env:JOURNEYD_ADMIN_TOKEN}
  read_token: ${env:JOURNEYD_READ_TOKEN}
  limits:
)" + limits + ingest +
         R"(sources:
  - name: hooks
    type: bearer
    token: ${env:JOURNEYD_ADMIN_TOKEN}
)";
}

// Reads whatever the server sends until it closes or `timeout` passes.
std::string ReadUntilClose(net::ip::tcp::socket& socket, std::chrono::milliseconds timeout) {
  socket.non_blocking(true);
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    boost::system::error_code ec;
    const size_t n = socket.read_some(net::buffer(buffer), ec);
    if (ec == net::error::would_block) {
      std::this_thread::sleep_for(10ms);
      continue;
    }
    if (ec) return out + "<closed>";
    out.append(buffer, n);
  }
  return out;
}

net::ip::tcp::socket Connect(net::io_context& io, const DaemonProcess& daemon) {
  net::ip::tcp::socket socket(io);
  socket.connect({net::ip::make_address(daemon.host()), daemon.port()});
  return socket;
}

TEST_CASE("oversized headers get 431 and slow or idle clients are cut off", "[http]") {
  TempDir dir;
  DaemonProcess daemon(
      dir.Write("j.yaml", Config("    max_header: 2KiB\n    header_timeout: 1s\n"
                                 "    idle_timeout: 1s\n")),
      dir.path() / "data");
  REQUIRE(daemon.Start());

  auto big = HttpGet(daemon.host(), daemon.port(), "/healthz",
                     {{"X-Padding", std::string(4096, 'a')}});
  REQUIRE(big.ok());
  CHECK(big->status == 431);

  net::io_context io;
  // Slow loris: a request line and never the end of the headers.
  auto slow = Connect(io, daemon);
  net::write(slow, net::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n")));
  const auto started = std::chrono::steady_clock::now();
  CHECK_THAT(ReadUntilClose(slow, 5s), Catch::EndsWith("<closed>"));
  CHECK(std::chrono::steady_clock::now() - started < 3s);

  // Idle keep-alive connection after one request.
  auto idle = HttpConnection::Connect(daemon.host(), daemon.port());
  REQUIRE(idle.ok());
  REQUIRE((*idle)->Request("GET", "/healthz")->status == 200);
  CHECK((*idle)->ClosedByPeer(4s));

  // Others were served all along.
  CHECK(HttpGet(daemon.host(), daemon.port(), "/healthz")->status == 200);
}

TEST_CASE("pipelined requests are answered in order on one connection", "[http]") {
  TempDir dir;
  DaemonProcess daemon(dir.Write("j.yaml", Config("    max_connections: 64\n")),
                       dir.path() / "data");
  REQUIRE(daemon.Start());
  net::io_context io;
  auto socket = Connect(io, daemon);
  net::write(socket, net::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                             "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                                             "GET /readyz HTTP/1.1\r\nHost: x\r\n"
                                             "Connection: close\r\n\r\n")));
  const std::string replies = ReadUntilClose(socket, 5s);
  const size_t first = replies.find("HTTP/1.1 200");
  const size_t second = replies.find("HTTP/1.1 404");
  const size_t third = replies.find("HTTP/1.1 200", first + 1);
  CHECK(first != std::string::npos);
  CHECK(second != std::string::npos);
  CHECK(third != std::string::npos);
  CHECK(first < second);
  CHECK(second < third);
}

TEST_CASE("connections past max_connections are refused with 503", "[http]") {
  TempDir dir;
  DaemonProcess daemon(dir.Write("j.yaml", Config("    max_connections: 4\n"
                                                  "    idle_timeout: 30s\n"
                                                  "    header_timeout: 30s\n")),
                       dir.path() / "data");
  REQUIRE(daemon.Start());
  // Each held connection completes a request, so the server has certainly counted it. The
  // readiness probes' connections are closed, but the server frees their places only when it
  // notices: until then a new connection may be the one refused, so each is retried briefly.
  std::vector<std::unique_ptr<HttpConnection>> held;
  for (int i = 0; i < 4; ++i) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (true) {
      auto connection = HttpConnection::Connect(daemon.host(), daemon.port());
      REQUIRE(connection.ok());
      auto answer = (*connection)->Request("GET", "/healthz");
      if (answer.ok() && answer->status == 200) {
        held.push_back(std::move(*connection));
        break;
      }
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(20ms);
    }
  }
  net::io_context io;
  auto refused = Connect(io, daemon);
  CHECK_THAT(ReadUntilClose(refused, 3s), Catch::StartsWith("HTTP/1.1 503"));
  held.clear();
  // Closed connections free their places as soon as the server notices.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  int status = 0;
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    auto r = HttpGet(daemon.host(), daemon.port(), "/healthz");
    status = r.ok() ? r->status : 0;
    if (status != 200) std::this_thread::sleep_for(50ms);
  }
  CHECK(status == 200);
}

TEST_CASE("past the backlog high-water mark intake answers 503 with Retry-After", "[http]") {
  TempDir dir;
  DaemonProcess daemon(
      dir.Write("j.yaml", Config("    max_connections: 64\n", "ingest:\n  backlog_high_water: 3\n")),
      dir.path() / "data");
  REQUIRE(daemon.Start());
  // Holds the mapping stage, which is woken by every commit and would otherwise take each
  // event before the next arrives: its commits (marking events taken) fail, so they stay
  // pending. Intake's inserts are untouched.
  {
    auto db = storage::SqliteDb::Open(daemon.data_dir() / "journeyd.db", 5s);
    REQUIRE(db.ok());
    REQUIRE((*db)->Exec("CREATE TRIGGER test_hold_mapping BEFORE UPDATE OF processed_at ON inbox"
                        " BEGIN SELECT RAISE(ABORT, 'held by the test'); END")
                .ok());
  }
  const Headers headers = {{"Authorization", "Bearer test-admin-token"},
                           {"Content-Type", "application/json"}};
  for (int i = 0; i < 3; ++i) {
    auto accepted = HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/hooks",
                                "{\"n\":" + std::to_string(i) + "}", headers);
    REQUIRE(accepted.ok());
    CHECK(accepted->status == 200);
  }
  auto refused = HttpRequest(daemon.host(), daemon.port(), "POST", "/webhooks/hooks",
                             "{\"n\":4}", headers);
  REQUIRE(refused.ok());
  CHECK(refused->status == 503);
  CHECK(refused->header("retry-after") == "5");
  CHECK(boost::json::parse(refused->body).at("error").at("code") == "unavailable");
}

}  // namespace
}  // namespace journeyd::testing
