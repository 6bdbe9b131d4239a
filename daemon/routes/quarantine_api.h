// The quarantine admin API: events that failed their mapping or a reject rule, with their
// reasons, for any token (read-only sees personal values masked); release (map the raw payload
// again, e.g. after a mapping or rule fix) and discard for the admin token.
#pragma once

#include "daemon/config_holder.h"
#include "daemon/server/router.h"
#include "engine/storage/store.h"

namespace journeyd::routes {

void AddQuarantineApi(server::Router& router, const ConfigHolder& config, storage::Store& store);

}  // namespace journeyd::routes
