// GET /metrics: every metric of the registry in the Prometheus text format 0.0.4. It takes no
// token (Prometheus scrapes it), so what the registry holds must carry no personal data and no
// secrets: names of sources and targets, route patterns, status codes, counts.
#pragma once

#include "daemon/server/router.h"
#include "engine/observability/metrics.h"

namespace journeyd::routes {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// `registry` must outlive the router.
void AddMetricsRoute(server::Router& router, const observability::Registry& registry);

}  // namespace journeyd::routes
