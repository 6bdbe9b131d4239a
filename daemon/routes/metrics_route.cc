#include "daemon/routes/metrics_route.h"

#include "daemon/server/http_errors.h"

namespace journeyd::routes {

namespace http = server::http;

void AddMetricsRoute(server::Router& router, const observability::Registry& registry) {
  router.Add(http::verb::get, "/metrics",
             [&registry](server::RequestContext& ctx, server::Respond respond) {
               respond(server::BodyResponse(ctx.request, http::status::ok, kMetricsContentType,
                                            registry.RenderText()));
             });
}

}  // namespace journeyd::routes
