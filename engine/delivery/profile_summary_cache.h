// ProfileSummaryCache keeps what delivery needs of the profiles it saw recently: the summary of
// each profile's records for its golden record (identity/contribution_summary.h) and its consent,
// with the watermark of the records they cover (storage::RecordWatermark). A round passes the
// watermarks to Store::ReadDeliveryInputs and gets back only the records that arrived since, so
// a customer's 50,001st order costs one record, not 50,001 read and parsed. A merge or a split
// changes the watermark and the profile is summarized again from all its records. Bounded: the
// least recently used profiles are dropped past `capacity`. Not thread-safe (one per worker).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <string>

#include "engine/delivery/profile_document.h"
#include "engine/storage/store.h"

namespace journeyd::delivery {

class ProfileSummaryCache {
 public:
  explicit ProfileSummaryCache(size_t capacity) : capacity_(capacity) {}

  // What is held, for ReadDeliveryInputs.
  const std::map<int64_t, storage::RecordWatermark>& watermarks() const { return watermarks_; }

  // Brings the profile's summary up to what `stored` says (adding its records when it is
  // incremental, starting over otherwise) and returns it; nullptr when `stored` is incremental
  // but the profile is not held (the caller read with watermarks it no longer matches).
  // Records that do not parse contribute nothing. Never evicts: the watermarks a round read
  // with must stay valid until the round has used them all (Trim between rounds). The pointer
  // is valid until the next Update, Forget or Trim.
  const ProfileSummary* Update(int64_t profile_id, const storage::DeliveryInputs::Profile& stored);
  // Drops the least recently used profiles past `capacity`. Call before reading a round's
  // inputs, never between that read and the round's last Update.
  void Trim();
  void Forget(int64_t profile_id);

  size_t size() const { return entries_.size(); }
  // How many records Update has parsed since construction: what the cache saves shows here.
  int64_t records_parsed() const { return records_parsed_; }

 private:
  struct Entry {
    ProfileSummary summary;
    std::list<int64_t>::iterator recency;  // position in recency_, most recent first
  };
  void Touch(Entry& entry, int64_t profile_id);

  const size_t capacity_;
  std::map<int64_t, Entry> entries_;
  std::map<int64_t, storage::RecordWatermark> watermarks_;
  std::list<int64_t> recency_;
  int64_t records_parsed_ = 0;
};

}  // namespace journeyd::delivery
