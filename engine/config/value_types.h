// Small value types that config fields parse into, so that nothing past the parser keeps "5m" or
// "1MiB" as a string. Each has a parser from text that returns an error message on bad input.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/result.h"
#include "engine/config/diagnostics.h"

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

// A string and where it was written, for values checked after parsing (config/value_parser.h).
// Equality ignores the position: two configs that say the same thing are equal.
struct SourceText {
  SourceText() = default;
  SourceText(std::string t) : text(std::move(t)) {}  // NOLINT: implicit, for defaults
  SourceText(const char* t) : text(t) {}             // NOLINT
  std::string text;
  Position at;
  bool quoted = false;  // the YAML scalar was quoted: its text starts one column later
  bool empty() const { return text.empty(); }
  friend bool operator==(const SourceText& a, const SourceText& b) { return a.text == b.text; }
};

}  // namespace journeyd::config
