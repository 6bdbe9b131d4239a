// PgPool is a small fixed-size pool of PgConnections to one database. A caller leases one
// connection for the length of one store call (a transaction at most) and the lease hands it
// back when it goes out of scope. Connections are made on demand up to `size`; a lost one
// reconnects on its next use. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/result.h"
#include "engine/storage/postgres/pg_connection.h"

namespace journeyd::storage {

class PgPool {
 public:
  struct Options {
    int size = 4;  // connections at most
    // How long Acquire waits for a free connection before kUnavailable.
    std::chrono::milliseconds acquire_timeout{std::chrono::seconds(30)};
  };

  // One connection is made at once, so that a wrong URL or an unreachable server fails here.
  static Result<std::unique_ptr<PgPool>> Open(std::string url, Options options);
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // A leased connection: the holder's alone until the lease ends.
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    PgConnection& operator*() const { return *conn_; }
    PgConnection* operator->() const { return conn_.get(); }

   private:
    friend class PgPool;
    Lease(PgPool* pool, std::unique_ptr<PgConnection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    PgPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  // Waits for a free connection (up to acquire_timeout); kUnavailable when none frees up or a
  // new one cannot connect. REQUIRES: the pool outlives the lease.
  Result<Lease> Acquire();

  const std::string& description() const { return description_; }
  int size() const { return options_.size; }

 private:
  PgPool(std::string url, Options options);
  void Release(std::unique_ptr<PgConnection> conn);

  const std::string url_;
  const Options options_;
  const std::string description_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // GUARDED_BY(mu_)
  int open_ = 0;  // GUARDED_BY(mu_): connections made, idle or leased
};

}  // namespace journeyd::storage
