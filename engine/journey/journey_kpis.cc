#include "engine/journey/journey_kpis.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "engine/base/time_format.h"
#include "engine/journey/journey_state.h"
#include "engine/journey/stored_touchpoint.h"

namespace journeyd::journey {

namespace json = boost::json;

namespace {

constexpr int kScale = 4;  // money is summed in 1/10^4 units: exact for every ISO 4217 currency
constexpr int64_t kUnit = 10000;

bool InRange(const KpiFilter& f, TimePoint t) {
  return (!f.since || t >= *f.since) && (!f.until || t < *f.until);
}
bool ByUntil(const KpiFilter& f, TimePoint t) { return !f.until || t < *f.until; }

// Nearest-rank percentile of an unsorted sample (sorted in place).
std::optional<double> Percentile(std::vector<double>& sample, double p) {
  if (sample.empty()) return std::nullopt;
  std::sort(sample.begin(), sample.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sample.size())));
  return sample[std::max<size_t>(rank, 1) - 1];
}

std::optional<double> Ratio(int64_t num, int64_t den) {
  if (den == 0) return std::nullopt;
  return static_cast<double>(num) / static_cast<double>(den);
}

// "199.65" -> 1996500 (units of 1/10^4); nullopt when not a plain decimal.
std::optional<int64_t> ParseAmount(const std::string& text, int& decimals) {
  if (text.empty()) return std::nullopt;
  size_t i = 0;
  const bool negative = text[0] == '-';
  if (negative) ++i;
  int64_t whole = 0, fraction = 0;
  int digits = 0;
  bool dot = false, any = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    any = true;
    if (!dot) {
      if (whole > (std::numeric_limits<int64_t>::max() / 10 - 9) / kUnit) return std::nullopt;
      whole = whole * 10 + (c - '0');
    } else if (digits < kScale) {
      fraction = fraction * 10 + (c - '0');
      ++digits;
    }
  }
  if (!any) return std::nullopt;
  decimals = std::max(decimals, digits);
  for (int d = digits; d < kScale; ++d) fraction *= 10;
  const int64_t units = whole * kUnit + fraction;
  return negative ? -units : units;
}

std::string FormatAmount(int64_t units, int decimals) {
  decimals = std::clamp(decimals, 2, kScale);
  const bool negative = units < 0;
  const int64_t magnitude = negative ? -units : units;
  int64_t divisor = 1;
  for (int d = decimals; d < kScale; ++d) divisor *= 10;
  const int64_t rounded = (magnitude + divisor / 2) / divisor;  // half up, at `decimals`
  int64_t scale = 1;
  for (int d = 0; d < decimals; ++d) scale *= 10;
  std::string frac = std::to_string(rounded % scale);
  frac.insert(0, static_cast<size_t>(decimals) - frac.size(), '0');
  return (negative ? "-" : "") + std::to_string(rounded / scale) + "." + frac;
}

json::value Optional(const std::optional<double>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

}  // namespace

Result<JourneyKpis> ComputeKpis(storage::Store& store, const JourneyDefinition& def,
                                const KpiFilter& filter) {
  JourneyKpis k;
  k.filter = filter;
  const std::vector<std::string>& stages = def.stages();
  std::map<std::string, size_t, std::less<>> stage_index;
  for (size_t i = 0; i < stages.size(); ++i) stage_index.emplace(stages[i], i);

  // The cohort, and where each profile stands now.
  std::unordered_set<int64_t> cohort;
  std::vector<int64_t> current(stages.size(), 0);
  Status scanned = store.ScanJourneyStates([&](const storage::JourneyStateRow& s) {
    if (!filter.source.empty() && s.first_source != filter.source) return;
    cohort.insert(s.profile_id);
    if (s.side == "at_risk") ++k.at_risk;
    if (s.side == "churned") ++k.churned;
    if (auto it = stage_index.find(s.stage); it != stage_index.end()) ++current[it->second];
  });
  if (!scanned.ok()) return scanned.error();
  k.profiles = static_cast<int64_t>(cohort.size());

  // When each profile reached each stage: the first stage transition to it or beyond (a profile
  // that went from awareness straight to purchase reached consideration and decision then too).
  struct Reached {
    std::vector<std::optional<TimePoint>> reached;   // to it or beyond
    std::vector<std::optional<TimePoint>> explicit_; // to exactly it
    std::optional<TimePoint> churned_at;
  };
  std::unordered_map<int64_t, Reached> journeys;
  scanned = store.ScanJourneyTransitions({}, [&](const storage::JourneyTransitionRow& t) {
    if (cohort.count(t.profile_id) == 0) return;
    Reached& r = journeys[t.profile_id];
    if (r.reached.empty()) {
      r.reached.resize(stages.size());
      r.explicit_.resize(stages.size());
    }
    if (t.kind == "side" && t.to == "churned" && InRange(filter, t.at) && !r.churned_at) {
      r.churned_at = t.at;
    }
    if (t.kind != "stage") return;
    auto it = stage_index.find(t.to);
    if (it == stage_index.end()) return;
    if (!r.explicit_[it->second]) r.explicit_[it->second] = t.at;
    for (size_t i = 0; i <= it->second; ++i) {
      if (!r.reached[i] || t.at < *r.reached[i]) r.reached[i] = t.at;
    }
  });
  if (!scanned.ok()) return scanned.error();

  for (size_t i = 0; i < stages.size(); ++i) {
    StageCount c{stages[i], current[i], 0};
    for (const auto& [profile, r] : journeys) {
      if (r.reached[i] && InRange(filter, *r.reached[i])) ++c.entered;
    }
    k.stages.push_back(c);
  }
  for (size_t i = 0; i + 1 < stages.size(); ++i) {
    StageConversion c{stages[i], stages[i + 1], 0, 0, 0, {}, {}, {}};
    std::vector<double> days;
    for (const auto& [profile, r] : journeys) {
      if (!r.reached[i] || !InRange(filter, *r.reached[i])) continue;
      ++c.entered;
      if (r.reached[i + 1] && ByUntil(filter, *r.reached[i + 1])) {
        ++c.converted;
        if (r.explicit_[i] && r.explicit_[i + 1] && *r.explicit_[i + 1] >= *r.explicit_[i]) {
          days.push_back(std::chrono::duration<double>(*r.explicit_[i + 1] - *r.explicit_[i])
                             .count() / 86400.0);
        }
      }
    }
    c.dropped = c.entered - c.converted;
    c.rate = Ratio(c.converted, c.entered);
    c.median_days = Percentile(days, 0.5);
    c.p90_days = Percentile(days, 0.9);
    k.conversion.push_back(std::move(c));
  }

  // Touchpoint KPIs: purchases, revenue, tickets, satisfaction.
  std::unordered_map<int64_t, int64_t> purchases_in_range;
  std::unordered_set<int64_t> customers;
  struct Money {
    int64_t units = 0;
    int decimals = 2;
    std::unordered_set<int64_t> payers;
  };
  std::map<std::string, Money> revenue;
  std::unordered_map<std::string, TimePoint> opened;   // ticket reference -> opened at
  std::vector<std::pair<std::string, TimePoint>> solved;
  scanned = store.ScanTouchpoints({std::nullopt, filter.until}, [&](const storage::TouchpointRow& t) {
    if (cohort.count(t.profile_id) == 0) return;
    const bool in_range = InRange(filter, t.occurred_at);
    if (def.IsPurchase(t.type)) {
      customers.insert(t.profile_id);
      if (in_range) {
        ++purchases_in_range[t.profile_id];
        Money& m = revenue[t.currency];
        int decimals = m.decimals;
        if (auto units = ParseAmount(t.value, decimals)) {
          m.units += *units;
          m.decimals = decimals;
          m.payers.insert(t.profile_id);
        }
      }
    }
    if (!t.reference.empty() && def.OpensTicket(t.type)) {
      if (!opened.count(t.reference)) opened.emplace(t.reference, t.occurred_at);
      if (in_range) ++k.tickets_opened;
    }
    if (!t.reference.empty() && def.SolvesTicket(t.type)) solved.emplace_back(t.reference, t.occurred_at);
    if (!in_range || (!def.csat_when() && !def.nps_when())) return;
    const JourneyTouchpoint jt = FromStored(t);
    const json::value view = TouchpointView(jt);
    if (EvalTruthy(def.csat_when(), view)) {
      ++k.csat_responses;
      if (EvalTruthy(def.csat_good(), view)) ++k.csat_good;
    } else if (EvalTruthy(def.nps_when(), view)) {
      if (auto score = EvalNumber(def.nps_score(), view)) {
        ++k.nps_responses;
        if (*score >= 9) ++k.promoters;
        if (*score <= 6) ++k.detractors;
      }
    }
  });
  if (!scanned.ok()) return scanned.error();

  k.customers = static_cast<int64_t>(customers.size());
  for (const auto& [profile, r] : journeys) {
    if (r.churned_at && customers.count(profile)) ++k.churned_in_range;
  }
  k.churn_rate = Ratio(k.churned_in_range, k.customers);
  for (const auto& [profile, n] : purchases_in_range) {
    ++k.purchasers;
    if (n >= 2) ++k.repeat_purchasers;
  }
  k.repeat_purchase_rate = Ratio(k.repeat_purchasers, k.purchasers);
  for (const auto& [currency, m] : revenue) {
    if (m.payers.empty()) continue;
    const int64_t payers = static_cast<int64_t>(m.payers.size());
    k.revenue.push_back({currency, FormatAmount(m.units, m.decimals), payers,
                         FormatAmount(m.units / payers, m.decimals)});
  }
  std::vector<double> hours;
  std::set<std::string> counted;
  for (const auto& [reference, at] : solved) {
    auto it = opened.find(reference);
    if (it == opened.end() || !InRange(filter, it->second) || !counted.insert(reference).second) {
      continue;
    }
    ++k.tickets_solved;
    if (at >= it->second) {
      hours.push_back(std::chrono::duration<double>(at - it->second).count() / 3600.0);
    }
  }
  k.median_resolution_hours = Percentile(hours, 0.5);
  k.p90_resolution_hours = Percentile(hours, 0.9);
  if (k.csat_responses > 0) k.csat_percent = 100.0 * Ratio(k.csat_good, k.csat_responses).value();
  if (k.nps_responses > 0) {
    k.nps = 100.0 * static_cast<double>(k.promoters - k.detractors) /
            static_cast<double>(k.nps_responses);
  }
  return k;
}

json::value ToJson(const JourneyKpis& k) {
  json::object o;
  o["range"] = {{"since", k.filter.since ? json::value(FormatIso8601(*k.filter.since)) : nullptr},
                {"until", k.filter.until ? json::value(FormatIso8601(*k.filter.until)) : nullptr}};
  o["source"] = k.filter.source.empty() ? json::value(nullptr) : json::value(k.filter.source);
  o["profiles"] = k.profiles;
  json::array stages;
  for (const StageCount& s : k.stages) {
    stages.push_back({{"stage", s.stage}, {"current", s.current}, {"entered", s.entered}});
  }
  o["stages"] = std::move(stages);
  o["side_states"] = {{"at_risk", k.at_risk}, {"churned", k.churned}};
  json::array conversion;
  for (const StageConversion& c : k.conversion) {
    conversion.push_back({{"from", c.from},
                          {"to", c.to},
                          {"entered", c.entered},
                          {"converted", c.converted},
                          {"dropped", c.dropped},
                          {"rate", Optional(c.rate)},
                          {"median_days", Optional(c.median_days)},
                          {"p90_days", Optional(c.p90_days)}});
  }
  o["conversion"] = std::move(conversion);
  o["customers"] = k.customers;
  o["churn"] = {{"churned", k.churned_in_range}, {"rate", Optional(k.churn_rate)}};
  o["repeat_purchase"] = {{"purchasers", k.purchasers},
                          {"repeat_purchasers", k.repeat_purchasers},
                          {"rate", Optional(k.repeat_purchase_rate)}};
  json::array revenue;
  for (const RevenueKpi& r : k.revenue) {
    revenue.push_back({{"currency", r.currency},
                       {"total", r.total},
                       {"paying_profiles", r.paying_profiles},
                       {"per_profile", r.per_profile}});
  }
  o["revenue"] = std::move(revenue);
  o["support"] = {{"tickets_opened", k.tickets_opened},
                  {"tickets_solved", k.tickets_solved},
                  {"median_resolution_hours", Optional(k.median_resolution_hours)},
                  {"p90_resolution_hours", Optional(k.p90_resolution_hours)}};
  o["satisfaction"] = {{"csat_responses", k.csat_responses},
                       {"csat_percent", Optional(k.csat_percent)},
                       {"nps_responses", k.nps_responses},
                       {"promoters", k.promoters},
                       {"detractors", k.detractors},
                       {"nps", Optional(k.nps)}};
  return o;
}

std::string ToTable(const JourneyKpis& k) {
  const auto num = [](const std::optional<double>& v, const char* unit = "") {
    if (!v) return std::string("-");
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.1f%s", *v, unit);
    return std::string(buf);
  };
  const auto pct = [&](const std::optional<double>& v) {
    return v ? num(*v * 100, "%") : std::string("-");
  };
  char line[256];
  std::string out = "Journey KPIs";
  if (k.filter.since) out += " since " + FormatIso8601(*k.filter.since);
  if (k.filter.until) out += " until " + FormatIso8601(*k.filter.until);
  if (!k.filter.source.empty()) out += " (first touch: " + k.filter.source + ")";
  out += "\n\nprofiles " + std::to_string(k.profiles) + ", at_risk " + std::to_string(k.at_risk) +
         ", churned " + std::to_string(k.churned) + "\n\n";
  std::snprintf(line, sizeof line, "%-16s %10s %10s\n", "stage", "current", "entered");
  out += line;
  for (const StageCount& s : k.stages) {
    std::snprintf(line, sizeof line, "%-16s %10lld %10lld\n", s.stage.c_str(),
                  static_cast<long long>(s.current), static_cast<long long>(s.entered));
    out += line;
  }
  std::snprintf(line, sizeof line, "\n%-30s %8s %9s %8s %8s %9s %9s\n", "conversion", "entered",
                "converted", "dropped", "rate", "median d", "p90 d");
  out += line;
  for (const StageConversion& c : k.conversion) {
    std::snprintf(line, sizeof line, "%-30s %8lld %9lld %8lld %8s %9s %9s\n",
                  (c.from + " -> " + c.to).c_str(), static_cast<long long>(c.entered),
                  static_cast<long long>(c.converted), static_cast<long long>(c.dropped),
                  pct(c.rate).c_str(), num(c.median_days).c_str(), num(c.p90_days).c_str());
    out += line;
  }
  out += "\ncustomers " + std::to_string(k.customers) + ", churn rate " + pct(k.churn_rate) +
         ", repeat purchase rate " + pct(k.repeat_purchase_rate) + "\n";
  for (const RevenueKpi& r : k.revenue) {
    out += "revenue " + r.currency + " " + r.total + " from " +
           std::to_string(r.paying_profiles) + " profiles, " + r.per_profile + " per profile\n";
  }
  out += "support: " + std::to_string(k.tickets_opened) + " tickets opened, " +
         std::to_string(k.tickets_solved) + " solved, median " +
         num(k.median_resolution_hours, " h") + ", p90 " + num(k.p90_resolution_hours, " h") +
         "\n";
  out += "satisfaction: CSAT " + num(k.csat_percent, "%") + " of " +
         std::to_string(k.csat_responses) + ", NPS " + num(k.nps) + " of " +
         std::to_string(k.nps_responses) + "\n";
  return out;
}

}  // namespace journeyd::journey
