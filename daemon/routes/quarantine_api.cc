#include "daemon/routes/quarantine_api.h"

#include <boost/json.hpp>
#include <charconv>

#include "daemon/routes/auth.h"
#include "daemon/routes/query_params.h"
#include "daemon/server/http_errors.h"
#include "engine/base/time_format.h"
#include "engine/governance/masking.h"
#include "engine/governance/pii_classifier.h"
#include "engine/mapping/normalize.h"

namespace journeyd::routes {

namespace http = server::http;
namespace json = boost::json;

namespace {

// The entry as the API shows it; the mapped record masked unless the caller is an admin.
json::object EntryJson(const storage::QuarantineRow& q, const config::Config& config,
                       bool mask) {
  json::object o{{"id", q.id},
                 {"source", q.source},
                 {"event_type", q.event_type},
                 {"external_id", q.external_id},
                 {"status", storage::QuarantineStatusName(q.status)},
                 {"created_at", FormatIso8601(q.created_at)}};
  boost::system::error_code ec;
  json::value reasons = json::parse(q.reasons_json, ec);
  o["reasons"] = ec ? json::value(json::array()) : std::move(reasons);
  json::array rules;
  for (const std::string& r : q.rules) rules.push_back(json::string(r));
  o["rules"] = std::move(rules);
  o["inbox_id"] = q.inbox_id == 0 ? json::value(nullptr) : json::value(q.inbox_id);
  if (q.decided_at) {
    o["decided_at"] = FormatIso8601(*q.decided_at);
    o["decided_by"] = q.decided_by;
  }
  if (q.record_json.empty()) {
    o["record"] = nullptr;
  } else {
    const json::value parsed = json::parse(q.record_json, ec);
    auto record = ec ? Result<CanonicalRecord>(Corruption(ec.message()))
                     : CanonicalRecordFromJson(parsed);
    if (!record.ok()) {
      o["record"] = nullptr;
    } else {
      if (mask) {
        governance::MaskRecord(governance::PiiClassifier(config.governance.pii.fields), *record);
      }
      o["record"] = ToJson(*record);
    }
  }
  return o;
}

}  // namespace

void AddQuarantineApi(server::Router& router, const ConfigHolder& config, storage::Store& store) {
  router.Add(http::verb::get, "/api/v1/quarantine",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               const bool mask = Authenticate(ctx.request, *current) != Role::kAdmin;
               storage::QuarantineFilter filter;
               filter.rule = QueryParam(ctx.query, "rule").value_or("");
               filter.source = QueryParam(ctx.query, "source").value_or("");
               const auto bad = [&](std::string message) {
                 respond(server::ErrorResponse(ctx.request, InvalidArgument(std::move(message))));
               };
               if (auto status = QueryParam(ctx.query, "status")) {
                 if (*status == "all") {
                   filter.status = std::nullopt;
                 } else if (auto parsed = storage::ParseQuarantineStatus(*status)) {
                   filter.status = *parsed;
                 } else {
                   return bad("status must be quarantined, released, discarded or all");
                 }
               }
               for (const char* bound : {"since", "until"}) {
                 if (auto text = QueryParam(ctx.query, bound)) {
                   auto t = mapping::ParseTime(*text);
                   if (!t) return bad(std::string(bound) + " must be an RFC 3339 time");
                   (std::string_view(bound) == "since" ? filter.since : filter.until) = *t;
                 }
               }
               auto page = ParsePage(ctx.query, "a quarantine");
               if (!page.ok()) return bad(page.error().message);
               filter.limit = page->limit;
               filter.before_id = page->before;
               auto entries = store.ListQuarantine(filter);
               if (!entries.ok()) {
                 respond(server::ErrorResponse(ctx.request, entries.error()));
                 return;
               }
               json::array items;
               for (const auto& q : *entries) items.push_back(EntryJson(q, *current, mask));
               json::value next = nullptr;
               if (static_cast<int>(entries->size()) == filter.limit && !entries->empty()) {
                 next = NextPageLink(ctx.path, ctx.query, entries->back().id, filter.limit);
               }
               respond(server::JsonResponse(ctx.request, http::status::ok,
                                            {{"quarantine", std::move(items)}, {"next", next}}));
             });

  router.Add(http::verb::get, "/api/v1/quarantine/{id}",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               auto id = ParsePositive(ctx.params.find("id")->second);
               auto entry = id ? store.ReadQuarantine(*id)
                               : Result<storage::QuarantineRow>(
                                     InvalidArgument("a quarantine id is a number"));
               if (!entry.ok()) {
                 respond(server::ErrorResponse(ctx.request, entry.error()));
                 return;
               }
               const bool mask = Authenticate(ctx.request, *current) != Role::kAdmin;
               respond(server::JsonResponse(ctx.request, http::status::ok,
                                            {{"entry", EntryJson(*entry, *current, mask)}}));
             });

  for (const auto decision : {storage::QuarantineStatus::kReleased,
                              storage::QuarantineStatus::kDiscarded}) {
    const std::string verb =
        decision == storage::QuarantineStatus::kReleased ? "release" : "discard";
    router.Add(http::verb::post, "/api/v1/quarantine/{id}/" + verb,
               [&config, &store, decision](server::RequestContext& ctx, server::Respond respond) {
                 auto current = config.Get();
                 if (!Authorize(ctx.request, *current, Role::kAdmin, respond)) return;
                 auto id = ParsePositive(ctx.params.find("id")->second);
                 if (!id) {
                   respond(server::ErrorResponse(ctx.request,
                                                 InvalidArgument("a quarantine id is a number")));
                   return;
                 }
                 Status decided = store.DecideQuarantine(*id, decision, "admin api",
                                                         std::chrono::system_clock::now());
                 auto entry = decided.ok() ? store.ReadQuarantine(*id)
                                           : Result<storage::QuarantineRow>(decided.error());
                 if (!entry.ok()) {
                   respond(server::ErrorResponse(ctx.request, entry.error()));
                   return;
                 }
                 respond(server::JsonResponse(ctx.request, http::status::ok,
                                              {{"entry", EntryJson(*entry, *current, false)}}));
               });
  }
}

}  // namespace journeyd::routes
