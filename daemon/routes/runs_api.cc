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

void AddRunsApi(server::Router& router, const ConfigHolder& config, storage::Store& store) {
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
