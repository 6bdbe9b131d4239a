#include "engine/storage/sqlite/sqlite_connection_pool.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace journeyd::storage {

namespace {
thread_local SqliteConnection* t_current = nullptr;
}  // namespace

Result<SqliteStatement*> SqliteConnection::Cached(std::string_view sql) {
  auto it = cached_.find(sql);
  if (it == cached_.end()) {
    auto prepared = db_->Prepare(sql);
    if (!prepared.ok()) return prepared.error();
    it = cached_.emplace(std::string(sql), std::move(*prepared)).first;
  }
  return &it->second;
}

SqliteConnectionPool::SqliteConnectionPool(std::unique_ptr<SqliteDb> first, Opener open,
                                           size_t capacity)
    : open_(std::move(open)), capacity_(std::max<size_t>(capacity, 1)) {
  all_.push_back(std::make_unique<SqliteConnection>(*this, std::move(first)));
  free_.push_back(all_.back().get());
}

SqliteConnection* SqliteConnectionPool::Acquire() {
  std::unique_lock lock(mu_);
  while (true) {
    if (!free_.empty()) {
      SqliteConnection* connection = free_.back();
      free_.pop_back();
      return connection;
    }
    if (all_.size() < capacity_) {
      auto db = open_();
      if (db.ok()) {
        all_.push_back(std::make_unique<SqliteConnection>(*this, std::move(*db)));
        return all_.back().get();
      }
      // The ones open will do, one caller at a time: wait for one to come back.
      if (!warned_) {
        spdlog::warn("storage: cannot open another SQLite connection ({}); callers share the "
                     "{} open", db.error().message, all_.size());
        warned_ = true;
      }
    }
    returned_.wait(lock, [this] { return !free_.empty(); });
  }
}

void SqliteConnectionPool::Release(SqliteConnection* connection) {
  // A caller that returned mid-result or mid-transaction would leave the next one its stale
  // snapshot (or its open transaction): a bug, mended here so that it stays local.
  SqliteDb& db = connection->db();
  const int active = db.ResetActiveStatements();
  const bool open = db.TransactionOpen();
  if (open) (void)db.Exec("ROLLBACK");
  if (active > 0 || open) {
    spdlog::warn("storage: a connection came back with {} statement(s) mid-result{}", active,
                 open ? " and a transaction open (rolled back)" : "");
  }
  {
    std::lock_guard lock(mu_);
    free_.push_back(connection);
  }
  returned_.notify_one();
}

SqliteConnection* SqliteConnectionPool::Current() const {
  return t_current != nullptr && t_current->pool_ == this ? t_current : nullptr;
}

size_t SqliteConnectionPool::size() const {
  std::lock_guard lock(mu_);
  return all_.size();
}

SqliteConnectionPool::Scope::Scope(SqliteConnectionPool& pool)
    : pool_(pool), outer_(t_current) {
  connection_ = pool.Current();
  leased_ = connection_ == nullptr;
  if (leased_) connection_ = pool.Acquire();
  t_current = connection_;
}

SqliteConnectionPool::Scope::~Scope() {
  t_current = outer_;
  if (leased_) pool_.Release(connection_);
}

}  // namespace journeyd::storage
