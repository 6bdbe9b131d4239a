#include "engine/storage/postgres/pg_transaction.h"

namespace journeyd::storage {

Result<PgTransaction> PgTransaction::Begin(PgConnection& conn, PgIsolation isolation) {
  if (Status s = conn.Begin(isolation); !s.ok()) return s.error();
  return PgTransaction(&conn);
}

PgTransaction::~PgTransaction() {
  if (conn_ != nullptr) conn_->Rollback();
}

Status PgTransaction::Commit() {
  PgConnection* conn = std::exchange(conn_, nullptr);
  if (conn == nullptr) return Internal("postgresql: commit of a finished transaction");
  return conn->Commit();
}

}  // namespace journeyd::storage
