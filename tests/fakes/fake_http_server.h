// FakeHttpServer: the HTTP/1.1 transport under the fake CRMs. It listens on 127.0.0.1, answers
// each request with a handler (kept-alive connections are reused), and injects the faults a
// remote service has: an outage (SetDown), failed requests (FailNext) and slow answers
// (SetDelay). Every request is logged. All methods are thread-safe and may be called while the
// server runs, but not from inside the handler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace journeyd::fakes {

struct Request {
  std::string method;                          // "POST"
  std::string target;                          // as sent: "/a/b?x=1"
  std::string path;                            // target without the query: "/a/b"
  std::string query;                           // "x=1"
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;

  // The value of header `name` (lowercase), or "".
  std::string header(const std::string& name) const;
};

struct Response {
  Response() = default;
  Response(int status_code, std::string body_text)
      : status(status_code), body(std::move(body_text)) {}

  int status = 200;
  std::string body;
  std::string content_type = "application/json;charset=UTF-8";
  std::vector<std::pair<std::string, std::string>> headers;
};

struct LoggedRequest {
  std::string method;
  std::string target;
  int status = 0;  // what the server answered (0: the handler never answered)
  std::string body;
  std::chrono::system_clock::time_point time{};  // when the request was read
};

struct FakeHttpServerOptions {
  uint16_t port = 0;         // 0: any free port; see FakeHttpServer::port()
  size_t log_limit = 10000;  // the log keeps the newest entries, so a benchmark cannot fill memory
};

class FakeHttpServer {
 public:
  using Handler = std::function<Response(const Request&)>;
  // Answers a request failed by FailNext, in the vendor's error shape.
  using FaultResponder = std::function<Response(int status)>;

  // Listens before returning; throws std::runtime_error when the port cannot be bound.
  FakeHttpServer(Handler handler, FaultResponder fault, FakeHttpServerOptions options = {});
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  uint16_t port() const;
  std::string address() const;   // "127.0.0.1:<port>"
  std::string base_url() const;  // "http://127.0.0.1:<port>"

  // An outage: down resets every open connection and every new one at once (clients see
  // connection reset); up serves again on the same port. Returns once done.
  void SetDown(bool down);
  bool IsDown() const;

  // The next `n` requests are answered `status` by the FaultResponder; the handler never sees
  // them, so nothing is applied.
  void FailNext(int n, int status);

  // Every answer (to a path starting with `path_prefix`) is held back this long after the
  // handler ran: a client that times out and retries has had its first request applied, as
  // with a real slow server.
  void SetDelay(std::chrono::milliseconds delay, std::string path_prefix = "");

  std::vector<LoggedRequest> Log() const;
  void ClearLog();
  // Requests answered since start or the last ClearLog(), including those the log dropped.
  size_t RequestCount() const;
  // Answers per HTTP status since start or the last ClearLog().
  std::map<int, size_t> StatusCounts() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace journeyd::fakes
