#include "engine/delivery/profile_summary_cache.h"

#include <utility>

namespace journeyd::delivery {

const ProfileSummary* ProfileSummaryCache::Update(int64_t profile_id,
                                                  const storage::DeliveryInputs::Profile& stored) {
  auto held = entries_.find(profile_id);
  if (held == entries_.end() && stored.incremental) return nullptr;
  if (held == entries_.end()) {
    held = entries_.try_emplace(profile_id).first;
    recency_.push_front(profile_id);
    held->second.recency = recency_.begin();
  } else {
    Touch(held->second, profile_id);
    if (!stored.incremental) held->second.summary = ProfileSummary{};
  }
  AddRecords(held->second.summary, stored.records, &records_parsed_);
  watermarks_[profile_id] = stored.watermark;
  return &held->second.summary;
}

void ProfileSummaryCache::Trim() {
  while (entries_.size() > capacity_) {
    const int64_t cold = recency_.back();
    recency_.pop_back();
    entries_.erase(cold);
    watermarks_.erase(cold);
  }
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
