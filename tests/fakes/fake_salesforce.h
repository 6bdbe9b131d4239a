// FakeSalesforce: the Salesforce REST API as journeyd uses it, enforcing the vendor's contract:
// OAuth 2.0 tokens (client credentials, and the JWT bearer flow with an RS256 assertion checked
// against the connected app's key), sessions that expire, the org's daily API allocation
// (Sforce-Limit-Info, 403 REQUEST_LIMIT_EXCEEDED), and sObject Collections upsert by external id
// and create with their per-record results, required fields, field lists, email and reference
// checks, and allOrNone rollback. Error bodies have Salesforce's shapes (see
// shared/fixtures/crm/salesforce). Updates by Id, deletes and queries are not faked. Every
// accessor is thread-safe and returns a copy.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/fake_http_server.h"

namespace journeyd::fakes {

// What the org knows about one sObject type. Field names are matched case-insensitively, as
// Salesforce does; `Id` is implicit.
struct SObjectSchema {
  std::string key_prefix;  // the first 3 characters of its ids: "003"
  std::vector<std::string> fields;
  std::vector<std::string> required;      // on create, and never to be blanked
  std::vector<std::string> email_fields;  // checked as email addresses
  std::vector<std::string> external_ids;  // unique; usable in the upsert URI
  // Lookup fields -> the sObject types they may point to.
  std::map<std::string, std::vector<std::string>> references;
};

// Contact, Lead and Task with the fields journeyd maps to.
std::map<std::string, SObjectSchema> DefaultSObjects();

struct SalesforceOptions {
  std::string client_id = "3MVG9fake.consumer.key";  // the connected app's consumer key
  std::string client_secret = "fake-consumer-secret";
  std::string username = "integration@journeyd.example";  // the JWT `sub`
  std::string audience = "https://login.salesforce.com";  // the JWT `aud`
  // The connected app's certificate or public key (PEM); empty refuses every JWT.
  std::string jwt_public_key_pem;
  std::chrono::seconds token_lifetime{std::chrono::hours(2)};
  int daily_api_limit = 15000;
  // Accepted as a session without an OAuth exchange until ExpireAllTokens(); empty: none.
  std::string static_token;
  std::map<std::string, SObjectSchema> sobjects = DefaultSObjects();
  FakeHttpServerOptions server{};
};

struct SalesforceRecord {
  std::string id;              // 18 characters, with the type's key prefix
  std::string type;            // "Contact"
  boost::json::object fields;  // by the schema's field names; a field set to null is removed
  int upsert_count = 0;        // upserts by external id applied to this record
};

struct SalesforceStats {
  size_t records_applied = 0;  // created or updated
  size_t record_errors = 0;    // records answered success:false
};

class FakeSalesforce {
 public:
  // Throws std::invalid_argument when jwt_public_key_pem is set but unreadable.
  explicit FakeSalesforce(SalesforceOptions options = {});
  ~FakeSalesforce();
  FakeSalesforce(const FakeSalesforce&) = delete;
  FakeSalesforce& operator=(const FakeSalesforce&) = delete;

  // Fault injection, the request log and the address (also the tokens' instance_url).
  FakeHttpServer& server() { return *server_; }
  uint16_t port() const { return server_->port(); }
  std::string base_url() const { return server_->base_url(); }

  // Revokes every session, the static token included: the next data request gets a 401.
  void ExpireAllTokens();

  std::vector<SalesforceRecord> Records(const std::string& sobject) const;  // in creation order
  std::optional<SalesforceRecord> RecordById(const std::string& id) const;
  std::optional<SalesforceRecord> FindByExternalId(const std::string& sobject,
                                                   const std::string& field,
                                                   const std::string& value) const;
  // Upserts applied to the record with that external id (0 if none).
  int UpsertCount(const std::string& sobject, const std::string& field,
                  const std::string& value) const;
  // Tokens issued per grant_type ("client_credentials", "urn:...:jwt-bearer").
  std::map<std::string, int> TokensIssued() const;
  int ApiUsage() const;  // the `used` of Sforce-Limit-Info
  // Requests that reached the fake (not those FailNext answered), by path without the query,
  // whatever the answer.
  std::map<std::string, size_t> RequestsPerPath() const;
  SalesforceStats Stats() const;

 private:
  struct State;

  Response Handle(const Request& request);
  Response Fault(int status);

  const SalesforceOptions options_;
  std::unique_ptr<State> state_;  // guarded by mu_
  mutable std::mutex mu_;
  std::unique_ptr<FakeHttpServer> server_;  // last: stops before the state goes
};

}  // namespace journeyd::fakes
