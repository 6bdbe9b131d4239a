// A Migration is one versioned step of the schema, applied in order inside its own transaction.
// The binary embeds its migrations (generated at build time from storage/<backend>/migrations),
// so a store knows the newest schema it understands and refuses a database that is newer.
#pragma once

#include <span>
#include <string_view>

namespace journeyd::storage {

struct Migration {
  int version;            // strictly increasing, from 1
  std::string_view name;  // e.g. "daemon_runs"
  std::string_view sql;   // may hold several statements
};

std::span<const Migration> SqliteMigrations();
std::span<const Migration> PostgresMigrations();

}  // namespace journeyd::storage
