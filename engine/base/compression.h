// zstd compression for stored payloads. Raw webhook bodies are JSON that compresses about 6x,
// which keeps the inbox's disk writes, not the CPU, from being the limit. Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace journeyd {

// Raw bodies larger than this (bytes) are stored compressed unless ingest.compress_above says
// otherwise. Below it zstd, without a shared dictionary, saves a few hundred bytes of a 1 KB
// body for about 2 us of CPU, more than writing those bytes costs (docs/ingest.md).
inline constexpr size_t kCompressAboveDefault = 2048;

std::string ZstdCompress(std::string_view data, int level = -1);
// kCorruption when `data` is not a complete zstd frame.
Result<std::string> ZstdDecompress(std::string_view data);

}  // namespace journeyd
