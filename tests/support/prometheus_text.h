// A strict reader of the Prometheus text exposition format 0.0.4 for tests, written apart from
// the renderer so that a test of /metrics does not check the code with itself. Every line must
// be "# HELP", "# TYPE" or `name{label="value",...} value`; each sample must follow the # TYPE of
// its family (histograms: the _bucket, _sum and _count series), and a family's lines come together.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"

namespace journeyd::testing {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;  // values unescaped
  std::string raw_value;                      // as written
  double value = 0;
};

struct PromText {
  std::vector<PromSample> samples;
  std::map<std::string, std::string> types;  // family -> counter | gauge | histogram | ...
  std::map<std::string, std::string> helps;  // family -> help as written (escaped)
  std::vector<std::string> family_order;     // as the # TYPE lines come
};

// kInvalidArgument naming the first line that breaks the format.
Result<PromText> ParsePrometheusText(std::string_view text);

// The value of the sample with exactly this name and these labels; nullopt when there is none.
std::optional<double> FindSample(const PromText& text, std::string_view name,
                                 const std::map<std::string, std::string>& labels = {});

}  // namespace journeyd::testing
