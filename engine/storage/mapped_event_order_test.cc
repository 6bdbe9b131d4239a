#include "engine/storage/mapped_event_order.h"

#include <catch2/catch.hpp>

namespace journeyd::storage {
namespace {

std::vector<size_t> Of(std::span<const size_t> s) { return {s.begin(), s.end()}; }

// Rows of each kind that name only their inbox event: all MappedEventOrder reads.
template <class Row>
std::vector<Row> RowsOf(std::initializer_list<int64_t> inbox_ids) {
  std::vector<Row> rows;
  for (int64_t id : inbox_ids) {
    Row row;
    row.inbox_id = id;
    rows.push_back(row);
  }
  return rows;
}

TEST_CASE("a mapped batch's rows are grouped by their event, in list order", "[storage]") {
  MappedBatch batch;
  batch.processed = {30, 10, 20};
  batch.records = RowsOf<MappedBatch::Record>({10, 30, 10});
  batch.issues = RowsOf<MappedBatch::Issue>({20, 99, 30, 20});
  batch.quarantined = RowsOf<MappedBatch::Quarantined>({20});
  batch.suppressed = RowsOf<MappedBatch::Suppressed>({30});

  const MappedEventOrder order(batch);
  REQUIRE(order.events() == 4);  // three events, then rows of no listed event
  CHECK(Of(order.records(0)) == std::vector<size_t>{1});
  CHECK(Of(order.records(1)) == std::vector<size_t>{0, 2});
  CHECK(order.records(2).empty());
  CHECK(Of(order.issues(0)) == std::vector<size_t>{2});
  CHECK(order.issues(1).empty());
  CHECK(Of(order.issues(2)) == std::vector<size_t>{0, 3});
  CHECK(Of(order.issues(3)) == std::vector<size_t>{1});  // inbox id 99 is not in processed
  CHECK(Of(order.quarantined(2)) == std::vector<size_t>{0});
  CHECK(Of(order.suppressed(0)) == std::vector<size_t>{0});
  CHECK(order.suppressed(3).empty());
}

TEST_CASE("an empty mapped batch has only the group of unlisted rows", "[storage]") {
  const MappedEventOrder order(MappedBatch{});
  REQUIRE(order.events() == 1);
  CHECK(order.records(0).empty());
  CHECK(order.issues(0).empty());
}

}  // namespace
}  // namespace journeyd::storage
