// PgConnection is one libpq connection: statements with parameters run as server-side prepared
// statements, each prepared on first use and kept for the connection's life (named by a counter,
// found again by its SQL text). A lost connection is noticed by the failing call, which returns
// kUnavailable; the next call reconnects (never inside a transaction, whose work is gone).
// Used by one thread at a time: PgPool hands a connection to one lease holder.
#pragma once

#include <libpq-fe.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "engine/base/result.h"
#include "engine/storage/postgres/pg_params.h"
#include "engine/storage/postgres/pg_result.h"

namespace journeyd::storage {

// How a transaction sees concurrent ones. An enum rather than BEGIN text, so that no SQL string
// reaches Exec from a caller.
enum class PgIsolation {
  kReadCommitted,         // BEGIN: PostgreSQL's default
  kRepeatableReadOnly,    // one snapshot for several reads, no writes
  kRepeatableRead,
  kSerializable,
};

// The server a libpq URL or conninfo names, without its password: "database D on H as U".
// For messages and logs, which must never carry the URL itself.
std::string DescribePgUrl(std::string_view url);

class PgConnection {
 public:
  // Nothing happens until the first call, or Connect().
  explicit PgConnection(std::string url) : url_(std::move(url)) {}
  // Made and connected: kUnavailable when the server cannot be reached, kInvalidArgument when the
  // URL does not parse.
  static Result<std::unique_ptr<PgConnection>> Open(std::string url);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // (Re)connects now: prepared statements are made afresh afterwards.
  Status Connect();

  // Runs `sql` ($1, $2... for `params`) as a prepared statement. The parameter types of the
  // first call fix the statement's; later calls must pass the same types.
  Result<PgResult> Query(std::string_view sql, const PgParams& params = {});
  // Parameterless SQL through the simple protocol (it may hold several statements): schema
  // changes, SET, and nothing that carries a value.
  Status Exec(std::string_view sql);

  // Transactions; PgTransaction is the RAII way. REQUIRES: Begin when none is open.
  Status Begin(PgIsolation isolation = PgIsolation::kReadCommitted);
  Status Commit();
  // Never fails: when the connection is gone, so is the transaction.
  void Rollback();
  bool in_transaction() const { return in_transaction_; }

  // False once a call found the connection lost; the next call outside a transaction reconnects.
  bool healthy() const;
  const std::string& description() const { return description_; }
  // How many times this connection was (re)established; for tests.
  int connects() const { return connects_; }

 private:
  Status EnsureConnected();
  // Turns a failed call's result (or its absence) into an Error and notices a lost connection.
  Error Fail(const PGresult* result, std::string_view what);
  void Close();

  std::string url_;
  std::string description_ = DescribePgUrl(url_);
  PGconn* conn_ = nullptr;
  bool broken_ = false;
  bool in_transaction_ = false;
  int connects_ = 0;
  int next_statement_ = 0;
  std::map<std::string, std::string, std::less<>> prepared_;  // SQL text -> statement name
};

}  // namespace journeyd::storage
