#include "engine/poll/sync_runner.h"

#include "engine/ingest/file_import.h"
#include "engine/ingest/inbox_writer.h"
#include "engine/poll/api_client.h"
#include "engine/poll/drop_directory.h"
#include "engine/poll/poll_settings.h"
#include "engine/poll/stream_reader.h"

namespace journeyd::poll {

SyncRunner::SyncRunner(storage::Store& store, const Clock& clock, SyncRunnerOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

Result<std::string> SyncRunner::DescribeCursors(const config::SourceEntry& source) {
  if (source.poll == nullptr || source.poll->IsDropDirectory()) return std::string();
  std::string out;
  for (const StreamSettings& stream : source.poll->streams) {
    if (stream.IsChild()) continue;  // no cursor of its own
    auto stored = store_.ReadPollState(source.name, stream.name);
    if (!stored.ok()) return stored.error();
    std::string cursor;
    if (*stored) {
      auto state = DecodeStreamState((*stored)->state);
      if (state.ok()) {
        cursor = state->cursor.empty() ? "(start)" : state->cursor;
        if (state->resume) cursor += " +page";
      }
    }
    if (!out.empty()) out += "; ";
    out += stream.name + "=" + (cursor.empty() ? "(none)" : cursor);
  }
  return out;
}

storage::SyncRun SyncRunner::Run(const config::SourceEntry& source, storage::SyncRun run,
                                 RunControl& control) {
  // The scheduler read them when it started the run; a caller that did not gets them here.
  if (run.cursor_before.empty()) {
    if (auto before = DescribeCursors(source); before.ok()) run.cursor_before = *before;
  }
  Status result = source.poll->IsDropDirectory() ? RunDropDirectory(source, run)
                                                 : RunStreams(source, run, control);
  if (auto after = DescribeCursors(source); after.ok()) run.cursor_after = *after;
  run.ended_at = clock_.Now();
  run.status = result.ok() ? "succeeded" : "failed";
  if (!result.ok()) {
    run.detail += (run.detail.empty() ? "" : "; ") + result.error().message;
  }
  if (Status s = store_.FinishSyncRun(run); !s.ok()) {
    run.detail += "; the run could not be recorded: " + s.error().message;
  }
  return run;
}

namespace {

// Reads every child stream of `parent` for each record of its page, adding their events (and
// records that could not be read) to `page`. A parent that is gone (404) is a bad record; any
// other failure is returned, and the caller stores nothing of the page, so the next run reads
// it again.
Status ReadChildren(const PollSettings& settings, const StreamSettings& parent,
                    const std::vector<const StreamSettings*>& children, const std::string& source,
                    ApiClient& client, const Clock& clock, RunControl& control, Page& page) {
  std::vector<RawEvent> child_events;
  for (const boost::json::value& record : page.records) {
    for (const StreamSettings* child : children) {
      const ParentRecord parent_record = ParentRecordFor(parent, *child, record);
      StreamReader reader(settings, *child, source, StreamState(), client, clock, &parent_record);
      while (!reader.done()) {
        if (control.stopped()) return Unavailable("stopped (journeyd is shutting down)");
        auto child_page = reader.Next();
        if (!child_page.ok()) {
          if (child_page.error().code != ErrorCode::kNotFound) {
            return Error{child_page.error().code,
                         "stream " + child->name + " (for " + parent.name + " " +
                             parent_record.id + "): " + child_page.error().message};
          }
          page.bad_records.push_back("stream '" + child->name + "': " + parent.name + " " +
                                     parent_record.id + " is gone (" +
                                     child_page.error().message + ")");
          break;
        }
        for (RawEvent& event : child_page->events) child_events.push_back(std::move(event));
        for (std::string& problem : child_page->bad_records) {
          page.bad_records.push_back(std::move(problem));
        }
      }
    }
  }
  for (RawEvent& event : child_events) page.events.push_back(std::move(event));
  return OkStatus();
}

}  // namespace

Status SyncRunner::RunStreams(const config::SourceEntry& source, storage::SyncRun& run,
                              RunControl& control) {
  const PollSettings& settings = *source.poll;
  delivery::TransportOptions transport = options_.transport;
  transport.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(settings.timeout);
  ApiClient client(settings, clock_, control, transport);
  Status first_error = OkStatus();
  for (const StreamSettings& stream : settings.streams) {
    if (stream.IsChild()) continue;  // read with its parent's pages
    std::vector<const StreamSettings*> children;
    for (const StreamSettings& s : settings.streams) {
      if (s.parent == stream.name) children.push_back(&s);
    }
    StreamState state;
    auto stored = store_.ReadPollState(source.name, stream.name);
    if (!stored.ok()) return stored.error();
    if (*stored) {
      auto decoded = DecodeStreamState((*stored)->state);
      if (!decoded.ok()) return decoded.error();
      state = std::move(*decoded);
    }
    StreamReader reader(settings, stream, source.name, std::move(state), client, clock_);
    if (!children.empty()) reader.KeepRecords();
    while (!reader.done()) {
      if (options_.backpressure) {
        bool waited = false;
        while (options_.backpressure() && control.SleepFor(std::chrono::seconds(1))) waited = true;
        if (waited && run.detail.find("backlog") == std::string::npos) {
          run.detail += (run.detail.empty() ? "" : "; ") +
                        std::string("waited for the ingest backlog to drain");
        }
      }
      if (control.stopped()) return Unavailable("stopped (journeyd is shutting down)");
      auto page = reader.Next();
      Status children_read =
          page.ok() ? ReadChildren(settings, stream, children, source.name, client, clock_,
                                   control, *page)
                    : OkStatus();
      if (!page.ok() || !children_read.ok()) {
        if (control.stopped()) return Unavailable("stopped (journeyd is shutting down)");
        // One stream failing (a permission it lacks) does not keep the others from running.
        if (first_error.ok()) {
          first_error = page.ok() ? children_read
                                  : Status(Error{page.error().code, "stream " + stream.name +
                                                                        ": " +
                                                                        page.error().message});
        }
        break;
      }
      storage::IntakeBatch batch;
      const size_t compress_above = options_.compress_above;
      for (const RawEvent& event : page->events) {
        batch.records.push_back(ingest::ToInboxRecord(event, compress_above));
      }
      for (const std::string& problem : page->bad_records) {
        batch.rejections.push_back({source.name, storage::IntakeRejectionKind::kRejected,
                                    "poll_bad_record", problem, clock_.Now()});
      }
      batch.received = {{source.name, static_cast<int64_t>(page->events.size() +
                                                            page->bad_records.size())}};
      batch.poll_states.push_back(
          {source.name, stream.name, EncodeStreamState(page->state), clock_.Now()});
      auto results = store_.CommitIntake(batch);
      if (!results.ok()) return results.error();
      ++run.pages;
      run.errors += static_cast<int64_t>(page->bad_records.size());
      int64_t new_events = 0;
      for (storage::AppendResult r : *results) {
        if (r == storage::AppendResult::kStored) ++new_events;
        else ++run.duplicates;
      }
      run.records += new_events;
      if (options_.after_commit && new_events > 0) options_.after_commit(new_events);
    }
  }
  const ApiClientStats& stats = client.stats();
  if (stats.rate_limited > 0 || stats.retries > 0) {
    run.detail += (run.detail.empty() ? "" : "; ") + std::to_string(stats.requests) +
                  " requests, " + std::to_string(stats.retries) + " retried (" +
                  std::to_string(stats.rate_limited) + " rate-limited)";
  }
  return first_error;
}

Status SyncRunner::RunDropDirectory(const config::SourceEntry& source, storage::SyncRun& run) {
  const PollSettings& settings = *source.poll;
  DropDirectory directory({settings.directory, settings.pattern,
                           std::chrono::duration_cast<std::chrono::seconds>(settings.settle)});
  if (Status s = directory.Prepare(); !s.ok()) return s;
  auto ready = directory.ReadyFiles(clock_.Now());
  if (!ready.ok()) return ready.error();
  Status first_error = OkStatus();
  int files = 0, skipped = 0, failed = 0;
  for (const std::filesystem::path& path : *ready) {
    auto file = directory.Read(path);
    if (!file.ok()) {
      if (first_error.ok()) first_error = file.error();
      continue;
    }
    auto known = store_.FindImportedFile(source.name, file->sha256);
    if (!known.ok()) return known.error();
    if (*known) {
      // The same export dropped again: its rows are in already.
      ++skipped;
      (void)directory.MoveToDone(*file);
      continue;
    }
    ingest::FileImportOptions options;
    options.source = source.name;
    options.file_label = file->name;
    options.compress_above = options_.compress_above;
    options.mark = storage::ImportedFile{source.name, file->sha256, file->name,
                                         static_cast<int64_t>(file->size), 0, clock_.Now()};
    options.after_batch = [this](int64_t stored) {
      if (options_.after_commit && stored > 0) options_.after_commit(stored);
    };
    ingest::FileImportCounts counts;
    Status imported =
        ingest::ImportFileRows(store_, *source.webhook, file->content, options, clock_, counts);
    run.pages += counts.batches;
    run.records += counts.stored;
    run.duplicates += counts.duplicates;
    run.errors += counts.bad;
    if (imported.ok()) {
      ++files;
      (void)directory.MoveToDone(*file);
      continue;
    }
    if (imported.error().code != ErrorCode::kInvalidArgument) return imported;  // the store
    ++failed;
    // The whole file could not be read (no header row, a broken quote): it goes to failed/
    // with the reason beside it, and is a data-quality issue.
    const std::string reason = file->name + ": " + imported.error().message;
    (void)directory.MoveToFailed(*file, imported.error().message);
    storage::IntakeBatch issue;
    issue.rejections.push_back({source.name, storage::IntakeRejectionKind::kRejected,
                                "import_failed_file", reason, clock_.Now()});
    if (auto committed = store_.CommitIntake(issue); !committed.ok()) return committed.error();
    ++run.errors;
    if (first_error.ok()) first_error = InvalidArgument(reason);
  }
  run.detail = std::to_string(files) + " file(s) imported" +
               (skipped > 0 ? ", " + std::to_string(skipped) + " already imported" : "") +
               (failed > 0 ? ", " + std::to_string(failed) + " failed" : "");
  return first_error;
}

}  // namespace journeyd::poll
