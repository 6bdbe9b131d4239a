// ClusterLeases is how one journeyd instance shares work with others on one database: each
// piece of work that must run on one instance at a time (a pipeline stage, a target's delivery,
// a source's scheduled poll) is named by a lease (Store::AcquireLease), and the instance works
// on it only while it holds the lease. A thread renews every lease held, a third of the ttl at a
// time, so a slow round never loses its lease while the process lives; an instance that dies
// stops renewing and another takes its leases over once they expire. With SQLite there is one
// instance, which gets every lease at its first Check. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "engine/storage/store.h"

namespace journeyd::cluster {

inline constexpr std::chrono::milliseconds kDefaultLeaseTtl{15000};

enum class LeaseState {
  kHeld,      // held, as at the last Check
  kAcquired,  // newly held: another instance may have worked on it since this one last did
  kNotHeld,   // another instance holds it (or the store could not say)
};

// What a piece of work asks before each turn: may it run, and is it newly allowed to (its
// in-memory state may then be stale). Empty means always allowed (one instance, tests).
using WorkGate = std::function<LeaseState()>;

class ClusterLeases {
 public:
  ClusterLeases(storage::Store& store, std::string holder,
                std::chrono::milliseconds ttl = kDefaultLeaseTtl);
  ~ClusterLeases();  // Stop()s
  ClusterLeases(const ClusterLeases&) = delete;
  ClusterLeases& operator=(const ClusterLeases&) = delete;

  // Whether this instance may work on `name` now; tries to take it when not held, at most once
  // per a third of the ttl.
  LeaseState Check(const std::string& name);
  // Starts the renewal thread.
  void Start();
  // Ends renewals and gives every lease up, so another instance need not wait for expiry.
  void Stop();

  // The gate of one lease, for a stage's options.
  WorkGate GateFor(std::string name) {
    return [this, name = std::move(name)] { return Check(name); };
  }

  const std::string& holder() const { return holder_; }
  std::chrono::milliseconds ttl() const { return ttl_; }

  // host:pid:start-ms, unique across restarts and machines.
  static std::string MakeHolderId();

 private:
  struct Lease {
    bool held = false;
    std::chrono::steady_clock::time_point last_try{};
    std::chrono::steady_clock::time_point renewed_at{};  // last time the store said yes
  };
  void RenewLoop();

  storage::Store& store_;
  const std::string holder_;
  const std::chrono::milliseconds ttl_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  std::map<std::string, Lease> leases_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                 // GUARDED_BY(mu_)
  std::thread renewer_;
};

}  // namespace journeyd::cluster
