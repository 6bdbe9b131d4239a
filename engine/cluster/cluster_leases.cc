#include "engine/cluster/cluster_leases.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <vector>

#include "engine/base/thread_name.h"

namespace journeyd::cluster {

ClusterLeases::ClusterLeases(storage::Store& store, std::string holder,
                             std::chrono::milliseconds ttl)
    : store_(store), holder_(std::move(holder)), ttl_(ttl) {}

ClusterLeases::~ClusterLeases() { Stop(); }

std::string ClusterLeases::MakeHolderId() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + std::to_string(ms);
}

LeaseState ClusterLeases::Check(const std::string& name) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    Lease& lease = leases_[name];
    // Renewals that keep failing (the database unreachable) must not let this instance work
    // past the lease the store knows of: a third of the ttl before it runs out, stop.
    if (lease.held && now - lease.renewed_at > ttl_ * 2 / 3) {
      spdlog::warn("lease {}: not renewed for {} ms; this instance stops running it", name,
                   std::chrono::duration_cast<std::chrono::milliseconds>(now - lease.renewed_at)
                       .count());
      lease.held = false;
    }
    if (lease.held) return LeaseState::kHeld;
    if (stopping_ || (lease.last_try != std::chrono::steady_clock::time_point{} &&
                      now - lease.last_try < ttl_ / 3)) {
      return LeaseState::kNotHeld;
    }
    lease.last_try = now;
  }
  auto taken = store_.AcquireLease(name, holder_, ttl_);
  if (!taken.ok()) {
    spdlog::warn("lease {}: {}", name, taken.error().message);
    return LeaseState::kNotHeld;
  }
  if (!*taken) return LeaseState::kNotHeld;
  std::lock_guard lock(mu_);
  leases_[name].held = true;
  leases_[name].renewed_at = now;
  spdlog::info("this instance now runs {}", name);
  return LeaseState::kAcquired;
}

void ClusterLeases::Start() {
  std::lock_guard lock(mu_);
  if (renewer_.joinable() || stopping_) return;
  renewer_ = std::thread([this] {
    NameCurrentThread("lease renewer");
    RenewLoop();
  });
}

void ClusterLeases::Stop() {
  std::vector<std::string> held;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [name, lease] : leases_) {
      if (lease.held) held.push_back(name);
      lease.held = false;
    }
  }
  stop_cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  for (const std::string& name : held) {
    if (Status s = store_.ReleaseLease(name, holder_); !s.ok()) {
      spdlog::warn("lease {}: could not give it up ({}); it expires in {} ms", name,
                   s.error().message, ttl_.count());
    }
  }
}

void ClusterLeases::RenewLoop() {
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, ttl_ / 3, [this] { return stopping_; })) {
    std::vector<std::string> held;
    for (const auto& [name, lease] : leases_) {
      if (lease.held) held.push_back(name);
    }
    lock.unlock();
    for (const std::string& name : held) {
      const auto asked = std::chrono::steady_clock::now();
      auto renewed = store_.AcquireLease(name, holder_, ttl_);
      // A renewal that fails on an error keeps the lease believed held: it is still ours in
      // the store until it expires, and the next renewal may get through. One that the store
      // refuses means another instance took over (this one paused past the ttl): stop at once.
      if (renewed.ok() && !*renewed) {
        spdlog::warn("lease {}: another instance took it over; this one stops running it",
                     name);
        std::lock_guard relock(mu_);
        leases_[name].held = false;
      } else if (!renewed.ok()) {
        spdlog::warn("lease {}: renewal failed: {}", name, renewed.error().message);
      } else {
        std::lock_guard relock(mu_);
        leases_[name].renewed_at = asked;
      }
    }
    lock.lock();
  }
}

}  // namespace journeyd::cluster
