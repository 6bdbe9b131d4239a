#include "daemon/routes/profiles_api.h"

#include <atomic>
#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <thread>

#include "daemon/routes/auth.h"
#include "daemon/routes/journey_api.h"
#include "daemon/routes/query_params.h"
#include "daemon/server/http_errors.h"
#include "engine/base/time_format.h"
#include "engine/governance/consent_policy.h"
#include "engine/governance/masking.h"
#include "engine/governance/pii_classifier.h"
#include "engine/identity/golden_record.h"
#include "engine/mapping/normalize.h"
#include "engine/pipeline/identity_stage.h"

namespace journeyd::routes {

namespace http = server::http;
namespace json = boost::json;

namespace {

constexpr auto kActionWait = std::chrono::seconds(5);

// Requests waiting for an action's outcome on threads of their own; DrainProfilesApi waits for
// them to finish before the store goes away.
std::atomic<int> g_waiting{0};

json::object GoldenJson(const std::vector<storage::StoredRecord>& stored,
                        const config::Config& config) {
  json::object golden;
  for (const auto& [field, value] : identity::GoldenRecordOfStored(
           stored, identity::MakeSurvivorshipPolicy(config.identity.survivorship))) {
    golden[field] = {{"value", value.value},
                     {"source", value.source},
                     {"record_id", value.record_id},
                     {"observed_at", FormatIso8601(value.observed_at)},
                     {"rule", identity::SurvivorshipRuleName(value.rule)},
                     {"owned", value.owned},
                     {"supporting", value.supporting}};
  }
  return golden;
}

// Per purpose, the consent that stands (the latest statement of any source).
json::object ConsentJson(const std::vector<storage::StoredRecord>& stored) {
  json::object out;
  std::vector<CanonicalRecord> records;
  for (const storage::StoredRecord& r : stored) {
    boost::system::error_code ec;
    const json::value v = json::parse(r.json, ec);
    if (ec) continue;
    if (auto record = CanonicalRecordFromJson(v); record.ok()) records.push_back(std::move(*record));
  }
  for (const auto& [purpose, consent] : governance::ConsentOf(records)) {
    out[purpose] = {{"granted", consent.granted},
                    {"at", FormatIso8601(consent.at)},
                    {"source", consent.source}};
  }
  return out;
}

json::object ReviewJson(const storage::ReviewRow& r) {
  return {{"id", r.id},
          {"profile_a", r.profile_a},
          {"profile_b", r.profile_b},
          {"record_id", r.record_id},
          {"probability", r.probability},
          {"details", r.details},
          {"status", r.status},
          {"created_at", FormatIso8601(r.created_at)}};
}

// Read-only callers see personal values masked ("j***@e***.com"); admins see them whole.
void RespondProfile(server::RequestContext& ctx, const server::Respond& respond,
                    storage::Store& store, const config::Config& config, Result<int64_t> found) {
  const bool mask = Authenticate(ctx.request, config) != Role::kAdmin;
  const governance::PiiClassifier classifier(config.governance.pii.fields);
  const auto shown = [&](const std::string& field, const std::string& value) {
    return mask ? governance::Mask(classifier.ClassOf(field), value) : value;
  };
  if (found.ok()) found = store.ResolveProfile(*found);
  if (!found.ok()) {
    respond(server::ErrorResponse(ctx.request, found.error()));
    return;
  }
  auto detail = store.ReadProfile(*found);
  if (!detail.ok()) {
    respond(server::ErrorResponse(ctx.request, detail.error()));
    return;
  }
  json::array identifiers, records, merges, reviews, absorbed;
  for (const auto& [type, value] : detail->identifiers) {
    identifiers.push_back({{"type", type}, {"value", shown(type, value)}});
  }
  // The CRM record ids delivery wrote back: "crm.<target>_id".
  auto crm_ids = store.ReadCrmIds(detail->id);
  if (!crm_ids.ok()) {
    respond(server::ErrorResponse(ctx.request, crm_ids.error()));
    return;
  }
  for (const auto& [target, id] : *crm_ids) {
    identifiers.push_back({{"type", "crm." + target + "_id"}, {"value", id}});
  }
  for (const auto& r : detail->records) {
    records.push_back({{"record_id", r.record_id},
                       {"source", r.source},
                       {"external_id", r.external_id},
                       {"event_type", r.event_type},
                       {"occurred_at", FormatIso8601(r.occurred_at)}});
  }
  for (const auto& m : detail->merges) {
    json::object o{{"id", m.id},       {"into", m.into},       {"from", m.from},
                   {"rule", m.rule},   {"details", m.details}, {"at", FormatIso8601(m.at)}};
    if (!m.identifier_type.empty()) {
      o["identifier"] = {{"type", m.identifier_type},
                         {"value", shown(m.identifier_type, m.identifier_value)}};
    }
    if (m.record_id != 0) o["record_id"] = m.record_id;
    if (m.rule == "fuzzy" || m.rule == "review") o["probability"] = m.probability;
    merges.push_back(std::move(o));
  }
  for (const auto& r : detail->reviews) reviews.push_back(ReviewJson(r));
  for (int64_t id : detail->absorbed) absorbed.push_back(id);
  // The profile's records, read once for the golden record and the consent.
  auto stored = store.ReadProfileRecords(detail->id);
  if (!stored.ok()) {
    respond(server::ErrorResponse(ctx.request, stored.error()));
    return;
  }
  json::object golden = GoldenJson(*stored, config);
  if (mask) governance::MaskFields(classifier, golden);
  json::object body{{"id", detail->id},
                    {"created_at", FormatIso8601(detail->created_at)},
                    {"updated_at", FormatIso8601(detail->updated_at)},
                    {"absorbed", std::move(absorbed)},
                    {"identifiers", std::move(identifiers)},
                    {"golden", std::move(golden)},
                    {"consent", ConsentJson(*stored)},
                    {"records", std::move(records)},
                    {"merges", std::move(merges)},
                    {"reviews", std::move(reviews)}};
  if (Status s = AddProfileJourney(store, config, detail->id, mask, body); !s.ok()) {
    respond(server::ErrorResponse(ctx.request, s.error()));
    return;
  }
  respond(server::JsonResponse(ctx.request, http::status::ok, body));
}

// email= or phone= (with region= for numbers without +CC), normalised as mappings do; or q=,
// an email when it has an '@' and a phone otherwise.
Result<Identity> IdentifierInQuery(std::string_view query) {
  if (auto q = QueryParam(query, "q")) {
    if (q->find('@') != std::string::npos) {
      auto normalized = mapping::NormalizeEmail(*q);
      if (!normalized) return InvalidArgument("not an email address");
      return Identity{"email", *normalized};
    }
    auto normalized = mapping::NormalizePhone(*q, QueryParam(query, "region").value_or(""));
    if (!normalized) {
      return InvalidArgument("q= is neither a profile id, an email address nor a phone number "
                             "(without +CC, add region=)");
    }
    return Identity{"phone", *normalized};
  }
  if (auto email = QueryParam(query, "email")) {
    auto normalized = mapping::NormalizeEmail(*email);
    if (!normalized) return InvalidArgument("not an email address");
    return Identity{"email", *normalized};
  }
  if (auto phone = QueryParam(query, "phone")) {
    auto normalized = mapping::NormalizePhone(*phone, QueryParam(query, "region").value_or(""));
    if (!normalized) {
      return InvalidArgument("not a valid phone number (without +CC, add region=)");
    }
    return Identity{"phone", *normalized};
  }
  return InvalidArgument("give email=, phone= or q=");
}

json::object ActionJson(const storage::IdentityAction& a) {
  return {{"id", a.id}, {"status", a.status}, {"result", a.result}};
}

// Queues the action, then waits on a thread of its own (never an I/O thread) for the identity
// stage to carry it out: 200 when done, 409 when refused, 202 while still pending.
void QueueAndWait(server::RequestContext& ctx, server::Respond respond, storage::Store& store,
                  const storage::IdentityAction& action) {
  auto id = store.QueueIdentityAction(action, std::chrono::system_clock::now());
  if (!id.ok()) {
    respond(server::ErrorResponse(ctx.request, id.error()));
    return;
  }
  // The response must be built from the request after the handler returned: copy what it uses.
  auto request = std::make_shared<server::HttpRequest>(ctx.request);
  ++g_waiting;
  std::thread([&store, respond = std::move(respond), request, action_id = *id] {
    struct Done {
      ~Done() { --g_waiting; }
    } done;
    auto current = pipeline::AwaitIdentityAction(store, action_id, kActionWait);
    if (!current.ok()) {
      respond(server::ErrorResponse(*request, current.error()));
      return;
    }
    const http::status status = current->status == "done"     ? http::status::ok
                                : current->status == "failed" ? http::status::conflict
                                                              : http::status::accepted;
    respond(server::JsonResponse(*request, status, {{"action", ActionJson(*current)}}));
  }).detach();
}

}  // namespace

void DrainProfilesApi() {
  const auto deadline = std::chrono::steady_clock::now() + kActionWait + std::chrono::seconds(1);
  while (g_waiting.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void AddProfilesApi(server::Router& router, const ConfigHolder& config, storage::Store& store) {
  router.Add(http::verb::get, "/api/v1/profiles/{id}",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               auto id = ParsePositive(ctx.params.find("id")->second);
               if (!id) {
                 respond(server::ErrorResponse(ctx.request,
                                               InvalidArgument("a profile id is a number")));
                 return;
               }
               RespondProfile(ctx, respond, store, *current, *id);
             });

  router.Add(http::verb::get, "/api/v1/profiles",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               // q= is what a person types in a search box: a profile id, an email or a phone.
               if (auto q = QueryParam(ctx.query, "q")) {
                 if (auto id = ParsePositive(*q)) {
                   RespondProfile(ctx, respond, store, *current, *id);
                   return;
                 }
               }
               auto identifier = IdentifierInQuery(ctx.query);
               Result<int64_t> found =
                   identifier.ok()
                       ? store.FindProfileByIdentifier(identifier->type, identifier->value)
                       : Result<int64_t>(identifier.error());
               RespondProfile(ctx, respond, store, *current, std::move(found));
             });

  // Erasure, by profile id or by identifier (which also erases what never reached a profile,
  // such as quarantined events). Carried out by the identity stage like other decisions.
  const auto erase = [&config, &store](server::RequestContext& ctx, server::Respond respond) {
    auto current = config.Get();
    if (!Authorize(ctx.request, *current, Role::kAdmin, respond)) return;
    storage::IdentityAction action;
    action.kind = storage::IdentityActionKind::kErase;
    action.requested_by = "admin api";
    for (const config::TargetEntry& target : current->targets) {
      action.targets.push_back(target.name);
    }
    if (auto param = ctx.params.find("id"); param != ctx.params.end()) {
      auto id = ParsePositive(param->second);
      if (!id) {
        respond(server::ErrorResponse(ctx.request, InvalidArgument("a profile id is a number")));
        return;
      }
      action.profile_id = *id;
    } else {
      auto identifier = IdentifierInQuery(ctx.query);
      if (!identifier.ok()) {
        respond(server::ErrorResponse(ctx.request, identifier.error()));
        return;
      }
      action.identifiers.emplace_back(identifier->type, identifier->value);
    }
    QueueAndWait(ctx, std::move(respond), store, action);
  };
  router.Add(http::verb::delete_, "/api/v1/profiles/{id}", erase);
  router.Add(http::verb::delete_, "/api/v1/profiles", erase);

  router.Add(http::verb::post, "/api/v1/profiles/{id}/split",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kAdmin, respond)) return;
               auto id = ParsePositive(ctx.params.find("id")->second);
               boost::system::error_code ec;
               const json::value body = json::parse(ctx.request.body(), ec);
               const json::array* list = nullptr;
               if (!ec && body.is_object()) {
                 if (const auto* r = body.as_object().if_contains("records")) list = r->if_array();
               }
               storage::IdentityAction action;
               action.kind = storage::IdentityActionKind::kSplit;
               bool valid = id.has_value() && list != nullptr && !list->empty();
               if (valid) {
                 action.profile_id = *id;
                 for (const json::value& v : *list) {
                   if (!v.is_int64() || v.as_int64() < 1) valid = false;
                   if (v.is_int64()) action.records.push_back(v.as_int64());
                 }
               }
               if (!valid) {
                 respond(server::ErrorResponse(
                     ctx.request,
                     InvalidArgument("POST a JSON body {\"records\": [record ids]} to "
                                     "/api/v1/profiles/{id}/split")));
                 return;
               }
               QueueAndWait(ctx, std::move(respond), store, action);
             });

  router.Add(http::verb::get, "/api/v1/reviews",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               const std::string status = QueryParam(ctx.query, "status").value_or("open");
               if (status != "open" && status != "accepted" && status != "rejected" &&
                   status != "merged" && status != "all") {
                 respond(server::ErrorResponse(
                     ctx.request,
                     InvalidArgument("status must be open, accepted, rejected, merged or all")));
                 return;
               }
               auto page = ParsePage(ctx.query, "a review");
               if (!page.ok()) {
                 respond(server::ErrorResponse(ctx.request, page.error()));
                 return;
               }
               auto reviews =
                   store.ListReviews(status == "all" ? "" : status, page->before, page->limit);
               if (!reviews.ok()) {
                 respond(server::ErrorResponse(ctx.request, reviews.error()));
                 return;
               }
               json::array items;
               for (const auto& r : *reviews) items.push_back(ReviewJson(r));
               json::value next = nullptr;
               if (static_cast<int>(reviews->size()) == page->limit && !reviews->empty()) {
                 next = NextPageLink(ctx.path, ctx.query, reviews->back().id, page->limit);
               }
               respond(server::JsonResponse(ctx.request, http::status::ok,
                                            {{"reviews", std::move(items)}, {"next", next}}));
             });

  for (const char* verb : {"accept", "reject"}) {
    const bool accept = std::string_view(verb) == "accept";
    router.Add(http::verb::post, std::string("/api/v1/reviews/{id}/") + verb,
               [&config, &store, accept](server::RequestContext& ctx, server::Respond respond) {
                 auto current = config.Get();
                 if (!Authorize(ctx.request, *current, Role::kAdmin, respond)) return;
                 auto id = ParsePositive(ctx.params.find("id")->second);
                 if (!id) {
                   respond(server::ErrorResponse(ctx.request,
                                                 InvalidArgument("a review id is a number")));
                   return;
                 }
                 storage::IdentityAction action;
                 action.kind = accept ? storage::IdentityActionKind::kAcceptReview
                                      : storage::IdentityActionKind::kRejectReview;
                 action.review_id = *id;
                 QueueAndWait(ctx, std::move(respond), store, action);
               });
  }

  router.Add(http::verb::get, "/api/v1/identity-actions/{id}",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               auto id = ParsePositive(ctx.params.find("id")->second);
               auto action = id ? store.ReadIdentityAction(*id)
                                : Result<storage::IdentityAction>(
                                      InvalidArgument("an action id is a number"));
               if (!action.ok()) {
                 respond(server::ErrorResponse(ctx.request, action.error()));
                 return;
               }
               respond(server::JsonResponse(ctx.request, http::status::ok,
                                            {{"action", ActionJson(*action)}}));
             });
}

}  // namespace journeyd::routes
