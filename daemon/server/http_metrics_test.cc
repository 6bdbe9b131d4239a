#include "daemon/server/http_metrics.h"

#include <catch2/catch.hpp>

#include "daemon/server/http_errors.h"
#include "daemon/server/router.h"

namespace journeyd::server {
namespace {

using namespace std::chrono_literals;

// The route the router reported to the handler or, for its own 404/405, in the context.
std::string RouteOf(const Router& router, http::verb method, std::string target) {
  HttpRequest request(method, target, 11);
  RequestContext context{request, {}, target, {}, "127.0.0.1"};
  std::string seen;
  router.Dispatch(context, [&](HttpResponse) { seen = std::string(context.route); });
  return seen;
}

TEST_CASE("the router reports the matched pattern, never the raw path", "[metrics]") {
  Router router;
  const auto ok = [](RequestContext& ctx, Respond respond) {
    respond(JsonResponse(ctx.request, http::status::ok, {{"route", std::string(ctx.route)}}));
  };
  router.Add(http::verb::post, "/webhooks/{source}", ok);
  router.Add(http::verb::post, "/things/{id}", ok);
  router.Add(http::verb::get, "/things/export", ok);

  CHECK(RouteOf(router, http::verb::post, "/webhooks/shopify") == "/webhooks/{source}");
  CHECK(RouteOf(router, http::verb::post, "/things/42") == "/things/{id}");
  // The pattern that served the request, not an earlier one that matched only the path.
  CHECK(RouteOf(router, http::verb::get, "/things/export") == "/things/export");
  // 405: the path is known, so its pattern is reported.
  CHECK(RouteOf(router, http::verb::get, "/webhooks/shopify") == "/webhooks/{source}");
  CHECK(RouteOf(router, http::verb::get, "/webhooks/a@b.example/x") == "unmatched");
  CHECK(RouteOf(router, http::verb::get, "/nope") == "unmatched");
}

TEST_CASE("HttpMetrics counts per route, method and status, and times per route", "[metrics]") {
  observability::Registry registry;
  HttpMetrics metrics(registry);
  metrics.Record("/webhooks/{source}", http::verb::post, 200, 2ms);
  metrics.Record("/webhooks/{source}", http::verb::post, 200, 30ms);
  metrics.Record("/webhooks/{source}", http::verb::post, 401, 1ms);
  metrics.Record("unmatched", http::verb::unknown, 400, 0ms);

  const std::string text = registry.RenderText();
  CHECK_THAT(text, Catch::Contains("journeyd_http_requests_total{route=\"/webhooks/{source}\","
                                   "method=\"POST\",code=\"200\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("journeyd_http_requests_total{route=\"/webhooks/{source}\","
                                   "method=\"POST\",code=\"401\"} 1\n"));
  CHECK_THAT(text, Catch::Contains(
                       "journeyd_http_requests_total{route=\"unmatched\",method=\"OTHER\","
                       "code=\"400\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("journeyd_http_request_duration_seconds_bucket{route=\"/"
                                   "webhooks/{source}\",le=\"0.0025\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("journeyd_http_request_duration_seconds_bucket{route=\"/"
                                   "webhooks/{source}\",le=\"0.05\"} 3\n"));
  CHECK_THAT(text, Catch::Contains(
                       "journeyd_http_request_duration_seconds_count{route=\"/webhooks/{source}\"} "
                       "3\n"));
  CHECK_THAT(text, Catch::Contains(
                       "journeyd_http_request_duration_seconds_count{route=\"unmatched\"} 1\n"));
  CHECK(MethodLabel(http::verb::get) == "GET");
}

}  // namespace
}  // namespace journeyd::server
