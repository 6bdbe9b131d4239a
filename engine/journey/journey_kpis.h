// Journey KPIs, computed from the stored transitions, touchpoints and journey states (never from
// counters kept on the side, so they agree with what the profile API shows): profiles per stage,
// stage-to-stage conversion with median and p90 time, drop-off, churn, repeat purchases, revenue
// per paying profile, support resolution time, CSAT and NPS. docs/journey.md defines each.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/journey/journey_definition.h"
#include "engine/journey/journey_state.h"
#include "engine/storage/store.h"

namespace journeyd::journey {

struct KpiFilter {
  std::optional<TimePoint> since, until;  // [since, until)
  std::string source;  // only profiles whose first touch came from it; empty: all
};

struct StageCount {
  std::string stage;
  int64_t current = 0;  // profiles in it now (side states aside)
  int64_t entered = 0;  // profiles that reached it within the range
};

struct StageConversion {
  std::string from, to;
  int64_t entered = 0;    // reached `from` within the range
  int64_t converted = 0;  // of those, reached `to` (by `until`)
  int64_t dropped = 0;    // entered - converted
  std::optional<double> rate;                       // converted / entered
  std::optional<double> median_days, p90_days;      // between entering the two, where both were
};

struct RevenueKpi {
  std::string currency;
  std::string total;      // exact decimal
  int64_t paying_profiles = 0;
  std::string per_profile;
};

struct JourneyKpis {
  KpiFilter filter;
  int64_t profiles = 0;
  std::vector<StageCount> stages;
  int64_t at_risk = 0, churned = 0;
  std::vector<StageConversion> conversion;
  int64_t customers = 0;            // profiles with a purchase by `until`
  int64_t churned_in_range = 0;     // customers that entered churned within the range
  std::optional<double> churn_rate;
  int64_t purchasers = 0, repeat_purchasers = 0;  // within the range
  std::optional<double> repeat_purchase_rate;
  std::vector<RevenueKpi> revenue;
  int64_t tickets_opened = 0, tickets_solved = 0;
  std::optional<double> median_resolution_hours, p90_resolution_hours;
  int64_t csat_responses = 0, csat_good = 0;
  std::optional<double> csat_percent;
  int64_t nps_responses = 0, promoters = 0, detractors = 0;
  std::optional<double> nps;
};

Result<JourneyKpis> ComputeKpis(storage::Store& store, const JourneyDefinition& definition,
                                const KpiFilter& filter);

boost::json::value ToJson(const JourneyKpis& kpis);
// A plain-text report for `journeyd report journey`.
std::string ToTable(const JourneyKpis& kpis);

}  // namespace journeyd::journey
