// PgTransaction is one transaction on a PgConnection, rolled back when it goes out of scope
// uncommitted: an early `return` on an error can never leave a transaction open. Not
// thread-safe, like its connection.
#pragma once

#include <string_view>
#include <utility>

#include "engine/base/result.h"
#include "engine/storage/postgres/pg_connection.h"

namespace journeyd::storage {

class PgTransaction {
 public:
  static Result<PgTransaction> Begin(PgConnection& conn,
                                     PgIsolation isolation = PgIsolation::kReadCommitted);
  PgTransaction(PgTransaction&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}
  PgTransaction& operator=(PgTransaction&&) = delete;
  PgTransaction(const PgTransaction&) = delete;
  ~PgTransaction();

  // Ends the transaction either way; the error says it did not commit.
  Status Commit();

 private:
  explicit PgTransaction(PgConnection* conn) : conn_(conn) {}
  PgConnection* conn_;  // nullptr once committed or rolled back
};

// Runs `write` in one transaction on `conn`: committed when it returns OK, rolled back
// otherwise. Returns what `write` returned (a Status or a Result).
template <class F>
auto InPgTransaction(PgConnection& conn, F&& write) -> decltype(write()) {
  auto tx = PgTransaction::Begin(conn);
  if (!tx.ok()) return tx.error();
  auto result = write();
  if (!result.ok()) return result;  // tx rolls back
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return result;
}

}  // namespace journeyd::storage
