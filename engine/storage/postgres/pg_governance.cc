#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "engine/governance/suppression.h"
#include "engine/storage/postgres/pg_store.h"
#include "engine/storage/postgres/pg_transaction.h"
#include "engine/storage/unit_separated.h"

// Quarantine, suppression and erasure on PostgreSQL (see sqlite_governance.cc, whose results
// these match row for row). The erasure itself is written with the identity action that asks
// for it (pg_identity.cc); here are the reads and the admin's quarantine decisions.

namespace journeyd::storage {

namespace {

// The rules come aggregated into one text joined by U+001F (unit separator), as SqliteStore's
// group_concat gives them: one query for the entries and their rules.
constexpr std::string_view kQuarantineColumns =
    "SELECT q.id, COALESCE(q.inbox_id, 0), q.source, q.event_type, q.external_id, q.reasons,"
    " COALESCE(q.record, ''), q.status, q.created_at, q.decided_at, COALESCE(q.decided_by, ''),"
    " (SELECT string_agg(r.rule, chr(31)) FROM quarantine_rules r"
    " WHERE r.quarantine_id = q.id) FROM quarantine q";


// Rows selected with kQuarantineColumns.
std::vector<QuarantineRow> ReadQuarantineRows(const PgResult& rows) {
  std::vector<QuarantineRow> out;
  out.reserve(rows.rows());
  for (int i = 0; i < rows.rows(); ++i) {
    QuarantineRow q;
    q.id = rows.Int64(i, 0);
    q.inbox_id = rows.Int64(i, 1);
    q.source = rows.Text(i, 2);
    q.event_type = rows.Text(i, 3);
    q.external_id = rows.Text(i, 4);
    q.reasons_json = rows.Text(i, 5);
    q.record_json = rows.Text(i, 6);
    q.status = ParseQuarantineStatus(rows.Text(i, 7)).value_or(QuarantineStatus::kQuarantined);
    q.created_at = rows.Time(i, 8);
    q.decided_at = rows.OptionalTime(i, 9);
    q.decided_by = rows.Text(i, 10);
    if (!rows.IsNull(i, 11)) q.rules = SplitUnitSeparated(rows.Text(i, 11));
    // Bytewise, as SqliteStore sorts them.
    std::sort(q.rules.begin(), q.rules.end());
    out.push_back(std::move(q));
  }
  return out;
}

// A JSON array's strings (others skipped); empty when the text is not an array.
std::vector<std::string> JsonStrings(const std::string& text) {
  std::vector<std::string> list;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) return list;
  for (const auto& item : v.get_array()) {
    if (item.is_string()) list.emplace_back(item.get_string());
  }
  return list;
}

}  // namespace

Result<std::vector<QuarantineRow>> PgStore::ListQuarantine(const QuarantineFilter& filter) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  // Empty or zero filter values match everything, so one prepared statement serves all.
  auto rows = (*conn)->Query(
      std::string(kQuarantineColumns) +
          " WHERE ($1 = '' OR q.status = $1) AND ($2 = '' OR q.source = $2)"
          " AND ($3 = '' OR EXISTS (SELECT 1 FROM quarantine_rules r"
          " WHERE r.quarantine_id = q.id AND r.rule = $3))"
          " AND ($4 = 0 OR q.created_at >= $4) AND ($5 = 0 OR q.created_at < $5)"
          " AND ($6 = 0 OR q.id < $6) ORDER BY q.id DESC LIMIT $7",
      PgParams()
          .Add(filter.status ? QuarantineStatusName(*filter.status) : std::string_view())
          .Add(filter.source)
          .Add(filter.rule)
          .Add(filter.since ? UnixMillis(*filter.since) : int64_t{0})
          .Add(filter.until ? UnixMillis(*filter.until) : int64_t{0})
          .Add(filter.before_id)
          .Add(filter.limit));
  if (!rows.ok()) return rows.error();
  return ReadQuarantineRows(*rows);
}

Result<QuarantineRow> PgStore::ReadQuarantine(int64_t id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(std::string(kQuarantineColumns) + " WHERE q.id = $1",
                             PgParams().Add(id));
  if (!rows.ok()) return rows.error();
  if (rows->rows() == 0) {
    return NotFound("quarantine entry " + std::to_string(id) + " does not exist");
  }
  return std::move(ReadQuarantineRows(*rows).front());
}

Status PgStore::DecideQuarantine(int64_t id, QuarantineStatus decision, std::string_view by,
                                 TimePoint now) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  return InPgTransaction(db, [&]() -> Status {
    // FOR UPDATE OF q: two admins deciding the same entry at once queue on its row, and the
    // second reads the first's decision (READ COMMITTED re-reads a row it waited for), so it
    // gets kConflict instead of deciding it twice.
    auto read = db.Query(
        "SELECT q.status, COALESCE(q.inbox_id, 0), i.id IS NOT NULL AND i.body_size > 0"
        " FROM quarantine q LEFT JOIN inbox i ON i.id = q.inbox_id WHERE q.id = $1"
        " FOR UPDATE OF q",
        PgParams().Add(id));
    if (!read.ok()) return read.error();
    if (read->rows() == 0) {
      return NotFound("quarantine entry " + std::to_string(id) + " does not exist");
    }
    const std::string status = read->Text(0, 0);
    const int64_t inbox_id = read->Int64(0, 1);
    const bool payload = read->Bool(0, 2);
    if (status != "quarantined") {
      return Error{ErrorCode::kConflict,
                   "quarantine entry " + std::to_string(id) + " is already " + status};
    }
    if (decision == QuarantineStatus::kReleased && !payload) {
      return Error{ErrorCode::kConflict, "quarantine entry " + std::to_string(id) +
                                             " has no raw payload left to map again; discard it"};
    }
    auto update = db.Query(
        "UPDATE quarantine SET status = $2, decided_at = $3, decided_by = $4,"
        " record = CASE WHEN $2 = 'discarded' THEN NULL ELSE record END WHERE id = $1",
        PgParams().Add(id).Add(QuarantineStatusName(decision)).AddMillis(now).Add(by));
    if (!update.ok()) return update.error();
    if (inbox_id == 0) return OkStatus();
    // Released: pending again, so the mapping stage maps it as if it had just arrived.
    // Discarded: nothing of the person stays; the row stays so a redelivery is still a duplicate.
    auto inbox = db.Query(decision == QuarantineStatus::kReleased
                              ? "UPDATE inbox SET processed_at = NULL WHERE id = $1"
                              : "UPDATE inbox SET body = ''::bytea, body_size = 0,"
                                " body_encoding = 'identity', headers = '[]' WHERE id = $1",
                          PgParams().Add(inbox_id));
    if (!inbox.ok()) return inbox.error();
    return OkStatus();
  });
}

Result<std::string> PgStore::SuppressionSalt() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  PgConnection& db = **conn;
  // Read first: the salt exists after the first erasure, and reading needs no write.
  constexpr std::string_view kRead = "SELECT value FROM settings WHERE name = 'suppression_salt'";
  auto found = db.Query(kRead);
  if (!found.ok()) return found.error();
  if (found->rows() > 0) return found->Bytes(0, 0);
  // Two callers (threads or instances) may both find none: ON CONFLICT DO NOTHING lets one
  // salt in (the other's INSERT waits for it to commit, then does nothing), and each reads back
  // the one stored, in a statement of its own so that it sees the winner's commit.
  auto insert = db.Query(
      "INSERT INTO settings(name, value) VALUES ('suppression_salt', $1)"
      " ON CONFLICT (name) DO NOTHING",
      PgParams().AddBytes(governance::NewSuppressionSalt()));
  if (!insert.ok()) return insert.error();
  auto stored = db.Query(kRead);
  if (!stored.ok()) return stored.error();
  if (stored->rows() == 0) return Corruption("the suppression salt is missing");
  return stored->Bytes(0, 0);
}

Result<std::vector<std::string>> PgStore::ListSuppressions() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  // In hash order, as SQLite reads them (from its primary-key index).
  auto rows = (*conn)->Query("SELECT hash FROM suppressions ORDER BY hash COLLATE \"C\"");
  if (!rows.ok()) return rows.error();
  std::vector<std::string> out;
  out.reserve(rows->rows());
  for (int i = 0; i < rows->rows(); ++i) out.push_back(rows->Text(i, 0));
  return out;
}

Result<int64_t> PgStore::CountSuppressions() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto count = (*conn)->Query("SELECT COUNT(*) FROM suppressions");
  if (!count.ok()) return count.error();
  return count->Int64(0, 0);
}

Result<std::vector<ErasureRow>> PgStore::ListErasures(int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT id, requested_by, requested_at, COALESCE(profile_id, 0), identifier_hashes,"
      " removed, pending_targets FROM erasures ORDER BY id DESC LIMIT $1",
      PgParams().Add(limit));
  if (!rows.ok()) return rows.error();
  std::vector<ErasureRow> out;
  out.reserve(rows->rows());
  for (int i = 0; i < rows->rows(); ++i) {
    ErasureRow e;
    e.id = rows->Int64(i, 0);
    e.requested_by = rows->Text(i, 1);
    e.requested_at = rows->Time(i, 2);
    e.profile_id = rows->Int64(i, 3);
    e.identifier_hashes = JsonStrings(rows->Text(i, 4));
    e.removed_json = rows->Text(i, 5);
    e.pending_targets = JsonStrings(rows->Text(i, 6));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace journeyd::storage
