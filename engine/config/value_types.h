// Small value types that config fields parse into, so that nothing past the parser keeps "5m" or
// "1MiB" as a string. Each has a parser from text that returns an error message on bad input.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace journeyd::config {

using Duration = std::chrono::milliseconds;

// "250ms", "5s", "15m", "2h", "1d", or sums such as "1h30m". A bare number is rejected: the
// unit is what a reader needs most.
Result<Duration> ParseDuration(std::string_view text);
std::string FormatDuration(Duration d);

struct ByteSize {
  uint64_t bytes = 0;
  friend bool operator==(ByteSize, ByteSize) = default;
};
// "1048576", "512KiB", "1MiB", "10MB" (decimal), "2GiB".
Result<ByteSize> ParseByteSize(std::string_view text);

struct HostPort {
  std::string host;  // without brackets for IPv6
  uint16_t port = 0;
  std::string ToString() const;
  friend bool operator==(const HostPort&, const HostPort&) = default;
};
// "127.0.0.1:8080", "[::1]:8080", "localhost:0".
Result<HostPort> ParseHostPort(std::string_view text);

}  // namespace journeyd::config
