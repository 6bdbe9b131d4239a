#include "engine/delivery/profile_summary_cache.h"

#include <utility>

namespace journeyd::delivery {

const ProfileSummary& ProfileSummaryCache::Update(int64_t profile_id,
                                                  const storage::DeliveryInputs::Profile& stored) {
  auto [it, inserted] = entries_.try_emplace(profile_id);
  Entry& entry = it->second;
  if (inserted) {
    recency_.push_front(profile_id);
    entry.recency = recency_.begin();
  } else {
    Touch(entry, profile_id);
  }
  if (inserted || !stored.incremental) entry.summary = ProfileSummary{};
  AddRecords(entry.summary, stored.records, &records_parsed_);
  watermarks_[profile_id] = stored.watermark;

  // Evict from the cold end; never the profile just updated, which is at the front.
  while (entries_.size() > capacity_ && recency_.back() != profile_id) {
    const int64_t cold = recency_.back();
    recency_.pop_back();
    entries_.erase(cold);
    watermarks_.erase(cold);
  }
  return entry.summary;
}

void ProfileSummaryCache::Forget(int64_t profile_id) {
  auto it = entries_.find(profile_id);
  if (it == entries_.end()) return;
  recency_.erase(it->second.recency);
  entries_.erase(it);
  watermarks_.erase(profile_id);
}

void ProfileSummaryCache::Touch(Entry& entry, int64_t profile_id) {
  recency_.erase(entry.recency);
  recency_.push_front(profile_id);
  entry.recency = recency_.begin();
}

}  // namespace journeyd::delivery
