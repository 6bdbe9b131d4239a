// The transaction-scoped advisory locks PgStore's writers share, in one place so that every
// writer of a table takes the same key. Held until the transaction ends.
//
//   kOutboxWriteLock ("jrnyoutb"): outbox ids come from a sequence, so two writers could commit
//     them out of order, and a target that has read past id N must never see a smaller id
//     commit afterwards. Every outbox writer (identity, journey, a replayed dead letter) takes
//     it last thing before its outbox rows go in, so ids become visible in order; only the
//     tail of a transaction holds it, and its holder waits for no other lock.
//   kRecordsWriteLock ("jrnyrecd"): the same for records, which the identity stage reads by id
//     while several instances map inbox rows at once; the mapping commit takes it last.
//   kIdentityWriteLock ("jrnyidnt"): identity writes (a stage batch, an admin action) run one
//     at a time across instances: a merge moves a profile's rows in whatever order the table
//     gives them, and two would deadlock each other.
#pragma once

#include <cstdint>

#include "engine/base/result.h"
#include "engine/storage/postgres/pg_connection.h"

namespace journeyd::storage {

inline constexpr int64_t kOutboxWriteLock = 0x6a726e796f757462;
inline constexpr int64_t kIdentityWriteLock = 0x6a726e7969646e74;
inline constexpr int64_t kRecordsWriteLock = 0x6a726e7972656364;

// pg_advisory_xact_lock(key). REQUIRES: inside a transaction on `db`.
Status TakeAdvisoryLock(PgConnection& db, int64_t key);

}  // namespace journeyd::storage
