#include "engine/observability/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace journeyd::observability {

namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool ValidMetricName(std::string_view name) {
  if (name.empty() || !(IsNameStart(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsNameStart(c) || IsDigit(c) || c == ':'; });
}

bool ValidLabelName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0]) || name.starts_with("__")) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return IsNameStart(c) || IsDigit(c); });
}

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text escapes only backslash and newline; quotes stay as they are.
void AppendHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void AppendHeader(std::string& out, const std::string& name, const std::string& help,
                  MetricType type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  AppendHelp(out, help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += TypeName(type);
  out += '\n';
}

// `name{a="x",b="y"}` (no braces without labels), with an optional extra label such as `le`.
void AppendSeries(std::string& out, std::string_view name, std::string_view suffix,
                  const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  out += name;
  out += suffix;
  if (label_names.empty() && extra_name.empty()) return;
  out += '{';
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names[i];
    out += "=\"";
    out += EscapeLabelValue(label_values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!label_names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void AppendUnsigned(std::string& out, uint64_t value) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, end);
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  // Whole numbers (counts, mostly) in full, as people read them: 300000, not 3e+05.
  if (std::fabs(value) < 1e15 && value == std::trunc(value)) {
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), static_cast<int64_t>(value));
    return std::string(buffer, end);
  }
  // Otherwise the shortest form that reads back exactly, without an exponent in the usual
  // range (le="0.0005", not le="5e-04"): 0.005, and only then 1e-07 or 1e+21.
  const auto format = std::fabs(value) >= 1e-6 && std::fabs(value) < 1e15
                          ? std::chars_format::fixed
                          : std::chars_format::general;
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value, format);
  return std::string(buffer, end);
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && !(bounds_[i - 1] < bounds_[i]))) {
      throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
    }
  }
}

void Histogram::Observe(double value, uint64_t times) {
  // A NaN would poison the sum for good; it is no measurement anyway.
  if (std::isnan(value) || times == 0) return;
  // `le` is inclusive: the first bound not below the value.
  const size_t index = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                           bounds_.begin());
  buckets_[index].fetch_add(times, std::memory_order_relaxed);
  sum_.fetch_add(value * static_cast<double>(times), std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  s.cumulative.reserve(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  // Derived from the buckets, so that _count always equals the +Inf bucket.
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  if (!(start > 0) || !(factor > 1) || count < 1) {
    throw std::invalid_argument("exponential buckets need start > 0, factor > 1, count >= 1");
  }
  std::vector<double> bounds;
  bounds.reserve(static_cast<size_t>(count));
  double bound = start;
  for (int i = 0; i < count; ++i, bound *= factor) bounds.push_back(bound);
  return bounds;
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

namespace internal {

bool LabelValuesLess::operator()(const std::vector<std::string>& a,
                                 std::span<const std::string_view> b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      std::less<std::string_view>());
}

bool LabelValuesLess::operator()(std::span<const std::string_view> a,
                                 const std::vector<std::string>& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      std::less<std::string_view>());
}

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {}

}  // namespace internal

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names, Factory make)
    : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
      make_(std::move(make)) {}

template <class Metric>
Metric& Family<Metric>::WithLabels(std::span<const std::string_view> values) {
  if (values.size() != label_names().size()) {
    throw std::invalid_argument("metric " + name() + " takes " +
                                std::to_string(label_names().size()) + " label values, not " +
                                std::to_string(values.size()));
  }
  {
    std::shared_lock lock(mu_);
    if (auto it = children_.find(values); it != children_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  if (auto it = children_.find(values); it != children_.end()) return *it->second;
  std::vector<std::string> key(values.begin(), values.end());
  auto [it, inserted] = children_.emplace(std::move(key), make_());
  return *it->second;
}

template <class Metric>
void Family<Metric>::RenderSamples(std::string& out) const {
  std::shared_lock lock(mu_);
  for (const auto& [values, metric] : children_) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const Histogram::Snapshot s = metric->snapshot();
      for (size_t i = 0; i <= s.bounds.size(); ++i) {
        const std::string le = i < s.bounds.size() ? FormatValue(s.bounds[i]) : "+Inf";
        AppendSeries(out, name(), "_bucket", label_names(), values, "le", le);
        out += ' ';
        AppendUnsigned(out, s.cumulative[i]);
        out += '\n';
      }
      AppendSeries(out, name(), "_sum", label_names(), values);
      out += ' ';
      out += FormatValue(s.sum);
      out += '\n';
      AppendSeries(out, name(), "_count", label_names(), values);
      out += ' ';
      AppendUnsigned(out, s.count);
      out += '\n';
    } else if constexpr (std::is_same_v<Metric, Counter>) {
      AppendSeries(out, name(), "", label_names(), values);
      out += ' ';
      AppendUnsigned(out, metric->value());
      out += '\n';
    } else {
      AppendSeries(out, name(), "", label_names(), values);
      out += ' ';
      out += FormatValue(metric->value());
      out += '\n';
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

CollectedSamples::CollectedSamples(const std::vector<FamilySpec>& specs)
    : specs_(specs), samples_(specs.size()) {}

void CollectedSamples::Add(size_t family, std::vector<std::string> label_values, double value) {
  if (family >= specs_.size()) {
    throw std::invalid_argument("collector has no family " + std::to_string(family));
  }
  if (label_values.size() != specs_[family].label_names.size()) {
    throw std::invalid_argument("metric " + specs_[family].name + " takes " +
                                std::to_string(specs_[family].label_names.size()) +
                                " label values, not " + std::to_string(label_values.size()));
  }
  samples_[family].emplace_back(std::move(label_values), value);
}

void Registry::CheckName(const std::string& name, MetricType type,
                         const std::vector<std::string>& label_names) const {
  if (!ValidMetricName(name)) throw std::invalid_argument("bad metric name '" + name + "'");
  for (const std::string& label : label_names) {
    if (!ValidLabelName(label) || (type == MetricType::kHistogram && label == "le")) {
      throw std::invalid_argument("bad label name '" + label + "' for metric " + name);
    }
  }
  if (names_.contains(name)) throw std::invalid_argument("metric " + name + " is registered twice");
}

template <class Metric>
Family<Metric>& Registry::AddFamily(std::string name, std::string help, MetricType type,
                                    std::vector<std::string> label_names,
                                    typename Family<Metric>::Factory make) {
  std::lock_guard lock(mu_);
  CheckName(name, type, label_names);
  names_.insert(name);
  auto family = std::make_unique<Family<Metric>>(std::move(name), std::move(help), type,
                                                 std::move(label_names), std::move(make));
  Family<Metric>& out = *family;
  families_.push_back(std::move(family));
  return out;
}

Counter& Registry::AddCounter(std::string name, std::string help) {
  return AddCounterFamily(std::move(name), std::move(help), {}).WithLabels({});
}

Gauge& Registry::AddGauge(std::string name, std::string help) {
  return AddGaugeFamily(std::move(name), std::move(help), {}).WithLabels({});
}

Histogram& Registry::AddHistogram(std::string name, std::string help, std::vector<double> bounds) {
  return AddHistogramFamily(std::move(name), std::move(help), {}, std::move(bounds)).WithLabels({});
}

Family<Counter>& Registry::AddCounterFamily(std::string name, std::string help,
                                            std::vector<std::string> label_names) {
  return AddFamily<Counter>(std::move(name), std::move(help), MetricType::kCounter,
                            std::move(label_names), [] { return std::make_unique<Counter>(); });
}

Family<Gauge>& Registry::AddGaugeFamily(std::string name, std::string help,
                                        std::vector<std::string> label_names) {
  return AddFamily<Gauge>(std::move(name), std::move(help), MetricType::kGauge,
                          std::move(label_names), [] { return std::make_unique<Gauge>(); });
}

Family<Histogram>& Registry::AddHistogramFamily(std::string name, std::string help,
                                                std::vector<std::string> label_names,
                                                std::vector<double> bounds) {
  // Checked here, once, rather than at the first child.
  Histogram check(bounds);
  return AddFamily<Histogram>(
      std::move(name), std::move(help), MetricType::kHistogram, std::move(label_names),
      [bounds = std::move(bounds)] { return std::make_unique<Histogram>(bounds); });
}

void Registry::AddCollector(std::vector<FamilySpec> families, CollectFn collect) {
  std::lock_guard lock(mu_);
  std::set<std::string_view> seen;
  for (const FamilySpec& spec : families) {
    if (spec.type == MetricType::kHistogram) {
      throw std::invalid_argument("collector family " + spec.name + " cannot be a histogram");
    }
    CheckName(spec.name, spec.type, spec.label_names);
    if (!seen.insert(spec.name).second) {
      throw std::invalid_argument("metric " + spec.name + " is registered twice");
    }
  }
  for (const FamilySpec& spec : families) names_.insert(spec.name);
  collectors_.push_back(
      std::make_unique<Collector>(Collector{std::move(families), std::move(collect)}));
}

std::string Registry::RenderText() const {
  std::vector<const internal::FamilyBase*> families;
  std::vector<const Collector*> collectors;
  {
    // Families and collectors are never removed, so the pointers outlive the lock; rendering
    // (and the collectors' store reads) then runs without blocking registration.
    std::lock_guard lock(mu_);
    for (const auto& f : families_) families.push_back(f.get());
    for (const auto& c : collectors_) collectors.push_back(c.get());
  }
  std::vector<std::pair<std::string_view, std::string>> blocks;
  for (const internal::FamilyBase* family : families) {
    std::string text;
    AppendHeader(text, family->name(), family->help(), family->type());
    family->RenderSamples(text);
    blocks.emplace_back(family->name(), std::move(text));
  }
  for (const Collector* collector : collectors) {
    CollectedSamples collected(collector->specs);
    collector->collect(collected);
    for (size_t i = 0; i < collector->specs.size(); ++i) {
      const FamilySpec& spec = collector->specs[i];
      auto samples = collected.samples()[i];
      std::sort(samples.begin(), samples.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      std::string text;
      AppendHeader(text, spec.name, spec.help, spec.type);
      for (const auto& [values, value] : samples) {
        AppendSeries(text, spec.name, "", spec.label_names, values);
        text += ' ';
        text += FormatValue(value);
        text += '\n';
      }
      blocks.emplace_back(spec.name, std::move(text));
    }
  }
  std::sort(blocks.begin(), blocks.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [name, text] : blocks) out += text;
  return out;
}

}  // namespace journeyd::observability
