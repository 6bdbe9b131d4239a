// ContributionSummary is a profile's contributions (survivorship.h) in a compact form that new
// records can be added to. Contributions with the same field, value and source collapse into one
// entry that keeps their number and the two of them a rule can prefer (the latest and the
// earliest observed), so the golden record of the summary is exactly the golden record of all
// the contributions, while its size grows with the distinct values a profile has seen, not with
// its records. A customer with 50,000 orders and one email is a handful of entries: delivery
// keeps a profile's summary between rounds and adds only the records that arrived since.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "engine/identity/survivorship.h"
#include "engine/record/canonical_record.h"

namespace journeyd::identity {

class ContributionSummary {
 public:
  // Empty values contribute nothing, as in ComputeGoldenRecord.
  void Add(const Contribution& contribution);
  // Every contribution of `record` (ContributionsOf), stored under `record_id`.
  void AddRecord(const CanonicalRecord& record, std::string_view record_id);

  // Equal to ComputeGoldenRecord over every contribution added, in any order.
  std::map<std::string, GoldenField> Golden(const SurvivorshipPolicy& policy) const;

  size_t entries() const { return entries_; }
  bool empty() const { return entries_ == 0; }

 private:
  struct Entry {
    int count = 0;
    Contribution latest;    // the latest observed; of equal times, the larger record id
    Contribution earliest;  // the earliest observed; of equal times, the larger record id
  };
  // field -> (value, source) -> entry
  using ValueSource = std::pair<std::string, std::string>;
  std::map<std::string, std::map<ValueSource, Entry>, std::less<>> fields_;
  size_t entries_ = 0;
};

}  // namespace journeyd::identity
