// `journeyd quarantine list|show ID|release ID|discard ID`: the quarantine from the shell. A
// release puts the raw event back in the inbox; when no daemon holds the data dir the command
// maps and resolves it itself (so it can say where the event went), otherwise the daemon's
// stages take it within moments.
#include <iostream>

#include <boost/json.hpp>

#include "daemon/commands/commands.h"
#include "engine/base/time_format.h"
#include "engine/pipeline/identity_stage.h"
#include "engine/pipeline/journey_stage.h"
#include "engine/pipeline/mapping_stage.h"
#include "engine/storage/data_dir_lock.h"
#include "engine/storage/store.h"

namespace journeyd::commands {

namespace {

void Print(const storage::QuarantineRow& q, bool with_record) {
  std::cout << "quarantine " << q.id << "  " << storage::QuarantineStatusName(q.status) << "  "
            << q.source << " " << q.event_type << " " << q.external_id << "  "
            << FormatIso8601(q.created_at) << "\n";
  boost::system::error_code ec;
  const boost::json::value reasons = boost::json::parse(q.reasons_json, ec);
  if (!ec && reasons.is_array()) {
    for (const auto& r : reasons.get_array()) {
      if (const auto* m = r.is_object() ? r.get_object().if_contains("message") : nullptr;
          m && m->is_string()) {
        std::cout << "    " << m->get_string() << "\n";
      }
    }
  }
  if (q.decided_at) {
    std::cout << "    " << storage::QuarantineStatusName(q.status) << " by " << q.decided_by
              << " at " << FormatIso8601(*q.decided_at) << "\n";
  }
  // The shell is an admin's: the record is shown whole, as the admin API shows it.
  if (with_record && !q.record_json.empty()) std::cout << "    record: " << q.record_json << "\n";
}

// Maps, resolves and places on the journey whatever is pending, in this process. REQUIRES: the data dir lock held.
Status Drain(storage::Store& store, const config::Config& config) {
  SystemClock clock;
  pipeline::MappingStage mapping(
      store, [&config](std::string_view source) { return pipeline::SourceMappingIn(config, source); },
      clock, {});
  pipeline::IdentityStage identity(store, config.identity, clock, {});
  if (Status s = identity.Load(); !s.ok()) return s;
  pipeline::JourneyStage journey(store, config.journey_definition, clock, {});
  return pipeline::RunUntilIdle(mapping, identity, journey);
}

}  // namespace

int Quarantine(const GlobalOptions& global, const QuarantineOptions& options) {
  auto config = LoadWithBuiltins(global);
  if (!config) return 1;
  storage::StorePtr store = OpenStoreFor(*config, "quarantine");
  if (!store) return 1;
  if (options.action == "list") {
    storage::QuarantineFilter filter;
    if (options.status == "all") {
      filter.status = std::nullopt;
    } else if (auto status = storage::ParseQuarantineStatus(options.status)) {
      filter.status = *status;
    } else {
      std::cerr << "journeyd quarantine: --status is quarantined, released, discarded or all\n";
      return 2;
    }
    filter.rule = options.rule;
    filter.source = options.source;
    filter.limit = 1000;
    auto entries = store->ListQuarantine(filter);
    if (!entries.ok()) {
      std::cerr << "journeyd quarantine: " << entries.error().message << "\n";
      return 1;
    }
    for (const auto& q : *entries) Print(q, false);
    if (entries->empty()) std::cout << "no " << options.status << " entries\n";
    return 0;
  }
  if (options.action != "show" && options.action != "release" && options.action != "discard") {
    std::cerr << "journeyd quarantine: the action is list, show, release or discard\n";
    return 2;
  }
  if (options.id < 1) {
    std::cerr << "journeyd quarantine " << options.action << ": give the entry id\n";
    return 2;
  }
  if (options.action == "show") {
    auto entry = store->ReadQuarantine(options.id);
    if (!entry.ok()) {
      std::cerr << "journeyd quarantine: " << entry.error().message << "\n";
      return 1;
    }
    Print(*entry, true);
    return 0;
  }
  const auto decision = options.action == "release" ? storage::QuarantineStatus::kReleased
                                                    : storage::QuarantineStatus::kDiscarded;
  SystemClock clock;
  if (Status s = store->DecideQuarantine(options.id, decision, "cli", clock.Now()); !s.ok()) {
    std::cerr << "journeyd quarantine " << options.action << ": " << s.error().message << "\n";
    return 1;
  }
  if (decision == storage::QuarantineStatus::kDiscarded) {
    std::cout << "quarantine " << options.id << " discarded\n";
    return 0;
  }
  auto lock = storage::DataDirLock::Acquire(config->data_dir);
  if (!lock.ok()) {
    std::cout << "quarantine " << options.id
              << " released; the running daemon maps it again (GET /api/v1/quarantine)\n";
    return 0;
  }
  if (Status s = Drain(*store, *config); !s.ok()) {
    std::cerr << "journeyd quarantine release: " << s.error().message << "\n";
    return 1;
  }
  // Where did it go? Quarantined again under a new entry, or on to a record.
  storage::QuarantineFilter again;
  again.limit = 1;
  auto latest = store->ListQuarantine(again);
  auto released = store->ReadQuarantine(options.id);
  if (latest.ok() && released.ok() && !latest->empty() &&
      (*latest)[0].external_id == released->external_id &&
      (*latest)[0].source == released->source && (*latest)[0].id > options.id) {
    std::cout << "quarantine " << options.id << " released, and quarantined again as "
              << (*latest)[0].id << ":\n";
    Print((*latest)[0], false);
    return 1;
  }
  std::cout << "quarantine " << options.id << " released and mapped\n";
  return 0;
}

}  // namespace journeyd::commands
