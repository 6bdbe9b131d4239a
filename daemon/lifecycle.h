// Lifecycle turns process signals into daemon actions on the io_context: SIGTERM/SIGINT start a
// graceful drain bounded by a deadline, then stop the loop; SIGHUP asks for a config reload. It
// also feeds the systemd watchdog from the loop itself, so a wedged loop stops the pings.
// All callbacks run on the io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>

#include "daemon/systemd_notifier.h"

namespace journeyd {

class Lifecycle {
 public:
  struct Hooks {
    std::function<void()> reload;
    // Must call `done` once in-flight work is finished and committed.
    std::function<void(std::function<void()> done)> drain;
    // Runs after the drain, or when the deadline passes first; the loop stops after it.
    std::function<void(bool drained_in_time)> finish;
  };

  Lifecycle(boost::asio::io_context& io, SystemdNotifier& notifier,
            std::chrono::milliseconds shutdown_timeout, Hooks hooks);

  void Start();

 private:
  void WaitForSignal();
  void BeginShutdown(int signal_number);
  void Finish(bool drained_in_time);
  void ScheduleWatchdog(std::chrono::microseconds interval);

  boost::asio::io_context& io_;
  SystemdNotifier& notifier_;
  std::chrono::milliseconds shutdown_timeout_;
  Hooks hooks_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer deadline_;
  boost::asio::steady_timer watchdog_;
  bool stopping_ = false;
  bool finished_ = false;
};

}  // namespace journeyd
