#include "daemon/routes/intake_routes.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include <spdlog/spdlog.h>

#include "daemon/routes/auth.h"
#include "daemon/server/http_errors.h"
#include "engine/base/time_format.h"

namespace journeyd::routes {

namespace http = server::http;

namespace {

// The request's headers as the connector interface sees them (Beast's lookup ignores case).
class RequestHeaders final : public HeaderView {
 public:
  explicit RequestHeaders(const server::HttpRequest& request) : request_(request) {}
  std::optional<std::string_view> Get(std::string_view name) const override {
    auto it = request_.find(name);
    if (it == request_.end()) return std::nullopt;
    return std::string_view(it->value());
  }

 private:
  const server::HttpRequest& request_;
};

std::string MediaType(const server::HttpRequest& request) {
  std::string_view value = request[http::field::content_type];
  value = value.substr(0, value.find(';'));
  std::string out;
  for (char c : value) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

struct IntakeDeps {
  ingest::InboxWriter& inbox;
  const Clock& clock;
};

// Counts the refusal, then sends `response` once the count is committed.
void Reject(IntakeDeps deps, const config::SourceEntry& source,
            storage::IntakeRejectionKind kind, std::string issue_kind, std::string message,
            server::HttpResponse response, server::Respond respond) {
  auto shared = std::make_shared<server::HttpResponse>(std::move(response));
  deps.inbox.RecordRejection(
      {source.name, kind, std::move(issue_kind), std::move(message), deps.clock.Now()},
      [shared, respond = std::move(respond)] { respond(std::move(*shared)); });
}

// Verifies, splits and stores one request for `source`; answers once the events are durable.
// `verdict`, when given, is what `source` already answered to this request (the tracking
// routes try several sources), so it is not verified twice.
void Intake(IntakeDeps deps, const config::SourceEntry& source, server::RequestContext& ctx,
            server::Respond respond, bool tracking_api,
            std::optional<Result<std::vector<RawEvent>>> verdict = std::nullopt) {
  const server::HttpRequest& request = ctx.request;
  const std::string media_type = MediaType(request);
  if (!source.webhook->AcceptsMediaType(media_type)) {
    Reject(deps, source, storage::IntakeRejectionKind::kRejected, "unsupported_media_type",
           "content type '" + media_type + "' is not accepted",
           server::ErrorResponse(request, http::status::unsupported_media_type,
                                 "unsupported_media_type",
                                 "content type '" + media_type + "' is not accepted by source '" +
                                     source.name + "'"),
           std::move(respond));
    return;
  }
  RequestHeaders headers(request);
  InboundRequest inbound{request.method_string(), ctx.path, ctx.query, &headers, request.body(),
                         deps.clock.Now()};
  auto events = verdict ? std::move(*verdict) : source.webhook->Accept(inbound);
  if (!events.ok()) {
    const Error& error = events.error();
    if (error.code == ErrorCode::kUnauthenticated) {
      // The log and the issue say why; the sender learns nothing about which part failed.
      spdlog::warn("source {}: request refused: {}", source.name, error.message);
      Reject(deps, source, storage::IntakeRejectionKind::kSignatureFailure, "signature_failure",
             error.message,
             server::ErrorResponse(request, http::status::unauthorized, "unauthenticated",
                                   "the request's signature or credentials did not verify"),
             std::move(respond));
    } else {
      Reject(deps, source, storage::IntakeRejectionKind::kRejected, "malformed_payload",
             error.message, server::ErrorResponse(request, error), std::move(respond));
    }
    return;
  }
  deps.inbox.Submit(
      source.name, std::move(*events),
      [respond, &request, tracking_api](Result<ingest::SubmitOutcome> outcome) {
        if (!outcome.ok()) {
          auto response = server::ErrorResponse(request, outcome.error());
          response.set(http::field::retry_after, "5");
          respond(std::move(response));
          return;
        }
        boost::json::object body{{"status", "accepted"},
                                 {"stored", outcome->stored},
                                 {"duplicates", outcome->duplicates}};
        if (tracking_api) body["success"] = true;  // what Segment's own API answers
        respond(server::JsonResponse(request, http::status::ok, body));
      });
}

// Segment's HTTP Tracking API paths, and the one-letter forms analytics.js uses.
constexpr std::array<std::string_view, 14> kTrackingCalls = {
    "identify", "track", "page", "screen", "group", "alias", "batch",
    "i",        "t",     "p",    "s",      "g",     "a",     "b"};

}  // namespace

void AddIntakeRoutes(server::Router& router, const ConfigHolder& config,
                     ingest::InboxWriter& inbox, const Clock& clock) {
  const IntakeDeps deps{inbox, clock};
  router.Add(http::verb::post, "/webhooks/{source}",
             [&config, deps](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               const config::SourceEntry* source = current->FindSource(ctx.params.at("source"));
               if (source == nullptr || !source->webhook || source->webhook->ServesTrackingApi() ||
                   !source->webhook->AcceptsWebhooks()) {
                 respond(server::ErrorResponse(ctx.request, http::status::not_found, "not_found",
                                               "no webhook source named '" +
                                                   ctx.params.at("source") + "'"));
                 return;
               }
               // The snapshot keeps `source` alive for as long as the request needs it.
               server::Respond keep = [respond, current](server::HttpResponse r) {
                 respond(std::move(r));
               };
               Intake(deps, *source, ctx, std::move(keep), false);
             });
  router.Add(http::verb::get, "/webhooks/{source}",
             [&config](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               const config::SourceEntry* source = current->FindSource(ctx.params.at("source"));
               if (source == nullptr || !source->webhook || !source->webhook->AcceptsWebhooks()) {
                 respond(server::ErrorResponse(ctx.request, http::status::not_found, "not_found",
                                               "no webhook source named '" +
                                                   ctx.params.at("source") + "'"));
                 return;
               }
               if (!source->webhook->AnswersGetProbe()) {
                 auto response = server::ErrorResponse(ctx.request,
                                                       http::status::method_not_allowed,
                                                       "method_not_allowed",
                                                       "webhooks are delivered with POST");
                 response.set(http::field::allow, "POST");
                 respond(std::move(response));
                 return;
               }
               // Vendors that validate the URL with a GET (Mailchimp) just need a 200.
               respond(server::JsonResponse(ctx.request, http::status::ok, {{"status", "ok"}}));
             });
  router.Add(http::verb::post, "/v1/{call}",
             [&config, deps](server::RequestContext& ctx, server::Respond respond) {
               const std::string& call = ctx.params.at("call");
               if (std::find(kTrackingCalls.begin(), kTrackingCalls.end(), call) ==
                   kTrackingCalls.end()) {
                 respond(server::ErrorResponse(ctx.request, http::status::not_found, "not_found",
                                               "unknown tracking call '" + call + "'"));
                 return;
               }
               auto current = config.Get();
               std::vector<const config::SourceEntry*> candidates;
               for (const auto& source : current->sources) {
                 if (source.webhook && source.webhook->ServesTrackingApi()) {
                   candidates.push_back(&source);
                 }
               }
               if (candidates.empty()) {
                 respond(server::ErrorResponse(ctx.request, http::status::not_found, "not_found",
                                               "no tracking source is configured"));
                 return;
               }
               server::Respond keep = [respond, current](server::HttpResponse r) {
                 respond(std::move(r));
               };
               if (candidates.size() == 1) {
                 Intake(deps, *candidates.front(), ctx, std::move(keep), true);
                 return;
               }
               // Several tracking sources differ by write key: offer the request to each, and
               // let the one whose key it carries take it (with the verdict it already gave).
               RequestHeaders headers(ctx.request);
               InboundRequest probe{ctx.request.method_string(), ctx.path, ctx.query, &headers,
                                    ctx.request.body(), deps.clock.Now()};
               std::optional<Result<std::vector<RawEvent>>> first_refusal;
               for (const auto* candidate : candidates) {
                 auto verdict = candidate->webhook->Accept(probe);
                 if (verdict.ok() || verdict.error().code != ErrorCode::kUnauthenticated) {
                   Intake(deps, *candidate, ctx, std::move(keep), true, std::move(verdict));
                   return;
                 }
                 if (!first_refusal) first_refusal = std::move(verdict);
               }
               // No key matched: the first source records the refusal, as with one source.
               Intake(deps, *candidates.front(), ctx, std::move(keep), true,
                      std::move(first_refusal));
             });
}

void AddSourcesApi(server::Router& router, const ConfigHolder& config, storage::Store& store) {
  router.Add(http::verb::get, "/api/v1/sources",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               auto stats = store.ListSourceStats();
               if (!stats.ok()) {
                 respond(server::ErrorResponse(ctx.request, stats.error()));
                 return;
               }
               boost::json::array sources;
               for (const auto& source : current->sources) {
                 storage::SourceStats s;
                 for (const auto& row : *stats) {
                   if (row.source == source.name) s = row;
                 }
                 boost::json::value last = nullptr;
                 if (s.last_event_at) last = boost::json::string(FormatIso8601(*s.last_event_at));
                 sources.push_back({{"name", source.name},
                                    {"type", source.type},
                                    {"received", s.received},
                                    {"accepted", s.accepted},
                                    {"duplicates", s.duplicates},
                                    {"rejected", s.rejected},
                                    {"signature_failures", s.signature_failures},
                                    {"last_event_at", last}});
               }
               respond(server::JsonResponse(ctx.request, http::status::ok,
                                            {{"sources", std::move(sources)}}));
             });
}

}  // namespace journeyd::routes
