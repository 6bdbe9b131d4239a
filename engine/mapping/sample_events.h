// SampleEvents turns a payload saved to a file into the RawEvents the inbox would hold for it,
// so that a mapping can be tried (`journeyd map`) and tested (mapping tests) without a vendor.
// A CSV payload becomes one event per data row, its body the row as a JSON object keyed by the
// header row, as the csv source stores rows.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/result.h"
#include "engine/record/raw_event.h"

namespace journeyd::mapping {

struct SampleOptions {
  std::string source;
  std::string event_type;  // for CSV rows, "row" when empty
  std::string content_type = "application/json";
  std::string external_id;  // every event (every CSV row) gets this one
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::system_clock::time_point received_at{};
};

// The media type of a Content-Type value: lowercased, parameters dropped.
std::string MediaType(std::string_view content_type);

Result<std::vector<RawEvent>> SampleEvents(const SampleOptions& options, std::string body);

}  // namespace journeyd::mapping
