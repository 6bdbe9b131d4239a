// GET /api/v1/runs: the sync run history (imports, scheduled and manual polls), newest first,
// filterable by source, paged with a cursor. POST /api/v1/sources/{name}/sync starts a run now;
// GET /api/v1/schedules says when each polled source runs next.
#pragma once

#include <boost/json/object.hpp>

#include "daemon/config_holder.h"
#include "daemon/server/router.h"
#include "engine/poll/scheduler.h"
#include "engine/storage/store.h"

namespace journeyd::routes {

boost::json::object SyncRunJson(const storage::SyncRun& run);

// `scheduler` may be null (the sync routes then answer 503).
void AddRunsApi(server::Router& router, const ConfigHolder& config, storage::Store& store,
                poll::Scheduler* scheduler);

}  // namespace journeyd::routes
