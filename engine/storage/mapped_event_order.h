// MappedEventOrder groups a MappedBatch's rows by the inbox event they came from, so that a
// store can write the batch event by event (and commit between events) while each list keeps
// its own order. Event i is batch.processed[i]; one more group, last, holds rows whose inbox id
// is not in `processed` (a batch built by hand; the mapping stage never makes one).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "engine/storage/store.h"

namespace journeyd::storage {

class MappedEventOrder {
 public:
  explicit MappedEventOrder(const MappedBatch& batch);

  // batch.processed.size() + 1: the events in order, then the rows of no listed event.
  size_t events() const { return events_; }
  // Indexes into the batch's lists of the rows that belong to `event`, in their list's order.
  std::span<const size_t> records(size_t event) const { return records_.Of(event); }
  std::span<const size_t> issues(size_t event) const { return issues_.Of(event); }
  std::span<const size_t> quarantined(size_t event) const { return quarantined_.Of(event); }
  std::span<const size_t> suppressed(size_t event) const { return suppressed_.Of(event); }

 private:
  // One list's indexes sorted by event (a counting sort, so equal events keep list order).
  struct Groups {
    std::vector<size_t> index;  // list indexes, grouped by event
    std::vector<size_t> begin;  // group e is index[begin[e], begin[e + 1])
    std::span<const size_t> Of(size_t event) const {
      return {index.data() + begin[event], begin[event + 1] - begin[event]};
    }
  };
  static Groups Group(const std::vector<size_t>& event_of, size_t events);

  size_t events_;
  Groups records_, issues_, quarantined_, suppressed_;
};

}  // namespace journeyd::storage
