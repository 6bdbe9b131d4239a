#include "engine/base/work_signal.h"

#include <catch2/catch.hpp>

namespace journeyd {
namespace {

TEST_CASE("a work signal wakes each subscriber once per notification until it unsubscribes",
          "[base]") {
  WorkSignal signal;
  signal.Notify();  // nobody listens: nothing happens
  int first = 0, second = 0;
  const int a = 0, b = 0;  // their addresses are the owners
  signal.Subscribe(&a, [&] { ++first; });
  signal.Subscribe(&b, [&] { ++second; });
  signal.Notify();
  signal.Notify();
  CHECK(first == 2);
  CHECK(second == 2);

  // Subscribing again replaces the owner's wake rather than adding a second one.
  int replaced = 0;
  signal.Subscribe(&a, [&] { ++replaced; });
  signal.Notify();
  CHECK(first == 2);
  CHECK(replaced == 1);
  CHECK(second == 3);

  signal.Unsubscribe(&a);
  signal.Unsubscribe(&a);  // twice is harmless
  signal.Notify();
  CHECK(replaced == 1);
  CHECK(second == 4);
}

}  // namespace
}  // namespace journeyd
