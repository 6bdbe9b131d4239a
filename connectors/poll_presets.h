// The poll presets shipped with the connectors: for each vendor whose API journeyd can poll, a
// `poll:` section in YAML (connectors/<vendor>/<vendor>.poll.yaml) describing its streams,
// pagination, cursor and authentication on the declarative HTTP framework (engine/poll).
// Embedded at build time; RegisterBuiltinConnectors registers them by name.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace journeyd::connectors {

// (name, YAML text), sorted by name.
std::vector<std::pair<std::string_view, std::string_view>> PollPresets();

}  // namespace journeyd::connectors
