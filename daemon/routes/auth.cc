#include "daemon/routes/auth.h"

#include <chrono>

#include "daemon/server/http_errors.h"

namespace journeyd::routes {

namespace {

bool ChangesState(server::http::verb method) {
  return method != server::http::verb::get && method != server::http::verb::head &&
         method != server::http::verb::options;
}

}  // namespace

Caller Identify(const server::HttpRequest& request, const config::Config& config) {
  const std::string_view header = request[server::http::field::authorization];
  if (!header.empty()) {
    // A bearer token, right or wrong, decides: a script's bad token is not rescued by a cookie.
    constexpr std::string_view kBearer = "Bearer ";
    if (header.size() <= kBearer.size() || !header.starts_with(kBearer)) return {};
    const std::string_view token = header.substr(kBearer.size());
    // Check both so that the time taken does not tell which token a guess was close to.
    const bool admin = config.server.admin_token.Equals(token);
    const bool read = config.server.read_token.Equals(token);
    if (admin) return {Role::kAdmin, std::nullopt};
    if (read) return {Role::kRead, std::nullopt};
    return {};
  }
  const auto cookie = CookieValue(request[server::http::field::cookie], kSessionCookie);
  if (!cookie) return {};
  auto session = VerifySessionCookie(config, *cookie, std::chrono::system_clock::now());
  if (!session) return {};
  const Role role = session->role;
  return {role, std::move(session)};
}

Role Authenticate(const server::HttpRequest& request, const config::Config& config) {
  return Identify(request, config).role;
}

bool Authorize(const server::HttpRequest& request, const config::Config& config, Role needed,
               const server::Respond& respond) {
  const Caller caller = Identify(request, config);
  if (caller.role == Role::kNone) {
    auto response = server::ErrorResponse(request, server::http::status::unauthorized,
                                          "unauthenticated", "a valid bearer token is required");
    response.set(server::http::field::www_authenticate, "Bearer realm=\"journeyd\"");
    respond(std::move(response));
    return false;
  }
  if (caller.session && ChangesState(request.method()) &&
      !ConstantTimeEquals(caller.session->csrf_token, request[kCsrfHeader])) {
    respond(server::ErrorResponse(request, server::http::status::forbidden, "csrf_failed",
                                  "this request needs the session's X-CSRF-Token header"));
    return false;
  }
  if (needed == Role::kAdmin && caller.role != Role::kAdmin) {
    respond(server::ErrorResponse(request, server::http::status::forbidden, "permission_denied",
                                  "this action needs the admin token"));
    return false;
  }
  return true;
}

}  // namespace journeyd::routes
