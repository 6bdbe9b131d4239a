// Schedule says when a source's sync runs: a 5-field cron expression evaluated in a time zone,
// or a fixed interval. It is a value: parsed once from the config, then asked for the next
// fire time after any instant. Thread-safe once built (Next is const and touches no globals).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace journeyd::poll {

class Schedule {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // Accepts:
  //   - 5-field cron: minute hour day-of-month month day-of-week, each a `*`, a value, a range
  //     `a-b`, a step `*/n` or `a-b/n` or `a/n`, or a comma list of those; months JAN-DEC and
  //     days SUN-SAT by name (case-insensitive), day-of-week 7 = Sunday. When both day fields
  //     are restricted, a day matching either runs (as Vixie cron does).
  //   - @yearly (@annually), @monthly, @weekly, @daily (@midnight), @hourly.
  //   - @every <duration>: "@every 15m", "@every 1h30m", "@every 90s" (at least 1s), fired at
  //     whole multiples of the interval since the Unix epoch, so restarts keep the phase.
  // time_zone: an IANA name ("Europe/Berlin"); empty means UTC. An unknown zone is an error.
  // Errors are kInvalidArgument with a message naming the field and the bad part, e.g.
  // "hour field: 25 is out of range 0-23".
  static Result<Schedule> Parse(std::string_view expression, std::string_view time_zone = "");

  // The first fire time strictly after `after`, to the second. Cron times are local wall-clock
  // times in the zone: a time skipped by a DST jump does not run that day; a time that occurs
  // twice runs once (the first). A cron expression that can never match (Feb 30) is rejected
  // by Parse, so Next always finds a time within a few years.
  TimePoint Next(TimePoint after) const;

  // The expression as given, and the zone ("UTC" when empty).
  const std::string& expression() const;
  const std::string& time_zone() const;

 private:
  struct Impl;
  explicit Schedule(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace journeyd::poll
