// The status page: a sign-in form at `/`, then one page application (daemon/status/assets)
// served at `/`, `/issues`, `/deliveries`, `/profiles`, `/profiles/{id}` and `/journey`. The page
// holds no data of its own: it reads the admin API with the session cookie, like any script with
// a token. POST /login starts a session, POST /logout ends it.
#pragma once

#include "daemon/config_holder.h"
#include "daemon/server/router.h"

namespace journeyd::routes {

void AddStatusPage(server::Router& router, const ConfigHolder& config);

}  // namespace journeyd::routes
