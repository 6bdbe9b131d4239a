#include "engine/storage/store.h"

#include <algorithm>
#include <filesystem>

#include <boost/json.hpp>

#include "engine/config/config.h"
#include "engine/storage/postgres/pg_store.h"
#include "engine/storage/sqlite/sqlite_store.h"

namespace journeyd::storage {

std::string EncodeInboxHeaders(const std::vector<std::pair<std::string, std::string>>& headers) {
  boost::json::array encoded;
  for (const auto& [name, value] : headers) encoded.push_back({name, value});
  return boost::json::serialize(encoded);
}

Result<StorePtr> OpenStore(const config::Config& config) {
  switch (config.storage.location.backend) {
    case config::StorageBackend::kSqlite: {
      const std::filesystem::path path = config.SqlitePath();
      std::error_code ec;
      std::filesystem::create_directories(path.parent_path().empty() ? "." : path.parent_path(),
                                          ec);
      if (ec) {
        return Unavailable("cannot create directory for " + path.string() + ": " + ec.message());
      }
      auto store = SqliteStore::Open(path, config.storage.busy_timeout);
      if (!store.ok()) return store.error();
      return StorePtr(std::move(*store));
    }
    case config::StorageBackend::kPostgres: {
      auto store = PgStore::Open(config.storage.location.path_or_dsn, PgStore::Options{});
      if (!store.ok()) return store.error();
      return StorePtr(std::move(*store));
    }
  }
  return Internal("unknown storage backend");
}

}  // namespace journeyd::storage
