// HttpMetrics counts the requests the server answered, per route pattern, method and status
// (journeyd_http_requests_total), and how long each took from being read to its answer being
// written (journeyd_http_request_duration_seconds, per route). Routes are patterns or
// "unmatched", never raw paths, so the series stay few. A series is resolved on its first use
// and cached: a request then costs a shared lock, a map find without allocation, and relaxed
// atomic adds. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/server/http_types.h"
#include "engine/observability/metrics.h"

namespace journeyd::server {

class HttpMetrics {
 public:
  // Registers the two families in `registry`, which must outlive this object.
  explicit HttpMetrics(observability::Registry& registry);

  void Record(std::string_view route, http::verb method, unsigned status,
              std::chrono::steady_clock::duration elapsed);

 private:
  struct Answered {
    http::verb method;
    unsigned status;
    observability::Counter* requests;
  };
  struct RouteSeries {
    observability::Histogram* duration = nullptr;
    std::vector<Answered> answered;  // a handful per route: a scan beats a hash
  };
  // The cached counter, or null when this (method, status) is new. REQUIRES: mu_ held.
  static observability::Counter* Find(const RouteSeries& series, http::verb method,
                                      unsigned status);

  observability::Family<observability::Counter>& requests_;
  observability::Family<observability::Histogram>& duration_;
  std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<RouteSeries>, std::less<>> routes_;  // GUARDED_BY(mu_)
};

// The method as a label: its name, or "OTHER" for methods Beast does not know.
std::string_view MethodLabel(http::verb method);

}  // namespace journeyd::server
