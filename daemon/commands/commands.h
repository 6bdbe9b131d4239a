// The subcommands of the journeyd executable. Each returns the process exit code.
#pragma once

#include <optional>

#include "daemon/commands/command_options.h"
#include "engine/config/value_types.h"

namespace journeyd::commands {

struct RunOptions {
  std::optional<config::HostPort> listen;
};

int Run(const GlobalOptions& global, const RunOptions& options);
int Check(const GlobalOptions& global);
int Version();
int Describe();

}  // namespace journeyd::commands
