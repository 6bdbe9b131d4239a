// SqliteStore's identity tables (migration 0004): the identity stage's batches, the start-up
// scans that rebuild its graph, and the reads behind export and explain.
#include <algorithm>

#include "engine/storage/sqlite/sqlite_store.h"

namespace journeyd::storage {

namespace {

int64_t Millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint FromMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

constexpr std::string_view kIdentityStage = "identity";

}  // namespace

Result<int64_t> SqliteStore::ReadStageCursor(std::string_view stage) {
  std::lock_guard lock(mu_);
  auto select = db_->Prepare("SELECT last_id FROM stage_cursors WHERE stage = ?1");
  if (!select.ok()) return select.error();
  select->Bind(1, stage);
  auto row = select->Step();
  if (!row.ok()) return row.error();
  return *row ? select->ColumnInt(0) : int64_t{0};
}

Status SqliteStore::CommitIdentity(const IdentityBatch& batch) {
  std::lock_guard lock(mu_);
  if (Status s = db_->Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  if (Status s = WriteIdentity(batch); !s.ok()) {
    (void)db_->Exec("ROLLBACK");
    return s;
  }
  if (Status s = db_->Exec("COMMIT"); !s.ok()) {
    (void)db_->Exec("ROLLBACK");
    return s;
  }
  return OkStatus();
}

Status SqliteStore::WriteIdentity(const IdentityBatch& batch) {
  const int64_t now = Millis(batch.at);
  struct Statements {
    SqliteStatement new_profile, touch_profile, retire_profile, move_records, move_identifiers,
        move_separations_a, move_separations_b, insert_merge, own_identifier, place_record,
        insert_review, insert_issue, cursor;
  };
  Statements st;
  const auto prepare = [this](SqliteStatement& out, std::string_view sql) -> Status {
    auto stmt = db_->Prepare(sql);
    if (!stmt.ok()) return stmt.error();
    out = std::move(*stmt);
    return OkStatus();
  };
  for (const auto& [stmt, sql] : std::initializer_list<std::pair<SqliteStatement*, std::string_view>>{
           {&st.new_profile,
            "INSERT INTO profiles(id, created_at, updated_at) VALUES (?1, ?2, ?2)"
            " ON CONFLICT(id) DO NOTHING"},
           {&st.touch_profile, "UPDATE profiles SET updated_at = ?2 WHERE id = ?1"},
           {&st.retire_profile,
            "UPDATE profiles SET merged_into = ?2, updated_at = ?3 WHERE id = ?1"},
           {&st.move_records, "UPDATE profile_records SET profile_id = ?1 WHERE profile_id = ?2"},
           {&st.move_identifiers, "UPDATE identifiers SET profile_id = ?1 WHERE profile_id = ?2"},
           {&st.move_separations_a,
            "UPDATE OR IGNORE separations SET profile_a = ?1 WHERE profile_a = ?2"},
           {&st.move_separations_b,
            "UPDATE OR IGNORE separations SET profile_b = ?1 WHERE profile_b = ?2"},
           {&st.insert_merge,
            "INSERT INTO merges(into_profile, from_profile, rule, identifier_type,"
            " identifier_value, record_id, probability, details, created_at)"
            " VALUES (?1, ?2, ?3, NULLIF(?4, ''), NULLIF(?5, ''), ?6, ?7, ?8, ?9)"},
           {&st.own_identifier,
            "INSERT INTO identifiers(type, value, profile_id) VALUES (?1, ?2, ?3)"
            " ON CONFLICT(type, value) DO UPDATE SET profile_id = excluded.profile_id"},
           {&st.place_record,
            "INSERT INTO profile_records(record_id, profile_id) VALUES (?1, ?2)"
            " ON CONFLICT(record_id) DO UPDATE SET profile_id = excluded.profile_id"},
           {&st.insert_review,
            "INSERT INTO reviews(profile_a, profile_b, record_id, probability, details,"
            " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
           {&st.insert_issue,
            "INSERT INTO data_quality_issues(kind, source, message, inbox_id, created_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5)"},
           {&st.cursor,
            "INSERT INTO stage_cursors(stage, last_id) VALUES (?1, ?2)"
            " ON CONFLICT(stage) DO UPDATE SET last_id = excluded.last_id"}}) {
    if (Status s = prepare(*stmt, sql); !s.ok()) return s;
  }
  const auto run = [](SqliteStatement& stmt) -> Status {
    Status s = stmt.Run();
    stmt.Reset();
    return s;
  };

  for (const IdentityBatch::Step& step : batch.steps) {
    if (step.created_profile != 0) {
      st.new_profile.Bind(1, step.created_profile).Bind(2, now);
      if (Status s = run(st.new_profile); !s.ok()) return s;
    }
    for (const IdentityBatch::Merge& m : step.merges) {
      st.move_records.Bind(1, m.into).Bind(2, m.from);
      if (Status s = run(st.move_records); !s.ok()) return s;
      st.move_identifiers.Bind(1, m.into).Bind(2, m.from);
      if (Status s = run(st.move_identifiers); !s.ok()) return s;
      st.move_separations_a.Bind(1, m.into).Bind(2, m.from);
      if (Status s = run(st.move_separations_a); !s.ok()) return s;
      st.move_separations_b.Bind(1, m.into).Bind(2, m.from);
      if (Status s = run(st.move_separations_b); !s.ok()) return s;
      st.retire_profile.Bind(1, m.from).Bind(2, m.into).Bind(3, now);
      if (Status s = run(st.retire_profile); !s.ok()) return s;
      st.insert_merge.Bind(1, m.into).Bind(2, m.from).Bind(3, m.rule).Bind(4, m.identifier_type)
          .Bind(5, m.identifier_value).Bind(6, step.record_id).BindDouble(7, m.probability)
          .Bind(8, m.details).Bind(9, now);
      if (Status s = run(st.insert_merge); !s.ok()) return s;
    }
    for (const auto& [type, value] : step.attached) {
      st.own_identifier.Bind(1, type).Bind(2, value).Bind(3, step.profile_id);
      if (Status s = run(st.own_identifier); !s.ok()) return s;
    }
    st.place_record.Bind(1, step.record_id).Bind(2, step.profile_id);
    if (Status s = run(st.place_record); !s.ok()) return s;
    st.touch_profile.Bind(1, step.profile_id).Bind(2, now);
    if (Status s = run(st.touch_profile); !s.ok()) return s;
    for (const IdentityBatch::Review& r : step.reviews) {
      st.insert_review.Bind(1, r.profile_a).Bind(2, r.profile_b).Bind(3, step.record_id)
          .BindDouble(4, r.probability).Bind(5, r.details).Bind(6, now);
      if (Status s = run(st.insert_review); !s.ok()) return s;
    }
    for (const IdentityBatch::Issue& i : step.issues) {
      st.insert_issue.Bind(1, i.kind).Bind(2, step.source).Bind(3, i.message);
      if (step.inbox_id != 0) {
        st.insert_issue.Bind(4, step.inbox_id);
      } else {
        st.insert_issue.BindNull(4);
      }
      st.insert_issue.Bind(5, now);
      if (Status s = run(st.insert_issue); !s.ok()) return s;
    }
  }
  st.cursor.Bind(1, kIdentityStage).Bind(2, batch.cursor);
  return run(st.cursor);
}

Status SqliteStore::ScanPlacedRecords(const std::function<void(PlacedRecord&&)>& visit) {
  std::lock_guard lock(mu_);
  auto rows = db_->Prepare(
      "SELECT p.record_id, p.profile_id, r.record FROM profile_records p"
      " JOIN records r ON r.id = p.record_id ORDER BY p.record_id");
  if (!rows.ok()) return rows.error();
  while (true) {
    auto row = rows->Step();
    if (!row.ok()) return row.error();
    if (!*row) return OkStatus();
    visit(PlacedRecord{rows->ColumnInt(0), rows->ColumnInt(1), rows->ColumnText(2)});
  }
}

Status SqliteStore::ScanIdentifiers(
    const std::function<void(std::string, std::string, int64_t)>& visit) {
  std::lock_guard lock(mu_);
  auto rows = db_->Prepare("SELECT type, value, profile_id FROM identifiers");
  if (!rows.ok()) return rows.error();
  while (true) {
    auto row = rows->Step();
    if (!row.ok()) return row.error();
    if (!*row) return OkStatus();
    visit(rows->ColumnText(0), rows->ColumnText(1), rows->ColumnInt(2));
  }
}

Status SqliteStore::ScanSeparations(const std::function<void(int64_t, int64_t)>& visit) {
  std::lock_guard lock(mu_);
  auto rows = db_->Prepare("SELECT profile_a, profile_b FROM separations");
  if (!rows.ok()) return rows.error();
  while (true) {
    auto row = rows->Step();
    if (!row.ok()) return row.error();
    if (!*row) return OkStatus();
    visit(rows->ColumnInt(0), rows->ColumnInt(1));
  }
}

Status SqliteStore::ScanProfileRecords(
    const std::function<void(const ProfileRecordRow&)>& visit) {
  std::lock_guard lock(mu_);
  auto rows = db_->Prepare(
      "SELECT p.profile_id, p.record_id, r.source, r.external_id, r.event_type, r.occurred_at"
      " FROM profile_records p JOIN records r ON r.id = p.record_id"
      " ORDER BY p.profile_id, p.record_id");
  if (!rows.ok()) return rows.error();
  ProfileRecordRow out;
  while (true) {
    auto row = rows->Step();
    if (!row.ok()) return row.error();
    if (!*row) return OkStatus();
    out.profile_id = rows->ColumnInt(0);
    out.record_id = rows->ColumnInt(1);
    out.source = rows->ColumnText(2);
    out.external_id = rows->ColumnText(3);
    out.event_type = rows->ColumnText(4);
    out.occurred_at = FromMillis(rows->ColumnInt(5));
    visit(out);
  }
}

Result<int64_t> SqliteStore::ResolveProfile(int64_t profile_id) {
  std::lock_guard lock(mu_);
  auto select = db_->Prepare("SELECT merged_into FROM profiles WHERE id = ?1");
  if (!select.ok()) return select.error();
  // Merges only ever point to older ids, so the chain ends; the bound guards a corrupt cycle.
  int64_t id = profile_id;
  for (int hops = 0; hops < 10000; ++hops) {
    select->Bind(1, id);
    auto row = select->Step();
    if (!row.ok()) return row.error();
    if (!*row) return NotFound("profile " + std::to_string(profile_id) + " does not exist");
    const bool merged = !select->ColumnIsNull(0);
    const int64_t next = merged ? select->ColumnInt(0) : id;
    select->Reset();
    if (!merged) return id;
    id = next;
  }
  return Corruption("profile " + std::to_string(profile_id) + ": merged_into forms a cycle");
}

Result<int64_t> SqliteStore::FindProfileByIdentifier(std::string_view type,
                                                     std::string_view value) {
  std::lock_guard lock(mu_);
  auto select = db_->Prepare("SELECT profile_id FROM identifiers WHERE type = ?1 AND value = ?2");
  if (!select.ok()) return select.error();
  select->Bind(1, type).Bind(2, value);
  auto row = select->Step();
  if (!row.ok()) return row.error();
  if (!*row) return NotFound("no profile holds that " + std::string(type));
  return select->ColumnInt(0);
}

Result<ProfileDetail> SqliteStore::ReadProfile(int64_t profile_id) {
  std::lock_guard lock(mu_);
  ProfileDetail detail;
  detail.id = profile_id;
  {
    auto select = db_->Prepare("SELECT created_at, updated_at FROM profiles WHERE id = ?1");
    if (!select.ok()) return select.error();
    select->Bind(1, profile_id);
    auto row = select->Step();
    if (!row.ok()) return row.error();
    if (!*row) return NotFound("profile " + std::to_string(profile_id) + " does not exist");
    detail.created_at = FromMillis(select->ColumnInt(0));
    detail.updated_at = FromMillis(select->ColumnInt(1));
  }
  // Every retired profile whose chain ends here: their merges belong to this profile's story.
  {
    auto select = db_->Prepare(
        "WITH RECURSIVE absorbed(id) AS (SELECT id FROM profiles WHERE merged_into = ?1"
        " UNION SELECT p.id FROM profiles p JOIN absorbed a ON p.merged_into = a.id)"
        " SELECT id FROM absorbed ORDER BY id");
    if (!select.ok()) return select.error();
    select->Bind(1, profile_id);
    while (true) {
      auto row = select->Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      detail.absorbed.push_back(select->ColumnInt(0));
    }
  }
  {
    auto select = db_->Prepare(
        "SELECT type, value FROM identifiers WHERE profile_id = ?1 ORDER BY type, value");
    if (!select.ok()) return select.error();
    select->Bind(1, profile_id);
    while (true) {
      auto row = select->Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      detail.identifiers.emplace_back(select->ColumnText(0), select->ColumnText(1));
    }
  }
  {
    auto select = db_->Prepare(
        "SELECT p.record_id, r.source, r.external_id, r.event_type, r.occurred_at"
        " FROM profile_records p JOIN records r ON r.id = p.record_id"
        " WHERE p.profile_id = ?1 ORDER BY p.record_id");
    if (!select.ok()) return select.error();
    select->Bind(1, profile_id);
    while (true) {
      auto row = select->Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      detail.records.push_back({profile_id, select->ColumnInt(0), select->ColumnText(1),
                                select->ColumnText(2), select->ColumnText(3),
                                FromMillis(select->ColumnInt(4))});
    }
  }
  std::vector<int64_t> ids = detail.absorbed;
  ids.push_back(profile_id);
  {
    auto select = db_->Prepare(
        "SELECT id, into_profile, from_profile, rule, COALESCE(identifier_type, ''),"
        " COALESCE(identifier_value, ''), COALESCE(record_id, 0), COALESCE(probability, 0),"
        " COALESCE(details, ''), created_at FROM merges WHERE into_profile = ?1 ORDER BY id");
    if (!select.ok()) return select.error();
    for (int64_t id : ids) {
      select->Bind(1, id);
      while (true) {
        auto row = select->Step();
        if (!row.ok()) return row.error();
        if (!*row) break;
        detail.merges.push_back({select->ColumnInt(0), select->ColumnInt(1), select->ColumnInt(2),
                                 select->ColumnText(3), select->ColumnText(4),
                                 select->ColumnText(5), select->ColumnInt(6),
                                 select->ColumnDouble(7), select->ColumnText(8),
                                 FromMillis(select->ColumnInt(9))});
      }
      select->Reset();
    }
    std::sort(detail.merges.begin(), detail.merges.end(),
              [](const MergeRow& a, const MergeRow& b) { return a.id < b.id; });
  }
  {
    auto select = db_->Prepare(
        "SELECT id, profile_a, profile_b, COALESCE(record_id, 0), probability, details, status,"
        " created_at FROM reviews WHERE profile_a = ?1 OR profile_b = ?1 ORDER BY id");
    if (!select.ok()) return select.error();
    select->Bind(1, profile_id);
    while (true) {
      auto row = select->Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      detail.reviews.push_back({select->ColumnInt(0), select->ColumnInt(1), select->ColumnInt(2),
                                select->ColumnInt(3), select->ColumnDouble(4),
                                select->ColumnText(5), select->ColumnText(6),
                                FromMillis(select->ColumnInt(7))});
    }
  }
  return detail;
}

}  // namespace journeyd::storage
