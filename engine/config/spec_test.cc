#include "engine/config/spec.h"

#include <catch2/catch.hpp>

namespace journeyd::config {
namespace {

enum class Mode { kFast, kSafe };

}  // namespace

template <>
struct EnumNames<Mode> {
  static constexpr std::array<std::pair<std::string_view, Mode>, 2> kValues{
      {{"fast", Mode::kFast}, {"safe", Mode::kSafe}}};
};

namespace {

struct Inner {
  int retries = 3;
  static const StructSpec<Inner>& Spec() {
    static const StructSpec<Inner> spec = StructSpec<Inner>().Optional(
        "retries", &Inner::retries, "Retries.", [](const int& n) -> std::optional<std::string> {
          if (n > 10) return "at most 10";
          return std::nullopt;
        });
    return spec;
  }
};

struct Outer {
  std::string name;
  Duration interval{std::chrono::seconds(30)};
  Mode mode = Mode::kSafe;
  std::vector<std::string> tags;
  std::optional<int> limit;
  Inner inner;
  static const StructSpec<Outer>& Spec() {
    static const StructSpec<Outer> spec = StructSpec<Outer>()
                                              .Required("name", &Outer::name, "Name.")
                                              .Optional("interval", &Outer::interval, "Every.")
                                              .Optional("mode", &Outer::mode, "Mode.")
                                              .Optional("tags", &Outer::tags, "Tags.")
                                              .Optional("limit", &Outer::limit, "Limit.")
                                              .Optional("inner", &Outer::inner, "Inner.");
    return spec;
  }
};

Outer ParseOk(std::string_view yaml) {
  Diagnostics diag;
  auto node = ConfigNode::LoadString(yaml, "t.yaml", diag);
  REQUIRE(node);
  Outer out;
  CHECK(Outer::Spec().Parse(*node, out, diag));
  INFO(diag.Format());
  CHECK(diag.entries().empty());
  return out;
}

std::string ParseErrors(std::string_view yaml) {
  Diagnostics diag;
  auto node = ConfigNode::LoadString(yaml, "t.yaml", diag);
  REQUIRE(node);
  Outer out;
  CHECK_FALSE(Outer::Spec().Parse(*node, out, diag));
  return diag.Format();
}

TEST_CASE("a spec fills typed members and keeps defaults for absent keys", "[config]") {
  Outer out = ParseOk("name: a\nmode: fast\ntags: [x, y]\ninner: {retries: 5}\n");
  CHECK(out.name == "a");
  CHECK(out.interval == std::chrono::seconds(30));
  CHECK(out.mode == Mode::kFast);
  CHECK(out.tags == std::vector<std::string>{"x", "y"});
  CHECK_FALSE(out.limit.has_value());
  CHECK(out.inner.retries == 5);
  CHECK(ParseOk("name: b\nlimit: 7\n").limit == 7);
}

TEST_CASE("a spec reports every problem with its position", "[config]") {
  CHECK(ParseErrors("nme: a\nmode: slow\ninner: {retries: 11}\ninterval: 5\n") ==
        "t.yaml:1:1: error: unknown key 'nme' (did you mean 'name'?)\n"
        "t.yaml:1:1: error: missing required key 'name'\n"
        "t.yaml:2:7: error: 'slow' is not one of fast, safe\n"
        "t.yaml:3:18: error: at most 10\n"
        "t.yaml:4:11: error: duration '5' needs a unit (ms, s, m, h or d)\n");
  CHECK(ParseErrors("name: a\nlimit: \"7\"\n") ==
        "t.yaml:2:8: error: expected an integer, found '7'\n");
}

TEST_CASE("did-you-mean only suggests close candidates", "[config]") {
  CHECK(ClosestMatch("pol_interval", {"poll_interval", "timeout"}) == "poll_interval");
  CHECK(ClosestMatch("zzzzzz", {"poll_interval", "timeout"}).empty());
}

}  // namespace
}  // namespace journeyd::config
