#include <iostream>

#include "connectors/builtin.h"
#include "daemon/commands/commands.h"

namespace journeyd::commands {

int Check(const GlobalOptions& global) {
  Registry registry;
  RegisterBuiltinConnectors(registry);
  SystemClock clock;
  // The same loader and factories as `run`, without opening the store or binding a port.
  auto config = LoadForCommand(global, {}, registry, clock);
  if (!config) return 1;
  std::cout << global.config_file.string() << ": ok (" << config->sources.size() << " sources, "
            << config->targets.size() << " targets)\n";
  return 0;
}

int Describe() {
  Registry registry;
  RegisterBuiltinConnectors(registry);
  std::cout << config::DescribeConfig(registry);
  return 0;
}

}  // namespace journeyd::commands
