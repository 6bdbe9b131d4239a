// RecordWatermark says which of a profile's records a reader already holds, in a form that
// tells whether the profile still has exactly those: every record id up to `through_id`, `count`
// of them, and `digest`, the sum of MixRecordId over them. Merges bring older records in and
// splits take records away; either changes the count or the digest, so a reader that compares
// them reads only records after through_id when nothing older changed, and everything otherwise
// (Store::ReadDeliveryInputs, delivery/profile_summary_cache.h).
#pragma once

#include <cstdint>

namespace journeyd::storage {

struct RecordWatermark {
  int64_t through_id = 0;
  int64_t count = 0;
  uint64_t digest = 0;
  void Add(int64_t record_id);
  friend bool operator==(const RecordWatermark&, const RecordWatermark&) = default;
};

// splitmix64's finalizer: spreads ids so that different sets of ids sum to different digests
// (a plain sum of ids would not tell {1, 4} from {2, 3}).
uint64_t MixRecordId(int64_t record_id);

}  // namespace journeyd::storage
