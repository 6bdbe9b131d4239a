// The subcommands of the journeyd executable. Each returns the process exit code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/commands/command_options.h"
#include "engine/config/value_types.h"

namespace journeyd::commands {

struct RunOptions {
  std::optional<config::HostPort> listen;
};

struct MapOptions {
  std::string source;
  std::string event_type;    // empty: from the body where the vendor puts it
  std::string content_type;  // empty: guessed from the file (.csv, JSON, else form)
  std::vector<std::string> headers;  // "Name: value"
  std::string payload;       // a file, or "-" for stdin
};

struct ImportOptions {
  // Configured sources that import files (type csv): one for every file, or one per file in
  // order. One process for several files builds the identity graph once.
  std::vector<std::string> sources;
  std::vector<std::string> files;
};

struct SyncOptions {
  std::string source;
  bool reset = false;  // forget the streams' cursors first: read everything again
};

struct ExportOptions {
  std::string what = "profiles";
  std::string format = "csv";  // csv | json (one object per line)
};

struct ExplainOptions {
  std::string who;     // a profile id, an email or a phone number
  std::string region;  // for phone numbers written without +CC
};

struct ReviewOptions {
  std::string action = "list";  // list | accept | reject
  int64_t review_id = 0;
  std::string status = "open";  // for list: open | accepted | rejected | all
};

struct SplitOptions {
  int64_t profile_id = 0;
  std::vector<int64_t> records;  // the records that leave for a new profile
};

struct EraseOptions {
  std::string email, phone, region;  // one of email, phone, profile
  int64_t profile_id = 0;
};

struct QuarantineOptions {
  std::string action = "list";         // list | show | release | discard
  int64_t id = 0;                      // show, release, discard
  std::string status = "quarantined";  // for list: quarantined | released | discarded | all
  std::string rule, source;            // for list
};

struct DlqOptions {
  std::string action = "list";  // list | show | replay | discard
  std::vector<int64_t> ids;     // show (one), replay, discard
  std::string target;           // list, replay, discard: only this target's
  bool all = false;             // replay, discard: every dead letter (of --target)
  std::string status = "dead";  // for list: dead | replayed | discarded | all
};

struct TargetsOptions {
  std::string action = "list";  // list | requests
  std::string target;           // requests
  int limit = 20;
  bool bodies = false;
};

struct ReportOptions {
  std::string what = "journey";
  std::string format = "table";  // table | json
  std::string since, until;      // RFC 3339; empty: unbounded
  std::string source;            // first-touch source; empty: all
};

struct MigrateOptions {
  std::string from;           // sqlite:NAME (in the data dir) or sqlite:///abs/path.db
  std::string to;             // postgresql://... (or JOURNEYD_DATABASE_URL)
  bool config_given = false;  // --config named: its data_dir places sqlite:NAME and is locked
};

int Run(const GlobalOptions& global, const RunOptions& options);
int Migrate(const GlobalOptions& global, const MigrateOptions& options);
int Report(const GlobalOptions& global, const ReportOptions& options);
int Erase(const GlobalOptions& global, const EraseOptions& options);
int Quarantine(const GlobalOptions& global, const QuarantineOptions& options);
int Dlq(const GlobalOptions& global, const DlqOptions& options);
int Targets(const GlobalOptions& global, const TargetsOptions& options);
int Review(const GlobalOptions& global, const ReviewOptions& options);
int Split(const GlobalOptions& global, const SplitOptions& options);
int Import(const GlobalOptions& global, const ImportOptions& options);
int Export(const GlobalOptions& global, const ExportOptions& options);
int Sync(const GlobalOptions& global, const SyncOptions& options);
int Explain(const GlobalOptions& global, const ExplainOptions& options);
int Map(const GlobalOptions& global, const MapOptions& options);
int Check(const GlobalOptions& global);
int Version();
int Describe();

}  // namespace journeyd::commands
