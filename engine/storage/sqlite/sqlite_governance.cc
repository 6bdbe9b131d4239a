// SqliteStore's governance tables (migration 0007): quarantine and its decisions, the
// suppression list and the erasure that feeds it.
#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "engine/base/compression.h"
#include "engine/governance/suppression.h"
#include "engine/storage/sqlite/sqlite_store.h"
#include "engine/storage/unit_separated.h"

namespace journeyd::storage {

namespace json = boost::json;

std::string_view QuarantineStatusName(QuarantineStatus status) {
  switch (status) {
    case QuarantineStatus::kQuarantined: return "quarantined";
    case QuarantineStatus::kReleased: return "released";
    case QuarantineStatus::kDiscarded: return "discarded";
  }
  return "?";
}

std::optional<QuarantineStatus> ParseQuarantineStatus(std::string_view name) {
  if (name == "quarantined") return QuarantineStatus::kQuarantined;
  if (name == "released") return QuarantineStatus::kReleased;
  if (name == "discarded") return QuarantineStatus::kDiscarded;
  return std::nullopt;
}

namespace {

constexpr std::string_view kQuarantineColumns =
    "SELECT q.id, COALESCE(q.inbox_id, 0), q.source, q.event_type, q.external_id, q.reasons,"
    " COALESCE(q.record, ''), q.status, q.created_at, q.decided_at, COALESCE(q.decided_by, ''),"
    " (SELECT group_concat(rule, char(31)) FROM quarantine_rules r WHERE r.quarantine_id = q.id)"
    " FROM quarantine q";


QuarantineRow QuarantineFromRow(const SqliteStatement& row) {
  QuarantineRow q;
  q.id = row.ColumnInt(0);
  q.inbox_id = row.ColumnInt(1);
  q.source = row.ColumnText(2);
  q.event_type = row.ColumnText(3);
  q.external_id = row.ColumnText(4);
  q.reasons_json = row.ColumnText(5);
  q.record_json = row.ColumnText(6);
  q.status = ParseQuarantineStatus(row.ColumnText(7)).value_or(QuarantineStatus::kQuarantined);
  q.created_at = FromMillis(row.ColumnInt(8));
  if (!row.ColumnIsNull(9)) q.decided_at = FromMillis(row.ColumnInt(9));
  q.decided_by = row.ColumnText(10);
  if (!row.ColumnIsNull(11)) q.rules = SplitUnitSeparated(row.ColumnText(11));
  std::sort(q.rules.begin(), q.rules.end());
  return q;
}

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

}  // namespace

Result<std::vector<QuarantineRow>> SqliteStore::ListQuarantine(const QuarantineFilter& filter) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      std::string(kQuarantineColumns) +
      " WHERE (?1 = '' OR q.status = ?1) AND (?2 = '' OR q.source = ?2)"
      " AND (?3 = '' OR EXISTS (SELECT 1 FROM quarantine_rules r"
      "                         WHERE r.quarantine_id = q.id AND r.rule = ?3))"
      " AND (?4 = 0 OR q.created_at >= ?4) AND (?5 = 0 OR q.created_at < ?5)"
      " AND (?6 = 0 OR q.id < ?6) ORDER BY q.id DESC LIMIT ?7");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, filter.status ? QuarantineStatusName(*filter.status) : std::string_view())
      .Bind(2, filter.source)
      .Bind(3, filter.rule)
      .Bind(4, filter.since ? ToMillis(*filter.since) : int64_t{0})
      .Bind(5, filter.until ? ToMillis(*filter.until) : int64_t{0})
      .Bind(6, filter.before_id)
      .Bind(7, int64_t{filter.limit});
  std::vector<QuarantineRow> out;
  Status stepped = rows->ForEachRow([&] { out.push_back(QuarantineFromRow(*rows)); });
  if (!stepped.ok()) return stepped.error();
  return out;
}

Result<QuarantineRow> SqliteStore::ReadQuarantine(int64_t id) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(std::string(kQuarantineColumns) + " WHERE q.id = ?1");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, id);
  auto row = rows->Step();
  if (!row.ok()) return row.error();
  if (!*row) return NotFound("quarantine entry " + std::to_string(id) + " does not exist");
  return QuarantineFromRow(*rows);
}

Status SqliteStore::DecideQuarantine(int64_t id, QuarantineStatus decision, std::string_view by,
                                     TimePoint now) {
  const WriteScope scope(*this);
  return InTransaction(Db(), [&]() -> Status {
    auto read = Db().Prepare(
        "SELECT q.status, COALESCE(q.inbox_id, 0), i.id IS NOT NULL AND i.body_size > 0"
        " FROM quarantine q LEFT JOIN inbox i ON i.id = q.inbox_id WHERE q.id = ?1");
    if (!read.ok()) return read.error();
    read->Bind(1, id);
    auto row = read->Step();
    if (!row.ok()) return row.error();
    if (!*row) return NotFound("quarantine entry " + std::to_string(id) + " does not exist");
    const std::string status = read->ColumnText(0);
    const int64_t inbox_id = read->ColumnInt(1);
    const bool payload = read->ColumnInt(2) != 0;
    read->Reset();
    if (status != "quarantined") {
      return Error{ErrorCode::kConflict, "quarantine entry " + std::to_string(id) + " is already " +
                                status};
    }
    if (decision == QuarantineStatus::kReleased && !payload) {
      return Error{ErrorCode::kConflict, "quarantine entry " + std::to_string(id) +
                                " has no raw payload left to map again; discard it"};
    }
    auto update = Db().Prepare(
        "UPDATE quarantine SET status = ?2, decided_at = ?3, decided_by = ?4,"
        " record = CASE WHEN ?2 = 'discarded' THEN NULL ELSE record END WHERE id = ?1");
    if (!update.ok()) return update.error();
    update->Bind(1, id).Bind(2, QuarantineStatusName(decision)).Bind(3, ToMillis(now)).Bind(4, by);
    if (Status s = update->Run(); !s.ok()) return s;
    if (inbox_id == 0) return OkStatus();
    // Released: pending again, so the mapping stage maps it as if it had just arrived.
    // Discarded: nothing of the person stays; the row stays so a redelivery is still a duplicate.
    auto inbox = Db().Prepare(
        decision == QuarantineStatus::kReleased
            ? "UPDATE inbox SET processed_at = NULL WHERE id = ?1"
            : "UPDATE inbox SET body = x'', body_size = 0, body_encoding = 'identity',"
              " headers = '[]' WHERE id = ?1");
    if (!inbox.ok()) return inbox.error();
    inbox->Bind(1, inbox_id);
    return inbox->Run();
  });
}

Result<std::string> SqliteStore::SuppressionSalt() {
  const WriteScope scope(*this);
  return ReadOrCreateSalt();
}

Result<std::string> SqliteStore::ReadOrCreateSalt() {
  // Read first: the salt exists after the first erasure, and reading needs no write.
  auto read = Db().Prepare("SELECT value FROM settings WHERE name = 'suppression_salt'");
  if (!read.ok()) return read.error();
  auto found = read->Step();
  if (!found.ok()) return found.error();
  if (*found) return read->ColumnText(0);
  read->Reset();
  auto insert = Db().Prepare(
      "INSERT INTO settings(name, value) VALUES ('suppression_salt', ?1)"
      " ON CONFLICT(name) DO NOTHING");
  if (!insert.ok()) return insert.error();
  insert->Bind(1, governance::NewSuppressionSalt());
  if (Status s = insert->Run(); !s.ok()) return s.error();
  auto row = read->Step();
  if (!row.ok()) return row.error();
  if (!*row) return Corruption("the suppression salt is missing");
  return read->ColumnText(0);
}

Result<std::vector<std::string>> SqliteStore::ListSuppressions() {
  const ReadScope scope(*this);
  auto rows = Db().Prepare("SELECT hash FROM suppressions");
  if (!rows.ok()) return rows.error();
  std::vector<std::string> out;
  Status stepped = rows->ForEachRow([&] { out.push_back(rows->ColumnText(0)); });
  if (!stepped.ok()) return stepped.error();
  return out;
}

Result<int64_t> SqliteStore::CountSuppressions() {
  const ReadScope scope(*this);
  auto count = Db().Prepare("SELECT COUNT(*) FROM suppressions");
  if (!count.ok()) return count.error();
  auto row = count->Step();
  if (!row.ok()) return row.error();
  return count->ColumnInt(0);
}

Result<std::vector<ErasureRow>> SqliteStore::ListErasures(int limit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT id, requested_by, requested_at, COALESCE(profile_id, 0), identifier_hashes,"
      " removed, pending_targets FROM erasures ORDER BY id DESC LIMIT ?1");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, int64_t{limit});
  std::vector<ErasureRow> out;
  const auto strings = [](const std::string& text) {
    std::vector<std::string> list;
    boost::system::error_code ec;
    const json::value v = json::parse(text, ec);
    if (ec || !v.is_array()) return list;
    for (const auto& item : v.get_array()) {
      if (item.is_string()) list.emplace_back(item.get_string());
    }
    return list;
  };
  Status stepped = rows->ForEachRow([&] {
    ErasureRow e;
    e.id = rows->ColumnInt(0);
    e.requested_by = rows->ColumnText(1);
    e.requested_at = FromMillis(rows->ColumnInt(2));
    e.profile_id = rows->ColumnInt(3);
    e.identifier_hashes = strings(rows->ColumnText(4));
    e.removed_json = rows->ColumnText(5);
    e.pending_targets = strings(rows->ColumnText(6));
    out.push_back(std::move(e));
  });
  if (!stepped.ok()) return stepped.error();
  return out;
}

// Everything of one person goes in this one transaction; secure_delete (set at open) zeroes
// what the rows held, so nothing of them stays in the file's free space.
Status SqliteStore::WriteErasure(const IdentityActionOutcome::Erasure& erasure, int64_t now) {
  auto salt = ReadOrCreateSalt();
  if (!salt.ok()) return salt.error();
  const auto run = [&](std::string_view sql, auto&&... values) -> Result<int64_t> {
    auto statement = Db().Prepare(sql);
    if (!statement.ok()) return statement.error();
    int index = 0;
    (statement->Bind(++index, values), ...);
    if (Status s = statement->Run(); !s.ok()) return s.error();
    return int64_t{Db().Changes()};
  };
  int64_t inbox = 0, records = 0, identifiers = 0, merges = 0, reviews = 0, quarantined = 0,
          journey = 0;
  auto inbox_of = Db().Prepare("SELECT inbox_id FROM records WHERE id = ?1");
  if (!inbox_of.ok()) return inbox_of.error();
  for (int64_t record : erasure.records) {
    inbox_of->Bind(1, record);
    auto row = inbox_of->Step();
    if (!row.ok()) return row.error();
    if (!*row) {
      inbox_of->Reset();
      continue;
    }
    const int64_t id = inbox_of->ColumnInt(0);
    inbox_of->Reset();
    // The record (and its place in the profile) cascade from the inbox row.
    auto deleted = run("DELETE FROM inbox WHERE id = ?1", id);
    if (!deleted.ok()) return deleted.error();
    inbox += *deleted;
    auto left = run("DELETE FROM records WHERE id = ?1", record);  // if its inbox row was gone
    if (!left.ok()) return left.error();
    records += 1;
  }
  // The live profile and every retired id that was merged into it (their merges name the
  // person's identifiers too).
  std::vector<int64_t> profiles;
  for (int64_t live : erasure.profiles) {
    auto absorbed = Db().Prepare(
        "WITH RECURSIVE absorbed(id) AS (SELECT ?1 UNION"
        " SELECT p.id FROM profiles p JOIN absorbed a ON p.merged_into = a.id)"
        " SELECT id FROM absorbed");
    if (!absorbed.ok()) return absorbed.error();
    absorbed->Bind(1, live);
    Status stepped = absorbed->ForEachRow([&] { profiles.push_back(absorbed->ColumnInt(0)); });
    if (!stepped.ok()) return stepped;
  }
  for (int64_t profile : profiles) {
    auto n = run("DELETE FROM identifiers WHERE profile_id = ?1", profile);
    if (!n.ok()) return n.error();
    identifiers += *n;
    n = run("DELETE FROM merges WHERE into_profile = ?1 OR from_profile = ?1", profile);
    if (!n.ok()) return n.error();
    merges += *n;
    n = run("DELETE FROM reviews WHERE profile_a = ?1 OR profile_b = ?1", profile);
    if (!n.ok()) return n.error();
    reviews += *n;
    n = run("DELETE FROM separations WHERE profile_a = ?1 OR profile_b = ?1", profile);
    if (!n.ok()) return n.error();
    n = run("UPDATE profiles SET erased_at = ?2, updated_at = ?2 WHERE id = ?1", profile, now);
    if (!n.ok()) return n.error();
    // The journey goes too (its touchpoints went with the records), and so do its actions,
    // delivered or not: nothing more is sent about this person but the erasure itself.
    for (std::string_view sql : {"DELETE FROM journey_state WHERE profile_id = ?1",
                                 "DELETE FROM journey_transitions WHERE profile_id = ?1",
                                 "DELETE FROM journey_actions WHERE profile_id = ?1",
                                 "DELETE FROM journey_dirty WHERE profile_id = ?1"}) {
      n = run(sql, profile);
      if (!n.ok()) return n.error();
      journey += *n;
    }
  }
  // Quarantined events never reached a profile: find the person's by the identities of the
  // mapped record or, when mapping failed, by the identifier values in the raw payload.
  std::set<std::pair<std::string, std::string>> wanted(erasure.identifiers.begin(),
                                                       erasure.identifiers.end());
  std::vector<std::pair<int64_t, int64_t>> doomed;  // quarantine id, inbox id
  {
    auto rows = Db().Prepare(
        "SELECT q.id, COALESCE(q.inbox_id, 0), COALESCE(q.record, ''), i.body_encoding, i.body"
        " FROM quarantine q LEFT JOIN inbox i ON i.id = q.inbox_id");
    if (!rows.ok()) return rows.error();
    std::optional<Error> failure;
    Status stepped = rows->ForEachRow([&] {
      const int64_t id = rows->ColumnInt(0), inbox_id = rows->ColumnInt(1);
      bool match = false;
      const std::string record = rows->ColumnText(2);
      if (!record.empty()) {
        boost::system::error_code ec;
        const json::value v = json::parse(record, ec);
        auto parsed = ec ? Result<CanonicalRecord>(Corruption(ec.message()))
                         : CanonicalRecordFromJson(v);
        if (parsed.ok()) {
          for (const Identity& identity : parsed->identities) {
            match |= wanted.count({identity.type, identity.value}) > 0;
          }
        }
      }
      if (!match && inbox_id != 0 && !rows->ColumnIsNull(4)) {
        std::string body = rows->ColumnBlob(4);
        if (rows->ColumnText(3) == "zstd") {
          auto plain = ZstdDecompress(body);
          if (!plain.ok()) {
            failure = plain.error();
            return;
          }
          body = std::move(*plain);
        }
        const std::string lowered = Lower(body);
        for (const auto& [type, value] : wanted) {
          match |= !value.empty() && lowered.find(Lower(value)) != std::string::npos;
        }
      }
      if (match) doomed.emplace_back(id, inbox_id);
    });
    if (!stepped.ok()) return stepped;
    if (failure) return *failure;
  }
  for (const auto& [id, inbox_id] : doomed) {
    auto n = run("DELETE FROM quarantine WHERE id = ?1", id);
    if (!n.ok()) return n.error();
    quarantined += *n;
    if (inbox_id != 0) {
      n = run("DELETE FROM inbox WHERE id = ?1", inbox_id);
      if (!n.ok()) return n.error();
      inbox += *n;
    }
  }

  json::object removed{{"records", records},       {"raw_payloads", inbox},
                       {"identifiers", identifiers}, {"merges", merges},
                       {"reviews", reviews},       {"quarantined", quarantined},
                       {"journey_rows", journey}};
  json::array hashes, targets;
  for (const auto& [type, value] : wanted) {
    hashes.push_back(json::string(governance::SuppressionHash(*salt, type, value)));
  }
  for (const std::string& t : erasure.targets) targets.push_back(json::string(t));
  auto audit = Db().Prepare(
      "INSERT INTO erasures(requested_by, requested_at, profile_id, identifier_hashes, removed,"
      " pending_targets) VALUES (?1, ?2, NULLIF(?3, 0), ?4, ?5, ?6)");
  if (!audit.ok()) return audit.error();
  audit->Bind(1, erasure.requested_by).Bind(2, now)
      .Bind(3, erasure.profiles.empty() ? int64_t{0} : erasure.profiles.front())
      .Bind(4, json::serialize(hashes)).Bind(5, json::serialize(removed))
      .Bind(6, json::serialize(targets));
  if (Status s = audit->Run(); !s.ok()) return s;
  const int64_t erasure_id = Db().LastInsertRowId();
  for (const auto& hash : hashes) {
    auto n = run("INSERT INTO suppressions(hash, erasure_id, created_at) VALUES (?1, ?2, ?3)"
                 " ON CONFLICT(hash) DO NOTHING",
                 std::string_view(hash.get_string()), erasure_id, now);
    if (!n.ok()) return n.error();
  }
  return OkStatus();
}

}  // namespace journeyd::storage
