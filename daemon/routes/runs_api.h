// GET /api/v1/runs: the sync run history (CSV imports now; scheduled and manual polls as they
// land), newest first, filterable by source, paged with a cursor.
#pragma once

#include <boost/json/object.hpp>

#include "daemon/config_holder.h"
#include "daemon/server/router.h"
#include "engine/storage/store.h"

namespace journeyd::routes {

boost::json::object SyncRunJson(const storage::SyncRun& run);

void AddRunsApi(server::Router& router, const ConfigHolder& config, storage::Store& store);

}  // namespace journeyd::routes
