// The delivery API: each target's delivery state (outbox backlog, counters, rate limiter, lag),
// the requests a target sent or (preview) would have sent, and the dead-letter queue with
// replay and discard for the admin token. Read-only callers see no request bodies and no
// dead-letter payloads: those hold personal data.
#pragma once

#include "daemon/config_holder.h"
#include "daemon/server/router.h"
#include "engine/delivery/delivery_service.h"
#include "engine/storage/store.h"

namespace journeyd::routes {

// `service` may be null (a daemon without targets): the routes then report stored state only.
void AddDeliveryApi(server::Router& router, const ConfigHolder& config, storage::Store& store,
                    const delivery::DeliveryService* service);

}  // namespace journeyd::routes
