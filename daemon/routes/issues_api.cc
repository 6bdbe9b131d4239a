#include "daemon/routes/issues_api.h"

#include <boost/json.hpp>
#include <charconv>

#include "daemon/routes/auth.h"
#include "daemon/routes/query_params.h"
#include "daemon/server/http_errors.h"
#include "engine/base/time_format.h"

namespace journeyd::routes {

namespace http = server::http;
namespace json = boost::json;

void AddIssuesApi(server::Router& router, const ConfigHolder& config, storage::Store& store) {
  router.Add(http::verb::get, "/api/v1/issues",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               storage::IssueFilter filter;
               filter.kind = QueryParam(ctx.query, "kind").value_or("");
               filter.source = QueryParam(ctx.query, "source").value_or("");
               auto page = ParsePage(ctx.query, "an issue");
               if (!page.ok()) {
                 respond(server::ErrorResponse(ctx.request, page.error()));
                 return;
               }
               filter.limit = page->limit;
               filter.before_id = page->before;
               auto issues = store.ListIssues(filter);
               auto counts = store.CountIssues(filter);
               if (!issues.ok() || !counts.ok()) {
                 respond(server::ErrorResponse(
                     ctx.request, issues.ok() ? counts.error() : issues.error()));
                 return;
               }
               boost::json::array items;
               for (const auto& issue : *issues) {
                 items.push_back({{"id", issue.id},
                                  {"kind", issue.kind},
                                  {"source", issue.source},
                                  {"message", issue.message},
                                  {"created_at", FormatIso8601(issue.created_at)},
                                  {"inbox_id", issue.inbox_id == 0 ? json::value(nullptr)
                                                                   : json::value(issue.inbox_id)}});
               }
               boost::json::array totals;
               for (const auto& c : *counts) {
                 totals.push_back({{"kind", c.kind},
                                   {"source", c.source},
                                   {"count", c.count},
                                   {"latest_at", FormatIso8601(c.latest)}});
               }
               boost::json::value next = nullptr;
               if (static_cast<int>(issues->size()) == filter.limit && !issues->empty()) {
                 next = NextPageLink(ctx.path, ctx.query, issues->back().id, filter.limit);
               }
               respond(server::JsonResponse(ctx.request, http::status::ok,
                                            {{"issues", std::move(items)},
                                             {"counts", std::move(totals)},
                                             {"next", next}}));
             });
}

}  // namespace journeyd::routes
