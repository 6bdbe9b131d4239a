// `journeyd review list|accept ID|reject ID`, `journeyd split PROFILE RECORD...` and
// `journeyd erase --email X|--phone X|--profile ID`: the admin's identity decisions from the
// shell. Each is queued in the store like an API call; when no
// daemon holds the data dir the command carries it out itself, otherwise it waits for the
// daemon's identity stage to do so. Either way one process owns the graph.
#include <chrono>
#include <iostream>

#include "daemon/commands/commands.h"
#include "engine/base/time_format.h"
#include "engine/mapping/normalize.h"
#include "engine/pipeline/identity_stage.h"
#include "engine/storage/data_dir_lock.h"
#include "engine/storage/store.h"

namespace journeyd::commands {

namespace {

struct Opened {
  std::shared_ptr<const config::Config> config;
  storage::StorePtr store;
};

std::optional<Opened> Open(const GlobalOptions& global, const char* command) {
  auto config = LoadWithBuiltins(global);
  if (!config) return std::nullopt;
  storage::StorePtr store = OpenStoreFor(*config, command);
  if (!store) return std::nullopt;
  return Opened{config, std::move(store)};
}

// Queues the action and sees it carried out; prints the outcome. Exit 0 done, 1 refused or
// failed, 4 still pending after the wait (a busy daemon: poll the API for it).
int Carry(const char* command, Opened& opened, const storage::IdentityAction& action) {
  SystemClock clock;
  auto id = opened.store->QueueIdentityAction(action, clock.Now());
  if (!id.ok()) {
    std::cerr << "journeyd " << command << ": " << id.error().message << "\n";
    return 1;
  }
  auto lock = storage::DataDirLock::Acquire(opened.config->data_dir);
  if (lock.ok()) {
    pipeline::IdentityStage stage(*opened.store, opened.config->identity, clock, {});
    if (Status s = stage.Load(); !s.ok()) {
      std::cerr << "journeyd " << command << ": " << s.error().message << "\n";
      return 1;
    }
    if (auto applied = stage.ApplyActions(); !applied.ok()) {
      std::cerr << "journeyd " << command << ": " << applied.error().message << "\n";
      return 1;
    }
  }
  auto current = pipeline::AwaitIdentityAction(*opened.store, *id, std::chrono::seconds(10));
  if (!current.ok()) {
    std::cerr << "journeyd " << command << ": " << current.error().message << "\n";
    return 1;
  }
  if (current->status == "done") {
    std::cout << current->result << "\n";
    return 0;
  }
  if (current->status == "failed") {
    std::cerr << "journeyd " << command << ": refused: " << current->result << "\n";
    return 1;
  }
  std::cerr << "journeyd " << command << ": queued as action " << *id
            << "; the daemon has not carried it out yet (GET /api/v1/identity-actions/" << *id
            << ")\n";
  return 4;
}

}  // namespace

int Review(const GlobalOptions& global, const ReviewOptions& options) {
  auto opened = Open(global, "review");
  if (!opened) return 1;
  if (options.action == "list") {
    auto reviews = opened->store->ListReviews(options.status == "all" ? "" : options.status, 0,
                                              1000);
    if (!reviews.ok()) {
      std::cerr << "journeyd review: " << reviews.error().message << "\n";
      return 1;
    }
    for (const auto& r : *reviews) {
      std::cout << "review " << r.id << "  " << r.status << "  profiles " << r.profile_a << " and "
                << r.profile_b << "  p=" << r.probability << "  " << FormatIso8601(r.created_at)
                << "\n    " << r.details << "\n";
    }
    if (reviews->empty()) std::cout << "no " << options.status << " reviews\n";
    return 0;
  }
  if (options.action != "accept" && options.action != "reject") {
    std::cerr << "journeyd review: the action is list, accept or reject\n";
    return 2;
  }
  if (options.review_id < 1) {
    std::cerr << "journeyd review " << options.action << ": give the review id\n";
    return 2;
  }
  storage::IdentityAction action;
  action.kind = options.action == "accept" ? storage::IdentityActionKind::kAcceptReview
                                           : storage::IdentityActionKind::kRejectReview;
  action.review_id = options.review_id;
  return Carry("review", *opened, action);
}

int Split(const GlobalOptions& global, const SplitOptions& options) {
  auto opened = Open(global, "split");
  if (!opened) return 1;
  storage::IdentityAction action;
  action.kind = storage::IdentityActionKind::kSplit;
  action.profile_id = options.profile_id;
  action.records = options.records;
  return Carry("split", *opened, action);
}

int Erase(const GlobalOptions& global, const EraseOptions& options) {
  const int given = (options.email.empty() ? 0 : 1) + (options.phone.empty() ? 0 : 1) +
                    (options.profile_id > 0 ? 1 : 0);
  if (given != 1) {
    std::cerr << "journeyd erase: give exactly one of --email, --phone or --profile\n";
    return 2;
  }
  storage::IdentityAction action;
  action.kind = storage::IdentityActionKind::kErase;
  action.requested_by = "cli";
  if (!options.email.empty()) {
    auto email = mapping::NormalizeEmail(options.email);
    if (!email) {
      std::cerr << "journeyd erase: --email: not an email address\n";
      return 2;
    }
    action.identifiers.emplace_back("email", *email);
  } else if (!options.phone.empty()) {
    auto phone = mapping::NormalizePhone(options.phone, options.region);
    if (!phone) {
      std::cerr << "journeyd erase: --phone: not a valid phone number (without +CC, add "
                   "--region)\n";
      return 2;
    }
    action.identifiers.emplace_back("phone", *phone);
  } else {
    action.profile_id = options.profile_id;
  }
  auto opened = Open(global, "erase");
  if (!opened) return 1;
  for (const config::TargetEntry& target : opened->config->targets) {
    action.targets.push_back(target.name);
  }
  return Carry("erase", *opened, action);
}

}  // namespace journeyd::commands
