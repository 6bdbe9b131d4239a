// Sets up spdlog for the process: colored text on a terminal, the systemd journal when started
// by systemd, logfmt or JSON lines otherwise. Log lines never carry payloads, PII or secrets;
// callers log ids and counts.
#pragma once

#include "engine/config/config.h"

namespace journeyd {

void ConfigureLogging(const config::LogSettings& settings);
// Applies a new level on reload; the format is fixed for the life of the process.
void SetLogLevel(config::LogLevel level);

}  // namespace journeyd
