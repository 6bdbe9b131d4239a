// Expands the secret references that config values may contain: ${env:NAME} reads an
// environment variable, ${file:/path} a file (its trailing newline dropped). "$${" stands for a
// literal "${". A reference that cannot be resolved is a config error, reported at the value.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/config/diagnostics.h"

namespace journeyd::config {

bool ContainsReference(std::string_view raw);

// The expanded text, or nullopt after reporting each unresolved reference to `diag`.
std::optional<std::string> ExpandReferences(std::string_view raw, const Position& at,
                                            Diagnostics& diag);

}  // namespace journeyd::config
