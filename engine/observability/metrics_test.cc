#include "engine/observability/metrics.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/support/prometheus_text.h"

namespace journeyd::observability {
namespace {

using testing::ParsePrometheusText;
using testing::PromText;
using Parsed = PromText;

// What RenderText wrote, read back by the strict reader in tests/support.
Parsed Parse(const std::string& text) {
  auto parsed = ParsePrometheusText(text);
  if (!parsed.ok()) FAIL(parsed.error().message << "\n" << text);
  return *parsed;
}

// The value of the one sample with `name` and exactly `labels`, as written; FAILs when absent.
std::string Value(const Parsed& parsed, const std::string& name,
                  const std::map<std::string, std::string>& labels = {}) {
  for (const auto& s : parsed.samples) {
    if (s.name == name && s.labels == labels) return s.raw_value;
  }
  FAIL("no sample " << name);
  return {};
}

TEST_CASE("counters, gauges and families render with HELP, TYPE and exact values",
          "[metrics]") {
  Registry registry;
  Counter& requests = registry.AddCounter("journeyd_test_requests_total", "Requests seen.");
  Gauge& depth = registry.AddGauge("journeyd_test_depth", "Items waiting.");
  auto& by_code =
      registry.AddCounterFamily("journeyd_test_by_code_total", "By code.", {"route", "code"});
  requests.Increment();
  requests.Increment(41);
  depth.Set(7.5);
  depth.Add(-2);
  by_code.WithLabels({"/a", "200"}).Increment(3);
  by_code.WithLabels({"/a", "404"}).Increment();
  // The same values give the same child.
  CHECK(&by_code.WithLabels({"/a", "200"}) == &by_code.WithLabels({"/a", "200"}));

  const std::string text = registry.RenderText();
  const Parsed parsed = Parse(text);
  CHECK(Value(parsed, "journeyd_test_requests_total") == "42");
  CHECK(Value(parsed, "journeyd_test_depth") == "5.5");
  CHECK(Value(parsed, "journeyd_test_by_code_total", {{"route", "/a"}, {"code", "200"}}) == "3");
  CHECK(Value(parsed, "journeyd_test_by_code_total", {{"route", "/a"}, {"code", "404"}}) == "1");
  CHECK(parsed.samples.size() == 4);
  CHECK(parsed.types.at("journeyd_test_requests_total") == "counter");
  CHECK(parsed.types.at("journeyd_test_depth") == "gauge");
  CHECK(parsed.helps.at("journeyd_test_depth") == "Items waiting.");
  // Families sorted by name, each one's lines together.
  CHECK(parsed.family_order == std::vector<std::string>{"journeyd_test_by_code_total",
                                                        "journeyd_test_depth",
                                                        "journeyd_test_requests_total"});
  CHECK_THAT(text, Catch::StartsWith("# HELP journeyd_test_by_code_total By code.\n"
                                     "# TYPE journeyd_test_by_code_total counter\n"
                                     "journeyd_test_by_code_total{route=\"/a\",code=\"200\"} 3\n"
                                     "journeyd_test_by_code_total{route=\"/a\",code=\"404\"} 1\n"));
}

TEST_CASE("histogram buckets are cumulative, le is inclusive, +Inf counts all", "[metrics]") {
  Registry registry;
  Histogram& latency =
      registry.AddHistogram("journeyd_test_seconds", "Latency.", {0.01, 0.1, 1});
  auto& sized = registry.AddHistogramFamily("journeyd_test_size", "Sizes.", {"source"},
                                            ExponentialBuckets(1, 4, 3));  // 1, 4, 16
  latency.Observe(0.005);
  latency.Observe(0.01);  // on the bound: counts in le="0.01"
  latency.Observe(0.5);
  latency.Observe(3);  // above every bound: only +Inf
  latency.Observe(std::nan(""));  // ignored
  sized.WithLabels({"shop"}).Observe(4, 10);  // ten events of the same size

  const Parsed parsed = Parse(registry.RenderText());
  CHECK(parsed.types.at("journeyd_test_seconds") == "histogram");
  CHECK(Value(parsed, "journeyd_test_seconds_bucket", {{"le", "0.01"}}) == "2");
  CHECK(Value(parsed, "journeyd_test_seconds_bucket", {{"le", "0.1"}}) == "2");
  CHECK(Value(parsed, "journeyd_test_seconds_bucket", {{"le", "1"}}) == "3");
  CHECK(Value(parsed, "journeyd_test_seconds_bucket", {{"le", "+Inf"}}) == "4");
  CHECK(Value(parsed, "journeyd_test_seconds_count") == "4");
  CHECK(std::stod(Value(parsed, "journeyd_test_seconds_sum")) == Approx(3.515));

  CHECK(Value(parsed, "journeyd_test_size_bucket", {{"source", "shop"}, {"le", "1"}}) == "0");
  CHECK(Value(parsed, "journeyd_test_size_bucket", {{"source", "shop"}, {"le", "4"}}) == "10");
  CHECK(Value(parsed, "journeyd_test_size_bucket", {{"source", "shop"}, {"le", "16"}}) == "10");
  CHECK(Value(parsed, "journeyd_test_size_bucket", {{"source", "shop"}, {"le", "+Inf"}}) ==
        "10");
  CHECK(Value(parsed, "journeyd_test_size_sum", {{"source", "shop"}}) == "40");
  CHECK(Value(parsed, "journeyd_test_size_count", {{"source", "shop"}}) == "10");

  // Cumulative: never decreasing along le, in the order written.
  uint64_t previous = 0;
  int buckets = 0;
  for (const auto& s : parsed.samples) {
    if (s.name != "journeyd_test_seconds_bucket") continue;
    const uint64_t v = std::stoull(s.raw_value);
    CHECK(v >= previous);
    previous = v;
    ++buckets;
  }
  CHECK(buckets == 4);
  CHECK(parsed.samples.back().name == "journeyd_test_size_count");
}

TEST_CASE("label values and help text are escaped", "[metrics]") {
  Registry registry;
  auto& family = registry.AddGaugeFamily("journeyd_test_escaped",
                                         "Help with a \\ backslash\nand a \"quote\".", {"name"});
  family.WithLabels({"a\\b\"c\nd"}).Set(1);
  const std::string text = registry.RenderText();
  CHECK_THAT(text, Catch::Contains("journeyd_test_escaped{name=\"a\\\\b\\\"c\\nd\"} 1\n"));
  CHECK_THAT(text, Catch::Contains(
                       "# HELP journeyd_test_escaped Help with a \\\\ backslash\\nand a \"quote\".\n"));
  const Parsed parsed = Parse(text);
  CHECK(Value(parsed, "journeyd_test_escaped", {{"name", "a\\b\"c\nd"}}) == "1");
  CHECK(EscapeLabelValue("plain") == "plain");
}

TEST_CASE("values print in the shortest exact form, with the special floats", "[metrics]") {
  CHECK(FormatValue(0) == "0");
  CHECK(FormatValue(3) == "3");
  CHECK(FormatValue(0.005) == "0.005");
  CHECK(FormatValue(0.0005) == "0.0005");
  CHECK(FormatValue(0.000760318) == "0.000760318");
  CHECK(FormatValue(-2.5) == "-2.5");
  CHECK(FormatValue(300000) == "300000");
  CHECK(FormatValue(1e21) == "1e+21");
  CHECK(FormatValue(1e-7) == "1e-07");
  CHECK(FormatValue(INFINITY) == "+Inf");
  CHECK(FormatValue(-INFINITY) == "-Inf");
  CHECK(FormatValue(std::nan("")) == "NaN");
}

TEST_CASE("collectors produce samples at each render, sorted among the other families",
          "[metrics]") {
  Registry registry;
  registry.AddCounter("journeyd_test_b_total", "B.");
  int64_t backlog = 3;
  int renders = 0;
  registry.AddCollector(
      {{"journeyd_test_a_total", "Per source.", MetricType::kCounter, {"source", "outcome"}},
       {"journeyd_test_c", "Backlog.", MetricType::kGauge, {}}},
      [&](CollectedSamples& out) {
        ++renders;
        // Added out of order: the render sorts them.
        out.Add(0, {"zendesk", "accepted"}, 2);
        out.Add(0, {"shopify", "accepted"}, 5);
        out.Add(1, {}, static_cast<double>(backlog));
      });
  Parsed parsed = Parse(registry.RenderText());
  CHECK(renders == 1);
  CHECK(parsed.family_order == std::vector<std::string>{"journeyd_test_a_total",
                                                        "journeyd_test_b_total",
                                                        "journeyd_test_c"});
  CHECK(parsed.types.at("journeyd_test_a_total") == "counter");
  CHECK(Value(parsed, "journeyd_test_a_total", {{"source", "shopify"}, {"outcome", "accepted"}}) ==
        "5");
  CHECK(parsed.samples.at(0).labels.at("source") == "shopify");
  CHECK(parsed.samples.at(1).labels.at("source") == "zendesk");
  CHECK(Value(parsed, "journeyd_test_c") == "3");

  backlog = 9;
  parsed = Parse(registry.RenderText());
  CHECK(renders == 2);
  CHECK(Value(parsed, "journeyd_test_c") == "9");
}

TEST_CASE("a collector that cannot read its figures leaves its families empty", "[metrics]") {
  Registry registry;
  registry.AddCollector({{"journeyd_test_gone", "Nothing today.", MetricType::kGauge, {"x"}}},
                        [](CollectedSamples&) {});
  const Parsed parsed = Parse(registry.RenderText());
  CHECK(parsed.types.at("journeyd_test_gone") == "gauge");
  CHECK(parsed.samples.empty());
}

TEST_CASE("bad registrations and label counts are programming errors", "[metrics]") {
  Registry registry;
  auto& family = registry.AddCounterFamily("journeyd_test_total", "T.", {"a", "b"});
  CHECK_THROWS_AS(family.WithLabels({"only one"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.AddGauge("journeyd_test_total", "again"), std::invalid_argument);
  CHECK_THROWS_AS(registry.AddGauge("9starts_with_digit", "x"), std::invalid_argument);
  CHECK_THROWS_AS(registry.AddGauge("has-dash", "x"), std::invalid_argument);
  CHECK_THROWS_AS(registry.AddGaugeFamily("journeyd_test_g", "x", {"__reserved"}),
                  std::invalid_argument);
  CHECK_THROWS_AS(registry.AddHistogramFamily("journeyd_test_h", "x", {"le"}, {1, 2}),
                  std::invalid_argument);
  CHECK_THROWS_AS(registry.AddHistogram("journeyd_test_h2", "x", {2, 1}), std::invalid_argument);
  CHECK_THROWS_AS(registry.AddCollector({{"journeyd_test_total", "dup", MetricType::kGauge, {}}},
                                        [](CollectedSamples&) {}),
                  std::invalid_argument);
  CHECK_THROWS_AS(
      registry.AddCollector({{"journeyd_test_hist", "no", MetricType::kHistogram, {}}},
                            [](CollectedSamples&) {}),
      std::invalid_argument);
  registry.AddCollector({{"journeyd_test_labelled", "x", MetricType::kGauge, {"k"}}},
                        [](CollectedSamples& out) { out.Add(0, {}, 1); });
  CHECK_THROWS_AS(registry.RenderText(), std::invalid_argument);
}

TEST_CASE("increments from several threads are all counted", "[metrics]") {
  Registry registry;
  Counter& total = registry.AddCounter("journeyd_test_total", "T.");
  auto& by_thread = registry.AddCounterFamily("journeyd_test_by_thread_total", "T.", {"thread"});
  Histogram& histogram = registry.AddHistogram("journeyd_test_seconds", "S.", {0.5, 1.5});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string name = t % 2 == 0 ? "even" : "odd";
      for (int i = 0; i < kPerThread; ++i) {
        total.Increment();
        // Resolving the child each time on purpose: first uses race to create it.
        by_thread.WithLabels({name}).Increment();
        histogram.Observe(i % 2 == 0 ? 1.0 : 2.0);
      }
    });
  }
  // Rendering while they run must neither crash nor show a count above the truth.
  for (int i = 0; i < 20; ++i) {
    const Parsed during = Parse(registry.RenderText());
    CHECK(std::stoull(Value(during, "journeyd_test_total")) <= kThreads * kPerThread);
  }
  for (auto& thread : threads) thread.join();

  const Parsed parsed = Parse(registry.RenderText());
  CHECK(Value(parsed, "journeyd_test_total") == std::to_string(kThreads * kPerThread));
  CHECK(Value(parsed, "journeyd_test_by_thread_total", {{"thread", "even"}}) ==
        std::to_string(2 * kPerThread));
  CHECK(Value(parsed, "journeyd_test_by_thread_total", {{"thread", "odd"}}) ==
        std::to_string(2 * kPerThread));
  CHECK(Value(parsed, "journeyd_test_seconds_bucket", {{"le", "0.5"}}) == "0");
  CHECK(Value(parsed, "journeyd_test_seconds_bucket", {{"le", "1.5"}}) ==
        std::to_string(kThreads * kPerThread / 2));
  CHECK(Value(parsed, "journeyd_test_seconds_count") == std::to_string(kThreads * kPerThread));
  CHECK(Value(parsed, "journeyd_test_seconds_sum") ==
        std::to_string(kThreads * kPerThread / 2 * 3));  // halves of 1 and 2
}

}  // namespace
}  // namespace journeyd::observability
