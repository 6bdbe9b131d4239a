#include "daemon/routes/health_routes.h"

#include "daemon/server/http_errors.h"
#include "daemon/status/health.h"

namespace journeyd::routes {

using server::http::status;

void AddHealthRoutes(server::Router& router, storage::Store& store, const ConfigHolder& config,
                     const ingest::InboxWriter* inbox) {
  router.Add(server::http::verb::get, "/healthz",
             [](server::RequestContext& ctx, server::Respond respond) {
               respond(server::JsonResponse(ctx.request, status::ok, {{"status", "ok"}}));
             });
  router.Add(server::http::verb::get, "/readyz",
             [&store, &config, inbox](server::RequestContext& ctx, server::Respond respond) {
               boost::json::object checks;
               bool ready = true;
               if (Status s = store.Ping(); s.ok()) {
                 checks["storage"] = "ok";
               } else {
                 checks["storage"] = s.error().message;
                 ready = false;
               }
               // The store may answer queries while it cannot take a write (a full disk):
               // webhooks are refused with 503 then, and this says why.
               if (inbox != nullptr) {
                 if (auto failing = inbox->Failing()) {
                   checks["intake"] = journeyd::status::DescribeCommitFailure(
                       *failing, std::chrono::system_clock::now());
                   ready = false;
                 } else {
                   checks["intake"] = "ok";
                 }
               }
               boost::json::object config_info;
               if (auto current = config.Get()) {
                 checks["config"] = "ok";
                 config_info = {{"generation", config.generation()},
                                {"file", current->file.string()},
                                {"sources", current->sources.size()},
                                {"targets", current->targets.size()}};
               } else {
                 checks["config"] = "not loaded";
                 ready = false;
               }
               boost::json::object body{{"status", ready ? "ready" : "not_ready"},
                                        {"checks", std::move(checks)},
                                        {"config", std::move(config_info)},
                                        {"schema_version", store.schema_version()}};
               respond(server::JsonResponse(
                   ctx.request, ready ? status::ok : status::service_unavailable, body));
             });
}

}  // namespace journeyd::routes
