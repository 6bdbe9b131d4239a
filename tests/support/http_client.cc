#include "tests/support/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>

namespace journeyd::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct HttpConnection::Impl {
  net::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  std::string host;

  Result<HttpResult> ReadResponse(std::chrono::milliseconds timeout) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    beast::error_code ec;
    stream.expires_after(timeout);
    bool done = false;
    http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) {
      ec = e;
      done = true;
    });
    io.restart();
    io.run();
    if (!done || ec) return Unavailable("read: " + ec.message());
    HttpResult result;
    const auto& response = parser.get();
    result.status = response.result_int();
    result.body = response.body();
    result.keep_alive = response.keep_alive();
    for (const auto& field : response) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      result.headers[name] = std::string(field.value());
    }
    return result;
  }
};

std::string HttpResult::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string{} : it->second;
}

HttpConnection::HttpConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpConnection::~HttpConnection() = default;

Result<std::unique_ptr<HttpConnection>> HttpConnection::Connect(const std::string& host,
                                                                uint16_t port) {
  auto impl = std::make_unique<Impl>();
  impl->host = host;
  beast::error_code ec;
  impl->stream.socket().connect(
      net::ip::tcp::endpoint(net::ip::make_address(host), port), ec);
  if (ec) return Unavailable("connect: " + ec.message());
  return std::unique_ptr<HttpConnection>(new HttpConnection(std::move(impl)));
}

Result<HttpResult> HttpConnection::Request(const std::string& method, const std::string& target,
                                           const std::string& body, const Headers& headers,
                                           std::chrono::milliseconds timeout) {
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, impl_->host);
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty() || method == "POST" || method == "PUT") {
    request.body() = body;
    request.prepare_payload();
  }
  beast::error_code ec;
  http::write(impl_->stream.socket(), request, ec);
  if (ec) return Unavailable("write: " + ec.message());
  return impl_->ReadResponse(timeout);
}

Result<HttpResult> HttpConnection::RawRequest(const std::string& bytes,
                                              std::chrono::milliseconds timeout) {
  beast::error_code ec;
  net::write(impl_->stream.socket(), net::buffer(bytes), ec);
  if (ec) return Unavailable("write: " + ec.message());
  return impl_->ReadResponse(timeout);
}

bool HttpConnection::ClosedByPeer(std::chrono::milliseconds timeout) {
  char byte;
  beast::error_code ec;
  bool done = false;
  impl_->stream.expires_after(timeout);
  impl_->stream.async_read_some(net::buffer(&byte, 1), [&](beast::error_code e, size_t) {
    ec = e;
    done = true;
  });
  impl_->io.restart();
  impl_->io.run();
  return done && (ec == net::error::eof || ec == net::error::connection_reset);
}

Result<HttpResult> HttpRequest(const std::string& host, uint16_t port, const std::string& method,
                               const std::string& target, const std::string& body,
                               const Headers& headers) {
  auto connection = HttpConnection::Connect(host, port);
  if (!connection.ok()) return connection.error();
  return (*connection)->Request(method, target, body, headers);
}

}  // namespace journeyd::testing
