#include "engine/pipeline/stage_loop.h"

#include <spdlog/spdlog.h>

#include "engine/base/thread_name.h"
#include "engine/base/thread_priority.h"

namespace journeyd::pipeline {

namespace {

std::vector<WorkSignal*> WithoutNulls(std::vector<WorkSignal*> signals) {
  std::erase(signals, nullptr);
  return signals;
}

}  // namespace

StageLoop::StageLoop(std::string name, std::function<Result<int>()> run_once, int full,
                     std::chrono::milliseconds idle_poll, std::vector<WorkSignal*> inputs)
    : name_(std::move(name)),
      run_once_(std::move(run_once)),
      full_(full),
      idle_poll_(idle_poll),
      inputs_(WithoutNulls(std::move(inputs))) {}

StageLoop::~StageLoop() { Stop(); }

void StageLoop::Start() {
  // Outside mu_: a notification holds the signal's lock while Wake takes mu_. (Subscribing
  // again when already running only replaces this loop's own subscription.)
  for (WorkSignal* input : inputs_) input->Subscribe(this, [this] { Wake(); });
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    NameCurrentThread(name_);
    LowerCurrentThreadPriority();
    Loop();
  });
}

void StageLoop::Stop() {
  for (WorkSignal* input : inputs_) input->Unsubscribe(this);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StageLoop::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

void StageLoop::Loop() {
  while (true) {
    auto taken = run_once_();
    if (!taken.ok()) spdlog::error("{} stage: {}", name_, taken.error().message);
    std::unique_lock lock(mu_);
    if (stopping_) return;
    if (taken.ok() && *taken >= full_) continue;
    wake_.wait_for(lock, idle_poll_, [&] { return stopping_ || woken_; });
    woken_ = false;
    if (stopping_) return;
  }
}

}  // namespace journeyd::pipeline
