#include "daemon/server/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <spdlog/spdlog.h>

#include "daemon/server/http_errors.h"
#include "daemon/server/http_server.h"

namespace journeyd::server {

namespace net = boost::asio;
namespace beast = boost::beast;

HttpSession::HttpSession(net::ip::tcp::socket socket, std::shared_ptr<HttpServer> server)
    : stream_(std::move(socket)), server_(std::move(server)) {
  boost::system::error_code ec;
  auto endpoint = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_address_ = endpoint.address().to_string();
}

HttpSession::~HttpSession() { server_->OnSessionEnd(this); }

void HttpSession::Start() {
  server_->OnSessionStart(shared_from_this());
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    if (self->server_->draining()) {
      self->Close();
      return;
    }
    self->ReadHeader();
  });
}

void HttpSession::Drain() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    if (!self->busy_) self->Close();
  });
}

void HttpSession::ReadHeader() {
  const auto& limits = server_->limits();
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(limits.max_header.bytes));
  parser_->body_limit(limits.max_body.bytes);
  busy_ = false;
  // The first request must arrive within the header timeout; later ones on a keep-alive
  // connection may wait up to the idle timeout.
  stream_.expires_after(first_request_ ? limits.header_timeout : limits.idle_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&HttpSession::OnHeader, shared_from_this()));
}

void HttpSession::OnHeader(beast::error_code ec, size_t /*bytes*/) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == net::error::operation_aborted || ec == net::error::connection_reset) {
    return Close();
  }
  busy_ = true;
  started_ = std::chrono::steady_clock::now();
  method_ = parser_->get().method();  // verb::unknown when the header did not parse
  if (ec == http::error::header_limit) {
    return SendErrorAndClose(http::status::request_header_fields_too_large, "header_too_large",
                             "request headers exceed the configured limit");
  }
  if (ec == http::error::body_limit) {
    return SendErrorAndClose(http::status::payload_too_large, "body_too_large",
                             "request body exceeds the configured limit of " +
                                 std::to_string(server_->limits().max_body.bytes) + " bytes");
  }
  if (ec) {
    return SendErrorAndClose(http::status::bad_request, "bad_request",
                             "malformed HTTP request: " + ec.message());
  }
  const auto& header = parser_->get();
  // RFC 9112 6.3: a request whose Transfer-Encoding does not end in chunked ("gzip",
  // "chunked, identity", "xchunked") has no length a server can know. Beast would read it as
  // bodiless and its body as the next request, which a proxy in front that framed the bytes
  // otherwise turns into a smuggled request. Refuse it, and close.
  if (header.find(http::field::transfer_encoding) != header.end() && !parser_->chunked()) {
    return SendErrorAndClose(http::status::bad_request, "bad_request",
                             "malformed HTTP request: Transfer-Encoding must end in chunked");
  }
  stream_.expires_after(server_->limits().request_timeout);
  // The buffer grows 512 bytes per read otherwise: a 15 KB webhook would take ~30 recvmsg
  // calls. With room for the declared body (already checked against max_body) it takes one or two.
  if (const auto length = parser_->content_length()) {
    const size_t wanted = buffer_.size() + static_cast<size_t>(*length);
    if (buffer_.capacity() < wanted) buffer_.reserve(wanted);
  }
  if (beast::iequals(header[http::field::expect], "100-continue")) {
    // Clients that ask first (curl does for large bodies) would otherwise wait a second.
    auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                      header.version());
    http::async_write(stream_, *interim,
                      [self = shared_from_this(), interim](beast::error_code write_ec, size_t) {
                        if (write_ec) return self->Close();
                        http::async_read(self->stream_, self->buffer_, *self->parser_,
                                         beast::bind_front_handler(&HttpSession::OnBody, self));
                      });
    return;
  }
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::OnBody, shared_from_this()));
}

void HttpSession::OnBody(beast::error_code ec, size_t /*bytes*/) {
  if (ec == http::error::body_limit) {
    return SendErrorAndClose(http::status::payload_too_large, "body_too_large",
                             "request body exceeds the configured limit of " +
                                 std::to_string(server_->limits().max_body.bytes) + " bytes");
  }
  if (ec == beast::error::timeout || ec == net::error::operation_aborted ||
      ec == net::error::connection_reset) {
    return Close();
  }
  if (ec) {
    return SendErrorAndClose(http::status::bad_request, "bad_request",
                             "malformed HTTP request body: " + ec.message());
  }
  Dispatch();
}

void HttpSession::Dispatch() {
  // The body has been read: from here on the time is the daemon's, not the client's upload.
  started_ = std::chrono::steady_clock::now();
  auto request = std::make_shared<HttpRequest>(parser_->release());
  method_ = request->method();
  const std::string_view target = request->target();
  const size_t question = target.find('?');
  auto context = std::make_shared<RequestContext>(RequestContext{
      *request, {}, target.substr(0, question),
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1),
      remote_address_});
  // The request and context stay alive until the handler answers, however late.
  Respond respond = [self = shared_from_this(), request, context](HttpResponse response) {
    net::dispatch(self->stream_.get_executor(),
                  [self, route = context->route, response = std::move(response)]() mutable {
                    self->Send(std::move(response), route);
                  });
  };
  try {
    server_->router().Dispatch(*context, std::move(respond));
  } catch (const std::exception& e) {
    // A handler bug fails this request, not the process.
    spdlog::error("handler for {} threw: {}", std::string(context->path), e.what());
    route_ = context->route;
    SendErrorAndClose(http::status::internal_server_error, "internal", "internal error");
  }
}

void HttpSession::Send(HttpResponse response, std::string_view route) {
  if (closed_) return;
  if (route != kUnmatchedRoute) route_ = route;
  status_ = response.result_int();
  if (server_->draining()) response.keep_alive(false);
  response.set(http::field::server, "journeyd");
  const bool keep_alive = response.keep_alive();
  pending_response_ = std::make_shared<HttpResponse>(std::move(response));
  stream_.expires_after(server_->limits().request_timeout);
  http::async_write(stream_, *pending_response_,
                    beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this(),
                                              keep_alive));
}

void HttpSession::OnWrite(bool keep_alive, beast::error_code ec, size_t /*bytes*/) {
  pending_response_.reset();
  // Counted even when the write failed: the daemon answered, the client went away.
  if (HttpMetrics* metrics = server_->metrics(); metrics != nullptr && status_ != 0) {
    metrics->Record(route_, method_, status_, std::chrono::steady_clock::now() - started_);
  }
  status_ = 0;
  route_ = kUnmatchedRoute;
  if (ec || !keep_alive || server_->draining()) return Close();
  first_request_ = false;
  ReadHeader();
}

void HttpSession::SendErrorAndClose(http::status status, std::string_view code,
                                    std::string_view message) {
  HttpRequest stand_in;
  stand_in.version(11);
  stand_in.keep_alive(false);
  HttpResponse response = ErrorResponse(stand_in, status, code, message);
  response.keep_alive(false);
  Send(std::move(response));
}

void HttpSession::Close() {
  if (closed_) return;
  closed_ = true;
  beast::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  stream_.socket().close(ignored);
}

}  // namespace journeyd::server
