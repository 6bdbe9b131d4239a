#include "daemon/routes/metrics_route.h"

namespace journeyd::routes {

namespace http = server::http;

void AddMetricsRoute(server::Router& router, const observability::Registry& registry) {
  router.Add(http::verb::get, "/metrics",
             [&registry](server::RequestContext& ctx, server::Respond respond) {
               server::HttpResponse response(http::status::ok, ctx.request.version());
               response.set(http::field::content_type, kMetricsContentType);
               response.set(http::field::cache_control, "no-store");
               response.keep_alive(ctx.request.keep_alive());
               response.body() = registry.RenderText();
               response.prepare_payload();
               respond(std::move(response));
             });
}

}  // namespace journeyd::routes
