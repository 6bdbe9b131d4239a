// Tells systemd (Type=notify) where the daemon is in its life: READY, RELOADING, STOPPING and
// a status line, and feeds the watchdog. Outside systemd every call is a cheap no-op.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace journeyd {

class SystemdNotifier {
 public:
  void Ready(std::string_view status);
  void Reloading();
  void Stopping();
  void WatchdogPing();
  // How often to ping: half the unit's WatchdogSec, or nullopt when no watchdog is set.
  std::optional<std::chrono::microseconds> WatchdogInterval() const;
};

}  // namespace journeyd
