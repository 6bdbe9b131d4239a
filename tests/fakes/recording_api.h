// RecordingApi: a minimal HTTP API on loopback for unit tests of HTTP clients. Each request is
// recorded, then answered by the test's handler (which may be swapped between requests); the
// faults of FakeHttpServer (FailNext, SetDelay, SetDown) are there through server(). Unlike the
// vendor fakes it enforces nothing: the handler is the contract. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakes/fake_http_server.h"

namespace journeyd::fakes {

class RecordingApi {
 public:
  using Handler = std::function<Response(const Request&)>;

  explicit RecordingApi(Handler handler)
      : handler_(std::move(handler)),
        server_(std::make_unique<FakeHttpServer>(
            [this](const Request& request) {
              Handler current;
              {
                std::lock_guard lock(mu_);
                requests_.push_back(request);
                current = handler_;
              }
              return current(request);
            },
            [](int status) { return Response(status, R"({"error":"fault"})"); })) {}

  void set_handler(Handler handler) {
    std::lock_guard lock(mu_);
    handler_ = std::move(handler);
  }
  std::string base_url() const { return server_->base_url(); }
  std::string url(const std::string& target) const { return server_->base_url() + target; }
  size_t request_count() const { return server_->RequestCount(); }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // Requests made to `path` (no query).
  size_t count(const std::string& path) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& r : requests_) n += r.path == path ? 1 : 0;
    return n;
  }
  FakeHttpServer& server() { return *server_; }

 private:
  mutable std::mutex mu_;
  Handler handler_;
  std::vector<Request> requests_;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace journeyd::fakes
