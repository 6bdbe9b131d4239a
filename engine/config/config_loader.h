// LoadConfig reads the daemon's YAML file into a typed Config, building every connector through
// the registry's factories. `journeyd check`, `journeyd run` and SIGHUP all use this one path, so
// a config that checks clean is exactly one that starts.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "engine/base/clock.h"
#include "engine/config/config.h"
#include "engine/config/diagnostics.h"
#include "engine/connector/registry.h"

namespace journeyd::config {

// Command-line values that win over the file.
struct ConfigOverrides {
  std::optional<HostPort> listen;
  std::optional<std::filesystem::path> data_dir;
};

// Returns null when `diag` holds any error; warnings alone do not fail the load.
std::shared_ptr<const Config> LoadConfig(const std::filesystem::path& file,
                                         const Registry& registry,
                                         const ConfigOverrides& overrides, const Clock& clock,
                                         Diagnostics& diag);

// The config reference in Markdown, generated from the same specs that parse the file: every
// section's keys with type, default-or-required and doc, then every registered connector type.
std::string DescribeConfig(const Registry& registry);

}  // namespace journeyd::config
