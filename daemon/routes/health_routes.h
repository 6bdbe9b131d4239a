// /healthz answers while the process serves HTTP at all; /readyz only when the store answers a
// query, a config is loaded and the inbox can be written (its last commit did not fail: a full
// disk, for one), so a load balancer stops sending work to an instance that could not make it
// durable.
#pragma once

#include "daemon/config_holder.h"
#include "daemon/server/router.h"
#include "engine/ingest/inbox_writer.h"
#include "engine/storage/store.h"

namespace journeyd::routes {

// `store`, `config` and `inbox` (may be null: no intake check) must outlive the router.
void AddHealthRoutes(server::Router& router, storage::Store& store, const ConfigHolder& config,
                     const ingest::InboxWriter* inbox = nullptr);

}  // namespace journeyd::routes
