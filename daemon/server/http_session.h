// HttpSession serves one TCP connection: read a request (fresh parser each time, with the
// configured limits), dispatch it, write the answer, repeat while keep-alive. All its state
// lives on its strand; handlers answer through a Respond that posts back onto it.
#pragma once

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>

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
  void Send(HttpResponse response);
  void OnWrite(bool keep_alive, boost::beast::error_code ec, size_t bytes);
  void SendErrorAndClose(http::status status, std::string_view code, std::string_view message);
  void Close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<HttpServer> server_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpResponse> pending_response_;  // kept alive during async_write
  std::string remote_address_;
  bool busy_ = false;        // a request is being handled or answered
  bool first_request_ = true;
  bool closed_ = false;
};

}  // namespace journeyd::server
