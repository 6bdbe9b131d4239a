#include "tests/support/daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace journeyd::testing {

namespace {

std::vector<std::string> MergedEnvironment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  // Under systemd the test runner's JOURNAL_STREAM would send the daemon's log to the journal.
  merged.erase("JOURNAL_STREAM");
  merged.erase("NOTIFY_SOCKET");
  for (const auto& [k, v] : extra) merged[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : merged) out.push_back(k + "=" + v);
  return out;
}

pid_t Spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::filesystem::path& output) {
  std::vector<std::string> argv_storage{JOURNEYD_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto env_storage = MergedEnvironment(env);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, JOURNEYD_BINARY, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("posix_spawn failed");
  return pid;
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::map<std::string, std::string> DefaultTestEnvironment() {
  return {{"JOURNEYD_ADMIN_TOKEN", "test-admin-token"},
          {"JOURNEYD_READ_TOKEN", "test-read-token"},
          {"JOURNEYD_SHOPIFY_SECRET", "test-shopify-secret"},
          {"JOURNEYD_WOOCOMMERCE_SECRET", "test-woocommerce-secret"},
          {"JOURNEYD_SQUARE_SECRET", "test-square-secret"},
          {"JOURNEYD_ZENDESK_SECRET", "test-zendesk-secret"},
          {"JOURNEYD_STRIPE_SECRET", "whsec_test-stripe-secret"},
          {"JOURNEYD_HUBSPOT_SECRET", "test-hubspot-secret"},
          {"JOURNEYD_MAILCHIMP_SECRET", "test-mailchimp-secret"},
          {"JOURNEYD_SEGMENT_WRITE_KEY", "test-segment-write-key"},
          {"JOURNEYD_POS_TOKEN", "test-pos-token"},
          {"JOURNEYD_HUBSPOT_TOKEN", "pat-na1-fake-token"}};
}

CommandResult RunJourneyd(const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env) {
  TempDir dir;
  const auto output = dir.path() / "output";
  const pid_t pid = Spawn(args, env, output);
  int status = 0;
  waitpid(pid, &status, 0);
  return {DecodeStatus(status), ReadFile(output)};
}

DaemonProcess::DaemonProcess(std::filesystem::path config_file, std::filesystem::path data_dir,
                             std::map<std::string, std::string> env)
    : config_file_(std::move(config_file)), data_dir_(std::move(data_dir)), env_(std::move(env)) {}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0 && !exit_code_) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

bool DaemonProcess::Start(std::chrono::seconds timeout) {
  std::filesystem::create_directories(data_dir_);
  const auto address_file = data_dir_ / "journeyd.addr";
  std::filesystem::remove(address_file);
  exit_code_.reset();
  pid_ = Spawn({"run", "--config", config_file_.string(), "--data-dir", data_dir_.string(),
                "--listen", "127.0.0.1:0"},
               env_, log_file());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return false;
    std::ifstream in(address_file);
    std::string address;
    if (in >> address) {
      port_ = static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
      auto ready = HttpGet(host(), port_, "/readyz");
      if (ready.ok() && ready->status == 200) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void DaemonProcess::Signal(int signal_number) {
  if (pid_ > 0 && !exit_code_) kill(pid_, signal_number);
}

std::optional<int> DaemonProcess::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = DecodeStatus(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool DaemonProcess::running() {
  if (pid_ <= 0) return false;
  return !Wait(std::chrono::milliseconds(0)).has_value();
}

std::string DaemonProcess::log() const {
  std::error_code ec;
  if (!std::filesystem::exists(log_file(), ec)) return {};
  return ReadFile(log_file());
}

}  // namespace journeyd::testing
