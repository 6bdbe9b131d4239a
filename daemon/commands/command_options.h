// Options shared by every subcommand (`--config`, `--data-dir`) and the helpers each command
// uses to load the config the same way `run` does.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "engine/base/clock.h"
#include "engine/config/config_loader.h"
#include "engine/connector/registry.h"
#include "engine/storage/store.h"

namespace journeyd::commands {

struct GlobalOptions {
  std::filesystem::path config_file = "config/journeyd.yaml";
  std::optional<std::filesystem::path> data_dir;
};

// Loads the config; prints every diagnostic (errors and warnings) to stderr. Null on error.
std::shared_ptr<const config::Config> LoadForCommand(const GlobalOptions& options,
                                                     const config::ConfigOverrides& overrides,
                                                     const Registry& registry,
                                                     const Clock& clock);

// The config with the built-in connectors registered, as every command but `run` loads it
// (--data-dir applied); diagnostics go to stderr. Null on error.
std::shared_ptr<const config::Config> LoadWithBuiltins(const GlobalOptions& options);

// The store the config names, opened and migrated; on failure prints
// "journeyd <command>: cannot open storage: ..." and returns null.
storage::StorePtr OpenStoreFor(const config::Config& config, std::string_view command);

}  // namespace journeyd::commands
