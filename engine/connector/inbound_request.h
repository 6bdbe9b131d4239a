// InboundRequest is what a webhook source sees of one HTTP request: method, path, query, headers
// and the raw body bytes exactly as received (signatures are computed over those bytes). It is a
// view: it borrows the body and headers from the server's request, which outlive the call.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace journeyd {

class HeaderView {
 public:
  virtual ~HeaderView() = default;
  // Case-insensitive lookup (HTTP/2 lowercases names); the first value if repeated.
  virtual std::optional<std::string_view> Get(std::string_view name) const = 0;
};

// Headers kept in a plain vector: for tests, the CLI and stored requests.
class HeaderList final : public HeaderView {
 public:
  HeaderList() = default;
  HeaderList(std::initializer_list<std::pair<std::string, std::string>> headers)
      : headers_(headers) {}
  void Add(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
  }
  std::optional<std::string_view> Get(std::string_view name) const override;
  const std::vector<std::pair<std::string, std::string>>& entries() const { return headers_; }

 private:
  std::vector<std::pair<std::string, std::string>> headers_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

struct InboundRequest {
  std::string_view method;
  std::string_view path;   // without the query, e.g. /webhooks/shopify
  std::string_view query;  // raw, without '?'
  const HeaderView* headers = nullptr;
  std::string_view body;
  std::chrono::system_clock::time_point received_at;
};

}  // namespace journeyd
