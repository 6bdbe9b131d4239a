// journeyd's entry point: command-line parsing only (CLI11). Each subcommand lives in
// daemon/commands/.
#include <CLI/CLI.hpp>

#include <iostream>

#include "daemon/commands/commands.h"

int main(int argc, char** argv) {
  using journeyd::commands::GlobalOptions;
  using journeyd::commands::RunOptions;

  CLI::App app{"journeyd: customer-data integration daemon", "journeyd"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("journeyd ") + JOURNEYD_VERSION);

  GlobalOptions global;
  std::string data_dir;
  auto add_globals = [&](CLI::App* command) {
    command->add_option("-c,--config", global.config_file, "Config file")
        ->capture_default_str();
    command->add_option("--data-dir", data_dir,
                        "Where the embedded store lives (overrides data_dir in the config)");
  };

  RunOptions run_options;
  std::string listen;
  CLI::App* run = app.add_subcommand("run", "Run the daemon");
  add_globals(run);
  run->add_option("--listen", listen, "ADDR:PORT to listen on (overrides server.listen)");

  CLI::App* check = app.add_subcommand(
      "check", "Validate the config and mappings; print FILE:LINE:COL for every problem");
  add_globals(check);

  journeyd::commands::MapOptions map_options;
  CLI::App* map = app.add_subcommand(
      "map", "Print the canonical records a source's mapping makes of one payload (JSON)");
  add_globals(map);
  map->add_option("--source", map_options.source, "Configured source name")->required();
  map->add_option("--event", map_options.event_type,
                  "Event type (default: from the body, where the vendor puts it there)");
  map->add_option("--content-type", map_options.content_type,
                  "Payload media type (default: text/csv for .csv, JSON, else form)");
  map->add_option("--header", map_options.headers, "A request header, 'Name: value' (repeat)");
  map->add_option("payload", map_options.payload, "Payload file, or - for stdin")->required();

  journeyd::commands::ImportOptions import_options;
  CLI::App* import = app.add_subcommand(
      "import", "Stream CSV files through the whole pipeline as a csv source's rows");
  add_globals(import);
  import->add_option("--source", import_options.sources,
                     "Configured source (type csv): once for all files, or once per file")
      ->required()
      ->allow_extra_args(false);  // `--source shop shop.csv`: the file is not a second source
  import->add_option("files", import_options.files, "The CSV files")->required();

  journeyd::commands::SyncOptions sync_options;
  CLI::App* sync = app.add_subcommand(
      "sync", "Run one polled source's sync now (through the daemon when it is running)");
  add_globals(sync);
  sync->add_option("source", sync_options.source, "Configured source with a poll: section")
      ->required();
  sync->add_flag("--reset", sync_options.reset,
                 "Forget where its streams stood first and read everything again (not while "
                 "journeyd runs)");

  journeyd::commands::ExportOptions export_options;
  CLI::App* export_command = app.add_subcommand(
      "export", "Print every source record with its profile: profile_id,source,record_id");
  add_globals(export_command);
  export_command->add_option("what", export_options.what, "What to export: profiles")
      ->capture_default_str();
  export_command->add_option("--format", export_options.format, "csv or json (one per line)")
      ->capture_default_str();

  journeyd::commands::ExplainOptions explain_options;
  CLI::App* explain = app.add_subcommand(
      "explain", "Show a profile's identifiers, records and the reason for every merge");
  add_globals(explain);
  explain->add_option("who", explain_options.who, "PROFILE_ID, EMAIL or PHONE")->required();
  explain->add_option("--region", explain_options.region,
                      "Region for phone numbers without +CC (e.g. US)");

  journeyd::commands::ReviewOptions review_options;
  CLI::App* review = app.add_subcommand(
      "review", "List possible duplicates, or accept (merge) or reject (keep apart) one");
  add_globals(review);
  review->add_option("action", review_options.action, "list, accept or reject")
      ->capture_default_str();
  review->add_option("id", review_options.review_id, "The review id (accept, reject)");
  review->add_option("--status", review_options.status, "For list: open, accepted, rejected, all")
      ->capture_default_str();

  journeyd::commands::SplitOptions split_options;
  CLI::App* split = app.add_subcommand(
      "split", "Unmerge: move records of a profile to a new profile, kept apart from then on");
  add_globals(split);
  split->add_option("profile", split_options.profile_id, "The profile id")->required();
  split->add_option("records", split_options.records, "Record ids that leave")->required();

  journeyd::commands::EraseOptions erase_options;
  CLI::App* erase = app.add_subcommand(
      "erase", "Erase a person: profile, identifiers, records, raw payloads, quarantined events; "
               "later events for them are dropped");
  add_globals(erase);
  erase->add_option("--email", erase_options.email, "The person's email address");
  erase->add_option("--phone", erase_options.phone, "The person's phone number");
  erase->add_option("--region", erase_options.region, "Region for --phone without +CC (e.g. US)");
  erase->add_option("--profile", erase_options.profile_id, "The profile id");

  journeyd::commands::QuarantineOptions quarantine_options;
  CLI::App* quarantine = app.add_subcommand(
      "quarantine", "List or show quarantined events; release (map again) or discard one");
  add_globals(quarantine);
  quarantine->add_option("action", quarantine_options.action, "list, show, release or discard")
      ->capture_default_str();
  quarantine->add_option("id", quarantine_options.id, "The entry id (show, release, discard)");
  quarantine->add_option("--status", quarantine_options.status,
                         "For list: quarantined, released, discarded or all")
      ->capture_default_str();
  quarantine->add_option("--rule", quarantine_options.rule, "For list: only this rule");
  quarantine->add_option("--source", quarantine_options.source, "For list: only this source");

  journeyd::commands::DlqOptions dlq_options;
  CLI::App* dlq = app.add_subcommand(
      "dlq", "Dead letters: changes a target refused; list, show, replay or discard them");
  add_globals(dlq);
  dlq->add_option("action", dlq_options.action, "list, show, replay or discard")
      ->capture_default_str();
  dlq->add_option("ids", dlq_options.ids, "Dead-letter ids (show, replay, discard)");
  dlq->add_option("--target", dlq_options.target, "Only this target's dead letters");
  dlq->add_flag("--all", dlq_options.all, "replay, discard: every dead letter (of --target)");
  dlq->add_option("--status", dlq_options.status, "For list: dead, replayed, discarded or all")
      ->capture_default_str();

  journeyd::commands::TargetsOptions targets_options;
  CLI::App* targets = app.add_subcommand(
      "targets", "Delivery state of each target, or the requests one sent (preview: would send)");
  add_globals(targets);
  targets->add_option("action", targets_options.action, "list or requests")
      ->capture_default_str();
  targets->add_option("target", targets_options.target, "The target (requests)");
  targets->add_option("--limit", targets_options.limit, "How many requests, newest first")
      ->capture_default_str();
  targets->add_flag("--bodies", targets_options.bodies, "Print request bodies too");

  journeyd::commands::ReportOptions report_options;
  CLI::App* report = app.add_subcommand("report", "Print a report: journey KPIs");
  add_globals(report);
  report->add_option("what", report_options.what, "journey")->capture_default_str();
  report->add_option("--format", report_options.format, "table or json")->capture_default_str();
  report->add_option("--since", report_options.since, "Start of the range (RFC 3339)");
  report->add_option("--until", report_options.until, "End of the range (RFC 3339, exclusive)");
  report->add_option("--source", report_options.source,
                     "Only profiles whose first touch came from this source");

  journeyd::commands::MigrateOptions migrate_options;
  CLI::App* migrate = app.add_subcommand(
      "migrate", "Copy a stopped SQLite installation into an empty PostgreSQL database");
  add_globals(migrate);
  migrate->add_option("--from", migrate_options.from,
                      "The SQLite database: sqlite:NAME (in the data dir) or sqlite:///path.db")
      ->required();
  migrate->add_option("--to", migrate_options.to,
                      "The PostgreSQL database: postgresql://user@host/db (a password is better "
                      "in PGPASSWORD or ~/.pgpass than on the command line)")
      ->envname("JOURNEYD_DATABASE_URL");

  CLI::App* version = app.add_subcommand("version", "Print version and build information");
  CLI::App* describe = app.add_subcommand(
      "describe", "Print the config reference (Markdown) for every section and connector type");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!data_dir.empty()) global.data_dir = data_dir;

  try {
    if (run->parsed()) {
      if (!listen.empty()) {
        auto parsed = journeyd::config::ParseHostPort(listen);
        if (!parsed.ok()) {
          std::cerr << "journeyd: --listen: " << parsed.error().message << "\n";
          return 2;
        }
        run_options.listen = *parsed;
      }
      return journeyd::commands::Run(global, run_options);
    }
    if (check->parsed()) return journeyd::commands::Check(global);
    if (map->parsed()) return journeyd::commands::Map(global, map_options);
    if (import->parsed()) return journeyd::commands::Import(global, import_options);
    if (sync->parsed()) return journeyd::commands::Sync(global, sync_options);
    if (export_command->parsed()) return journeyd::commands::Export(global, export_options);
    if (explain->parsed()) return journeyd::commands::Explain(global, explain_options);
    if (review->parsed()) return journeyd::commands::Review(global, review_options);
    if (split->parsed()) return journeyd::commands::Split(global, split_options);
    if (erase->parsed()) return journeyd::commands::Erase(global, erase_options);
    if (quarantine->parsed()) {
      return journeyd::commands::Quarantine(global, quarantine_options);
    }
    if (report->parsed()) return journeyd::commands::Report(global, report_options);
    if (dlq->parsed()) return journeyd::commands::Dlq(global, dlq_options);
    if (targets->parsed()) return journeyd::commands::Targets(global, targets_options);
    if (migrate->parsed()) {
      migrate_options.config_given = migrate->count("--config") > 0;
      return journeyd::commands::Migrate(global, migrate_options);
    }
    if (version->parsed()) return journeyd::commands::Version();
    if (describe->parsed()) return journeyd::commands::Describe();
  } catch (const std::exception& e) {
    // Start-up failures that are programming errors or broken environments.
    std::cerr << "journeyd: fatal: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
