#include "engine/base/time_format.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>
#include <random>

namespace journeyd {
namespace {

// The formatting FormatIso8601 replaced (gmtime_r and snprintf), as the reference.
std::string Reference(std::chrono::system_clock::time_point t) {
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  int rest = static_cast<int>(millis % 1000);
  if (rest < 0) {
    rest += 1000;
    --seconds;
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, rest);
  return buffer;
}

std::chrono::system_clock::time_point AtMillis(int64_t millis) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(millis));
}

TEST_CASE("FormatIso8601 writes UTC with milliseconds, as gmtime_r and printf would",
          "[base]") {
  CHECK(FormatIso8601(AtMillis(0)) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatIso8601(AtMillis(1795775703123)) == "2026-11-27T10:35:03.123Z");
  CHECK(FormatIso8601(AtMillis(-1)) == "1969-12-31T23:59:59.999Z");
  CHECK(FormatIso8601(AtMillis(951782400000)) == "2000-02-29T00:00:00.000Z");  // leap day
  CHECK(FormatIso8601(AtMillis(9183110399999)) == "2260-12-31T23:59:59.999Z");
  // Sub-millisecond parts are cut, as before, also before 1970.
  const auto t = AtMillis(1795775703123) + std::chrono::microseconds(999);
  CHECK(FormatIso8601(t) == "2026-11-27T10:35:03.123Z");

  std::mt19937_64 random(20261124);
  // What system_clock holds (nanoseconds in 64 bits: 1678 to 2261).
  std::uniform_int_distribution<int64_t> any(-9'000'000'000'000, 9'000'000'000'000);
  for (int i = 0; i < 20000; ++i) {
    const auto at = AtMillis(any(random));
    INFO(at.time_since_epoch().count());
    REQUIRE(FormatIso8601(at) == Reference(at));
  }
}

}  // namespace
}  // namespace journeyd
