// zstd compression for stored payloads. Raw webhook bodies are JSON that compresses about 6x,
// which keeps the inbox's disk writes, not the CPU, from being the limit. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace journeyd {

std::string ZstdCompress(std::string_view data, int level = -1);
// kCorruption when `data` is not a complete zstd frame.
Result<std::string> ZstdDecompress(std::string_view data);

}  // namespace journeyd
