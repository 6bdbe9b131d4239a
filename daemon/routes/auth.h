// Bearer-token roles for the admin API: the admin token may do everything, the read token may
// only read (and sees PII masked). Tokens are compared in constant time.
#pragma once

#include "daemon/server/http_types.h"
#include "engine/config/config.h"

namespace journeyd::routes {

enum class Role { kNone, kRead, kAdmin };

Role Authenticate(const server::HttpRequest& request, const config::Config& config);

// Answers 401 (no or wrong token) or 403 (read token on an admin action) and returns false, or
// returns true when `role` suffices.
bool Authorize(const server::HttpRequest& request, const config::Config& config, Role needed,
               const server::Respond& respond);

}  // namespace journeyd::routes
