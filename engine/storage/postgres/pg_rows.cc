#include "engine/storage/postgres/pg_rows.h"

namespace journeyd::storage {

std::vector<StoredRecord> ReadStoredRecords(const PgResult& rows) {
  std::vector<StoredRecord> out;
  out.reserve(static_cast<size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) {
    out.push_back({rows.Int64(i, 0), rows.Int64(i, 1), rows.Text(i, 2), rows.Text(i, 3),
                   rows.Text(i, 4)});
  }
  return out;
}

TouchpointRow ReadTouchpoint(const PgResult& rows, int i) {
  TouchpointRow t;
  t.id = rows.Int64(i, 0);
  t.record_id = rows.Int64(i, 1);
  t.profile_id = rows.Int64(i, 2);
  t.source = rows.Text(i, 3);
  t.type = rows.Text(i, 4);
  t.channel = rows.Text(i, 5);
  t.occurred_at = rows.Time(i, 6);
  t.value = rows.Text(i, 7);
  t.currency = rows.Text(i, 8);
  t.reference = rows.Text(i, 9);
  t.campaign_json = rows.Text(i, 10);
  t.attributes_json = rows.Text(i, 11);
  return t;
}

JourneyActionRow ReadAction(const PgResult& rows, int i) {
  JourneyActionRow a;
  a.id = rows.Int64(i, 0);
  a.key = rows.Text(i, 1);
  a.profile_id = rows.Int64(i, 2);
  a.action = rows.Text(i, 3);
  a.target = rows.Text(i, 4);
  a.kind = rows.Text(i, 5);
  a.payload = rows.Text(i, 6);
  a.at = rows.Time(i, 7);
  a.created_at = rows.Time(i, 8);
  a.status = rows.Text(i, 9);
  return a;
}

JourneyStateRow ReadState(const PgResult& rows, int i, int c) {
  JourneyStateRow s;
  s.profile_id = rows.Int64(i, c);
  s.stage = rows.Text(i, c + 1);
  s.side = rows.Text(i, c + 2);
  s.first_source = rows.Text(i, c + 3);
  s.last_activity = rows.OptionalTime(i, c + 4);
  s.next_check_at = rows.OptionalTime(i, c + 5);
  s.engagement = rows.Double(i, c + 6);
  if (!rows.IsNull(i, c + 7)) s.health = rows.Double(i, c + 7);
  s.state_json = rows.Text(i, c + 8);
  s.updated_at = rows.Time(i, c + 9);
  return s;
}

}  // namespace journeyd::storage
