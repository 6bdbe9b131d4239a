#include "engine/config/value_types.h"

#include <catch2/catch.hpp>

namespace journeyd::config {
namespace {

using std::chrono::milliseconds;

TEST_CASE("durations parse with units and sums, and reject bare numbers", "[config]") {
  CHECK(*ParseDuration("250ms") == milliseconds(250));
  CHECK(*ParseDuration("5s") == milliseconds(5000));
  CHECK(*ParseDuration("15m") == milliseconds(15 * 60'000));
  CHECK(*ParseDuration("1h30m") == milliseconds(90 * 60'000));
  CHECK(*ParseDuration("2d") == milliseconds(2 * 86'400'000LL));
  CHECK_FALSE(ParseDuration("10").ok());
  CHECK_FALSE(ParseDuration("").ok());
  CHECK_FALSE(ParseDuration("5 s").ok());
  CHECK_THAT(ParseDuration("5 minutes").error().message, Catch::Contains("unit 'minutes'"));
  CHECK_FALSE(ParseDuration("-5s").ok());
  CHECK_FALSE(ParseDuration("99999999999999999d").ok());
  CHECK(FormatDuration(milliseconds(90'000)) == "90s");
  CHECK(FormatDuration(milliseconds(3'600'000)) == "1h");
}

TEST_CASE("byte sizes accept binary and decimal units", "[config]") {
  CHECK(ParseByteSize("1048576")->bytes == 1048576u);
  CHECK(ParseByteSize("512KiB")->bytes == 512u * 1024);
  CHECK(ParseByteSize("1MiB")->bytes == 1u << 20);
  CHECK(ParseByteSize("10MB")->bytes == 10'000'000u);
  CHECK_FALSE(ParseByteSize("MiB").ok());
  CHECK_FALSE(ParseByteSize("1XB").ok());
}

TEST_CASE("addresses need a host and a port in range", "[config]") {
  auto v4 = ParseHostPort("127.0.0.1:8080");
  REQUIRE(v4.ok());
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 8080);
  auto v6 = ParseHostPort("[::1]:0");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->ToString() == "[::1]:0");
  CHECK(ParseHostPort("localhost:9")->host == "localhost");
  CHECK_FALSE(ParseHostPort("127.0.0.1").ok());
  CHECK_FALSE(ParseHostPort(":80").ok());
  CHECK_FALSE(ParseHostPort("::1:80").ok());
  CHECK_FALSE(ParseHostPort("host:65536").ok());
  CHECK_FALSE(ParseHostPort("host:8o").ok());
}

}  // namespace
}  // namespace journeyd::config
