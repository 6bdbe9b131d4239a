#include "daemon/routes/journey_api.h"

#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <optional>

#include "daemon/routes/auth.h"
#include "daemon/routes/query_params.h"
#include "daemon/server/http_errors.h"
#include "daemon/status/funnel_svg.h"
#include "engine/base/time_format.h"
#include "engine/journey/journey_evaluator.h"
#include "engine/journey/journey_kpis.h"
#include "engine/mapping/normalize.h"

namespace journeyd::routes {

namespace http = server::http;
namespace json = boost::json;

namespace {

json::value ParsedOr(const std::string& text, json::value fallback) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? fallback : v;
}

json::object ActionJson(const storage::JourneyActionRow& a) {
  return {{"id", a.id},
          {"key", a.key},
          {"profile_id", a.profile_id},
          {"action", a.action},
          {"target", a.target},
          {"kind", a.kind},
          {"payload", ParsedOr(a.payload, json::object())},
          {"at", FormatIso8601(a.at)},
          {"created_at", FormatIso8601(a.created_at)},
          {"status", a.status}};
}

// The KPI range and source filter of a query: since=, until= (RFC 3339), source=.
Result<journey::KpiFilter> KpiFilterIn(std::string_view query) {
  journey::KpiFilter filter;
  for (const char* bound : {"since", "until"}) {
    if (auto text = QueryParam(query, bound)) {
      auto t = mapping::ParseTime(*text);
      if (!t) return InvalidArgument(std::string(bound) + " must be an RFC 3339 time");
      (std::string_view(bound) == "since" ? filter.since : filter.until) = *t;
    }
  }
  if (filter.since && filter.until && *filter.until <= *filter.since) {
    return InvalidArgument("until must be after since");
  }
  filter.source = QueryParam(query, "source").value_or("");
  return filter;
}

// The KPIs a request asks for (read token or better), or nullopt once it has been answered
// with the error.
std::optional<journey::JourneyKpis> RequestedKpis(server::RequestContext& ctx,
                                                  const server::Respond& respond,
                                                  const config::Config& config,
                                                  storage::Store& store) {
  if (!Authorize(ctx.request, config, Role::kRead, respond)) return std::nullopt;
  auto filter = KpiFilterIn(ctx.query);
  auto kpis = filter.ok() ? journey::ComputeKpis(store, *config.journey_definition, *filter)
                          : Result<journey::JourneyKpis>(filter.error());
  if (!kpis.ok()) {
    respond(server::ErrorResponse(ctx.request, kpis.error()));
    return std::nullopt;
  }
  return std::move(*kpis);
}

}  // namespace

Status AddProfileJourney(storage::Store& store, const config::Config& config, int64_t profile_id,
                         bool mask, json::object& out) {
  const journey::JourneyDefinition& def = *config.journey_definition;
  const journey::JourneyEvaluator evaluator(def);
  auto stored = store.ReadJourneyState(profile_id);
  if (!stored.ok()) return stored.error();
  std::optional<journey::ProfileJourney> state;
  if (*stored) {
    auto parsed = journey::ProfileJourneyFromJson(ParsedOr((*stored)->state_json, nullptr));
    if (parsed.ok()) state = std::move(*parsed);
  }
  const TimePoint now = std::chrono::system_clock::now();
  if (state) {
    out["stage"] = evaluator.CurrentStage(*state);
    out["main_stage"] = (*stored)->stage;
    const std::optional<double> health = evaluator.Health(*state, now);
    json::array thresholds;
    for (const auto& t : state->thresholds) thresholds.push_back(json::string(t));
    out["scores"] = {{"engagement", evaluator.Engagement(*state, now)},
                     {"health", health ? json::value(*health) : json::value(nullptr)},
                     {"thresholds", std::move(thresholds)}};
    out["attribution"] = {{"first_touch", journey::ToJson(state->first_touch)},
                          {"last_touch", journey::ToJson(state->LastTouch())}};
  } else {
    out["stage"] = nullptr;
    out["main_stage"] = nullptr;
    out["scores"] = nullptr;
    out["attribution"] = nullptr;
  }

  auto transitions = store.ReadJourneyTransitions(profile_id);
  if (!transitions.ok()) return transitions.error();
  json::array history;
  for (const storage::JourneyTransitionRow& t : *transitions) {
    json::object o{{"kind", t.kind},
                   {"from", t.from.empty() ? json::value(nullptr) : json::value(t.from)},
                   {"to", t.to.empty() ? json::value(nullptr) : json::value(t.to)},
                   {"at", FormatIso8601(t.at)}};
    o["touchpoint_id"] = t.touchpoint_id == 0 ? json::value(nullptr) : json::value(t.touchpoint_id);
    history.push_back(std::move(o));
  }
  out["stage_history"] = std::move(history);

  auto touchpoints = store.ReadProfileTouchpoints(profile_id);
  if (!touchpoints.ok()) return touchpoints.error();
  // Every touchpoint's references (its own key, and the duplicates merged into it), read once.
  auto keys = store.ReadProfileTouchpointKeys(profile_id);
  if (!keys.ok()) return keys.error();
  std::map<int64_t, json::array> references;
  for (const storage::TouchpointKeyRow& k : *keys) {
    json::object r{{"source", k.source}, {"type", k.type}, {"reference", k.reference}};
    r["merged_by"] = k.rule.empty() ? json::value(nullptr) : json::value(k.rule);
    references[k.touchpoint_id].push_back(std::move(r));
  }
  json::array items;
  for (const storage::TouchpointRow& t : *touchpoints) {
    json::object o{{"id", t.id},
                   {"type", t.type},
                   {"source", t.source},
                   {"channel", t.channel},
                   {"occurred_at", FormatIso8601(t.occurred_at)},
                   {"value", t.value.empty() ? json::value(nullptr) : json::value(t.value)},
                   {"currency", t.currency.empty() ? json::value(nullptr) : json::value(t.currency)},
                   {"reference", t.reference},
                   {"campaign", ParsedOr(t.campaign_json, json::object())},
                   {"record_id", t.record_id}};
    if (!mask) o["attributes"] = ParsedOr(t.attributes_json, json::object());
    o["references"] = std::move(references[t.id]);
    items.push_back(std::move(o));
  }
  out["touchpoints"] = std::move(items);
  return OkStatus();
}

void AddJourneyApi(server::Router& router, const ConfigHolder& config, storage::Store& store) {
  router.Add(http::verb::get, "/api/v1/journey/kpis",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto kpis = RequestedKpis(ctx, respond, *config.Get(), store);
               if (!kpis) return;
               respond(server::JsonResponse(ctx.request, http::status::ok,
                                            journey::ToJson(*kpis).as_object()));
             });

  // The funnel as the status page draws it, rendered here so that no chart code runs there.
  router.Add(http::verb::get, "/api/v1/journey/funnel.svg",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto kpis = RequestedKpis(ctx, respond, *config.Get(), store);
               if (!kpis) return;
               auto response = server::BodyResponse(ctx.request, http::status::ok, "image/svg+xml",
                                                    status::RenderFunnelSvg(*kpis));
               response.set("Content-Security-Policy",
                            "default-src 'none'; style-src 'unsafe-inline'");
               respond(std::move(response));
             });

  router.Add(http::verb::get, "/api/v1/journey/actions",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               const auto bad = [&](std::string message) {
                 respond(server::ErrorResponse(ctx.request, InvalidArgument(std::move(message))));
               };
               const std::string status = QueryParam(ctx.query, "status").value_or("");
               if (!status.empty() && status != "pending" && status != "delivered" &&
                   status != "failed" && status != "skipped") {
                 return bad("status must be pending, delivered, failed or skipped");
               }
               auto page = ParsePage(ctx.query, "an action");
               if (!page.ok()) return bad(page.error().message);
               const int limit = page->limit;
               auto actions = store.ListJourneyActions(status, page->before, limit);
               if (!actions.ok()) {
                 respond(server::ErrorResponse(ctx.request, actions.error()));
                 return;
               }
               json::array items;
               for (const auto& a : *actions) items.push_back(ActionJson(a));
               json::value next = nullptr;
               if (static_cast<int>(actions->size()) == limit && !actions->empty()) {
                 next = NextPageLink(ctx.path, ctx.query, actions->back().id, limit);
               }
               respond(server::JsonResponse(ctx.request, http::status::ok,
                                            {{"actions", std::move(items)}, {"next", next}}));
             });
}

}  // namespace journeyd::routes
