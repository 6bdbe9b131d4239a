#include "daemon/server/router.h"

#include "daemon/server/http_errors.h"

namespace journeyd::server {

namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

}  // namespace

void Router::Add(http::verb method, std::string pattern, Handler handler) {
  Route route{method, {}, {}, std::move(handler)};
  for (auto segment : SplitPath(pattern)) route.segments.emplace_back(segment);
  route.pattern = std::move(pattern);
  routes_.push_back(std::move(route));
}

std::vector<std::pair<http::verb, std::string>> Router::Routes() const {
  std::vector<std::pair<http::verb, std::string>> out;
  out.reserve(routes_.size());
  for (const Route& route : routes_) out.emplace_back(route.method, route.pattern);
  return out;
}

bool Router::Match(const Route& route, const std::vector<std::string_view>& path,
                   RouteParams& params) {
  if (route.segments.size() != path.size()) return false;
  RouteParams captured;
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& want = route.segments[i];
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      captured.emplace(want.substr(1, want.size() - 2), std::string(path[i]));
    } else if (want != path[i]) {
      return false;
    }
  }
  params = std::move(captured);
  return true;
}

void Router::Dispatch(RequestContext& context, Respond respond) const {
  const auto path = SplitPath(context.path);
  context.route = kUnmatchedRoute;
  std::string allow;
  for (const Route& route : routes_) {
    RouteParams params;
    if (!Match(route, path, params)) continue;
    // A 405 keeps the first pattern that matched the path: still one of a fixed few.
    if (context.route == kUnmatchedRoute) context.route = route.pattern;
    if (route.method == context.request.method() ||
        (route.method == http::verb::get && context.request.method() == http::verb::head)) {
      context.params = std::move(params);
      context.route = route.pattern;
      route.handler(context, std::move(respond));
      return;
    }
    if (!allow.empty()) allow += ", ";
    allow += std::string(http::to_string(route.method));
  }
  if (!allow.empty()) {
    HttpResponse response =
        ErrorResponse(context.request, http::status::method_not_allowed, "method_not_allowed",
                      "method " + std::string(context.request.method_string()) +
                          " is not allowed here; allowed: " + allow);
    response.set(http::field::allow, allow);
    respond(std::move(response));
    return;
  }
  respond(ErrorResponse(context.request, http::status::not_found, "not_found",
                        "no route for " + std::string(context.path)));
}

}  // namespace journeyd::server
