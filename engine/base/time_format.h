// RFC 3339 / ISO 8601 text for timestamps that leave the process (API bodies, CLI output).
#pragma once

#include <chrono>
#include <string>

namespace journeyd {

// "2026-11-23T10:35:03.123Z": UTC, millisecond precision.
std::string FormatIso8601(std::chrono::system_clock::time_point t);

}  // namespace journeyd
