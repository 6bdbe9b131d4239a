// The subcommands of the journeyd executable. Each returns the process exit code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/commands/command_options.h"
#include "engine/config/value_types.h"

namespace journeyd::commands {

struct RunOptions {
  std::optional<config::HostPort> listen;
};

struct MapOptions {
  std::string source;
  std::string event_type;    // empty: from the body where the vendor puts it
  std::string content_type;  // empty: guessed from the file (.csv, JSON, else form)
  std::vector<std::string> headers;  // "Name: value"
  std::string payload;       // a file, or "-" for stdin
};

int Run(const GlobalOptions& global, const RunOptions& options);
int Map(const GlobalOptions& global, const MapOptions& options);
int Check(const GlobalOptions& global);
int Version();
int Describe();

}  // namespace journeyd::commands
