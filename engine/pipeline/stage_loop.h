// StageLoop runs one pipeline stage's RunOnce on a thread of its own: straight again while the
// stage has a full batch to do, otherwise after a short idle wait, until stopped; a notification
// on one of its input signals (the stage before committed work) ends the wait early. Errors are
// logged and retried on the next turn, so a locked database or a full disk stalls the stage
// rather than ending it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/result.h"
#include "engine/base/work_signal.h"

namespace journeyd::pipeline {

class StageLoop {
 public:
  // `run_once` returns how many items it took; `full` of them means there is likely more.
  // `inputs` wake the loop while it runs (subscribed by Start, left by Stop); each must outlive
  // the loop. Null entries are ignored.
  StageLoop(std::string name, std::function<Result<int>()> run_once, int full,
            std::chrono::milliseconds idle_poll, std::vector<WorkSignal*> inputs = {});
  ~StageLoop();  // Stop()s
  StageLoop(const StageLoop&) = delete;
  StageLoop& operator=(const StageLoop&) = delete;

  void Start();
  void Stop();
  // Ends the current idle wait early (new work is known to be there).
  void Wake();

 private:
  void Loop();

  const std::string name_;
  const std::function<Result<int>()> run_once_;
  const int full_;
  const std::chrono::milliseconds idle_poll_;
  const std::vector<WorkSignal*> inputs_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  bool woken_ = false;     // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace journeyd::pipeline
