// DaemonProcess runs the real journeyd binary for integration tests: on loopback port 0, with a
// private data dir, stderr captured to a file. It waits for /readyz before returning, and can
// signal, kill and wait for the process. Not thread-safe; one test drives one daemon.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace journeyd::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `journeyd ARGS...` to completion with `env` added to the environment.
CommandResult RunJourneyd(const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env = {});

// The environment every shipped config needs (tokens and vendor secrets), with test values.
std::map<std::string, std::string> DefaultTestEnvironment();

class DaemonProcess {
 public:
  DaemonProcess(std::filesystem::path config_file, std::filesystem::path data_dir,
                std::map<std::string, std::string> env = DefaultTestEnvironment());
  ~DaemonProcess();  // kills the process if it still runs

  // Starts and waits until /readyz answers 200; false if it exits or times out first.
  bool Start(std::chrono::seconds timeout = std::chrono::seconds(20));
  void Signal(int signal_number);
  // Waits for exit; the exit code, or 128+signal if killed, or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool running();

  // The process id while it runs (and after, until the next Start); -1 before the first Start.
  // Several instances on one database name their leases after it (host:pid:start-ms).
  pid_t pid() const { return pid_; }
  std::string host() const { return "127.0.0.1"; }
  uint16_t port() const { return port_; }
  std::string log() const;  // what the daemon wrote to stderr so far
  const std::filesystem::path& data_dir() const { return data_dir_; }

  // Where the daemon's stdout and stderr go; by default data_dir()/daemon.log. Set it before
  // Start() when the data dir cannot hold the log: a test that fills the data dir's disk still
  // needs to read what the daemon said about it.
  void SetLogFile(std::filesystem::path path) { log_file_ = std::move(path); }
  std::filesystem::path log_file() const {
    return log_file_.empty() ? data_dir_ / "daemon.log" : log_file_;
  }

 private:
  std::filesystem::path config_file_;
  std::filesystem::path data_dir_;
  std::filesystem::path log_file_;  // empty: data_dir_/daemon.log
  std::map<std::string, std::string> env_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  uint16_t port_ = 0;
};

}  // namespace journeyd::testing
