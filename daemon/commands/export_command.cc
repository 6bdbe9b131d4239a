// `journeyd export profiles`: one row per source record and the profile it belongs to, for
// audits, record-linkage evaluation and hand-offs. Reads the store only; safe beside a running
// daemon (SQLite WAL readers never block its writer).
#include <boost/json.hpp>
#include <iostream>

#include "daemon/commands/commands.h"
#include "engine/base/time_format.h"
#include "engine/storage/store.h"

namespace journeyd::commands {

namespace {

// RFC 4180: quote a field that holds a delimiter, a quote or a line break.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

int Export(const GlobalOptions& global, const ExportOptions& options) {
  if (options.what != "profiles") {
    std::cerr << "journeyd export: can export 'profiles', not '" << options.what << "'\n";
    return 2;
  }
  if (options.format != "csv" && options.format != "json") {
    std::cerr << "journeyd export: --format must be csv or json\n";
    return 2;
  }
  auto config = LoadWithBuiltins(global);
  if (!config) return 1;
  storage::StorePtr store = OpenStoreFor(*config, "export");
  if (!store) return 1;
  std::ios::sync_with_stdio(false);
  const bool csv = options.format == "csv";
  if (csv) std::cout << "profile_id,source,record_id\n";
  Status s = store->ScanProfileRecords([&](const storage::ProfileRecordRow& row) {
    const std::string record_id =
        row.external_id.empty() ? std::to_string(row.record_id) : row.external_id;
    if (csv) {
      std::cout << row.profile_id << ',' << CsvField(row.source) << ',' << CsvField(record_id)
                << '\n';
    } else {
      // One JSON object per line: streams, and a million rows never sit in memory.
      boost::json::object o;
      o["profile_id"] = row.profile_id;
      o["source"] = row.source;
      o["record_id"] = record_id;
      o["event_type"] = row.event_type;
      o["occurred_at"] = FormatIso8601(row.occurred_at);
      std::cout << boost::json::serialize(o) << '\n';
    }
  });
  std::cout.flush();
  if (!s.ok()) {
    std::cerr << "journeyd export: " << s.error().message << "\n";
    return 1;
  }
  return 0;
}

}  // namespace journeyd::commands
