// `journeyd dlq list|show|replay|discard` and `journeyd targets list|requests`: delivery from
// the shell. Both read and write the store directly, so they work whether or not the daemon is
// running; a replayed letter goes back into the outbox and the daemon's worker for that target
// sends it within moments (or at its next start).
#include <iostream>

#include <boost/json.hpp>

#include "daemon/commands/commands.h"
#include "engine/base/time_format.h"
#include "engine/storage/store.h"

namespace journeyd::commands {

namespace {

void Print(const storage::DeadLetterRow& d, bool whole) {
  std::cout << "dead letter " << d.id << "  " << storage::DeadLetterStatusName(d.status) << "  "
            << d.target << " " << d.kind << " profile " << d.profile_id << "  "
            << FormatIso8601(d.created_at) << "\n    " << d.message << "\n";
  if (d.decided_at) {
    std::cout << "    " << storage::DeadLetterStatusName(d.status) << " by " << d.decided_by
              << " at " << FormatIso8601(*d.decided_at) << "\n";
  }
  // The shell is an admin's: the item is shown whole, as the admin API shows it.
  if (whole) std::cout << "    key: " << d.item_key << "\n    item: " << d.request_json << "\n";
}

}  // namespace

int Dlq(const GlobalOptions& global, const DlqOptions& options) {
  auto config = LoadWithBuiltins(global);
  if (!config) return 1;
  storage::StorePtr store = OpenStoreFor(*config, "dlq");
  if (!store) return 1;
  if (!options.target.empty() && config->FindTarget(options.target) == nullptr) {
    std::cerr << "journeyd dlq: no target named '" << options.target << "' in the config\n";
    return 2;
  }
  if (options.action == "list") {
    storage::DeadLetterFilter filter;
    if (options.status == "all") {
      filter.status = std::nullopt;
    } else if (auto status = storage::ParseDeadLetterStatus(options.status)) {
      filter.status = *status;
    } else {
      std::cerr << "journeyd dlq: --status is dead, replayed, discarded or all\n";
      return 2;
    }
    filter.target = options.target;
    filter.limit = 1000;
    auto letters = store->ListDeadLetters(filter);
    if (!letters.ok()) {
      std::cerr << "journeyd dlq: " << letters.error().message << "\n";
      return 1;
    }
    for (const auto& d : *letters) Print(d, false);
    if (letters->empty()) std::cout << "no " << options.status << " letters\n";
    return 0;
  }
  if (options.action == "show") {
    if (options.ids.size() != 1) {
      std::cerr << "journeyd dlq show: give one dead-letter id\n";
      return 2;
    }
    auto letter = store->ReadDeadLetter(options.ids[0]);
    if (!letter.ok()) {
      std::cerr << "journeyd dlq: " << letter.error().message << "\n";
      return 1;
    }
    Print(*letter, true);
    return 0;
  }
  if (options.action != "replay" && options.action != "discard") {
    std::cerr << "journeyd dlq: the action is list, show, replay or discard\n";
    return 2;
  }
  std::vector<int64_t> ids = options.ids;
  if (options.all) {
    storage::DeadLetterFilter filter;
    filter.target = options.target;
    filter.limit = 1000000;
    auto letters = store->ListDeadLetters(filter);
    if (!letters.ok()) {
      std::cerr << "journeyd dlq: " << letters.error().message << "\n";
      return 1;
    }
    for (auto it = letters->rbegin(); it != letters->rend(); ++it) ids.push_back(it->id);
  } else if (ids.empty()) {
    std::cerr << "journeyd dlq " << options.action << ": give dead-letter ids, or --all\n";
    return 2;
  }
  const auto decision = options.action == "replay" ? storage::DeadLetterStatus::kReplayed
                                                   : storage::DeadLetterStatus::kDiscarded;
  SystemClock clock;
  int failed = 0;
  for (int64_t id : ids) {
    if (Status s = store->DecideDeadLetter(id, decision, "cli", clock.Now()); !s.ok()) {
      std::cerr << "journeyd dlq " << options.action << " " << id << ": " << s.error().message
                << "\n";
      ++failed;
      continue;
    }
    std::cout << "dead letter " << id << " " << storage::DeadLetterStatusName(decision) << "\n";
  }
  if (decision == storage::DeadLetterStatus::kReplayed && failed < static_cast<int>(ids.size())) {
    std::cout << "the daemon's delivery worker sends replayed letters as they stand now\n";
  }
  return failed == 0 ? 0 : 1;
}

int Targets(const GlobalOptions& global, const TargetsOptions& options) {
  auto config = LoadWithBuiltins(global);
  if (!config) return 1;
  storage::StorePtr store = OpenStoreFor(*config, "targets");
  if (!store) return 1;
  if (options.action == "list") {
    std::vector<std::string> names;
    for (const auto& t : config->targets) names.push_back(t.name);
    auto stats = store->ListDeliveryStats(names);
    if (!stats.ok()) {
      std::cerr << "journeyd targets: " << stats.error().message << "\n";
      return 1;
    }
    for (size_t i = 0; i < stats->size(); ++i) {
      const auto& s = (*stats)[i];
      std::cout << s.target << " (" << config->targets[i].type << ")  pending " << s.pending
                << "  delivered " << s.delivered << "  dead letters " << s.dead_now
                << "  requests " << s.requests << " (" << s.failures << " failed)";
      if (s.last_success) std::cout << "  last success " << FormatIso8601(*s.last_success);
      if (!s.last_error.empty()) std::cout << "\n    last error: " << s.last_error;
      std::cout << "\n";
    }
    if (stats->empty()) std::cout << "no targets configured\n";
    return 0;
  }
  if (options.action != "requests" || options.target.empty()) {
    std::cerr << "journeyd targets: the action is list, or requests TARGET\n";
    return 2;
  }
  if (config->FindTarget(options.target) == nullptr) {
    std::cerr << "journeyd targets: no target named '" << options.target << "' in the config\n";
    return 2;
  }
  auto rows = store->ListDeliveryRequests(options.target, 0, std::max(1, options.limit));
  if (!rows.ok()) {
    std::cerr << "journeyd targets: " << rows.error().message << "\n";
    return 1;
  }
  for (const auto& r : *rows) {
    std::cout << FormatIso8601(r.at) << "  " << r.method << " " << r.url << "  " << r.what
              << " (" << r.items << ")  "
              << (r.status < 0 ? std::string("recorded") : std::to_string(r.status));
    if (!r.message.empty()) std::cout << "  " << r.message;
    std::cout << "\n";
    if (options.bodies) std::cout << r.body << "\n";
  }
  if (rows->empty()) std::cout << "no requests yet\n";
  return 0;
}

}  // namespace journeyd::commands
