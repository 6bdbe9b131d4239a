// The column lists and row readers of the tables that more than one group of PgStore reads
// (records; journey and delivery): the same columns and conversions as sqlite_rows.h's, so both
// backends give the same rows. Each list names its table's alias: touchpoints t (joined to
// profile_records pr for the live profile), journey_state s; journey_actions unaliased.
#pragma once

#include <string_view>
#include <vector>

#include "engine/storage/postgres/pg_result.h"
#include "engine/storage/store.h"

namespace journeyd::storage {

// Records selected as (id, inbox_id, source, event_type, record), in the result's order.
std::vector<StoredRecord> ReadStoredRecords(const PgResult& rows);

inline constexpr std::string_view kTouchpointColumns =
    "t.id, t.record_id, COALESCE(pr.profile_id, 0), t.source, t.type, t.channel, t.occurred_at,"
    " t.value, t.currency, t.reference, t.campaign, t.attributes";
TouchpointRow ReadTouchpoint(const PgResult& rows, int row);

inline constexpr std::string_view kActionColumns =
    "id, key, profile_id, action, target, kind, payload, at, created_at, status";
JourneyActionRow ReadAction(const PgResult& rows, int row);

inline constexpr std::string_view kStateColumns =
    "s.profile_id, s.stage, s.side, s.first_source, s.last_activity, s.next_check_at,"
    " s.engagement, s.health, s.state, s.updated_at";
// From column `first` of `row` on (a state may follow other columns in a joined row).
JourneyStateRow ReadState(const PgResult& rows, int row, int first);

}  // namespace journeyd::storage
