#include "daemon/routes/runs_api.h"

#include <boost/json.hpp>

#include "daemon/routes/auth.h"
#include "daemon/routes/query_params.h"
#include "daemon/server/http_errors.h"
#include "engine/base/time_format.h"

namespace journeyd::routes {

namespace http = server::http;
namespace json = boost::json;

json::object SyncRunJson(const storage::SyncRun& run) {
  json::object o{{"id", run.id},
                 {"source", run.source},
                 {"trigger", run.trigger},
                 {"status", run.status},
                 {"started_at", FormatIso8601(run.started_at)},
                 {"pages", run.pages},
                 {"records", run.records},
                 {"duplicates", run.duplicates},
                 {"errors", run.errors},
                 {"cursor_before", run.cursor_before},
                 {"cursor_after", run.cursor_after},
                 {"detail", run.detail}};
  o["ended_at"] = run.ended_at ? json::value(FormatIso8601(*run.ended_at)) : json::value(nullptr);
  o["seconds"] = run.ended_at ? json::value(std::chrono::duration<double>(*run.ended_at -
                                                                          run.started_at)
                                                .count())
                              : json::value(nullptr);
  return o;
}

void AddRunsApi(server::Router& router, const ConfigHolder& config, storage::Store& store,
                poll::Scheduler* scheduler) {
  router.Add(http::verb::post, "/api/v1/sources/{name}/sync",
             [&config, scheduler](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kAdmin, respond)) return;
               if (scheduler == nullptr) {
                 respond(server::ErrorResponse(ctx.request, http::status::service_unavailable,
                                               "unavailable", "polling is not running"));
                 return;
               }
               const std::string& name = ctx.params.at("name");
               auto run = scheduler->Trigger(name, "manual");
               if (!run.ok()) {
                 const ErrorCode code = run.error().code;
                 const http::status status =
                     code == ErrorCode::kNotFound      ? http::status::not_found
                     : code == ErrorCode::kConflict    ? http::status::conflict
                     : code == ErrorCode::kInvalidArgument ? http::status::unprocessable_entity
                     : code == ErrorCode::kUnavailable ? http::status::service_unavailable
                                                       : http::status::internal_server_error;
                 const std::string_view kind =
                     code == ErrorCode::kNotFound      ? "not_found"
                     : code == ErrorCode::kConflict    ? "already_running"
                     : code == ErrorCode::kInvalidArgument ? "not_polled"
                     : code == ErrorCode::kUnavailable ? "unavailable"
                                                       : "internal";
                 respond(server::ErrorResponse(ctx.request, status, kind, run.error().message));
                 return;
               }
               auto response = server::JsonResponse(
                   ctx.request, http::status::accepted,
                   {{"run", SyncRunJson(*run)},
                    {"links", {{"runs", "/api/v1/runs?source=" + name}}}});
               response.set(http::field::location, "/api/v1/runs?source=" + name);
               respond(std::move(response));
             });
  router.Add(http::verb::get, "/api/v1/schedules",
             [&config, scheduler](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               json::array items;
               if (scheduler != nullptr) {
                 for (const poll::SourceSchedule& s : scheduler->Schedules()) {
                   items.push_back(
                       {{"source", s.source},
                        {"schedule", s.schedule},
                        {"next_run", s.next_run ? json::value(FormatIso8601(*s.next_run))
                                                : json::value(nullptr)},
                        {"running_run_id", s.running_run_id == 0 ? json::value(nullptr)
                                                                 : json::value(s.running_run_id)}});
                 }
               }
               respond(server::JsonResponse(ctx.request, http::status::ok,
                                            {{"schedules", std::move(items)}}));
             });
  router.Add(http::verb::get, "/api/v1/runs",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               auto page = ParsePage(ctx.query, "a sync run");
               if (!page.ok()) {
                 respond(server::ErrorResponse(ctx.request, page.error()));
                 return;
               }
               storage::SyncRunFilter filter;
               filter.source = QueryParam(ctx.query, "source").value_or("");
               filter.before_id = page->before;
               filter.limit = page->limit;
               auto runs = store.ListSyncRuns(filter);
               if (!runs.ok()) {
                 respond(server::ErrorResponse(ctx.request, runs.error()));
                 return;
               }
               json::array items;
               for (const auto& run : *runs) items.push_back(SyncRunJson(run));
               json::value next = nullptr;
               if (static_cast<int>(runs->size()) == filter.limit && !runs->empty()) {
                 next = NextPageLink(ctx.path, ctx.query, runs->back().id, filter.limit);
               }
               respond(server::JsonResponse(ctx.request, http::status::ok,
                                            {{"runs", std::move(items)}, {"next", next}}));
             });
}

}  // namespace journeyd::routes
