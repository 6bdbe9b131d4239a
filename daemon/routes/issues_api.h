// GET /api/v1/issues: data-quality issues (refused webhooks now; mapping, governance and
// identity issues as those stages land), newest first, filterable by kind and source, paged
// with a cursor, plus counts by kind and source for the status page.
#pragma once

#include "daemon/config_holder.h"
#include "daemon/server/router.h"
#include "engine/storage/store.h"

namespace journeyd::routes {

void AddIssuesApi(server::Router& router, const ConfigHolder& config, storage::Store& store);

}  // namespace journeyd::routes
