// FakeHubSpot: HubSpot's CRM v3 API as journeyd uses it (contacts batch upsert, notes and tasks
// batch create), enforcing the vendor's contract rather than accepting anything: the private-app
// token, the rolling and daily rate limits with their X-HubSpot-RateLimit-* headers, 1..100
// inputs, known properties with string values, unique id properties, valid emails and lifecycle
// stages, association type ids; CRM search (EQ and IN filters) with its own limit and index lag. Error bodies have HubSpot's shapes (see
// shared/fixtures/crm/hubspot). What was applied can be read back for assertions; every accessor
// is thread-safe and returns a copy.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/fake_http_server.h"

namespace journeyd::fakes {

// The default portal: HubSpot's standard contact properties journeyd maps to, plus journeyd's
// custom ones.
std::vector<std::string> DefaultHubSpotContactProperties();
// HubSpot's default lifecycle stages, in order.
std::vector<std::string> DefaultHubSpotLifecycleStages();

struct HubSpotOptions {
  std::string token = "pat-na1-fake-token";  // the private app's access token
  int window_budget = 100;                   // requests per rolling window
  std::chrono::milliseconds window{10000};
  int daily_budget = 250000;
  std::vector<std::string> contact_properties = DefaultHubSpotContactProperties();
  // Properties declared unique, usable as idProperty besides email.
  std::vector<std::string> unique_properties{"journeyd_profile_id"};
  std::vector<std::string> lifecycle_stages = DefaultHubSpotLifecycleStages();
  // CRM search: its own per-second limit (4 per token, as HubSpot's changelog states; over it,
  // the recorded 429 "You have reached your secondly limit."), and the lag before a new record
  // shows in search results (HubSpot documents that there is one, not how long: inferred).
  int search_per_second = 4;
  std::chrono::milliseconds search_index_delay{1000};
  FakeHttpServerOptions server{};
};

struct HubSpotContact {
  std::string id;
  std::map<std::string, std::string> properties;
  int upsert_count = 0;  // upsert and update inputs applied to this contact
  // Every value each property was set to, oldest first (a repeated value is recorded again).
  std::map<std::string, std::vector<std::string>> history;
  std::string created_at;
  std::string updated_at;
};

// A note or a task.
struct HubSpotEngagement {
  std::string id;
  std::map<std::string, std::string> properties;
  std::vector<std::string> contact_ids;  // associated contacts
  std::string created_at;
};

struct HubSpotStats {
  size_t upsert_inputs = 0;    // upsert inputs applied
  size_t created_objects = 0;  // notes and tasks created
  size_t searches = 0;         // search requests answered 200
  size_t input_errors = 0;     // inputs refused inside a 207
};

class FakeHubSpot {
 public:
  explicit FakeHubSpot(HubSpotOptions options = {});
  ~FakeHubSpot();
  FakeHubSpot(const FakeHubSpot&) = delete;
  FakeHubSpot& operator=(const FakeHubSpot&) = delete;

  // Fault injection, the request log and the address.
  FakeHttpServer& server() { return *server_; }
  uint16_t port() const { return server_->port(); }
  std::string base_url() const { return server_->base_url(); }

  std::vector<HubSpotContact> Contacts() const;  // in creation order
  std::optional<HubSpotContact> ContactById(const std::string& id) const;
  std::optional<HubSpotContact> ContactByEmail(const std::string& email) const;  // any case
  std::vector<HubSpotEngagement> Notes() const;
  std::vector<HubSpotEngagement> Tasks() const;
  // How many notes and tasks carry journeyd_key == key: more than one means a duplicate.
  int KeyCount(const std::string& key) const;
  std::map<std::string, int> KeyCounts() const;
  // Requests that reached the fake (not those FailNext answered), by path without the query,
  // whatever the answer.
  std::map<std::string, size_t> RequestsPerPath() const;
  HubSpotStats Stats() const;

 private:
  struct State;

  Response Handle(const Request& request);
  Response Fault(int status);

  const HubSpotOptions options_;
  std::unique_ptr<State> state_;  // guarded by mu_
  mutable std::mutex mu_;
  std::unique_ptr<FakeHttpServer> server_;  // last: stops before the state goes
};

}  // namespace journeyd::fakes
