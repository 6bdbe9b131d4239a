#include "daemon/server/http_metrics.h"

#include <charconv>
#include <mutex>

namespace journeyd::server {

std::string_view MethodLabel(http::verb method) {
  if (method == http::verb::unknown) return "OTHER";
  return std::string_view(http::to_string(method));
}

HttpMetrics::HttpMetrics(observability::Registry& registry)
    : requests_(registry.AddCounterFamily(
          "journeyd_http_requests_total",
          "HTTP requests answered, by matched route pattern (or unmatched), method and status.",
          {"route", "method", "code"})),
      duration_(registry.AddHistogramFamily(
          "journeyd_http_request_duration_seconds",
          "Seconds from a request being read to its answer being written, by route pattern.",
          {"route"}, observability::LatencyBuckets())) {}

observability::Counter* HttpMetrics::Find(const RouteSeries& series, http::verb method,
                                          unsigned status) {
  for (const Answered& a : series.answered) {
    if (a.method == method && a.status == status) return a.requests;
  }
  return nullptr;
}

void HttpMetrics::Record(std::string_view route, http::verb method, unsigned status,
                         std::chrono::steady_clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  {
    std::shared_lock lock(mu_);
    if (auto it = routes_.find(route); it != routes_.end()) {
      if (observability::Counter* requests = Find(*it->second, method, status)) {
        requests->Increment();
        it->second->duration->Observe(seconds);
        return;
      }
    }
  }
  // First request of this kind: resolve its series once.
  std::unique_lock lock(mu_);
  auto it = routes_.find(route);
  if (it == routes_.end()) {
    auto series = std::make_unique<RouteSeries>();
    series->duration = &duration_.WithLabels({route});
    it = routes_.emplace(std::string(route), std::move(series)).first;
  }
  RouteSeries& series = *it->second;
  observability::Counter* requests = Find(series, method, status);
  if (requests == nullptr) {
    char code[8];
    auto [end, ec] = std::to_chars(code, code + sizeof(code), status);
    requests = &requests_.WithLabels({route, MethodLabel(method), std::string_view(code, end)});
    series.answered.push_back({method, status, requests});
  }
  requests->Increment();
  series.duration->Observe(seconds);
}

}  // namespace journeyd::server
