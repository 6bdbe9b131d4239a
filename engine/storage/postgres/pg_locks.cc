#include "engine/storage/postgres/pg_locks.h"

#include "engine/storage/postgres/pg_params.h"

namespace journeyd::storage {

Status TakeAdvisoryLock(PgConnection& db, int64_t key) {
  auto locked = db.Query("SELECT pg_advisory_xact_lock($1)", PgParams().Add(key));
  if (!locked.ok()) return locked.error();
  return OkStatus();
}

}  // namespace journeyd::storage
