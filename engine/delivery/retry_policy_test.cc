#include "engine/delivery/retry_policy.h"

#include <algorithm>
#include <climits>

#include <catch2/catch.hpp>

namespace journeyd::delivery {
namespace {

using std::chrono::milliseconds;

TEST_CASE("retry delays stay within the full-jitter window of each attempt", "[delivery]") {
  RetryPolicy policy({milliseconds(500), milliseconds(60000), std::chrono::hours(24)}, 42);
  for (int attempt = 1; attempt <= 20; ++attempt) {
    const int64_t window = std::min<int64_t>(60000, int64_t{500} << (attempt - 1));
    int64_t lowest = window;
    int64_t highest = 0;
    for (int i = 0; i < 2000; ++i) {
      const int64_t d = policy.NextDelay(attempt).count();
      REQUIRE(d >= 0);
      REQUIRE(d <= window);
      lowest = std::min(lowest, d);
      highest = std::max(highest, d);
    }
    // Full jitter uses the whole window, not just its top.
    CHECK(lowest < window / 10);
    CHECK(highest > window * 9 / 10);
  }
}

TEST_CASE("retry delays respect the cap however many attempts failed", "[delivery]") {
  RetryPolicy policy({milliseconds(500), milliseconds(3000), std::chrono::hours(24)}, 7);
  for (int attempt : {5, 40, 62, 63, 64, 100, 1000, INT_MAX}) {
    for (int i = 0; i < 200; ++i) {
      const auto d = policy.NextDelay(attempt);
      REQUIRE(d >= milliseconds(0));
      REQUIRE(d <= milliseconds(3000));
    }
  }
  // Attempt numbers below one are treated as the first retry.
  for (int i = 0; i < 200; ++i) REQUIRE(policy.NextDelay(0) <= milliseconds(500));
}

TEST_CASE("retry delays grow with the attempt and repeat with the seed", "[delivery]") {
  RetrySettings settings{milliseconds(100), milliseconds(60000), std::chrono::hours(24)};
  RetryPolicy policy(settings, 1);
  auto mean = [&](int attempt) {
    double sum = 0;
    for (int i = 0; i < 1000; ++i) sum += static_cast<double>(policy.NextDelay(attempt).count());
    return sum / 1000;
  };
  const double first = mean(1);
  const double fourth = mean(4);
  const double seventh = mean(7);
  CHECK(first == Approx(50).margin(10));
  CHECK(fourth == Approx(400).margin(60));
  CHECK(seventh == Approx(3200).margin(400));

  RetryPolicy a(settings, 99);
  RetryPolicy b(settings, 99);
  for (int attempt = 1; attempt < 10; ++attempt) {
    CHECK(a.NextDelay(attempt) == b.NextDelay(attempt));
  }
}

}  // namespace
}  // namespace journeyd::delivery
