#include "daemon/routes/auth.h"

#include "daemon/server/http_errors.h"

namespace journeyd::routes {

Role Authenticate(const server::HttpRequest& request, const config::Config& config) {
  const std::string_view header = request[server::http::field::authorization];
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || !header.starts_with(kBearer)) return Role::kNone;
  const std::string_view token = header.substr(kBearer.size());
  // Check both so that the time taken does not tell which token a guess was close to.
  const bool admin = config.server.admin_token.Equals(token);
  const bool read = config.server.read_token.Equals(token);
  if (admin) return Role::kAdmin;
  if (read) return Role::kRead;
  return Role::kNone;
}

bool Authorize(const server::HttpRequest& request, const config::Config& config, Role needed,
               const server::Respond& respond) {
  const Role role = Authenticate(request, config);
  if (role == Role::kNone) {
    auto response = server::ErrorResponse(request, server::http::status::unauthorized,
                                          "unauthenticated", "a valid bearer token is required");
    response.set(server::http::field::www_authenticate, "Bearer realm=\"journeyd\"");
    respond(std::move(response));
    return false;
  }
  if (needed == Role::kAdmin && role != Role::kAdmin) {
    respond(server::ErrorResponse(request, server::http::status::forbidden, "permission_denied",
                                  "this action needs the admin token"));
    return false;
  }
  return true;
}

}  // namespace journeyd::routes
