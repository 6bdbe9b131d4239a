#include "daemon/commands/command_options.h"

#include <iostream>

namespace journeyd::commands {

std::shared_ptr<const config::Config> LoadForCommand(const GlobalOptions& options,
                                                     const config::ConfigOverrides& overrides,
                                                     const Registry& registry,
                                                     const Clock& clock) {
  config::Diagnostics diag;
  config::ConfigOverrides merged = overrides;
  if (options.data_dir) merged.data_dir = options.data_dir;
  auto config = config::LoadConfig(options.config_file, registry, merged, clock, diag);
  std::cerr << diag.Format();
  return config;
}

}  // namespace journeyd::commands
