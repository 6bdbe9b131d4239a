#include "engine/storage/record_watermark.h"

#include <algorithm>

namespace journeyd::storage {

void RecordWatermark::Add(int64_t record_id) {
  through_id = std::max(through_id, record_id);
  count += 1;
  digest += MixRecordId(record_id);
}

uint64_t MixRecordId(int64_t record_id) {
  auto z = static_cast<uint64_t>(record_id) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace journeyd::storage
