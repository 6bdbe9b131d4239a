#include "daemon/commands/command_options.h"

#include <iostream>

#include "connectors/builtin.h"

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

std::shared_ptr<const config::Config> LoadWithBuiltins(const GlobalOptions& options) {
  // Connectors hold what they need once created; the registry only has to outlive the load.
  Registry registry;
  RegisterBuiltinConnectors(registry);
  SystemClock clock;
  return LoadForCommand(options, {}, registry, clock);
}

storage::StorePtr OpenStoreFor(const config::Config& config, std::string_view command) {
  auto store = storage::OpenStore(config);
  if (!store.ok()) {
    std::cerr << "journeyd " << command << ": cannot open storage: " << store.error().message
              << "\n";
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace journeyd::commands
