#include "daemon/routes/status_api.h"

#include "engine/poll/poll_settings.h"

#include <boost/json.hpp>
#include <charconv>
#include <map>

#include "daemon/routes/auth.h"
#include "daemon/routes/delivery_api.h"
#include "daemon/routes/runs_api.h"
#include "daemon/server/http_errors.h"
#include "daemon/status/health.h"
#include "engine/base/time_format.h"
#include "engine/governance/masking.h"

namespace journeyd::routes {

namespace http = server::http;
namespace json = boost::json;
using status::Health;
using status::IntakeWindow;
using status::Verdict;

namespace {

using Clock = std::chrono::system_clock;

json::object WindowJson(const IntakeWindow& w) {
  return {{"received", w.received},
          {"accepted", w.accepted},
          {"duplicates", w.duplicates},
          {"rejected", w.rejected},
          {"signature_failures", w.signature_failures}};
}

void AddVerdict(json::object& o, const Verdict& v) {
  o["state"] = status::HealthName(v.health);
  o["reason"] = v.reason;
}

// Masks every string in a JSON document, keeping its shape, numbers and booleans: what a
// read-only user may see of a raw payload.
void MaskStrings(json::value& v) {
  if (v.is_string()) {
    v = governance::MaskText(v.get_string());
  } else if (v.is_array()) {
    for (json::value& item : v.get_array()) MaskStrings(item);
  } else if (v.is_object()) {
    for (auto& [key, item] : v.get_object()) MaskStrings(item);
  }
}

Result<json::object> StatusJson(const config::Config& config, storage::Store& store,
                                const StatusApiContext& context) {
  const Clock::time_point now = Clock::now();
  auto stats = store.ListSourceStats();
  if (!stats.ok()) return stats.error();
  auto activity = store.ReadSourceActivity(now - std::chrono::hours(24));
  if (!activity.ok()) return activity.error();
  auto backlog = store.CountPendingInbox();
  if (!backlog.ok()) return backlog.error();
  auto open = store.CountOpenWork();
  if (!open.ok()) return open.error();

  std::map<std::string, std::pair<IntakeWindow, IntakeWindow>, std::less<>> windows;
  for (const storage::SourceActivity& a : *activity) {
    auto& [hour, day] = windows[a.source];
    day.Add(a);
    if (a.minute >= now - std::chrono::hours(1)) hour.Add(a);
  }
  std::map<std::string, const storage::SourceStats*, std::less<>> totals;
  for (const auto& s : *stats) totals[s.source] = &s;
  auto runs = store.ListLatestSyncRuns();
  if (!runs.ok()) return runs.error();
  std::map<std::string, const storage::SyncRun*, std::less<>> last_runs;
  for (const auto& r : *runs) last_runs[r.source] = &r;

  std::map<std::string, std::optional<Clock::time_point>, std::less<>> next_runs;
  if (context.scheduler != nullptr) {
    for (const poll::SourceSchedule& s : context.scheduler->Schedules()) {
      next_runs[s.source] = s.next_run;
    }
  }

  Verdict overall{Health::kGreen, "everything is flowing"};
  json::array sources;
  for (const config::SourceEntry& entry : config.sources) {
    const auto& [hour, day] = windows[entry.name];
    const auto found = totals.find(entry.name);
    const storage::SourceStats* total = found == totals.end() ? nullptr : found->second;
    const std::optional<Clock::time_point> last = total ? total->last_event_at : std::nullopt;
    json::object o{{"name", entry.name},
                   {"type", entry.type},
                   {"last_hour", WindowJson(hour)},
                   {"last_day", WindowJson(day)}};
    IntakeWindow all;
    if (total) {
      all = {total->received, total->accepted, total->duplicates, total->rejected,
             total->signature_failures};
    }
    o["total"] = WindowJson(all);
    o["last_event_at"] = last ? json::value(FormatIso8601(*last)) : json::value(nullptr);
    const auto run = last_runs.find(entry.name);
    o["last_run"] = run == last_runs.end() ? json::value(nullptr)
                                           : json::value(SyncRunJson(*run->second));
    Verdict v = status::JudgeSource(hour, day, last, now);
    if (entry.poll) {
      // A polled source is judged by its runs; silence at its webhook is no fault then.
      const storage::SyncRun* last_run = run == last_runs.end() ? nullptr : run->second;
      std::optional<Clock::time_point> due;
      if (entry.poll->enabled && entry.poll->compiled_schedule && last_run != nullptr) {
        due = entry.poll->compiled_schedule->Next(last_run->started_at);
      }
      const auto planned = next_runs.find(entry.name);
      const std::optional<Clock::time_point> next =
          planned == next_runs.end() ? std::nullopt : planned->second;
      auto success = store.LastSuccessfulSyncRun(entry.name);
      if (!success.ok()) return success.error();
      const std::optional<Clock::time_point> last_success =
          *success ? (*success)->ended_at : std::optional<Clock::time_point>();
      const Verdict polled = status::JudgePoll(last_run, last_success, due, now);
      const bool silent = !last;
      v = silent ? polled : status::Worse(polled, v);
      json::object poll;
      poll["schedule"] = entry.poll->enabled ? entry.poll->schedule : std::string();
      poll["next_run"] = next ? json::value(FormatIso8601(*next)) : json::value(nullptr);
      poll["last_success_at"] =
          last_success ? json::value(FormatIso8601(*last_success)) : json::value(nullptr);
      // How old the freshest polled data can be: the end of the last successful run.
      poll["lag_seconds"] =
          last_success
              ? json::value(
                    std::chrono::duration_cast<std::chrono::seconds>(now - *last_success).count())
              : json::value(nullptr);
      o["poll"] = std::move(poll);
    }
    AddVerdict(o, v);
    if (v.health != Health::kGreen) {
      overall = status::Worse(overall, Verdict{v.health, "source " + entry.name + ": " + v.reason});
    }
    sources.push_back(std::move(o));
  }

  std::vector<std::string> names;
  for (const auto& t : config.targets) names.push_back(t.name);
  auto delivery = store.ListDeliveryStats(names);
  if (!delivery.ok()) return delivery.error();
  json::array targets;
  for (size_t i = 0; i < delivery->size(); ++i) {
    const storage::TargetDeliveryStats& s = (*delivery)[i];
    json::object o = TargetStateJson(s, config.targets[i], context.delivery, now);
    const Verdict v = status::JudgeTarget(s, TargetPaused(context.delivery, s.target), now);
    AddVerdict(o, v);
    if (v.health != Health::kGreen) {
      overall = status::Worse(overall, Verdict{v.health, "target " + s.target + ": " + v.reason});
    }
    targets.push_back(std::move(o));
  }

  const Verdict inbox = status::JudgeInbox(
      *backlog, config.ingest.backlog_high_water,
      context.inbox != nullptr ? context.inbox->Failing() : std::nullopt, now);
  if (inbox.health != Health::kGreen) {
    overall = status::Worse(overall, Verdict{inbox.health, "ingest: " + inbox.reason});
  }
  json::object ingest{{"backlog", *backlog}, {"high_water", config.ingest.backlog_high_water}};
  AddVerdict(ingest, inbox);

  json::object work{{"quarantined", open->quarantined},
                    {"reviews_open", open->reviews_open},
                    {"dead_letters", open->dead_letters}};
  json::object out{{"generated_at", FormatIso8601(now)},
                   {"version", context.version},
                   {"started_at", FormatIso8601(context.started_at)},
                   {"ingest", std::move(ingest)},
                   {"sources", std::move(sources)},
                   {"targets", std::move(targets)},
                   {"open_work", std::move(work)}};
  AddVerdict(out, overall);
  return out;
}

Result<json::object> IssueSummaryJson(storage::Store& store) {
  const Clock::time_point now = Clock::now();
  constexpr int kHours = 24;
  // Hour buckets are whole clock hours; the newest is the one under way.
  const auto this_hour = std::chrono::floor<std::chrono::hours>(now);
  auto trend = store.ReadIssueTrend(this_hour - std::chrono::hours(kHours - 1));
  if (!trend.ok()) return trend.error();
  auto counts = store.CountIssues({});
  if (!counts.ok()) return counts.error();
  auto open = store.CountOpenWork();
  if (!open.ok()) return open.error();

  struct Group {
    int64_t total = 0;
    Clock::time_point latest;
    std::vector<int64_t> hourly = std::vector<int64_t>(kHours, 0);
  };
  std::map<std::pair<std::string, std::string>, Group> groups;
  for (const storage::IssueCount& c : *counts) {
    Group& g = groups[{c.kind, c.source}];
    g.total = c.count;
    g.latest = c.latest;
  }
  for (const storage::IssueTrendRow& t : *trend) {
    const auto index =
        kHours - 1 - std::chrono::duration_cast<std::chrono::hours>(this_hour - t.hour).count();
    if (index < 0 || index >= kHours) continue;
    groups[{t.kind, t.source}].hourly[static_cast<size_t>(index)] += t.count;
  }
  json::array items;
  for (const auto& [key, g] : groups) {
    int64_t day = 0;
    json::array hourly;
    for (int64_t n : g.hourly) {
      day += n;
      hourly.push_back(n);
    }
    items.push_back({{"kind", key.first},
                     {"source", key.second},
                     {"count", g.total},
                     {"last_hour", g.hourly.back()},
                     {"last_day", day},
                     {"hourly", std::move(hourly)},
                     {"latest_at", FormatIso8601(g.latest)}});
  }
  json::array rules;
  for (const auto& [rule, n] : open->quarantined_by_rule) {
    rules.push_back({{"rule", rule}, {"count", n}});
  }
  return json::object{{"groups", std::move(items)},
                      {"trend_hours", kHours},
                      {"trend_until", FormatIso8601(this_hour + std::chrono::hours(1))},
                      {"quarantined", open->quarantined},
                      {"quarantined_by_rule", std::move(rules)},
                      {"reviews_open", open->reviews_open}};
}

}  // namespace

void AddStatusApi(server::Router& router, const ConfigHolder& config, storage::Store& store,
                  StatusApiContext context) {
  router.Add(http::verb::get, "/api/v1/status",
             [&config, &store, context](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               auto out = StatusJson(*current, store, context);
               if (!out.ok()) {
                 respond(server::ErrorResponse(ctx.request, out.error()));
                 return;
               }
               respond(server::JsonResponse(ctx.request, http::status::ok, *out));
             });

  router.Add(http::verb::get, "/api/v1/issues/summary",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               auto out = IssueSummaryJson(store);
               if (!out.ok()) {
                 respond(server::ErrorResponse(ctx.request, out.error()));
                 return;
               }
               respond(server::JsonResponse(ctx.request, http::status::ok, *out));
             });

  router.Add(http::verb::get, "/api/v1/inbox/{id}",
             [&config, &store](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               const std::string& text = ctx.params.at("id");
               int64_t id = 0;
               const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
               if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
                 respond(server::ErrorResponse(ctx.request,
                                               InvalidArgument("id must be an inbox event id")));
                 return;
               }
               auto rows = store.ReadInbox(id - 1, 1);
               if (!rows.ok()) {
                 respond(server::ErrorResponse(ctx.request, rows.error()));
                 return;
               }
               if (rows->empty() || rows->front().id != id) {
                 respond(server::ErrorResponse(ctx.request,
                                               NotFound("no inbox event " + text)));
                 return;
               }
               const RawEvent& e = rows->front().event;
               const bool mask = Authenticate(ctx.request, *current) != Role::kAdmin;
               json::object o{{"id", id},
                              {"source", e.source},
                              {"event_type", e.event_type},
                              {"external_id", e.external_id},
                              {"received_at", FormatIso8601(e.received_at)},
                              {"content_type", e.content_type},
                              {"masked", mask}};
               json::object headers;
               for (const auto& [name, value] : e.headers) headers[name] = value;
               o["headers"] = std::move(headers);
               boost::system::error_code parse_error;
               json::value body = json::parse(e.body, parse_error);
               // body_text is what to show a person: the bytes as received, or the masked
               // document (serialized here, where 64-bit ids keep every digit).
               if (parse_error) {
                 // Form-encoded or otherwise not JSON: shown as text, or not at all when masked.
                 o["body"] = mask ? json::value(nullptr) : json::value(e.body);
                 o["body_text"] = mask ? "" : e.body;
               } else {
                 if (mask) MaskStrings(body);
                 o["body_text"] = mask ? json::serialize(body) : e.body;
                 o["body"] = std::move(body);
               }
               respond(server::JsonResponse(ctx.request, http::status::ok, o));
             });

  router.Add(http::verb::get, "/api/v1/session",
             [&config](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               if (!Authorize(ctx.request, *current, Role::kRead, respond)) return;
               const Caller caller = Identify(ctx.request, *current);
               json::object o{{"role", caller.role == Role::kAdmin ? "admin" : "read"},
                              {"via", caller.session ? "session" : "bearer"}};
               if (caller.session) {
                 o["csrf_token"] = caller.session->csrf_token;
                 o["expires_at"] = FormatIso8601(caller.session->expires_at);
               }
               respond(server::JsonResponse(ctx.request, http::status::ok, o));
             });
}

}  // namespace journeyd::routes
