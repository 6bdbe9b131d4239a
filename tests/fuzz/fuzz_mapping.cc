// Fuzzes the mapping compiler (engine/mapping/mapping.cc with its YAML loader and expression
// parser): a fuzzed mapping file is compiled as `journeyd check` compiles it, and when it
// compiles, it maps a fuzzed event.
//
// Input: the mapping YAML, a NUL byte, then the event as fuzz_mapping_eval reads it ("Name:
// value" lines, an empty line, the body; `:event` is the event type, `:id` the external id,
// `Content-Type` the body's type, other lines event headers). `:known: <glob>` lines list the
// event types the source type sends (checked against `on:` and `ignore:`); none: any.
//
// Checks, beyond not crashing and no exception escaping (a bad mapping is diagnostics, never a
// throw, and evaluation never fails):
//   - a mapping compiles exactly when the diagnostics hold no error, and every error has a
//     position in fuzz.yaml;
//   - a mapping that compiled maps the event: see mapping_checks.h.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/config/config_node.h"
#include "engine/config/diagnostics.h"
#include "engine/connector/inbound_request.h"
#include "engine/mapping/mapping.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/mapping_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace journeyd;
  const auto [yaml, event_text] = fuzz::SplitAtNul(fuzz::AsText(data, size));
  const fuzz::HeaderBlock block = fuzz::SplitHeaders(event_text);

  mapping::MappingLoadOptions options;
  RawEvent event;
  event.source = "fuzz";
  event.content_type = "application/json";
  event.received_at = std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));
  for (const auto& [name, value] : block.headers) {
    if (name == ":event") {
      event.event_type = value;
    } else if (name == ":id") {
      event.external_id = value;
    } else if (name == ":known") {
      options.known_event_types.push_back(value);
    } else if (EqualsIgnoreCase(name, "Content-Type")) {
      event.content_type = value;
    } else {
      event.headers.emplace_back(name, value);
    }
  }
  event.body = std::string(block.body);

  config::Diagnostics diag;
  auto root = config::ConfigNode::LoadString(yaml, "fuzz.yaml", diag);
  const bool verbose = std::getenv("JOURNEYD_FUZZ_VERBOSE") != nullptr;  // what seeds reach
  if (verbose && !root) std::fprintf(stderr, "%s", diag.Format().c_str());
  if (!root) {
    JOURNEYD_FUZZ_CHECK(diag.has_errors(), "a YAML that does not load has no error");
    return 0;
  }
  auto compiled = mapping::Mapping::Load(*root, options, diag);
  if (verbose) {
    std::fprintf(stderr, "%s", diag.Format().c_str());
    if (compiled) std::fprintf(stderr, "%s\n", fuzz::OutcomeText(compiled->Map(event)).c_str());
  }
  JOURNEYD_FUZZ_CHECK((compiled == nullptr) == diag.has_errors(),
                      "a mapping compiled with errors, or failed without one");
  for (const config::Diagnostic& d : diag.entries()) {
    JOURNEYD_FUZZ_CHECK(d.position.file == "fuzz.yaml" && d.position.line >= 0 &&
                            d.position.column >= 0,
                        "a diagnostic without a position in the file");
    JOURNEYD_FUZZ_CHECK(!d.message.empty(), "a diagnostic without a message");
  }
  if (compiled) fuzz::MapAndCheck(*compiled, event);
  return 0;
}
