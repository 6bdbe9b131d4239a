// SqliteConnectionPool lends connections to one database file, each to one caller at a time, so
// that the pipeline's stages and the HTTP workers read side by side under WAL instead of queueing
// for a single connection (which, held across a stage's reads, serialized the whole pipeline).
// A connection keeps the statements prepared on it, so a later lease reuses them. The pool opens
// connections as callers need them, up to a capacity; past it, a caller waits for one to come
// back, so a lease never fails.
//
// A Scope makes its lease the calling thread's current connection, which the store's helpers
// reach through Current(): scopes on one pool nest (an inner one reuses the outer lease).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
#include "engine/storage/sqlite/sqlite_db.h"

namespace journeyd::storage {

class SqliteConnectionPool;

class SqliteConnection {
 public:
  SqliteConnection(const SqliteConnectionPool& pool, std::unique_ptr<SqliteDb> db)
      : pool_(&pool), db_(std::move(db)) {}

  SqliteDb& db() { return *db_; }
  // A statement prepared once on this connection and kept; the caller Reset()s it after use.
  Result<SqliteStatement*> Cached(std::string_view sql);

 private:
  friend class SqliteConnectionPool;
  const SqliteConnectionPool* pool_;
  std::unique_ptr<SqliteDb> db_;
  // Destroyed before db_ (declared after it): statements must finalize before the close.
  std::map<std::string, SqliteStatement, std::less<>> cached_;
};

class SqliteConnectionPool {
 public:
  using Opener = std::function<Result<std::unique_ptr<SqliteDb>>()>;
  // `first` is the connection the store opened (and migrated) with; `open` makes the others.
  SqliteConnectionPool(std::unique_ptr<SqliteDb> first, Opener open, size_t capacity);
  SqliteConnectionPool(const SqliteConnectionPool&) = delete;
  SqliteConnectionPool& operator=(const SqliteConnectionPool&) = delete;

  class Scope {
   public:
    explicit Scope(SqliteConnectionPool& pool);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    SqliteConnection& connection() { return *connection_; }

   private:
    SqliteConnectionPool& pool_;
    SqliteConnection* connection_;
    SqliteConnection* outer_;  // the thread's current connection before this scope
    bool leased_;              // false when reusing the outer scope's connection
  };

  // The calling thread's connection of this pool while a Scope is open, else nullptr.
  SqliteConnection* Current() const;
  // How many connections are open (for tests and metrics).
  size_t size() const;

 private:
  SqliteConnection* Acquire();
  void Release(SqliteConnection* connection);

  const Opener open_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<SqliteConnection>> all_;  // GUARDED_BY(mu_)
  std::vector<SqliteConnection*> free_;                 // GUARDED_BY(mu_): most recent last
  bool warned_ = false;                                 // GUARDED_BY(mu_)
};

}  // namespace journeyd::storage
