// The intake routes: POST /webhooks/{source} for every configured source and the
// Segment-compatible tracking API POST /v1/{identify|track|page|screen|group|alias|batch}.
// A request is verified by its source, its events are committed to the inbox, and only then is
// it answered 200. Refusals get the right 4xx (404 unknown source, 415 media type, 401
// signature, 400 malformed) and are counted with a data-quality issue; 503 + Retry-After when
// the inbox is over its high-water mark or cannot write.
#pragma once

#include "daemon/config_holder.h"
#include "daemon/server/router.h"
#include "engine/base/clock.h"
#include "engine/ingest/inbox_writer.h"
#include "engine/storage/store.h"

namespace journeyd::routes {

// Every reference must outlive the router.
void AddIntakeRoutes(server::Router& router, const ConfigHolder& config,
                     ingest::InboxWriter& inbox, const Clock& clock);

// GET /api/v1/sources: per configured source, the intake counters from the store.
void AddSourcesApi(server::Router& router, const ConfigHolder& config, storage::Store& store);

}  // namespace journeyd::routes
