#include "tests/support/inbox.h"

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

namespace journeyd::testing {

void CommitToInbox(storage::Store& store, const std::vector<RawEvent>& events) {
  storage::IntakeBatch batch;
  for (const RawEvent& e : events) {
    storage::InboxRecord record;
    record.event = &e;
    record.stored_body = e.body;
    record.headers = storage::EncodeInboxHeaders(e.headers);
    batch.records.push_back(std::move(record));
  }
  REQUIRE(store.CommitIntake(batch).ok());
}

void CommitMappedRecords(storage::Store& store, const std::vector<CanonicalRecord>& records) {
  std::vector<RawEvent> events;
  for (const CanonicalRecord& r : records) {
    RawEvent e;
    e.source = r.source;
    e.event_type = r.event_type.empty() ? "row" : r.event_type;
    e.external_id = r.external_id;
    e.content_type = "application/json";
    e.body = "{}";
    e.received_at = r.occurred_at;
    events.push_back(std::move(e));
  }
  CommitToInbox(store, events);
  auto pending = store.ReadPendingInbox(static_cast<int>(records.size()) + 1);
  REQUIRE(pending.ok());
  REQUIRE(pending->size() == records.size());
  storage::MappedBatch mapped;
  mapped.at = records.empty() ? TimePoint{} : records.back().occurred_at;
  for (size_t i = 0; i < records.size(); ++i) {
    const CanonicalRecord& r = records[i];
    const int64_t inbox = (*pending)[i].id;
    mapped.records.push_back({inbox, r.source, events[i].event_type, r.occurred_at,
                              boost::json::serialize(ToJson(r)), r.external_id});
    mapped.processed.push_back(inbox);
  }
  REQUIRE(store.CommitMapped(mapped).ok());
}

}  // namespace journeyd::testing
