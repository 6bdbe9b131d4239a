// What the fake vendor list APIs (fake_source_api.h) share: the per-vendor factories that
// MakeFakeSourceApi dispatches to, fixture loading, timestamps, query strings, credentials,
// opaque cursors, and FakeSourceApiBase, which keeps the seeded records, the queued 429s and the
// pages served behind one lock so that a vendor's file only has to speak its vendor's protocol.
// Like the rest of the fakes, nothing here uses journeyd's own helpers.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/fakes/fake_http_server.h"
#include "tests/fakes/fake_source_api.h"

namespace journeyd::fakes {

// One factory per vendor, each defined in fake_<vendor>_api.cc. They throw std::runtime_error
// when a fixture they clone from is missing.
std::unique_ptr<FakeSourceApi> MakeFakeShopifyApi(FakeSourceApiOptions options);
std::unique_ptr<FakeSourceApi> MakeFakeWooCommerceApi(FakeSourceApiOptions options);
std::unique_ptr<FakeSourceApi> MakeFakeStripeApi(FakeSourceApiOptions options);
std::unique_ptr<FakeSourceApi> MakeFakeSquareApi(FakeSourceApiOptions options);
std::unique_ptr<FakeSourceApi> MakeFakeZendeskApi(FakeSourceApiOptions options);
std::unique_ptr<FakeSourceApi> MakeFakeMailchimpApi(FakeSourceApiOptions options);

using TimePoint = std::chrono::system_clock::time_point;

// --- Fixtures ----------------------------------------------------------------------------------

// The JSON in `path`; throws std::runtime_error naming the file when it is missing or not JSON.
boost::json::value LoadFixture(const std::filesystem::path& path);
// `value` as an object, or throws std::runtime_error naming `what` (a fixture whose shape
// changed must fail loudly, not seed empty records).
const boost::json::object& RequireObject(const boost::json::value& value, std::string_view what);

// --- Time --------------------------------------------------------------------------------------

int64_t UnixSeconds(TimePoint t);
TimePoint FromUnixSeconds(int64_t seconds);
// "2025-04-02T11:25:34-05:00": whole seconds, at the given UTC offset ("+00:00" for 0).
std::string FormatRfc3339(TimePoint t, int utc_offset_minutes);
// "2017-03-21T16:11:14": whole seconds, the wall-clock time at the given UTC offset, without a
// zone designator (WordPress's date_created / date_created_gmt style).
std::string FormatWallClock(TimePoint t, int utc_offset_minutes);
// The UTC offset a timestamp carries, in minutes ("…-05:00" -> -300, "…Z" -> 0), or nothing.
std::optional<int> UtcOffsetMinutes(std::string_view timestamp);
// Parses "YYYY-MM-DD(T| )hh:mm:ss[.fraction][Z|±hh:mm|±hhmm]". A timestamp without a zone is read
// at `default_offset_minutes`, or refused when that is empty. With `allow_date_only`,
// "YYYY-MM-DD" is also accepted (as midnight). Seconds are required; a fraction is kept.
std::optional<TimePoint> ParseTimestamp(std::string_view text,
                                        std::optional<int> default_offset_minutes,
                                        bool allow_date_only = false);

// --- Query strings -----------------------------------------------------------------------------

// A decoded query string, parameters in the order sent (repeats kept).
class QueryParams {
 public:
  explicit QueryParams(std::string_view query);
  const std::vector<std::pair<std::string, std::string>>& all() const { return params_; }
  bool Has(std::string_view name) const;
  size_t Count(std::string_view name) const;
  // The first value of `name`.
  std::optional<std::string> Get(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// A strict decimal integer (an optional '-', then digits only), or nothing.
std::optional<int64_t> ParseInteger(std::string_view text);
// Percent-encodes everything but RFC 3986's unreserved characters.
std::string UrlEncode(std::string_view text);
// "a=1&b=x%20y" from decoded pairs.
std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params);

// --- Credentials -------------------------------------------------------------------------------

// The user and password of an "Authorization: Basic <base64>" value, or nothing.
std::optional<std::pair<std::string, std::string>> ParseBasicAuth(std::string_view header);
// The token of an "Authorization: Bearer <token>" value, or nothing.
std::optional<std::string> ParseBearer(std::string_view header);

// --- Cursors -----------------------------------------------------------------------------------

// An opaque cursor: the unpadded base64url of the object's JSON. DecodeCursor gives nothing for
// text that is not such a cursor, so a client that builds or edits one is refused.
std::string EncodeCursor(const boost::json::object& state);
std::optional<boost::json::object> DecodeCursor(std::string_view cursor);

// --- Records -----------------------------------------------------------------------------------

// A distinct email for clone `n` of a record whose email is `example`:
// "bob.norman@mail.example.com" -> "bob.norman.7@mail.example.com"; without a usable example,
// "customer.7@example.com". (Not "+7": identity resolution may strip plus-addressing.)
std::string CloneEmail(std::string_view example, int64_t n);
// Replaces the value at `path` (object keys) when every step exists and leads through objects;
// returns whether it did. Clones keep the fixture's fields: nothing is ever added.
bool ReplaceAt(boost::json::object& object, std::initializer_list<std::string_view> path,
               boost::json::value value);
// The string at `path`, or "" when absent or not a string.
std::string StringAt(const boost::json::object& object,
                     std::initializer_list<std::string_view> path);

// One seeded record as the fake serves it.
struct SourceRecord {
  std::string id;           // as the vendor spells it: "207119552", "cus_…"
  int64_t clone_index = 0;  // 0-based across every Seed call on the collection
  int64_t sequence = 0;     // 0-based across every Seed call on the fake: insertion order
  boost::json::object body;
  TimePoint created{};
  TimePoint updated{};
};

// --- The common part of a fake -----------------------------------------------------------------

// A vendor's fake derives from this and implements MakeClone, ApplyTouch, Handle and Fault, which
// are always called with mu_ held (so a handler reads records without further locking). Because
// the server calls back into the derived class, the derived constructor must call StartServer()
// as its last statement and the derived destructor StopServer() as its first.
//
// Seed semantics (shared by all vendors): clone i of a call (i = 0..count-1) is updated and
// created at first_updated + i seconds; ids and emails are numbered across all calls
// (clone_index), so seeding twice never repeats one.
class FakeSourceApiBase : public FakeSourceApi {
 public:
  ~FakeSourceApiBase() override;
  FakeSourceApiBase(const FakeSourceApiBase&) = delete;
  FakeSourceApiBase& operator=(const FakeSourceApiBase&) = delete;

  std::string_view vendor() const override { return vendor_; }
  std::vector<std::string> collections() const override { return collections_; }
  std::string base_url() const override;
  FakeHttpServer& server() override;

  // Throws std::invalid_argument for a collection this fake does not serve or count < 0.
  std::vector<std::string> Seed(const std::string& collection, int count,
                                TimePoint first_updated) override;
  // Sets `updated` and lets the vendor rewrite its fields; throws std::invalid_argument for an
  // unknown collection or id.
  void Touch(const std::string& collection, const std::string& id, TimePoint at) override;
  void RateLimitNext(int count, std::chrono::seconds retry_after) override;
  std::map<std::string, int> PagesServed() const override;

 protected:
  FakeSourceApiBase(std::string vendor, FakeSourceApiOptions options,
                    std::vector<std::string> collections);

  void StartServer();
  void StopServer();

  // The record for clone `clone_index` of `collection`, created and updated `at`. The base sets
  // clone_index and sequence afterwards.
  virtual SourceRecord MakeClone(const std::string& collection, int64_t clone_index,
                                 TimePoint at) = 0;
  // Rewrites the vendor's update fields of `record` (record.updated is already `at`).
  virtual void ApplyTouch(const std::string& collection, SourceRecord& record, TimePoint at) = 0;
  virtual Response Handle(const Request& request) = 0;
  // Answers a request failed by FakeHttpServer::FailNext, in the vendor's error shape.
  virtual Response Fault(int status) = 0;

  // For handlers (mu_ held). Records are in insertion order.
  const std::vector<SourceRecord>& Records(const std::string& collection) const;
  const SourceRecord* FindRecord(const std::string& collection, const std::string& id) const;
  // The Retry-After of the next queued 429, consuming it, or nothing.
  std::optional<std::chrono::seconds> TakeQueuedRateLimit();
  void CountPageServed(const std::string& collection) { ++pages_served_[collection]; }
  const FakeSourceApiOptions& options() const { return options_; }

  mutable std::mutex mu_;

 private:
  struct Collection {
    std::vector<SourceRecord> records;
    std::map<std::string, size_t> by_id;
  };

  Collection& CollectionOrThrow(const std::string& name);

  const std::string vendor_;
  const FakeSourceApiOptions options_;
  const std::vector<std::string> collections_;
  std::map<std::string, Collection> records_;     // guarded by mu_
  std::map<std::string, int> pages_served_;       // guarded by mu_
  std::deque<std::chrono::seconds> queued_429s_;  // guarded by mu_
  int64_t next_sequence_ = 0;                     // guarded by mu_
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace journeyd::fakes
