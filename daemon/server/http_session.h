// HttpSession serves one TCP connection: read a request (fresh parser each time, with the
// configured limits), dispatch it, write the answer, repeat while keep-alive. All its state
// lives on its strand; handlers answer through a Respond that posts back onto it. Each answer
// written is reported to the server's HttpMetrics with its route, method, status and time.
#pragma once

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

#include "daemon/server/http_types.h"

namespace journeyd::server {

class HttpServer;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<HttpServer> server);
  ~HttpSession();

  void Start();
  // Posted by the server when draining: close now if idle, else after the current answer.
  void Drain();

 private:
  void ReadHeader();
  void OnHeader(boost::beast::error_code ec, size_t bytes);
  void OnBody(boost::beast::error_code ec, size_t bytes);
  void Dispatch();
  // `route` is the pattern the router matched, for the metrics.
  void Send(HttpResponse response, std::string_view route = kUnmatchedRoute);
  void OnWrite(bool keep_alive, boost::beast::error_code ec, size_t bytes);
  void SendErrorAndClose(http::status status, std::string_view code, std::string_view message);
  void Close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<HttpServer> server_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpResponse> pending_response_;  // kept alive during async_write
  std::string remote_address_;
  // The request being answered, for the metrics. Timed from when it was read (its header, for
  // one refused before a handler saw it) to when its answer is written.
  std::chrono::steady_clock::time_point started_;
  http::verb method_ = http::verb::unknown;
  std::string_view route_ = kUnmatchedRoute;  // points into the router, or the constant
  unsigned status_ = 0;                       // 0: nothing sent yet
  bool busy_ = false;        // a request is being handled or answered
  bool first_request_ = true;
  bool closed_ = false;
};

}  // namespace journeyd::server
