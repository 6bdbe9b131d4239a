// The journey tables' column lists and row readers (sqlite_journey.cc), for the other SQLite
// files that read those tables, so that every reader sees a row the same way.
#pragma once

#include <string_view>

#include "engine/storage/sqlite/sqlite_db.h"
#include "engine/storage/store.h"

namespace journeyd::storage::rows {

// "t.*" columns of touchpoints t joined to profile_records pr.
std::string_view TouchpointColumns();
TouchpointRow Touchpoint(const SqliteStatement& row);
std::string_view StateColumns();
JourneyStateRow State(const SqliteStatement& row);
std::string_view ActionColumns();
JourneyActionRow Action(const SqliteStatement& row);

}  // namespace journeyd::storage::rows
