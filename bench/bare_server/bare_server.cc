// bare_server: the ceiling for bench/ingest.
//
// A minimal Boost.Beast async HTTP/1.1 server that reads each request in full (any method, any
// path, body up to 16 MiB) and answers 200 {"status":"accepted"}, honouring keep-alive. Its
// shape is journeyd's (one io_context run by N threads, a strand per connection) but it does
// nothing with the request: no routing, JSON, signature check or storage. wrk against it measures
// what the machine, the loopback and Beast's HTTP layer cost; journeyd's req/s divided by this
// one is the share of that ceiling journeyd keeps.
//
// Usage: bare_server [threads] [port] [example]   (defaults: 2 threads, port 0 = any free port;
//        "example": read with Beast's example-server buffer, which grows 512 bytes per read)
// Prints "127.0.0.1:<port>" on stdout once listening; stops on SIGINT/SIGTERM.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, bool example_buffer) : stream_(std::move(socket)) {
    // A ceiling should not pay for small reads: without room, flat_buffer grows 512 bytes per
    // recvmsg. journeyd reserves the declared Content-Length for the same reason. The
    // "example" mode keeps Beast's example-server buffer, for comparison with figures taken
    // from servers of that shape.
    if (!example_buffer) buffer_.reserve(64 * 1024);
  }

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(16 * 1024 * 1024);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      return close();  // end_of_stream, reset or parse error: drop the connection
    }
    request_ = parser_->release();
    response_ = {};
    response_.version(request_.version());
    response_.result(http::status::ok);
    response_.set(http::field::content_type, "application/json");
    response_.body() = R"({"status":"accepted"})";
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code wec, std::size_t) {
                        if (wec) return self->close();
                        if (!self->response_.keep_alive()) return self->close();
                        self->read();
                      });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

// Each connection gets its own strand; the acceptor is only touched from its accept chain.
void accept(tcp::acceptor& acceptor, bool example_buffer) {
  acceptor.async_accept(asio::make_strand(acceptor.get_executor()),
                        [&acceptor, example_buffer](beast::error_code ec, tcp::socket socket) {
                          if (ec == asio::error::operation_aborted) return;
                          if (!ec) {
                            socket.set_option(tcp::no_delay(true), ec);
                            std::make_shared<Session>(std::move(socket), example_buffer)
                                ->start();
                          }
                          accept(acceptor, example_buffer);
                        });
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::max(1, std::atoi(argv[1])) : 2;
  const auto port = static_cast<unsigned short>(argc > 2 ? std::atoi(argv[2]) : 0);
  const bool example_buffer = argc > 3 && std::string_view(argv[3]) == "example";

  asio::io_context ioc(threads);
  tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), port});
  acceptor.listen(asio::socket_base::max_listen_connections);
  std::cout << "127.0.0.1:" << acceptor.local_endpoint().port() << std::endl;

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&ioc](beast::error_code, int) { ioc.stop(); });  // exit closes sockets
  accept(acceptor, example_buffer);

  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  return 0;
}
