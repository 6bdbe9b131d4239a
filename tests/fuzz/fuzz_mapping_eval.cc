// Fuzzes mapping evaluation: the shipped mappings (mappings/*.yaml, compiled once) applied to
// fuzzed events, as the pipeline's mapping stage and `journeyd map` apply them.
//
// Input: byte 0 picks the mapping (in file-name order: csv, hubspot, mailchimp, segment, shopify,
// square, stripe, woocommerce, zendesk), then "Name: value" lines, an empty line, and the body.
// `:event` is the event type, `:id` the external id, `Content-Type` the body's type (default
// application/json; text/csv makes one event per row, as the csv source does); every other
// line is an event header (what header() reads).
//
// Checks (mapping_checks.h), beyond not crashing and no exception escaping (a payload the
// mapping cannot use is an issue value, never a throw): exactly one of record, issue or
// ignored; records carry the event's ids, normalised identities, typed touchpoints, survive
// their JSON (storage) form, and come out the same when mapped twice.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/config/diagnostics.h"
#include "engine/connector/inbound_request.h"
#include "engine/mapping/mapping.h"
#include "engine/mapping/sample_events.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/mapping_checks.h"

namespace {

using journeyd::mapping::Mapping;

const std::vector<std::shared_ptr<const Mapping>>& Shipped() {
  static const auto* mappings = [] {
    auto* out = new std::vector<std::shared_ptr<const Mapping>>;
    std::vector<std::filesystem::path> files;
    const auto dir = std::filesystem::path(JOURNEYD_SOURCE_DIR) / "mappings";
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() == ".yaml") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      journeyd::config::Diagnostics diag;
      auto mapping = Mapping::LoadFile(file, {}, diag);
      if (!mapping) {
        std::fprintf(stderr, "fuzz_mapping_eval: %s does not compile:\n%s\n", file.c_str(),
                     diag.Format().c_str());
        std::abort();
      }
      out->push_back(std::move(mapping));
    }
    if (out->empty()) {
      std::fprintf(stderr, "fuzz_mapping_eval: no mappings under %s/mappings\n",
                   JOURNEYD_SOURCE_DIR);
      std::abort();
    }
    return out;
  }();
  return *mappings;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Shipped();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace journeyd;
  if (size < 1) return 0;
  const auto& mappings = Shipped();
  const Mapping& compiled = *mappings[static_cast<uint8_t>(data[0] - 'a') % mappings.size()];
  const fuzz::HeaderBlock block = fuzz::SplitHeaders(fuzz::AsText(data + 1, size - 1));

  mapping::SampleOptions options;
  options.source = compiled.source_type();
  options.received_at = std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));
  for (const auto& [name, value] : block.headers) {
    if (name == ":event") {
      options.event_type = value;
    } else if (name == ":id") {
      options.external_id = value;
    } else if (EqualsIgnoreCase(name, "Content-Type")) {
      options.content_type = value;
    } else {
      options.headers.emplace_back(name, value);
    }
  }
  auto events = mapping::SampleEvents(options, std::string(block.body));
  if (!events.ok()) {
    JOURNEYD_FUZZ_CHECK(events.error().code == ErrorCode::kInvalidArgument,
                        "a bad sample is not kInvalidArgument");
    return 0;
  }
  for (const RawEvent& event : *events) fuzz::MapAndCheck(compiled, event);
  return 0;
}
