#include "engine/config/value_types.h"

#include <charconv>
#include <cctype>

namespace journeyd::config {

namespace {

// Reads a leading unsigned integer; returns the digits consumed (0 when none).
size_t ReadNumber(std::string_view text, uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc()) return 0;
  return static_cast<size_t>(end - text.data());
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  if (text.empty()) return InvalidArgument("empty duration");
  using std::chrono::milliseconds;
  milliseconds total{0};
  std::string_view rest = text;
  while (!rest.empty()) {
    uint64_t number = 0;
    const size_t digits = ReadNumber(rest, number);
    if (digits == 0) {
      return InvalidArgument("'" + std::string(text) +
                             "' is not a duration (expected e.g. 500ms, 30s, 15m, 2h, 1d)");
    }
    rest.remove_prefix(digits);
    // The unit is everything up to the next number, so "5 minutes" names 'minutes' rather
    // than reporting a missing unit.
    size_t unit_len = 0;
    while (unit_len < rest.size() && !std::isdigit(static_cast<unsigned char>(rest[unit_len]))) {
      ++unit_len;
    }
    std::string_view unit = rest.substr(0, unit_len);
    rest.remove_prefix(unit_len);
    const bool spaced = !unit.empty() && (std::isspace(static_cast<unsigned char>(unit.front())) ||
                                          std::isspace(static_cast<unsigned char>(unit.back())));
    while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.front()))) {
      unit.remove_prefix(1);
    }
    while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.back()))) {
      unit.remove_suffix(1);
    }
    if (spaced && (unit == "ms" || unit == "s" || unit == "m" || unit == "h" || unit == "d")) {
      return InvalidArgument("duration '" + std::string(text) +
                             "' must not contain spaces (write e.g. 5m or 1h30m)");
    }
    uint64_t factor = 0;
    if (unit == "ms") factor = 1;
    else if (unit == "s") factor = 1000;
    else if (unit == "m") factor = 60'000;
    else if (unit == "h") factor = 3'600'000;
    else if (unit == "d") factor = 86'400'000;
    else if (unit.empty()) {
      return InvalidArgument("duration '" + std::string(text) +
                             "' needs a unit (ms, s, m, h or d)");
    } else {
      return InvalidArgument("unknown duration unit '" + std::string(unit) + "' in '" +
                             std::string(text) + "' (use ms, s, m, h or d)");
    }
    if (number > (UINT64_C(1) << 50) / factor) {
      return InvalidArgument("duration '" + std::string(text) + "' is too large");
    }
    total += milliseconds(static_cast<int64_t>(number * factor));
  }
  return total;
}

std::string FormatDuration(Duration d) {
  const int64_t ms = d.count();
  if (ms % 86'400'000 == 0 && ms != 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms % 3'600'000 == 0 && ms != 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0 && ms != 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0 && ms != 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

Result<ByteSize> ParseByteSize(std::string_view text) {
  uint64_t number = 0;
  const size_t digits = ReadNumber(text, number);
  if (digits == 0) {
    return InvalidArgument("'" + std::string(text) +
                           "' is not a size (expected e.g. 65536, 512KiB, 1MiB)");
  }
  const std::string_view unit = text.substr(digits);
  uint64_t factor = 0;
  if (unit.empty() || unit == "B") factor = 1;
  else if (unit == "KiB") factor = UINT64_C(1) << 10;
  else if (unit == "MiB") factor = UINT64_C(1) << 20;
  else if (unit == "GiB") factor = UINT64_C(1) << 30;
  else if (unit == "KB" || unit == "kB") factor = 1000;
  else if (unit == "MB") factor = 1000 * 1000;
  else if (unit == "GB") factor = 1000 * 1000 * 1000;
  else {
    return InvalidArgument("unknown size unit '" + std::string(unit) +
                           "' (use B, KiB, MiB, GiB, KB, MB or GB)");
  }
  if (number > (UINT64_C(1) << 50) / factor) {
    return InvalidArgument("size '" + std::string(text) + "' is too large");
  }
  return ByteSize{number * factor};
}

std::string HostPort::ToString() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<HostPort> ParseHostPort(std::string_view text) {
  const auto bad = [&](std::string why) {
    return InvalidArgument("'" + std::string(text) + "' is not an address: " + why +
                           " (expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080)");
  };
  HostPort out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("unclosed '['");
    out.host = std::string(text.substr(1, close - 1));
    if (close + 1 >= text.size() || text[close + 1] != ':') return bad("missing ':PORT'");
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("missing ':PORT'");
    out.host = std::string(text.substr(0, colon));
    if (out.host.find(':') != std::string::npos) return bad("IPv6 hosts need brackets");
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) return bad("missing host");
  uint64_t port = 0;
  if (port_text.empty() || ReadNumber(port_text, port) != port_text.size() || port > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

}  // namespace journeyd::config
