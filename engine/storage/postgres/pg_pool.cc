#include "engine/storage/postgres/pg_pool.h"

#include <algorithm>

namespace journeyd::storage {

PgPool::PgPool(std::string url, Options options)
    : url_(std::move(url)),
      options_{std::max(1, options.size), options.acquire_timeout},
      description_(DescribePgUrl(url_)) {}

Result<std::unique_ptr<PgPool>> PgPool::Open(std::string url, Options options) {
  std::unique_ptr<PgPool> pool(new PgPool(std::move(url), options));
  auto first = PgConnection::Open(pool->url_);
  if (!first.ok()) return first.error();
  pool->idle_.push_back(std::move(*first));
  pool->open_ = 1;
  return pool;
}

Result<PgPool::Lease> PgPool::Acquire() {
  std::unique_lock lock(mu_);
  const bool ready = freed_.wait_for(lock, options_.acquire_timeout, [this] {
    return !idle_.empty() || open_ < options_.size;
  });
  if (!ready) {
    return Unavailable("all " + std::to_string(options_.size) + " connections to " +
                       description_ + " stayed busy for " +
                       std::to_string(options_.acquire_timeout.count()) + " ms");
  }
  if (!idle_.empty()) {
    std::unique_ptr<PgConnection> conn = std::move(idle_.back());
    idle_.pop_back();
    // A lost connection reconnects on its first call, outside the lock.
    return Lease(this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  // Connecting takes a round trip or more: never under the lock.
  auto conn = PgConnection::Open(url_);
  if (!conn.ok()) {
    lock.lock();
    --open_;
    freed_.notify_one();
    return conn.error();
  }
  return Lease(this, std::move(*conn));
}

void PgPool::Release(std::unique_ptr<PgConnection> conn) {
  // A transaction left open (a holder that returned without its PgTransaction) must not leak
  // into the next holder's statements.
  if (conn->in_transaction()) conn->Rollback();
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(conn));
  freed_.notify_one();
}

PgPool::Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Release(std::move(conn_));
}

}  // namespace journeyd::storage
