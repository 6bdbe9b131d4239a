// /healthz answers while the process serves HTTP at all; /readyz only when the store answers a
// query and a config is loaded, so a load balancer stops sending work to an instance that
// could not make it durable.
#pragma once

#include "daemon/config_holder.h"
#include "daemon/server/router.h"
#include "engine/storage/store.h"

namespace journeyd::routes {

// `store` and `config` must outlive the router.
void AddHealthRoutes(server::Router& router, storage::Store& store, const ConfigHolder& config);

}  // namespace journeyd::routes
