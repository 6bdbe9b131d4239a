#include "daemon/routes/delivery_api.h"

#include <boost/json.hpp>

#include "daemon/routes/auth.h"
#include "daemon/routes/query_params.h"
#include "daemon/server/http_errors.h"
#include "engine/base/time_format.h"

namespace journeyd::routes {

namespace http = server::http;
namespace json = boost::json;

namespace {

json::value OptionalTime(const std::optional<storage::TimePoint>& t) {
  return t ? json::value(FormatIso8601(*t)) : json::value(nullptr);
}

json::object DeadLetterJson(const storage::DeadLetterRow& d, bool admin) {
  json::object o{{"id", d.id},
                 {"target", d.target},
                 {"kind", d.kind},
                 {"profile_id", d.profile_id},
                 {"key", d.item_key},
                 {"message", d.message},
                 {"attempts", d.attempts},
                 {"status", storage::DeadLetterStatusName(d.status)},
                 {"created_at", FormatIso8601(d.created_at)}};
  if (d.item_id != 0) o["item_id"] = d.item_id;
  if (d.decided_at) {
    o["decided_at"] = FormatIso8601(*d.decided_at);
    o["decided_by"] = d.decided_by;
  }
  if (admin) {
    boost::system::error_code ec;
    json::value item = json::parse(d.request_json, ec);
    o["item"] = ec ? json::value(nullptr) : std::move(item);
  }
  return o;
}

// Which letters a replay or discard request names: {"ids": [..]} or {"target": "x"} (every
// dead letter of that target) or {"all": true}.
Result<std::vector<int64_t>> SelectedLetters(const std::string& body, storage::Store& store) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    return InvalidArgument(R"(expected {"ids": [..]}, {"target": "name"} or {"all": true})");
  }
  const json::object& o = v.get_object();
  std::vector<int64_t> ids;
  if (const json::value* list = o.if_contains("ids")) {
    if (!list->is_array()) return InvalidArgument("ids must be a list of dead-letter ids");
    for (const json::value& id : list->get_array()) {
      if (!id.is_int64() || id.get_int64() <= 0) {
        return InvalidArgument("ids must be a list of dead-letter ids");
      }
      ids.push_back(id.get_int64());
    }
    return ids;
  }
  storage::DeadLetterFilter filter;
  filter.limit = 100000;
  if (const json::value* target = o.if_contains("target"); target && target->is_string()) {
    filter.target = std::string(target->get_string());
  } else if (const json::value* all = o.if_contains("all"); !(all && all->is_bool() &&
                                                               all->get_bool())) {
    return InvalidArgument(R"(expected {"ids": [..]}, {"target": "name"} or {"all": true})");
  }
  auto letters = store.ListDeadLetters(filter);
  if (!letters.ok()) return letters.error();
  for (const auto& d : *letters) ids.push_back(d.id);
  std::reverse(ids.begin(), ids.end());  // oldest first: replays keep their order
  return ids;
}

}  // namespace

bool TargetPaused(const delivery::DeliveryService* service, std::string_view target) {
  const auto* worker = service ? service->Find(target) : nullptr;
  if (worker == nullptr) return false;
  const auto until = worker->limiter().paused_until();
  return until.has_value() && *until > std::chrono::steady_clock::now();
}

json::object TargetStateJson(const storage::TargetDeliveryStats& s, const config::TargetEntry& entry,
                             const delivery::DeliveryService* service,
                             std::chrono::system_clock::time_point now) {
  json::object o{{"name", s.target},
                 {"type", entry.type},
                 {"dry_run", entry.target->records_only()},
                 {"cursor", s.cursor},
                 {"pending", s.pending},
                 {"delivered", s.delivered},
                 {"dead_letters", s.dead_now},
                 {"dead_lettered", s.dead},
                 {"requests", s.requests},
                 {"failed_requests", s.failures},
                 {"last_success", OptionalTime(s.last_success)},
                 {"last_failure", OptionalTime(s.last_failure)},
                 {"last_error", s.last_error}};
  o["oldest_pending_seconds"] =
      s.oldest_pending
          ? json::value(std::chrono::duration_cast<std::chrono::seconds>(
                            now - *s.oldest_pending).count())
          : json::value(nullptr);
  if (const auto* worker = service ? service->Find(s.target) : nullptr) {
    const auto c = worker->counters();
    o["rate_per_second"] = worker->limiter().current_rate();
    o["paused"] = TargetPaused(service, s.target);
    o["retries"] = c.retries;
    o["held_back"] = c.held_back;
    o["found_in_doubt"] = c.found_in_doubt;
    o["lag_p50_ms"] = c.lag_p50 ? json::value(c.lag_p50->count()) : nullptr;
    o["lag_p99_ms"] = c.lag_p99 ? json::value(c.lag_p99->count()) : nullptr;
  }
  return o;
}

void AddDeliveryApi(server::Router& router, const ConfigHolder& config, storage::Store& store,
                    const delivery::DeliveryService* service) {
  router.Add(http::verb::get, "/api/v1/targets",
             [&config, &store, service](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               std::vector<std::string> names;
               for (const auto& t : current->targets) names.push_back(t.name);
               auto stats = store.ListDeliveryStats(names);
               if (!stats.ok()) {
                 respond(server::ErrorResponse(ctx.request, stats.error()));
                 return;
               }
               const auto now = std::chrono::system_clock::now();
               json::array targets;
               for (size_t i = 0; i < stats->size(); ++i) {
                 targets.push_back(
                     TargetStateJson((*stats)[i], current->targets[i], service, now));
               }
               respond(server::JsonResponse(ctx.request, http::status::ok,
                                            {{"targets", std::move(targets)}}));
             });

  router.Add(http::verb::get, "/api/v1/targets/{name}/requests",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               const std::string& name = ctx.params.find("name")->second;
               if (current->FindTarget(name) == nullptr) {
                 respond(server::ErrorResponse(ctx.request,
                                               NotFound("no target named '" + name + "'")));
                 return;
               }
               auto page = ParsePage(ctx.query, "a request");
               if (!page.ok()) {
                 respond(server::ErrorResponse(ctx.request, page.error()));
                 return;
               }
               const int limit = page->limit;
               auto rows = store.ListDeliveryRequests(name, page->before, limit);
               if (!rows.ok()) {
                 respond(server::ErrorResponse(ctx.request, rows.error()));
                 return;
               }
               const bool admin = Authenticate(ctx.request, *current) == Role::kAdmin;
               json::array requests;
               for (const auto& r : *rows) {
                 json::object o{{"id", r.id},         {"method", r.method}, {"url", r.url},
                                {"what", r.what},     {"items", r.items},
                                {"status", r.status < 0 ? json::value("recorded")
                                                        : json::value(r.status)},
                                {"message", r.message}, {"at", FormatIso8601(r.at)}};
                 if (admin) {
                   boost::system::error_code ec;
                   json::value body = json::parse(r.body, ec);
                   o["body"] = ec ? json::value(r.body) : std::move(body);
                 }
                 requests.push_back(std::move(o));
               }
               json::value next = nullptr;
               if (static_cast<int>(rows->size()) == limit && !rows->empty()) {
                 next = NextPageLink(ctx.path, ctx.query, rows->back().id, limit);
               }
               respond(server::JsonResponse(ctx.request, http::status::ok,
                                            {{"requests", std::move(requests)}, {"next", next}}));
             });

  router.Add(http::verb::get, "/api/v1/dlq",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               storage::DeadLetterFilter filter;
               filter.target = QueryParam(ctx.query, "target").value_or("");
               const auto bad = [&](std::string message) {
                 respond(server::ErrorResponse(ctx.request, InvalidArgument(std::move(message))));
               };
               if (auto status = QueryParam(ctx.query, "status")) {
                 if (*status == "all") {
                   filter.status = std::nullopt;
                 } else if (auto parsed = storage::ParseDeadLetterStatus(*status)) {
                   filter.status = *parsed;
                 } else {
                   return bad("status must be dead, replayed, discarded or all");
                 }
               }
               auto page = ParsePage(ctx.query, "a dead-letter");
               if (!page.ok()) {
                 respond(server::ErrorResponse(ctx.request, page.error()));
                 return;
               }
               filter.limit = page->limit;
               filter.before_id = page->before;
               auto letters = store.ListDeadLetters(filter);
               if (!letters.ok()) {
                 respond(server::ErrorResponse(ctx.request, letters.error()));
                 return;
               }
               const bool admin = Authenticate(ctx.request, *current) == Role::kAdmin;
               json::array items;
               for (const auto& d : *letters) items.push_back(DeadLetterJson(d, admin));
               json::value next = nullptr;
               if (static_cast<int>(letters->size()) == filter.limit && !letters->empty()) {
                 next = NextPageLink(ctx.path, ctx.query, letters->back().id, filter.limit);
               }
               respond(server::JsonResponse(ctx.request, http::status::ok,
                                            {{"dead_letters", std::move(items)}, {"next", next}}));
             });

  router.Add(http::verb::get, "/api/v1/dlq/{id}",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               auto id = ParsePositive(ctx.params.find("id")->second);
               auto letter = id ? store.ReadDeadLetter(*id)
                                : Result<storage::DeadLetterRow>(
                                      InvalidArgument("a dead-letter id is a number"));
               if (!letter.ok()) {
                 respond(server::ErrorResponse(ctx.request, letter.error()));
                 return;
               }
               const bool admin = Authenticate(ctx.request, *current) == Role::kAdmin;
               respond(server::JsonResponse(ctx.request, http::status::ok,
                                            {{"dead_letter", DeadLetterJson(*letter, admin)}}));
             });

  for (const auto decision :
       {storage::DeadLetterStatus::kReplayed, storage::DeadLetterStatus::kDiscarded}) {
    const std::string verb = decision == storage::DeadLetterStatus::kReplayed ? "replay" : "discard";
    router.Add(http::verb::post, "/api/v1/dlq/" + verb,
               [&config, &store, decision](server::RequestContext& ctx, server::Respond respond) {
                 auto current = config.Get();
                 if (!Authorize(ctx.request, *current, Role::kAdmin, respond)) return;
                 auto ids = SelectedLetters(ctx.request.body(), store);
                 if (!ids.ok()) {
                   respond(server::ErrorResponse(ctx.request, ids.error()));
                   return;
                 }
                 json::array done, refused;
                 for (int64_t id : *ids) {
                   Status s = store.DecideDeadLetter(id, decision, "admin api",
                                                     std::chrono::system_clock::now());
                   if (s.ok()) {
                     done.push_back(id);
                   } else {
                     refused.push_back({{"id", id}, {"error", s.error().message}});
                   }
                 }
                 respond(server::JsonResponse(
                     ctx.request, http::status::ok,
                     {{decision == storage::DeadLetterStatus::kReplayed ? "replayed" : "discarded",
                       std::move(done)},
                      {"refused", std::move(refused)}}));
               });
  }
}

}  // namespace journeyd::routes
