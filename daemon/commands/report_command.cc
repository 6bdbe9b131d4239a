// `journeyd report journey [--format table|json] [--since T] [--until T] [--source NAME]`: the
// journey KPIs from the store, as GET /api/v1/journey/kpis computes them. It only reads, so it
// runs beside a live daemon (SQLite readers do not block the writer).
#include <iostream>

#include <boost/json.hpp>

#include "daemon/commands/commands.h"
#include "engine/journey/journey_kpis.h"
#include "engine/mapping/normalize.h"

namespace journeyd::commands {

int Report(const GlobalOptions& global, const ReportOptions& options) {
  if (options.what != "journey") {
    std::cerr << "journeyd report: unknown report '" << options.what << "' (known: journey)\n";
    return 2;
  }
  if (options.format != "table" && options.format != "json") {
    std::cerr << "journeyd report: --format must be table or json\n";
    return 2;
  }
  journey::KpiFilter filter;
  filter.source = options.source;
  for (const auto& [flag, text, bound] :
       {std::tuple{"--since", &options.since, &filter.since},
        std::tuple{"--until", &options.until, &filter.until}}) {
    if (text->empty()) continue;
    auto t = mapping::ParseTime(*text);
    if (!t) {
      std::cerr << "journeyd report: " << flag << " must be an RFC 3339 time (2026-11-01T00:00:00Z)\n";
      return 2;
    }
    *bound = *t;
  }
  if (filter.since && filter.until && *filter.until <= *filter.since) {
    std::cerr << "journeyd report: --until must be after --since\n";
    return 2;
  }
  auto config = LoadWithBuiltins(global);
  if (!config) return 1;
  storage::StorePtr store = OpenStoreFor(*config, "report");
  if (!store) return 1;
  auto kpis = journey::ComputeKpis(*store, *config->journey_definition, filter);
  if (!kpis.ok()) {
    std::cerr << "journeyd report: " << kpis.error().message << "\n";
    return 1;
  }
  if (options.format == "json") {
    std::cout << boost::json::serialize(journey::ToJson(*kpis)) << "\n";
  } else {
    std::cout << journey::ToTable(*kpis);
  }
  return 0;
}

}  // namespace journeyd::commands
