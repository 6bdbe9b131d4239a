// The delivery API: each target's delivery state (outbox backlog, counters, rate limiter, lag),
// the requests a target sent or (preview) would have sent, and the dead-letter queue with
// replay and discard for the admin token. Read-only callers see no request bodies and no
// dead-letter payloads: those hold personal data.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>

#include "daemon/config_holder.h"
#include "daemon/server/router.h"
#include "engine/delivery/delivery_service.h"
#include "engine/storage/store.h"

namespace journeyd::routes {

// True while `target`'s rate limiter holds requests back (a 429 or a backoff); false without a
// running worker.
bool TargetPaused(const delivery::DeliveryService* service, std::string_view target);

// One target's delivery state as the API shows it (also part of GET /api/v1/status).
boost::json::object TargetStateJson(const storage::TargetDeliveryStats& stats,
                                    const config::TargetEntry& entry,
                                    const delivery::DeliveryService* service,
                                    std::chrono::system_clock::time_point now);

// `service` may be null (a daemon without targets): the routes then report stored state only.
void AddDeliveryApi(server::Router& router, const ConfigHolder& config, storage::Store& store,
                    const delivery::DeliveryService* service);

}  // namespace journeyd::routes
