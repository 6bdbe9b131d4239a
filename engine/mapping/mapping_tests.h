// Mapping tests, as Benthos has config unit tests: each mapping ships samples with the records
// they must produce (docs/mapping.md, "Mapping tests"), and `journeyd check` runs them, so an
// edited mapping that changes its output is caught before it meets live events.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/config/diagnostics.h"
#include "engine/mapping/mapping.h"

namespace journeyd::mapping {

struct MappingTestResult {
  std::filesystem::path file;
  bool passed = false;
  std::string failure;  // why it failed: an error, or a diff (- expected, + actual)
};

// Where the tests of a mapping file live: <its directory>/tests/<its name without .yaml>/.
std::filesystem::path MappingTestsDir(const std::filesystem::path& mapping_file);

// Runs every *.test.yaml in `dir` (sorted by name) against `mapping`. A malformed test file is
// a diagnostic with its position, not a failed test. No tests (or no dir) is an empty result.
std::vector<MappingTestResult> RunMappingTests(const Mapping& mapping,
                                               const std::filesystem::path& dir,
                                               config::Diagnostics& diag);

}  // namespace journeyd::mapping
