#include <iostream>
#include <set>

#include "connectors/builtin.h"
#include "daemon/commands/commands.h"
#include "engine/mapping/mapping.h"
#include "engine/mapping/mapping_tests.h"

namespace journeyd::commands {

int Check(const GlobalOptions& global) {
  // The same loader and factories as `run`, without opening the store or binding a port.
  // Mappings compile as part of the load, so their errors are printed here too.
  auto config = LoadWithBuiltins(global);
  if (!config) return 1;

  // Then every mapping in use runs its shipped tests, once per file even if shared.
  int tests = 0, failures = 0;
  std::set<std::string> done;
  config::Diagnostics diag;
  for (const config::SourceEntry& source : config->sources) {
    if (!source.mapping || !done.insert(source.mapping->file()).second) continue;
    const auto dir = mapping::MappingTestsDir(source.mapping_file);
    for (const auto& result : mapping::RunMappingTests(*source.mapping, dir, diag)) {
      ++tests;
      if (result.passed) continue;
      ++failures;
      std::cout << result.file.string() << ": FAIL\n" << result.failure;
      if (!result.failure.empty() && result.failure.back() != '\n') std::cout << '\n';
    }
  }
  if (!diag.entries().empty()) std::cerr << diag.Format();
  if (diag.has_errors() || failures > 0) {
    std::cout << global.config_file.string() << ": " << failures << " of " << tests
              << " mapping tests failed"
              << (diag.has_errors() ? ", and some test files are malformed" : "") << "\n";
    return 1;
  }
  std::cout << global.config_file.string() << ": ok (" << config->sources.size() << " sources, "
            << config->targets.size() << " targets, " << done.size() << " mappings, " << tests
            << " mapping tests passed)\n";
  return 0;
}

int Describe() {
  Registry registry;
  RegisterBuiltinConnectors(registry);
  std::cout << config::DescribeConfig(registry);
  return 0;
}

}  // namespace journeyd::commands
