// A small metrics registry behind GET /metrics: counters, gauges and histograms, alone or in
// families keyed by label values, and collectors that produce samples at scrape time (for
// figures that live in the store and must survive restarts). RenderText writes the Prometheus
// text exposition format 0.0.4. Thread-safe: metrics are updated with relaxed atomics from any
// thread, families hand out references that stay valid for the registry's life, and a render
// may run while others update.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace journeyd::observability {

enum class MetricType { kCounter, kGauge, kHistogram };

// Counts up from zero. Increment is one relaxed atomic add.
class Counter {
 public:
  void Increment(uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into buckets with fixed upper bounds (Prometheus `le`), and sums them.
// Observe finds the bucket by binary search and does two relaxed atomic adds.
class Histogram {
 public:
  // REQUIRES: `bounds` finite and strictly increasing (the +Inf bucket is implicit).
  explicit Histogram(std::vector<double> bounds);

  // Records `value` `times` times (a group of events that all took the same time).
  void Observe(double value, uint64_t times = 1);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf; each includes those below
    double sum = 0;
    uint64_t count = 0;  // == cumulative.back()
  };
  // Not atomic across buckets: an Observe racing with it may show in `count` but not `sum`.
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  // Per bound, then one for values above the last; not cumulative, so Observe touches one.
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

// `count` bounds from `start`, each `factor` times the one before. REQUIRES: start > 0,
// factor > 1, count >= 1.
std::vector<double> ExponentialBuckets(double start, double factor, int count);
// Seconds from half a millisecond (one group commit) to ten (a request timeout's order), for
// the latencies journeyd reports, so that they can be compared bucket by bucket.
std::vector<double> LatencyBuckets();

namespace internal {

// Orders label-value tuples, and lets a lookup use string_views without building a key.
struct LabelValuesLess {
  using is_transparent = void;
  bool operator()(const std::vector<std::string>& a, const std::vector<std::string>& b) const {
    return a < b;
  }
  bool operator()(const std::vector<std::string>& a, std::span<const std::string_view> b) const;
  bool operator()(std::span<const std::string_view> a, const std::vector<std::string>& b) const;
};

// What every family shares: its name, help, type and label names, and how it renders.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Appends the family's sample lines (not its # HELP / # TYPE) to `out`.
  virtual void RenderSamples(std::string& out) const = 0;

 private:
  const std::string name_;
  const std::string help_;
  const MetricType type_;
  const std::vector<std::string> label_names_;
};

}  // namespace internal

// A named metric with label names; one child metric per distinct tuple of label values.
// Resolve a child once and keep the reference: a lookup takes a shared lock and compares
// strings, which is cheap but not free.
template <class Metric>
class Family final : public internal::FamilyBase {
 public:
  using Factory = std::function<std::unique_ptr<Metric>()>;
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
         Factory make);

  // The child for `values` (in label-name order), made on first use. The reference stays
  // valid as long as the registry. Throws std::invalid_argument when the number of values is
  // not the number of label names (a programming error).
  Metric& WithLabels(std::initializer_list<std::string_view> values) {
    return WithLabels(std::span<const std::string_view>(values.begin(), values.size()));
  }
  Metric& WithLabels(std::span<const std::string_view> values);

  void RenderSamples(std::string& out) const override;

 private:
  const Factory make_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>, internal::LabelValuesLess>
      children_;  // GUARDED_BY(mu_)
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

// A family a collector reports at scrape time. Only counters and gauges.
struct FamilySpec {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<std::string> label_names;
};

// What a collector writes into during one scrape: samples of the families it declared, by
// their index in its spec list.
class CollectedSamples {
 public:
  explicit CollectedSamples(const std::vector<FamilySpec>& specs);
  // Throws std::invalid_argument when `family` is out of range or the number of values is not
  // its number of label names (programming errors).
  void Add(size_t family, std::vector<std::string> label_values, double value);

  using Samples = std::vector<std::pair<std::vector<std::string>, double>>;
  const std::vector<Samples>& samples() const { return samples_; }

 private:
  const std::vector<FamilySpec>& specs_;
  std::vector<Samples> samples_;  // per family
};

using CollectFn = std::function<void(CollectedSamples&)>;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registration. Names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
  // (not starting "__"; histograms may not use "le"). A bad or already registered name throws
  // std::invalid_argument: metrics are registered at start-up, so that is a programming error.
  // The references stay valid as long as the registry.
  Counter& AddCounter(std::string name, std::string help);
  Gauge& AddGauge(std::string name, std::string help);
  Histogram& AddHistogram(std::string name, std::string help, std::vector<double> bounds);
  Family<Counter>& AddCounterFamily(std::string name, std::string help,
                                    std::vector<std::string> label_names);
  Family<Gauge>& AddGaugeFamily(std::string name, std::string help,
                                std::vector<std::string> label_names);
  Family<Histogram>& AddHistogramFamily(std::string name, std::string help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> bounds);

  // Registers `families` (counters and gauges), whose samples `collect` produces at each
  // render, in one call for all of them (so one store read can feed several). `collect` runs
  // on the rendering thread, possibly on several at once; when it cannot read its figures it
  // adds nothing and the families show no samples.
  void AddCollector(std::vector<FamilySpec> families, CollectFn collect);

  // Every family, sorted by name, in the Prometheus text format 0.0.4.
  std::string RenderText() const;

 private:
  struct Collector {
    std::vector<FamilySpec> specs;
    CollectFn collect;
  };
  // Throws std::invalid_argument on a bad or taken name. REQUIRES: mu_ held.
  void CheckName(const std::string& name, MetricType type,
                 const std::vector<std::string>& label_names) const;
  template <class Metric>
  Family<Metric>& AddFamily(std::string name, std::string help, MetricType type,
                            std::vector<std::string> label_names,
                            typename Family<Metric>::Factory make);

  mutable std::mutex mu_;
  std::set<std::string, std::less<>> names_;                     // GUARDED_BY(mu_)
  std::vector<std::unique_ptr<internal::FamilyBase>> families_;  // GUARDED_BY(mu_)
  std::vector<std::unique_ptr<Collector>> collectors_;           // GUARDED_BY(mu_)
};

// The text format's escaping, for tests and for anyone writing samples by hand.
std::string EscapeLabelValue(std::string_view value);
std::string FormatValue(double value);

}  // namespace journeyd::observability
