#include "engine/storage/mapped_event_order.h"

#include <unordered_map>

namespace journeyd::storage {

namespace {

// The event each row of `rows` belongs to: its inbox id's place in `processed`, or `unlisted`.
template <class Row>
std::vector<size_t> EventOf(const std::vector<Row>& rows,
                            const std::unordered_map<int64_t, size_t>& position,
                            size_t unlisted) {
  std::vector<size_t> out;
  out.reserve(rows.size());
  for (const Row& row : rows) {
    const auto found = position.find(row.inbox_id);
    out.push_back(found == position.end() ? unlisted : found->second);
  }
  return out;
}

}  // namespace

MappedEventOrder::MappedEventOrder(const MappedBatch& batch)
    : events_(batch.processed.size() + 1) {
  std::unordered_map<int64_t, size_t> position;
  position.reserve(batch.processed.size());
  for (size_t i = 0; i < batch.processed.size(); ++i) position.emplace(batch.processed[i], i);
  const size_t unlisted = events_ - 1;
  records_ = Group(EventOf(batch.records, position, unlisted), events_);
  issues_ = Group(EventOf(batch.issues, position, unlisted), events_);
  quarantined_ = Group(EventOf(batch.quarantined, position, unlisted), events_);
  suppressed_ = Group(EventOf(batch.suppressed, position, unlisted), events_);
}

MappedEventOrder::Groups MappedEventOrder::Group(const std::vector<size_t>& event_of,
                                                 size_t events) {
  Groups groups;
  groups.begin.assign(events + 1, 0);
  for (size_t event : event_of) ++groups.begin[event + 1];
  for (size_t e = 0; e < events; ++e) groups.begin[e + 1] += groups.begin[e];
  groups.index.resize(event_of.size());
  std::vector<size_t> next(groups.begin.begin(), groups.begin.end() - 1);
  for (size_t i = 0; i < event_of.size(); ++i) groups.index[next[event_of[i]]++] = i;
  return groups;
}

}  // namespace journeyd::storage
