// The shared pieces of the Store contract tests (contract_helpers.h).
#include "tests/store/contract_helpers.h"

#include <boost/json.hpp>

#include "engine/base/compression.h"
#include "tests/support/temp_dir.h"

namespace journeyd::storage::contract {

testing::TestStore OpenOrFail(const testing::StoreBackend& backend) {
  auto opened = backend.open();
  if (!opened.ok()) {
    FAIL("cannot open a fresh " << backend.name << " store: " << opened.error().ToString());
  }
  return std::move(opened).value();
}

TimePoint At(int64_t unix_ms) { return TimePoint(std::chrono::milliseconds(unix_ms)); }

TimePoint T(int64_t seconds) { return At(1'717'405'200'000 + seconds * 1000); }

RawEvent Event(std::string source, std::string event_type, std::string external_id,
               std::string body, TimePoint received_at) {
  RawEvent e;
  e.source = std::move(source);
  e.event_type = std::move(event_type);
  e.external_id = std::move(external_id);
  e.content_type = "application/json";
  e.body = std::move(body);
  e.headers = {{"X-Shopify-Topic", e.event_type},
               {"X-Shopify-Shop-Domain", "journeyd-demo.myshopify.com"}};
  e.received_at = received_at;
  return e;
}

InboxRecord Inbox(const RawEvent& event, bool compress) {
  return InboxRecord{&event, compress ? ZstdCompress(event.body) : event.body, compress,
                     EncodeInboxHeaders(event.headers)};
}

std::string Fixture(const std::string& relative) {
  return testing::ReadFile(testing::FixturesDir() / relative);
}

RecordSpec Spec(std::string external_id, TimePoint occurred_at, std::vector<Identity> identities,
                std::vector<Touchpoint> touchpoints) {
  RecordSpec spec;
  spec.external_id = std::move(external_id);
  spec.occurred_at = occurred_at;
  spec.identities = std::move(identities);
  spec.touchpoints = std::move(touchpoints);
  return spec;
}

IssueFilter Issues(std::string kind, std::string source, int64_t before_id, int limit) {
  IssueFilter filter;
  filter.kind = std::move(kind);
  filter.source = std::move(source);
  filter.before_id = before_id;
  filter.limit = limit;
  return filter;
}

std::string CanonicalJson(const RecordSpec& spec) {
  CanonicalRecord record;
  record.source = spec.source;
  record.event_type = spec.event_type;
  record.external_id = spec.external_id;
  record.occurred_at = spec.occurred_at;
  record.identities = spec.identities;
  for (const auto& [name, value] : spec.traits) record.traits.fields[name] = value;
  record.touchpoints = spec.touchpoints;
  return boost::json::serialize(ToJson(record));
}

Touchpoint OrderPlaced(std::string reference, std::string value, TimePoint at) {
  Touchpoint t;
  t.type = "order_placed";
  t.channel = "web";
  t.occurred_at = at;
  t.value = std::move(value);
  t.currency = "EUR";
  t.reference = std::move(reference);
  return t;
}

std::vector<StoredRecord> SeedRecords(Store& store, const std::vector<RecordSpec>& specs) {
  const std::string body = Fixture("webhooks/shopify/orders_create.json");
  std::vector<RawEvent> events;
  events.reserve(specs.size());
  for (const RecordSpec& spec : specs) {
    events.push_back(
        Event(spec.source, spec.event_type, spec.external_id, body, spec.occurred_at));
  }
  IntakeBatch intake;
  for (const RawEvent& e : events) intake.records.push_back(Inbox(e, true));
  auto appended = Must(store.CommitIntake(intake));
  for (AppendResult r : appended) REQUIRE(r == AppendResult::kStored);

  auto pending = Must(store.ReadPendingInbox(static_cast<int>(specs.size()) + 100));
  REQUIRE(pending.size() >= specs.size());
  // The new events are the newest pending ones, in the order given.
  const size_t first = pending.size() - specs.size();
  MappedBatch mapped;
  mapped.at = specs.empty() ? T(0) : specs.back().occurred_at;
  for (size_t i = 0; i < specs.size(); ++i) {
    const StoredInboxEvent& e = pending[first + i];
    REQUIRE(e.event.external_id == specs[i].external_id);
    mapped.records.push_back({e.id, specs[i].source, specs[i].event_type, specs[i].occurred_at,
                              CanonicalJson(specs[i]), specs[i].external_id});
    mapped.processed.push_back(e.id);
  }
  const auto before = Must(store.ReadRecords(0, 1'000'000));
  const int64_t after = before.empty() ? 0 : before.back().id;
  RequireOk(store.CommitMapped(mapped));
  auto records = Must(store.ReadRecords(after, static_cast<int>(specs.size())));
  REQUIRE(records.size() == specs.size());
  return records;
}

IdentityBatch::Step NewProfileStep(const StoredRecord& record, int64_t profile,
                                   std::vector<std::pair<std::string, std::string>> identifiers) {
  IdentityBatch::Step step;
  step.record_id = record.id;
  step.inbox_id = record.inbox_id;
  step.source = record.source;
  step.profile_id = profile;
  step.created_profile = profile;
  step.attached = std::move(identifiers);
  return step;
}

IdentityBatch::Step JoinStep(const StoredRecord& record, int64_t profile,
                             std::vector<std::pair<std::string, std::string>> identifiers) {
  IdentityBatch::Step step = NewProfileStep(record, profile, std::move(identifiers));
  step.created_profile = 0;
  return step;
}

std::vector<StoredRecord> SeedBobAndJon(Store& store, const std::string& prefix) {
  auto r = SeedRecords(
      store, {Spec(prefix + "1", T(-400), {{"email", "bob@example.com"}},
                   {OrderPlaced("820982911946154508", "199.65", T(-400))}),
              Spec(prefix + "2", T(-500), {{"email", "bob@example.com"}}),
              Spec(prefix + "3", T(-450), {{"email", "jon@example.com"}})});
  IdentityBatch identity;
  identity.at = T(100);
  identity.steps.push_back(NewProfileStep(r[0], 1, {{"email", "bob@example.com"}}));
  identity.steps.push_back(JoinStep(r[1], 1));
  identity.steps.push_back(NewProfileStep(r[2], 2, {{"email", "jon@example.com"}}));
  identity.cursor = r[2].id;
  RequireOk(store.CommitIdentity(identity));
  return r;
}

}  // namespace journeyd::storage::contract
