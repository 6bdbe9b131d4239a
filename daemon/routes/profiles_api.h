// The identity admin API: profiles with their identifiers, golden record and provenance,
// source records and merge history; the possible-duplicate reviews; and the admin decisions
// (accept or reject a review, split a profile). Decisions are queued in the store and carried
// out by the identity stage, which owns the graph; the handler waits briefly for the outcome
// and otherwise answers 202 with the action to poll.
#pragma once

#include "daemon/config_holder.h"
#include "daemon/server/router.h"
#include "engine/storage/store.h"

namespace journeyd::routes {

void AddProfilesApi(server::Router& router, const ConfigHolder& config, storage::Store& store);

// Waits until no request is still waiting for an identity action (each waits at most 5 s), so
// the store can be closed under none of them. For shutdown, after the server stopped accepting.
void DrainProfilesApi();

}  // namespace journeyd::routes
