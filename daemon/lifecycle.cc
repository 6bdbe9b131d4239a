#include "daemon/lifecycle.h"

#include <csignal>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace journeyd {

namespace net = boost::asio;

Lifecycle::Lifecycle(net::io_context& io, SystemdNotifier& notifier,
                     std::chrono::milliseconds shutdown_timeout, Hooks hooks)
    : io_(io),
      notifier_(notifier),
      shutdown_timeout_(shutdown_timeout),
      hooks_(std::move(hooks)),
      signals_(io, SIGINT, SIGTERM, SIGHUP),
      deadline_(io),
      watchdog_(io) {}

void Lifecycle::Start() {
  WaitForSignal();
  if (auto interval = notifier_.WatchdogInterval()) ScheduleWatchdog(*interval);
}

void Lifecycle::WaitForSignal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal_number) {
    if (ec) return;
    if (signal_number == SIGHUP) {
      if (!stopping_) hooks_.reload();
      WaitForSignal();
      return;
    }
    if (stopping_) {
      // A second SIGTERM/SIGINT while draining: the operator wants out now.
      spdlog::warn("second stop signal; not waiting for the drain any longer");
      Finish(false);
      return;
    }
    BeginShutdown(signal_number);
    WaitForSignal();
  });
}

void Lifecycle::BeginShutdown(int signal_number) {
  stopping_ = true;
  spdlog::info("received {}; draining (deadline {}ms)",
               signal_number == SIGTERM ? "SIGTERM" : "SIGINT", shutdown_timeout_.count());
  notifier_.Stopping();
  deadline_.expires_after(shutdown_timeout_);
  deadline_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    spdlog::warn("drain did not finish within {}ms; stopping anyway", shutdown_timeout_.count());
    Finish(false);
  });
  hooks_.drain([this] { net::post(io_, [this] { Finish(true); }); });
}

void Lifecycle::Finish(bool drained_in_time) {
  if (finished_) return;
  finished_ = true;
  deadline_.cancel();
  watchdog_.cancel();
  signals_.cancel();
  hooks_.finish(drained_in_time);
  io_.stop();
}

void Lifecycle::ScheduleWatchdog(std::chrono::microseconds interval) {
  notifier_.WatchdogPing();
  watchdog_.expires_after(interval);
  watchdog_.async_wait([this, interval](const boost::system::error_code& ec) {
    if (!ec) ScheduleWatchdog(interval);
  });
}

}  // namespace journeyd
