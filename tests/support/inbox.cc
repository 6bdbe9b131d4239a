#include "tests/support/inbox.h"

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

}  // namespace journeyd::testing
