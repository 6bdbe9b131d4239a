// Router maps (method, path pattern) to handlers. Patterns are literal segments and {name}
// captures, e.g. "/webhooks/{source}". It answers 404 for an unknown path and 405 with an Allow
// header for a known path with the wrong method, so handlers only see requests they serve.
// Routes are added before the server starts; Dispatch is then safe from any thread. Dispatch
// tells the handler (and the metrics) which pattern matched in RequestContext::route.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "daemon/server/http_types.h"

namespace journeyd::server {

using Handler = std::function<void(RequestContext&, Respond)>;

class Router {
 public:
  void Add(http::verb method, std::string pattern, Handler handler);
  void Dispatch(RequestContext& context, Respond respond) const;
  // Every (method, pattern) added, in order: for checks such as docs/openapi.yaml's test.
  std::vector<std::pair<http::verb, std::string>> Routes() const;

 private:
  struct Route {
    http::verb method;
    std::string pattern;                // as added, for RequestContext::route
    std::vector<std::string> segments;  // "{name}" marks a capture
    Handler handler;
  };
  static bool Match(const Route& route, const std::vector<std::string_view>& path,
                    RouteParams& params);

  std::vector<Route> routes_;
};

}  // namespace journeyd::server
