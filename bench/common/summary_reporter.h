// The summary reporter the Google Benchmark programs in bench/ share: the usual console table,
// plus each benchmark's items/s kept by name so that a program can print its figures next to its
// baseline at the end.
#pragma once

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace journeyd::bench {

// The console table as usual, plus items_per_second of every run kept by benchmark name; with
// --benchmark_repetitions the median wins over the single runs.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  explicit SummaryReporter(OutputOptions options) : ConsoleReporter(options) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const auto it = run.counters.find("items_per_second");
      if (it == run.counters.end()) continue;
      const std::string name = run.run_name.function_name;
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Aggregate && !median) continue;
      if (median || !medians_.count(name)) rates_[name] = it->second.value;
      if (median) medians_.insert(name);
    }
  }

  // 0 when the benchmark did not run (filtered out).
  double Rate(const std::string& name) const {
    const auto it = rates_.find(name);
    return it == rates_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, double> rates_;
  std::set<std::string> medians_;
};

// A reporter passed to RunSpecifiedBenchmarks does not see --benchmark_color, so it is read
// here: auto (the default) means color on a terminal only. The table is always tabular.
inline benchmark::ConsoleReporter::OutputOptions ConsoleOptions(int argc, char** argv) {
  std::string color = "auto";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    constexpr std::string_view kFlag = "--benchmark_color=";
    if (arg.substr(0, kFlag.size()) == kFlag) color = arg.substr(kFlag.size());
  }
  bool on = isatty(STDOUT_FILENO) != 0;
  if (color == "true" || color == "yes" || color == "1") on = true;
  if (color == "false" || color == "no" || color == "0") on = false;
  return on ? benchmark::ConsoleReporter::OO_ColorTabular : benchmark::ConsoleReporter::OO_Tabular;
}

inline std::string Thousands(double value) {
  std::string digits = std::to_string(static_cast<long long>(value + 0.5));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace journeyd::bench
