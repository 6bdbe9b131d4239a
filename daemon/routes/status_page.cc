#include "daemon/routes/status_page.h"

#include <chrono>

#include "daemon/routes/auth.h"
#include "daemon/server/http_errors.h"
#include "daemon/status/assets.h"
#include "daemon/status/markup.h"
#include "engine/base/form_encoding.h"

namespace journeyd::routes {

namespace http = server::http;

namespace {

// The page loads nothing from elsewhere and runs no inline script, so the policy can forbid
// everything but its own origin: an injected <script> or a framing site gets nowhere.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

server::HttpResponse Page(const server::HttpRequest& request, http::status status,
                          std::string_view content_type, std::string body) {
  auto response = server::BodyResponse(request, status, content_type, std::move(body));
  response.set("Content-Security-Policy", kContentSecurityPolicy);
  response.set("X-Content-Type-Options", "nosniff");
  response.set("X-Frame-Options", "DENY");
  response.set("Referrer-Policy", "no-referrer");
  return response;
}

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// Only a path of this page may follow a sign-in: never another site ("//evil", "https:...").
std::string SafeNext(std::string_view next) {
  if (next.empty() || next.front() != '/' || next.starts_with("//") ||
      next.find('\\') != std::string_view::npos) {
    return "/";
  }
  return std::string(next);
}

server::HttpResponse SignInPage(const server::HttpRequest& request, http::status status,
                                std::string_view next, std::string_view error) {
  std::string html(status::Asset("signin.html"));
  ReplaceAll(html, "{{next}}", status::EscapeMarkup(SafeNext(next)));
  ReplaceAll(html, "{{error}}",
             error.empty() ? std::string()
                           : "<p class=\"error\" role=\"alert\">" + status::EscapeMarkup(error) + "</p>");
  return Page(request, status, "text/html; charset=utf-8", std::move(html));
}

void ServeApp(server::RequestContext& ctx, const server::Respond& respond,
              const ConfigHolder& config) {
  auto current = config.Get();
  if (Identify(ctx.request, *current).role == Role::kNone) {
    respond(SignInPage(ctx.request, http::status::ok, ctx.path, ""));
    return;
  }
  respond(Page(ctx.request, http::status::ok, "text/html; charset=utf-8",
               std::string(status::Asset("app.html"))));
}

server::HttpResponse SeeOther(const server::HttpRequest& request, std::string_view location,
                              std::string_view cookie) {
  server::HttpResponse response(http::status::see_other, request.version());
  response.set(http::field::location, location);
  response.set(http::field::set_cookie, cookie);
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return response;
}

}  // namespace

void AddStatusPage(server::Router& router, const ConfigHolder& config) {
  for (const char* path : {"/", "/issues", "/deliveries", "/runs", "/profiles",
                           "/profiles/{id}", "/journey"}) {
    router.Add(http::verb::get, path,
               [&config](server::RequestContext& ctx, server::Respond respond) {
                 ServeApp(ctx, respond, config);
               });
  }

  for (const auto& [path, type] : {std::pair{"/ui/app.js", "text/javascript; charset=utf-8"},
                                   std::pair{"/ui/app.css", "text/css; charset=utf-8"}}) {
    const std::string name = std::string(path).substr(4);
    router.Add(http::verb::get, path,
               [name, type](server::RequestContext& ctx, server::Respond respond) {
                 respond(Page(ctx.request, http::status::ok, type,
                              std::string(status::Asset(name))));
               });
  }

  router.Add(http::verb::post, "/login",
             [&config](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               auto fields = ParseFormUrlEncoded(ctx.request.body());
               const auto token = fields.ok() ? FindField(*fields, "token") : std::nullopt;
               std::string next = "/";
               if (fields.ok()) {
                 if (auto n = FindField(*fields, "next")) next = SafeNext(*n);
               }
               if (!token || token->empty()) {
                 respond(SignInPage(ctx.request, http::status::bad_request, next,
                                    "Enter the admin or read-only token."));
                 return;
               }
               // Both compared, as for bearer tokens, so timing tells nothing.
               const bool admin = current->server.admin_token.Equals(*token);
               const bool read = current->server.read_token.Equals(*token);
               const Role role = admin ? Role::kAdmin : read ? Role::kRead : Role::kNone;
               if (role == Role::kNone) {
                 respond(SignInPage(ctx.request, http::status::unauthorized, next,
                                    "That token is not valid."));
                 return;
               }
               const std::string cookie =
                   IssueSessionCookie(*current, role, std::chrono::system_clock::now());
               if (cookie.empty()) {
                 respond(server::ErrorResponse(ctx.request, Internal("cannot start a session")));
                 return;
               }
               respond(SeeOther(ctx.request, next, SessionSetCookie(cookie)));
             });

  router.Add(http::verb::post, "/logout",
             [&config](server::RequestContext& ctx, server::Respond respond) {
               auto current = config.Get();
               const Caller caller = Identify(ctx.request, *current);
               if (caller.session) {
                 // A form post carries the CSRF token as a field; a script as the header.
                 auto fields = ParseFormUrlEncoded(ctx.request.body());
                 std::string_view sent = ctx.request[kCsrfHeader];
                 if (sent.empty() && fields.ok()) {
                   sent = FindField(*fields, "csrf").value_or(std::string_view());
                 }
                 if (!ConstantTimeEquals(caller.session->csrf_token, sent)) {
                   respond(server::ErrorResponse(ctx.request, http::status::forbidden,
                                                 "csrf_failed", "sign out from the status page"));
                   return;
                 }
               }
               respond(SeeOther(ctx.request, "/", SessionSetCookie("")));
             });
}

}  // namespace journeyd::routes
