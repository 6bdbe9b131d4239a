// The admin API behind the status page's overview and issues views:
//   GET /api/v1/status          every source, target and the ingest backlog, green / amber / red
//                               with the reason, plus the work waiting for an admin;
//   GET /api/v1/issues/summary  issues grouped by kind and source with last-hour, last-day and
//                               hourly trend counts, and quarantined records by rule;
//   GET /api/v1/inbox/{id}      one raw payload as received (string values masked for the read
//                               token: they are personal data);
//   GET /api/v1/session         who the caller is, and the session's CSRF token.
#pragma once

#include "daemon/config_holder.h"
#include "daemon/server/router.h"
#include "engine/delivery/delivery_service.h"
#include "engine/ingest/inbox_writer.h"
#include "engine/poll/scheduler.h"
#include "engine/storage/store.h"

namespace journeyd::routes {

struct StatusApiContext {
  std::string version;
  std::chrono::system_clock::time_point started_at;
  const delivery::DeliveryService* delivery = nullptr;  // may be null
  const poll::Scheduler* scheduler = nullptr;           // may be null
  const ingest::InboxWriter* inbox = nullptr;           // may be null: no commit failures shown
};

void AddStatusApi(server::Router& router, const ConfigHolder& config, storage::Store& store,
                  StatusApiContext context);

}  // namespace journeyd::routes
