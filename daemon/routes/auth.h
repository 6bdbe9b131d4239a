// Who is calling the admin API: a bearer token (scripts) or a status-page session cookie
// (people). The admin token may do everything, the read token may only read (and sees PII
// masked). Tokens are compared in constant time; a request that changes state with a session
// cookie must also carry the session's CSRF token.
#pragma once

#include <optional>

#include "daemon/routes/session.h"
#include "daemon/server/http_types.h"
#include "engine/config/config.h"

namespace journeyd::routes {

struct Caller {
  Role role = Role::kNone;
  std::optional<Session> session;  // set when the cookie, not a bearer token, authenticated
};

Caller Identify(const server::HttpRequest& request, const config::Config& config);

Role Authenticate(const server::HttpRequest& request, const config::Config& config);

// Answers 401 (no or wrong token), 403 (read token on an admin action, or a session request
// that changes state without its CSRF token) and returns false, or returns true when the
// caller's role suffices.
bool Authorize(const server::HttpRequest& request, const config::Config& config, Role needed,
               const server::Respond& respond);

}  // namespace journeyd::routes
