// Test set-up for the stages behind the inbox: commits events to a real store's inbox the way
// intake does (bodies as sent, headers encoded), so a stage test starts where the daemon would.
#pragma once

#include <vector>

#include "engine/record/canonical_record.h"
#include "engine/record/raw_event.h"
#include "engine/storage/store.h"

namespace journeyd::testing {

// REQUIRE()s that the commit succeeded.
void CommitToInbox(storage::Store& store, const std::vector<RawEvent>& events);

// Writes canonical records the way the mapping stage does: an inbox row for each, then the
// records, in one mapped batch. For tests of the stages behind mapping.
void CommitMappedRecords(storage::Store& store, const std::vector<CanonicalRecord>& records);

}  // namespace journeyd::testing
