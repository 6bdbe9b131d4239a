// What the Store contract tests share: the backend loop, Result checks that print the error,
// fixed times, realistic events and canonical records, and seeding the store the way the
// pipeline stages would (intake, then mapping, then identity) through the Store interface only.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <source_location>
#include <string>
#include <utility>
#include <vector>

#include "engine/record/canonical_record.h"
#include "engine/record/raw_event.h"
#include "engine/storage/store.h"
#include "tests/support/store_backends.h"

namespace journeyd::storage::contract {

// Runs the block once per backend, in a section named after it, with `store` (a Store&) open on
// a fresh, empty store: each backend's failures are reported under its name.
#define FOR_EACH_STORE_BACKEND(store)                                                   \
  for (const ::journeyd::testing::StoreBackend& contract_backend_ :                     \
       ::journeyd::testing::StoreBackends())                                            \
    DYNAMIC_SECTION(contract_backend_.name)                                             \
  if (::journeyd::testing::TestStore contract_opened_ =                                 \
          ::journeyd::storage::contract::OpenOrFail(contract_backend_);                 \
      true)                                                                             \
    if (::journeyd::storage::Store& store = *contract_opened_; true)

testing::TestStore OpenOrFail(const testing::StoreBackend& backend);

// Fails the test with the error's code and message when `result` holds one.
template <class R>
void RequireOk(const R& result, std::source_location at = std::source_location::current()) {
  if (!result.ok()) {
    FAIL(at.file_name() << ":" << at.line() << ": " << result.error().ToString());
  }
}
template <class T>
T Must(Result<T> result, std::source_location at = std::source_location::current()) {
  RequireOk(result, at);
  return std::move(result).value();
}

// Times are whole milliseconds: what every backend must keep exactly.
TimePoint At(int64_t unix_ms);
// 2024-06-03T09:00:00Z plus `seconds`.
TimePoint T(int64_t seconds);

// A webhook event as the intake makes it.
RawEvent Event(std::string source, std::string event_type, std::string external_id,
               std::string body, TimePoint received_at);
// The inbox record for `event`, compressed when asked (as the intake does above a size).
InboxRecord Inbox(const RawEvent& event, bool compress = false);
// One of ../shared/fixtures, e.g. "webhooks/shopify/orders_create.json".
std::string Fixture(const std::string& relative);

// A canonical record as engine/record writes it.
struct RecordSpec {
  std::string source = "shopify";
  std::string event_type = "orders/create";
  std::string external_id;
  TimePoint occurred_at;
  std::vector<Identity> identities;
  std::vector<std::pair<std::string, std::string>> traits;  // known trait name, value
  std::vector<Touchpoint> touchpoints;
};
// A shopify orders/create record (GCC's -Wmissing-field-initializers rules out designated
// initializers that leave fields out).
RecordSpec Spec(std::string external_id, TimePoint occurred_at, std::vector<Identity> identities = {},
                std::vector<Touchpoint> touchpoints = {});
std::string CanonicalJson(const RecordSpec& spec);
IssueFilter Issues(std::string kind, std::string source = "", int64_t before_id = 0,
                   int limit = 100);
Touchpoint OrderPlaced(std::string reference, std::string value, TimePoint at);

// Commits `specs` as events (one per spec, its external id the record's) and maps each into
// its canonical record. Returns the records as stored, in id order.
std::vector<StoredRecord> SeedRecords(Store& store, const std::vector<RecordSpec>& specs);

// The identity stage's step for a record that starts profile `profile` with `identifiers`.
IdentityBatch::Step NewProfileStep(const StoredRecord& record, int64_t profile,
                                   std::vector<std::pair<std::string, std::string>> identifiers);
// The identity stage's step for a record that joins an existing profile.
IdentityBatch::Step JoinStep(const StoredRecord& record, int64_t profile,
                             std::vector<std::pair<std::string, std::string>> identifiers = {});

// The starting point of the journey and delivery contracts, resolved: bob's order (r0) and a
// second record of his (r1) on profile 1, jon (r2) on profile 2. Event ids start `prefix`.
std::vector<StoredRecord> SeedBobAndJon(Store& store, const std::string& prefix);

}  // namespace journeyd::storage::contract
