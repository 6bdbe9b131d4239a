// SqliteStore's identity tables (migration 0004): the identity stage's batches, the start-up
// scans that rebuild its graph, and the reads behind export and explain.
#include <algorithm>
#include <optional>
#include <unordered_set>

#include <boost/json.hpp>

#include "engine/storage/identity_action_rows.h"
#include "engine/storage/sqlite/sqlite_store.h"

namespace journeyd::storage {

namespace {

constexpr std::string_view kIdentityStage = "identity";

}  // namespace

Result<int64_t> SqliteStore::ReadStageCursor(std::string_view stage) {
  const WriteScope scope(*this);
  auto select = Db().Prepare("SELECT last_id FROM stage_cursors WHERE stage = ?1");
  if (!select.ok()) return select.error();
  select->Bind(1, stage);
  auto row = select->Step();
  if (!row.ok()) return row.error();
  return *row ? select->ColumnInt(0) : int64_t{0};
}

namespace {

// The identity tables' writes, prepared once per transaction and shared by the stage's batches
// and the admin actions, so a merge is stored the same way whoever decided it.
class IdentityWriter {
 public:
  explicit IdentityWriter(SqliteDb& db) : db_(db) {}

  Status Prepare() {
    for (const auto& [stmt, sql] :
         std::initializer_list<std::pair<SqliteStatement*, std::string_view>>{
             {&new_profile_,
              "INSERT INTO profiles(id, created_at, updated_at) VALUES (?1, ?2, ?2)"
              " ON CONFLICT(id) DO NOTHING"},
             {&touch_profile_, "UPDATE profiles SET updated_at = ?2 WHERE id = ?1"},
             {&retire_profile_,
              "UPDATE profiles SET merged_into = ?2, updated_at = ?3 WHERE id = ?1"},
             {&move_records_, "UPDATE profile_records SET profile_id = ?1 WHERE profile_id = ?2"},
             {&move_identifiers_, "UPDATE identifiers SET profile_id = ?1 WHERE profile_id = ?2"},
             {&move_separations_a_,
              "UPDATE OR IGNORE separations SET profile_a = ?1 WHERE profile_a = ?2"},
             {&move_separations_b_,
              "UPDATE OR IGNORE separations SET profile_b = ?1 WHERE profile_b = ?2"},
             {&insert_merge_,
              "INSERT INTO merges(into_profile, from_profile, rule, identifier_type,"
              " identifier_value, record_id, probability, details, created_at)"
              " VALUES (?1, ?2, ?3, NULLIF(?4, ''), NULLIF(?5, ''), NULLIF(?6, 0), ?7, ?8, ?9)"},
             {&own_identifier_,
              "INSERT INTO identifiers(type, value, profile_id) VALUES (?1, ?2, ?3)"
              " ON CONFLICT(type, value) DO UPDATE SET profile_id = excluded.profile_id"},
             {&place_record_,
              "INSERT INTO profile_records(record_id, profile_id) VALUES (?1, ?2)"
              " ON CONFLICT(record_id) DO UPDATE SET profile_id = excluded.profile_id"},
             {&close_reviews_,
              // `+status`: look the pair up in reviews_pair, never scan the open reviews.
              "UPDATE reviews SET status = 'merged', decided_at = ?3 WHERE +status = 'open' AND"
              " ((profile_a = ?1 AND profile_b = ?2) OR (profile_a = ?2 AND profile_b = ?1))"},
             {&separate_,
              "INSERT OR IGNORE INTO separations(profile_a, profile_b, created_at)"
              " VALUES (min(?1, ?2), max(?1, ?2), ?3)"},
             {&mark_dirty_, "INSERT OR IGNORE INTO journey_dirty(profile_id) VALUES (?1)"},
             {&announce_,
              "INSERT INTO outbox(kind, profile_id, created_at) VALUES ('profile', ?1, ?2)"}}) {
      auto prepared = db_.Prepare(sql);
      if (!prepared.ok()) return prepared.error();
      *stmt = std::move(*prepared);
    }
    return OkStatus();
  }

  // A new or changed profile is announced to the targets in the same transaction (the
  // outbox): its golden record may now read differently.
  Status NewProfile(int64_t id, int64_t now) {
    if (Status s = Run(new_profile_.Bind(1, id).Bind(2, now)); !s.ok()) return s;
    return Run(announce_.Bind(1, id).Bind(2, now));
  }
  Status Touch(int64_t id, int64_t now) {
    if (Status s = Run(touch_profile_.Bind(1, id).Bind(2, now)); !s.ok()) return s;
    return Run(announce_.Bind(1, id).Bind(2, now));
  }

  // Everything of `from` becomes `into`'s; `from` is retired, pointing at `into`.
  Status Merge(const IdentityBatch::Merge& m, int64_t record_id, int64_t now) {
    if (Status s = Run(move_records_.Bind(1, m.into).Bind(2, m.from)); !s.ok()) return s;
    if (Status s = Run(move_identifiers_.Bind(1, m.into).Bind(2, m.from)); !s.ok()) return s;
    if (Status s = Run(move_separations_a_.Bind(1, m.into).Bind(2, m.from)); !s.ok()) return s;
    if (Status s = Run(move_separations_b_.Bind(1, m.into).Bind(2, m.from)); !s.ok()) return s;
    if (Status s = Run(retire_profile_.Bind(1, m.from).Bind(2, m.into).Bind(3, now)); !s.ok()) {
      return s;
    }
    // A question about these two has been answered by the merge (an accepted review sets its
    // own status afterwards).
    if (Status s = Run(close_reviews_.Bind(1, m.into).Bind(2, m.from).Bind(3, now)); !s.ok()) {
      return s;
    }
    if (Status s = MarkJourneyDirty(m.into); !s.ok()) return s;
    if (Status s = MarkJourneyDirty(m.from); !s.ok()) return s;
    return Log(m, record_id, now);
  }
  // The journey stage recomputes the profile's journey from the touchpoints it now holds.
  Status MarkJourneyDirty(int64_t profile) { return Run(mark_dirty_.Bind(1, profile)); }
  // A history row only (a split).
  Status Log(const IdentityBatch::Merge& m, int64_t record_id, int64_t now) {
    return Run(insert_merge_.Bind(1, m.into).Bind(2, m.from).Bind(3, m.rule)
                   .Bind(4, m.identifier_type).Bind(5, m.identifier_value).Bind(6, record_id)
                   .BindDouble(7, m.probability).Bind(8, m.details).Bind(9, now));
  }
  Status Own(const std::string& type, const std::string& value, int64_t profile) {
    return Run(own_identifier_.Bind(1, type).Bind(2, value).Bind(3, profile));
  }
  Status Place(int64_t record, int64_t profile) {
    return Run(place_record_.Bind(1, record).Bind(2, profile));
  }
  Status Separate(int64_t a, int64_t b, int64_t now) {
    return Run(separate_.Bind(1, a).Bind(2, b).Bind(3, now));
  }

 private:
  static Status Run(SqliteStatement& stmt) {
    Status s = stmt.Run();
    stmt.Reset();
    return s;
  }

  SqliteDb& db_;
  SqliteStatement new_profile_, touch_profile_, retire_profile_, move_records_,
      move_identifiers_, move_separations_a_, move_separations_b_, insert_merge_,
      own_identifier_, place_record_, close_reviews_, separate_, mark_dirty_, announce_;
};

}  // namespace

Status SqliteStore::WriteIdentity(const IdentityBatch& batch) {
  const int64_t now = ToMillis(batch.at);
  IdentityWriter writer(Db());
  if (Status s = writer.Prepare(); !s.ok()) return s;
  auto review = Db().Prepare(
      "INSERT INTO reviews(profile_a, profile_b, record_id, probability, details, created_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!review.ok()) return review.error();
  auto issue = Db().Prepare(
      "INSERT INTO data_quality_issues(kind, source, message, inbox_id, created_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!issue.ok()) return issue.error();
  auto cursor = Db().Prepare(
      "INSERT INTO stage_cursors(stage, last_id) VALUES (?1, ?2)"
      " ON CONFLICT(stage) DO UPDATE SET last_id = excluded.last_id");
  if (!cursor.ok()) return cursor.error();
  const auto run = [](SqliteStatement& stmt) -> Status {
    Status s = stmt.Run();
    stmt.Reset();
    return s;
  };

  std::unordered_set<int64_t> created, touched;
  for (const IdentityBatch::Step& step : batch.steps) {
    if (step.created_profile != 0) {
      if (Status s = writer.NewProfile(step.created_profile, now); !s.ok()) return s;
      created.insert(step.created_profile);
    }
    for (const IdentityBatch::Merge& m : step.merges) {
      if (Status s = writer.Merge(m, step.record_id, now); !s.ok()) return s;
    }
    if (step.profile_id != 0) {  // 0: an unreadable record, placed nowhere
      for (const auto& [type, value] : step.attached) {
        if (Status s = writer.Own(type, value, step.profile_id); !s.ok()) return s;
      }
      if (Status s = writer.Place(step.record_id, step.profile_id); !s.ok()) return s;
      // Profiles created in this batch already carry `now`; others are touched once below.
      if (created.count(step.profile_id) == 0) touched.insert(step.profile_id);
    }
    for (const IdentityBatch::Review& r : step.reviews) {
      review->Bind(1, r.profile_a).Bind(2, r.profile_b).Bind(3, step.record_id)
          .BindDouble(4, r.probability).Bind(5, r.details).Bind(6, now);
      if (Status s = run(*review); !s.ok()) return s;
    }
    for (const IdentityBatch::Issue& i : step.issues) {
      issue->Bind(1, i.kind).Bind(2, step.source).Bind(3, i.message);
      if (step.inbox_id != 0) {
        issue->Bind(4, step.inbox_id);
      } else {
        issue->BindNull(4);
      }
      issue->Bind(5, now);
      if (Status s = run(*issue); !s.ok()) return s;
    }
  }
  for (int64_t profile : touched) {
    if (Status s = writer.Touch(profile, now); !s.ok()) return s;
  }
  cursor->Bind(1, kIdentityStage).Bind(2, batch.cursor);
  return run(*cursor);
}

Status SqliteStore::CommitIdentity(const IdentityBatch& batch) {
  const WriteScope scope(*this);
  return InTransaction(Db(), [&] { return WriteIdentity(batch); });
}

Status SqliteStore::CommitIdentityAction(const IdentityActionOutcome& outcome) {
  const WriteScope scope(*this);
  Status written = InTransaction(Db(), [&] { return WriteIdentityAction(outcome); });
  if (written.ok() && outcome.erasure) {
    // The WAL still holds the pages as they were before the erasure: copy it back and empty
    // it now rather than whenever the next checkpoint comes.
    (void)Db().Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  return written;
}

Status SqliteStore::WriteIdentityAction(const IdentityActionOutcome& o) {
  const int64_t now = ToMillis(o.at);
  IdentityWriter writer(Db());
  if (Status s = writer.Prepare(); !s.ok()) return s;
  if (o.done) {
    for (const IdentityBatch::Merge& m : o.merges) {
      if (Status s = writer.Merge(m, 0, now); !s.ok()) return s;
      if (Status s = writer.Touch(m.into, now); !s.ok()) return s;
    }
    if (o.new_profile != 0) {
      if (Status s = writer.NewProfile(o.new_profile, now); !s.ok()) return s;
      for (int64_t record : o.moved_records) {
        if (Status s = writer.Place(record, o.new_profile); !s.ok()) return s;
      }
      for (const auto& [type, value] : o.moved_identifiers) {
        if (Status s = writer.Own(type, value, o.new_profile); !s.ok()) return s;
      }
      std::string records;
      for (int64_t r : o.moved_records) records += (records.empty() ? "" : ", ") + std::to_string(r);
      IdentityBatch::Merge history{o.new_profile, o.old_profile, "split", "", "", 0,
                                   "an admin split records " + records + " off profile " +
                                       std::to_string(o.old_profile)};
      if (Status s = writer.Log(history, 0, now); !s.ok()) return s;
      if (Status s = writer.Touch(o.old_profile, now); !s.ok()) return s;
      if (Status s = writer.MarkJourneyDirty(o.new_profile); !s.ok()) return s;
      if (Status s = writer.MarkJourneyDirty(o.old_profile); !s.ok()) return s;
    }
    if (o.separation.first != 0) {
      if (Status s = writer.Separate(o.separation.first, o.separation.second, now); !s.ok()) {
        return s;
      }
    }
    if (o.erasure) {
      if (Status s = WriteErasure(*o.erasure, now); !s.ok()) return s;
    }
    if (o.review_id != 0) {
      auto review = Db().Prepare("UPDATE reviews SET status = ?2, decided_at = ?3 WHERE id = ?1");
      if (!review.ok()) return review.error();
      review->Bind(1, o.review_id).Bind(2, o.review_status).Bind(3, now);
      if (Status s = review->Run(); !s.ok()) return s;
    }
  }
  auto action = Db().Prepare(
      "UPDATE identity_actions SET status = ?2, result = ?3, applied_at = ?4, payload = NULL"
      " WHERE id = ?1");
  if (!action.ok()) return action.error();
  action->Bind(1, o.action_id).Bind(2, o.done ? "done" : "failed").Bind(3, o.result).Bind(4, now);
  return action->Run();
}

namespace {


Result<IdentityAction> ActionFromRow(const SqliteStatement& row) {
  IdentityAction a;
  a.id = row.ColumnInt(0);
  const auto kind = ParseActionKind(row.ColumnText(1));
  if (!kind) return Corruption("identity action " + std::to_string(a.id) + " has an unknown kind");
  a.kind = *kind;
  a.review_id = row.ColumnInt(2);
  a.profile_id = row.ColumnInt(3);
  a.records = ParseRecordsJson(row.ColumnText(4));
  a.status = row.ColumnText(5);
  a.result = row.ColumnText(6);
  ReadPayload(row.ColumnText(7), a);
  return a;
}

}  // namespace

Result<int64_t> SqliteStore::QueueIdentityAction(const IdentityAction& action, TimePoint now) {
  const WriteScope scope(*this);
  auto insert = Db().Prepare(
      "INSERT INTO identity_actions(kind, review_id, profile_id, records, created_at, payload)"
      " VALUES (?1, NULLIF(?2, 0), NULLIF(?3, 0), ?4, ?5, NULLIF(?6, ''))");
  if (!insert.ok()) return insert.error();
  insert->Bind(1, ActionKindName(action.kind)).Bind(2, action.review_id)
      .Bind(3, action.profile_id).Bind(4, RecordsJson(action.records)).Bind(5, ToMillis(now))
      .Bind(6, PayloadJson(action));
  if (Status s = insert->Run(); !s.ok()) return s.error();
  return Db().LastInsertRowId();
}

Result<std::vector<IdentityAction>> SqliteStore::ReadPendingIdentityActions() {
  const ReadScope scope(*this);
  auto rows =
      Db().Prepare(std::string(kIdentityActionColumns) + " WHERE status = 'pending' ORDER BY id");
  if (!rows.ok()) return rows.error();
  std::vector<Result<IdentityAction>> read;
  Status stepped = rows->ForEachRow([&] { read.push_back(ActionFromRow(*rows)); });
  if (!stepped.ok()) return stepped.error();
  std::vector<IdentityAction> out;
  for (auto& action : read) {
    if (!action.ok()) return action.error();
    out.push_back(std::move(*action));
  }
  return out;
}

Result<IdentityAction> SqliteStore::ReadIdentityAction(int64_t id) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(std::string(kIdentityActionColumns) + " WHERE id = ?1");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, id);
  auto row = rows->Step();
  if (!row.ok()) return row.error();
  if (!*row) return NotFound("identity action " + std::to_string(id) + " does not exist");
  return ActionFromRow(*rows);
}

namespace {

constexpr std::string_view kReviewColumns =
    "SELECT id, profile_a, profile_b, COALESCE(record_id, 0), probability, details, status,"
    " created_at FROM reviews";

ReviewRow ReviewFromRow(const SqliteStatement& row) {
  return {row.ColumnInt(0),    row.ColumnInt(1),  row.ColumnInt(2),  row.ColumnInt(3),
          row.ColumnDouble(4), row.ColumnText(5), row.ColumnText(6), FromMillis(row.ColumnInt(7))};
}

}  // namespace

Result<std::vector<ReviewRow>> SqliteStore::ListReviews(std::string_view status,
                                                        int64_t before_id, int limit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(std::string(kReviewColumns) +
                           " WHERE (?1 = '' OR status = ?1) AND (?2 = 0 OR id < ?2)"
                           " ORDER BY id DESC LIMIT ?3");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, status).Bind(2, before_id).Bind(3, int64_t{limit});
  std::vector<ReviewRow> out;
  Status stepped = rows->ForEachRow([&] {
    out.push_back(ReviewFromRow(*rows));
  });
  if (!stepped.ok()) return stepped.error();
  return out;
}

Result<ReviewRow> SqliteStore::ReadReview(int64_t review_id) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(std::string(kReviewColumns) + " WHERE id = ?1");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, review_id);
  auto row = rows->Step();
  if (!row.ok()) return row.error();
  if (!*row) return NotFound("review " + std::to_string(review_id) + " does not exist");
  return ReviewFromRow(*rows);
}

Status SqliteStore::ScanPlacedRecords(const std::function<void(PlacedRecord&&)>& visit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT p.record_id, p.profile_id, r.record FROM profile_records p"
      " JOIN records r ON r.id = p.record_id ORDER BY p.record_id");
  if (!rows.ok()) return rows.error();
  return rows->ForEachRow([&] {
    visit(PlacedRecord{rows->ColumnInt(0), rows->ColumnInt(1), rows->ColumnText(2)});
  });
}

Status SqliteStore::ScanIdentifiers(
    const std::function<void(std::string, std::string, int64_t)>& visit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare("SELECT type, value, profile_id FROM identifiers");
  if (!rows.ok()) return rows.error();
  return rows->ForEachRow([&] {
    visit(rows->ColumnText(0), rows->ColumnText(1), rows->ColumnInt(2));
  });
}

Status SqliteStore::ScanSeparations(const std::function<void(int64_t, int64_t)>& visit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare("SELECT profile_a, profile_b FROM separations");
  if (!rows.ok()) return rows.error();
  return rows->ForEachRow([&] {
    visit(rows->ColumnInt(0), rows->ColumnInt(1));
  });
}

Result<int64_t> SqliteStore::MaxProfileId() {
  const ReadScope scope(*this);
  auto select = Db().Prepare("SELECT COALESCE(MAX(id), 0) FROM profiles");
  if (!select.ok()) return select.error();
  auto row = select->Step();
  if (!row.ok()) return row.error();
  return select->ColumnInt(0);
}

Status SqliteStore::ScanProfileRecords(
    const std::function<void(const ProfileRecordRow&)>& visit) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT p.profile_id, p.record_id, r.source, r.external_id, r.event_type, r.occurred_at"
      " FROM profile_records p JOIN records r ON r.id = p.record_id"
      " ORDER BY p.profile_id, p.record_id");
  if (!rows.ok()) return rows.error();
  ProfileRecordRow out;
  return rows->ForEachRow([&] {
    out.profile_id = rows->ColumnInt(0);
    out.record_id = rows->ColumnInt(1);
    out.source = rows->ColumnText(2);
    out.external_id = rows->ColumnText(3);
    out.event_type = rows->ColumnText(4);
    out.occurred_at = FromMillis(rows->ColumnInt(5));
    visit(out);
  });
}

Result<int64_t> SqliteStore::ResolveProfile(int64_t profile_id) {
  const ReadScope scope(*this);
  auto select = Db().Prepare("SELECT merged_into, erased_at FROM profiles WHERE id = ?1");
  if (!select.ok()) return select.error();
  // Merges only ever point to older ids, so the chain ends; the bound guards a corrupt cycle.
  int64_t id = profile_id;
  for (int hops = 0; hops < 10000; ++hops) {
    select->Bind(1, id);
    auto row = select->Step();
    if (!row.ok()) return row.error();
    if (!*row) return NotFound("profile " + std::to_string(profile_id) + " does not exist");
    if (!select->ColumnIsNull(1)) {
      return NotFound("profile " + std::to_string(profile_id) + " was erased");
    }
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
  const ReadScope scope(*this);
  auto select = Db().Prepare("SELECT profile_id FROM identifiers WHERE type = ?1 AND value = ?2");
  if (!select.ok()) return select.error();
  select->Bind(1, type).Bind(2, value);
  auto row = select->Step();
  if (!row.ok()) return row.error();
  if (!*row) return NotFound("no profile holds that " + std::string(type));
  return select->ColumnInt(0);
}

Result<ProfileDetail> SqliteStore::ReadProfile(int64_t profile_id) {
  const WriteScope scope(*this);
  ProfileDetail detail;
  detail.id = profile_id;
  {
    auto select = Db().Prepare("SELECT created_at, updated_at FROM profiles WHERE id = ?1");
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
    auto select = Db().Prepare(
        "WITH RECURSIVE absorbed(id) AS (SELECT id FROM profiles WHERE merged_into = ?1"
        " UNION SELECT p.id FROM profiles p JOIN absorbed a ON p.merged_into = a.id)"
        " SELECT id FROM absorbed ORDER BY id");
    if (!select.ok()) return select.error();
    select->Bind(1, profile_id);
    Status stepped = select->ForEachRow([&] {
      detail.absorbed.push_back(select->ColumnInt(0));
    });
    if (!stepped.ok()) return stepped.error();
  }
  {
    auto select = Db().Prepare(
        "SELECT type, value FROM identifiers WHERE profile_id = ?1 ORDER BY type, value");
    if (!select.ok()) return select.error();
    select->Bind(1, profile_id);
    Status stepped = select->ForEachRow([&] {
      detail.identifiers.emplace_back(select->ColumnText(0), select->ColumnText(1));
    });
    if (!stepped.ok()) return stepped.error();
  }
  {
    auto select = Db().Prepare(
        "SELECT p.record_id, r.source, r.external_id, r.event_type, r.occurred_at"
        " FROM profile_records p JOIN records r ON r.id = p.record_id"
        " WHERE p.profile_id = ?1 ORDER BY p.record_id");
    if (!select.ok()) return select.error();
    select->Bind(1, profile_id);
    Status stepped = select->ForEachRow([&] {
      detail.records.push_back({profile_id, select->ColumnInt(0), select->ColumnText(1),
                                select->ColumnText(2), select->ColumnText(3),
                                FromMillis(select->ColumnInt(4))});
    });
    if (!stepped.ok()) return stepped.error();
  }
  std::vector<int64_t> ids = detail.absorbed;
  ids.push_back(profile_id);
  {
    auto select = Db().Prepare(
        "SELECT id, into_profile, from_profile, rule, COALESCE(identifier_type, ''),"
        " COALESCE(identifier_value, ''), COALESCE(record_id, 0), COALESCE(probability, 0),"
        " COALESCE(details, ''), created_at FROM merges WHERE into_profile = ?1 ORDER BY id");
    if (!select.ok()) return select.error();
    for (int64_t id : ids) {
      select->Bind(1, id);
      Status stepped = select->ForEachRow([&] {
        detail.merges.push_back({select->ColumnInt(0), select->ColumnInt(1), select->ColumnInt(2),
                                 select->ColumnText(3), select->ColumnText(4),
                                 select->ColumnText(5), select->ColumnInt(6),
                                 select->ColumnDouble(7), select->ColumnText(8),
                                 FromMillis(select->ColumnInt(9))});
      });
      if (!stepped.ok()) return stepped.error();
      select->Reset();
    }
    std::sort(detail.merges.begin(), detail.merges.end(),
              [](const MergeRow& a, const MergeRow& b) { return a.id < b.id; });
  }
  {
    auto select = Db().Prepare(
        "SELECT id, profile_a, profile_b, COALESCE(record_id, 0), probability, details, status,"
        " created_at FROM reviews WHERE profile_a = ?1 OR profile_b = ?1 ORDER BY id");
    if (!select.ok()) return select.error();
    select->Bind(1, profile_id);
    Status stepped = select->ForEachRow([&] {
      detail.reviews.push_back({select->ColumnInt(0), select->ColumnInt(1), select->ColumnInt(2),
                                select->ColumnInt(3), select->ColumnDouble(4),
                                select->ColumnText(5), select->ColumnText(6),
                                FromMillis(select->ColumnInt(7))});
    });
    if (!stepped.ok()) return stepped.error();
  }
  return detail;
}

Result<std::vector<StoredRecord>> SqliteStore::ReadProfileRecords(int64_t profile_id) {
  const ReadScope scope(*this);
  auto rows = Db().Prepare(
      "SELECT r.id, r.inbox_id, r.source, r.event_type, r.record FROM profile_records p"
      " JOIN records r ON r.id = p.record_id WHERE p.profile_id = ?1 ORDER BY r.id");
  if (!rows.ok()) return rows.error();
  rows->Bind(1, profile_id);
  std::vector<StoredRecord> out;
  Status stepped = rows->ForEachRow([&] {
    out.push_back({rows->ColumnInt(0), rows->ColumnInt(1), rows->ColumnText(2),
                   rows->ColumnText(3), rows->ColumnText(4)});
  });
  if (!stepped.ok()) return stepped.error();
  return out;
}

}  // namespace journeyd::storage
