// FakeSourceApi: the list endpoints of a vendor API that journeyd polls (Shopify, WooCommerce,
// Square, Zendesk, Mailchimp, Stripe), enforcing the vendor's contract rather than answering
// anything: its authentication, its pagination (Link headers, cursors, pages, offsets), its
// limits on page sizes and parameters, its incremental filters, and its error and 429 shapes.
// Records are cloned from the vendor's documented examples in shared/fixtures/polling, each
// clone with its own id, email and update time, so a test can seed thousands and check exactly
// which ones journeyd ingested. Every method is thread-safe and may be called while requests
// are being served.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fakes/fake_http_server.h"

namespace journeyd::fakes {

struct FakeSourceApiOptions {
  // shared/fixtures (the directory holding polling/).
  std::filesystem::path fixtures_dir;
  // The credential the fake accepts, in the vendor's scheme: Shopify's access token, Square's,
  // Stripe's secret key and Zendesk's OAuth token as given; WooCommerce "ck_...:cs_..." (HTTP
  // Basic or consumer_key/consumer_secret query parameters); Mailchimp "<any>:<key-us3>" Basic;
  // Zendesk also accepts Basic "<email>/token:<token>" when this is "email/token:token".
  std::string credential;
  // False switches off the vendor's standing rate limits (Shopify's leaky bucket, Zendesk's 10
  // exports a minute), so a benchmark measures journeyd rather than the vendor's pacing.
  // RateLimitNext still works.
  bool enforce_rate_limits = true;
  FakeHttpServerOptions server{};
};

class FakeSourceApi {
 public:
  virtual ~FakeSourceApi() = default;

  virtual std::string_view vendor() const = 0;
  // The collections this fake serves, e.g. {"customers", "orders"}.
  virtual std::vector<std::string> collections() const = 0;
  // What a journeyd `base_url` for this vendor is set to: "http://127.0.0.1:<port>" plus any
  // fixed prefix the vendor's base URL has (none for most).
  virtual std::string base_url() const = 0;
  virtual FakeHttpServer& server() = 0;

  // Adds `count` records to `collection`, cloned from the fixture's example record: clone i
  // (0-based across all calls) gets a distinct id, a distinct email where the record has one,
  // and an update time of `first_updated + i seconds` (creation time likewise). Returns their
  // ids in order.
  // As implemented (FakeSourceApiBase): ids and emails are numbered across all calls, so they
  // never repeat; the times count from 0 within each call, so Seed(c, 1, now) gives a record
  // updated now however many were seeded before.
  virtual std::vector<std::string> Seed(const std::string& collection, int count,
                                        std::chrono::system_clock::time_point first_updated) = 0;
  // Marks a seeded record changed at `at`, as if someone edited it.
  virtual void Touch(const std::string& collection, const std::string& id,
                     std::chrono::system_clock::time_point at) = 0;

  // The next `count` list requests are refused with the vendor's 429 (status, headers such as
  // Retry-After, body) telling the client to wait `retry_after`.
  virtual void RateLimitNext(int count, std::chrono::seconds retry_after) = 0;

  // The list requests served so far with status 200, per collection.
  virtual std::map<std::string, int> PagesServed() const = 0;

  // Mailchimp only: member `member_id` did `action` ("open", "click", "bounce", "sent",
  // "unsub"...) on campaign `campaign_id` at `at`. It shows in the member's activity; like
  // Mailchimp, it does not change the member's last_changed. Other vendors throw
  // std::logic_error.
  virtual void AddMemberActivity(const std::string& member_id, const std::string& action,
                                 const std::string& campaign_id,
                                 std::chrono::system_clock::time_point at) {
    (void)member_id, (void)action, (void)campaign_id, (void)at;
    throw std::logic_error(std::string(vendor()) + " has no member activity");
  }
};

// vendor: "shopify", "woocommerce", "square", "zendesk", "mailchimp", "stripe". Throws
// std::invalid_argument for another name, std::runtime_error when a fixture is missing.
std::unique_ptr<FakeSourceApi> MakeFakeSourceApi(std::string_view vendor,
                                                 FakeSourceApiOptions options);

}  // namespace journeyd::fakes
