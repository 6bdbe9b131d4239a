#include "engine/poll/scheduler.h"

#include <random>

#include <spdlog/spdlog.h>

#include "engine/base/thread_name.h"
#include "engine/poll/poll_settings.h"

namespace journeyd::poll {

namespace {

std::string ScheduleKey(const PollSettings& poll) {
  return poll.enabled ? poll.schedule + "\n" + poll.time_zone : std::string();
}

}  // namespace

Scheduler::Scheduler(ConfigSnapshot config, storage::Store& store, const Clock& clock,
                     SyncRunnerOptions runner, GateOf gate_of)
    : config_(std::move(config)), store_(store), clock_(clock), runner_(store, clock, [&] {
        if (auto current = config_()) runner.compress_above = current->ingest.compress_above.bytes;
        return std::move(runner);
      }()), gate_of_(std::move(gate_of)) {}

Scheduler::~Scheduler() { Stop(); }

std::chrono::system_clock::time_point Scheduler::NextFire(
    const PollSettings& poll, std::chrono::system_clock::time_point after) {
  auto next = poll.compiled_schedule->Next(after);
  if (poll.jitter.count() > 0) {
    thread_local std::mt19937_64 random{std::random_device{}()};
    next += std::chrono::milliseconds(
        std::uniform_int_distribution<int64_t>(0, poll.jitter.count())(random));
  }
  return next;
}

void Scheduler::PlanInitialRuns(const config::Config& config) {
  std::map<std::string, storage::TimePoint, std::less<>> last_started;
  if (auto latest = store_.ListLatestSyncRuns(); latest.ok()) {
    for (const storage::SyncRun& run : *latest) last_started[run.source] = run.started_at;
  } else {
    spdlog::warn("poll: cannot read the last sync runs ({}); no catch-up runs",
                 latest.error().message);
  }
  const auto now = clock_.Now();
  std::lock_guard lock(mu_);
  for (const config::SourceEntry& source : config.sources) {
    if (!source.poll || !source.poll->enabled || !source.poll->compiled_schedule) continue;
    const PollSettings& poll = *source.poll;
    Planned plan{ScheduleKey(poll), NextFire(poll, now)};
    auto last = last_started.find(source.name);
    const bool never_ran = last == last_started.end();
    const bool missed = !never_ran && poll.compiled_schedule->Next(last->second) <= now;
    if (poll.catch_up && (never_ran || missed)) {
      plan.next = now;
      spdlog::info("poll: source={} runs now ({})", source.name,
                   never_ran ? "first run" : "a scheduled run was missed while journeyd was down");
    }
    planned_[source.name] = plan;
  }
}

void Scheduler::Start() {
  if (thread_.joinable()) return;
  if (auto config = config_()) PlanInitialRuns(*config);
  thread_ = std::thread([this] {
    NameCurrentThread("poll scheduler");
    Loop();
  });
}

void Scheduler::Stop() {
  std::map<std::string, Running, std::less<>> running;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [name, run] : running_) run.control->RequestStop();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Joined outside the lock: a finishing run takes it to say so.
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, run] : running_) {
      if (run.thread.joinable()) threads.push_back(std::move(run.thread));
    }
  }
  for (std::thread& t : threads) t.join();
  std::lock_guard lock(mu_);
  running_.clear();
}

void Scheduler::ReapLocked() {
  for (auto it = running_.begin(); it != running_.end();) {
    if (it->second.finished) {
      if (it->second.thread.joinable()) it->second.thread.join();
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
}

bool Scheduler::MayRunLocked(const std::string& source) {
  if (!gate_of_) return true;
  cluster::WorkGate& gate = gates_[source];
  if (!gate) gate = gate_of_("poll:" + source);
  const cluster::LeaseState state = gate();
  // (A run of this instance's own, from before it lost the lease for a moment, is still alive.)
  if (state == cluster::LeaseState::kAcquired && !running_.contains(source)) {
    // Runs still marked running belonged to an instance that has lost the lease, so nothing is
    // running them any more: without this they would show as running for ever.
    auto ended = store_.InterruptSyncRuns(source, clock_.Now());
    if (!ended.ok()) {
      spdlog::warn("poll: source={} cannot end the previous holder's runs: {}", source,
                   ended.error().message);
    } else if (*ended > 0) {
      spdlog::warn("poll: source={} {} run(s) of the previous lease holder marked interrupted",
                   source, *ended);
    }
  }
  return state != cluster::LeaseState::kNotHeld;
}

Result<storage::SyncRun> Scheduler::StartLocked(const config::SourceEntry& source,
                                                std::string trigger,
                                                std::shared_ptr<const config::Config> config) {
  ReapLocked();
  if (auto it = running_.find(source.name); it != running_.end()) {
    return Error{ErrorCode::kConflict, "source '" + source.name + "' is already syncing (run " +
                                           std::to_string(it->second.run_id) + ")"};
  }
  if (!MayRunLocked(source.name)) {
    return Error{ErrorCode::kConflict, "source '" + source.name +
                                           "' is polled by another instance (it holds the lease"
                                           " poll:" + source.name + ")"};
  }
  storage::SyncRun run;
  run.source = source.name;
  run.trigger = std::move(trigger);
  run.started_at = clock_.Now();
  if (auto cursors = runner_.DescribeCursors(source); cursors.ok()) run.cursor_before = *cursors;
  auto id = store_.StartSyncRun(run);
  if (!id.ok()) return id.error();
  run.id = *id;
  Running& entry = running_[source.name];
  entry.run_id = run.id;
  entry.control = std::make_shared<RunControl>();
  if (stopping_) entry.control->RequestStop();
  // The thread keeps the config snapshot alive: `source` points into it.
  entry.thread = std::thread([this, &source, run, config, control = entry.control] {
    spdlog::info("poll: source={} run={} trigger={} started", run.source, run.id, run.trigger);
    storage::SyncRun done = runner_.Run(source, run, *control);
    spdlog::log(done.status == "succeeded" ? spdlog::level::info : spdlog::level::warn,
                "poll: source={} run={} {}: pages={} records={} duplicates={} errors={}{}{}",
                done.source, done.id, done.status, done.pages, done.records, done.duplicates,
                done.errors, done.detail.empty() ? "" : " detail=", done.detail);
    {
      std::lock_guard lock(mu_);
      last_[done.source] = done;
      if (auto it = running_.find(done.source); it != running_.end()) it->second.finished = true;
    }
    run_finished_.notify_all();
    wake_.notify_all();
  });
  return run;
}

Result<storage::SyncRun> Scheduler::Trigger(std::string_view name, std::string trigger) {
  std::shared_ptr<const config::Config> config = config_();
  const config::SourceEntry* source = config ? config->FindSource(name) : nullptr;
  if (source == nullptr) return NotFound("no source named '" + std::string(name) + "'");
  if (!source->poll) {
    return InvalidArgument("source '" + std::string(name) +
                           "' has no poll: section, so there is nothing to sync");
  }
  std::lock_guard lock(mu_);
  if (stopping_) return Unavailable("journeyd is shutting down");
  return StartLocked(*source, std::move(trigger), config);
}

std::optional<storage::SyncRun> Scheduler::WaitUntilIdle(std::string_view source) {
  std::unique_lock lock(mu_);
  run_finished_.wait(lock, [&] {
    auto it = running_.find(source);
    return it == running_.end() || it->second.finished;
  });
  auto last = last_.find(source);
  if (last == last_.end()) return std::nullopt;
  return last->second;
}

std::vector<SourceSchedule> Scheduler::Schedules() const {
  std::shared_ptr<const config::Config> config = config_();
  std::vector<SourceSchedule> out;
  if (!config) return out;
  std::lock_guard lock(mu_);
  for (const config::SourceEntry& source : config->sources) {
    if (!source.poll) continue;
    SourceSchedule s;
    s.source = source.name;
    s.schedule = source.poll->enabled ? source.poll->schedule : "";
    if (auto it = planned_.find(source.name); it != planned_.end() && source.poll->enabled) {
      s.next_run = it->second.next;
    }
    if (auto it = running_.find(source.name); it != running_.end() && !it->second.finished) {
      s.running_run_id = it->second.run_id;
    }
    out.push_back(std::move(s));
  }
  return out;
}

void Scheduler::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    ReapLocked();
    std::shared_ptr<const config::Config> config;
    lock.unlock();
    config = config_();
    lock.lock();
    if (stopping_ || !config) break;
    const auto now = clock_.Now();
    auto earliest = now + std::chrono::seconds(30);  // re-read the config at least this often
    for (const config::SourceEntry& source : config->sources) {
      if (!source.poll || !source.poll->enabled || !source.poll->compiled_schedule) {
        planned_.erase(source.name);
        continue;
      }
      const PollSettings& poll = *source.poll;
      auto plan = planned_.find(source.name);
      if (plan == planned_.end() || plan->second.schedule_key != ScheduleKey(poll)) {
        // New, or its schedule changed in a reload.
        plan = planned_.insert_or_assign(source.name, Planned{ScheduleKey(poll), NextFire(poll, now)})
                   .first;
      }
      if (plan->second.next <= now) {
        // Another instance may run this source: then there is nothing to say each time.
        auto started = MayRunLocked(source.name)
                           ? StartLocked(source, "schedule", config)
                           : Result<storage::SyncRun>(storage::SyncRun{});
        if (!started.ok()) {
          // Still running from the last time: skip this turn rather than queue runs up.
          spdlog::warn("poll: source={} scheduled run skipped: {}", source.name,
                       started.error().message);
        }
        plan->second.next = NextFire(poll, now);
      }
      earliest = std::min(earliest, plan->second.next);
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(earliest - clock_.Now());
    if (wait.count() > 0) {
      wake_.wait_for(lock, std::min<std::chrono::milliseconds>(wait, std::chrono::seconds(30)));
    }
  }
}

}  // namespace journeyd::poll
