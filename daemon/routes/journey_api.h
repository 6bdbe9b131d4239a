// The journey admin API: KPIs (GET /api/v1/journey/kpis, with `conversion` per stage pair) and
// the actions transitions triggered (GET /api/v1/journey/actions), for any token; and the
// journey part of a profile (stage, history, attribution, scores, touchpoints) that the profile
// API shows.
#pragma once

#include <boost/json/object.hpp>

#include "daemon/config_holder.h"
#include "daemon/server/router.h"
#include "engine/storage/store.h"

namespace journeyd::routes {

void AddJourneyApi(server::Router& router, const ConfigHolder& config, storage::Store& store);

// Adds stage, stage_history, attribution, scores and touchpoints of the profile to `out`.
// Read-only callers (`mask`) do not see touchpoint attributes, which may carry personal data.
Status AddProfileJourney(storage::Store& store, const config::Config& config, int64_t profile_id,
                         bool mask, boost::json::object& out);

}  // namespace journeyd::routes
