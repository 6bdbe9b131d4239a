#include "daemon/systemd_notifier.h"

#include <systemd/sd-daemon.h>

#include <string>

namespace journeyd {

void SystemdNotifier::Ready(std::string_view status) {
  sd_notify(0, ("READY=1\nSTATUS=" + std::string(status)).c_str());
}

void SystemdNotifier::Reloading() { sd_notify(0, "RELOADING=1\nSTATUS=reloading config"); }

void SystemdNotifier::Stopping() { sd_notify(0, "STOPPING=1\nSTATUS=draining"); }

void SystemdNotifier::WatchdogPing() { sd_notify(0, "WATCHDOG=1"); }

std::optional<std::chrono::microseconds> SystemdNotifier::WatchdogInterval() const {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace journeyd
