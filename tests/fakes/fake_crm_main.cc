// fake_crm: one fake CRM as a process, for benchmarks and manual runs against a real journeyd.
//
// Usage:
//   fake_crm hubspot    [--port N] [--token T] [--window-budget N] [--window-ms N]
//                       [--daily-budget N] [--addr-file PATH]
//   fake_crm salesforce [--port N] [--token T] [--client-id ID] [--client-secret S]
//                       [--username U] [--jwt-public-key PEM_FILE] [--daily-limit N]
//                       [--addr-file PATH]
//
// --token is HubSpot's private-app token; for Salesforce it is a session accepted without an
// OAuth exchange (the OAuth endpoint works too). Once listening it prints "127.0.0.1:<port>"
// and writes it to --addr-file (atomically, so a poller never reads half of it). On SIGTERM or
// SIGINT it prints a JSON summary of what it received and exits 0.

#include <boost/json.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "tests/fakes/fake_hubspot.h"
#include "tests/fakes/fake_salesforce.h"

namespace {

namespace fakes = journeyd::fakes;
namespace json = boost::json;

int Usage(const std::string& problem) {
  std::cerr << "fake_crm: " << problem << "\n"
            << "usage: fake_crm hubspot|salesforce [--port N] [--token T] [--window-budget N]\n"
            << "         [--window-ms N] [--daily-budget N] [--client-id ID] [--client-secret S]\n"
            << "         [--username U] [--jwt-public-key PEM_FILE] [--daily-limit N]\n"
            << "         [--addr-file PATH]\n";
  return 2;
}

bool WriteAtomically(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << text << "\n";
    if (!out.flush()) return false;
  }
  return std::rename(temp.c_str(), path.c_str()) == 0;
}

// The parts of the summary both vendors share, from the transport.
json::object TransportSummary(const std::string& vendor, fakes::FakeHttpServer& server,
                              const std::map<std::string, size_t>& per_path) {
  json::object statuses;
  size_t error_responses = 0;
  for (const auto& [status, count] : server.StatusCounts()) {
    statuses[std::to_string(status)] = count;
    if (status >= 400) error_responses += count;
  }
  json::object paths;
  for (const auto& [path, count] : per_path) paths[path] = count;
  return {{"vendor", vendor},
          {"address", server.address()},
          {"requests", server.RequestCount()},
          {"requests_per_path", std::move(paths)},
          {"statuses", std::move(statuses)},
          {"error_responses", error_responses}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage("which CRM?");
  const std::string vendor = argv[1];
  if (vendor != "hubspot" && vendor != "salesforce") return Usage("unknown CRM " + vendor);
  std::map<std::string, std::string> flags;
  for (int i = 2; i < argc; i += 2) {
    const std::string name = argv[i];
    if (name.rfind("--", 0) != 0 || i + 1 >= argc) return Usage("bad argument " + name);
    flags[name.substr(2)] = argv[i + 1];
  }
  auto flag = [&](const std::string& name) -> std::optional<std::string> {
    auto it = flags.find(name);
    if (it == flags.end()) return std::nullopt;
    std::string value = it->second;
    flags.erase(it);
    return value;
  };

  // Block the signals before any server thread starts, so only sigwait() below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  fakes::FakeHttpServerOptions server_options;
  server_options.log_limit = 0;  // a benchmark would fill memory; the counters are enough
  std::unique_ptr<fakes::FakeHubSpot> hubspot;
  std::unique_ptr<fakes::FakeSalesforce> salesforce;
  const auto addr_file = flag("addr-file");
  try {
    if (auto port = flag("port")) server_options.port = static_cast<uint16_t>(std::stoi(*port));
    if (vendor == "hubspot") {
      fakes::HubSpotOptions options;
      options.server = server_options;
      if (auto v = flag("token")) options.token = *v;
      if (auto v = flag("window-budget")) options.window_budget = std::stoi(*v);
      if (auto v = flag("window-ms")) options.window = std::chrono::milliseconds(std::stoll(*v));
      if (auto v = flag("daily-budget")) options.daily_budget = std::stoi(*v);
      if (!flags.empty()) return Usage("unknown option --" + flags.begin()->first);
      hubspot = std::make_unique<fakes::FakeHubSpot>(options);
    } else {
      fakes::SalesforceOptions options;
      options.server = server_options;
      if (auto v = flag("token")) options.static_token = *v;
      if (auto v = flag("client-id")) options.client_id = *v;
      if (auto v = flag("client-secret")) options.client_secret = *v;
      if (auto v = flag("username")) options.username = *v;
      if (auto v = flag("daily-limit")) options.daily_api_limit = std::stoi(*v);
      if (auto v = flag("jwt-public-key")) {
        std::ifstream in(*v);
        if (!in) return Usage("cannot read " + *v);
        std::stringstream pem;
        pem << in.rdbuf();
        options.jwt_public_key_pem = pem.str();
      }
      if (!flags.empty()) return Usage("unknown option --" + flags.begin()->first);
      salesforce = std::make_unique<fakes::FakeSalesforce>(options);
    }
  } catch (const std::exception& e) {
    std::cerr << "fake_crm: " << e.what() << "\n";
    return 1;
  }

  fakes::FakeHttpServer& server = hubspot ? hubspot->server() : salesforce->server();
  std::cout << server.address() << std::endl;
  if (addr_file && !WriteAtomically(*addr_file, server.address())) {
    std::cerr << "fake_crm: cannot write " << *addr_file << "\n";
    return 1;
  }

  int received = 0;
  sigwait(&signals, &received);

  json::object summary;
  if (hubspot) {
    summary = TransportSummary(vendor, server, hubspot->RequestsPerPath());
    const fakes::HubSpotStats stats = hubspot->Stats();
    summary["contacts"] = hubspot->Contacts().size();
    summary["upsert_inputs"] = stats.upsert_inputs;
    summary["created_objects"] = stats.created_objects;
    summary["input_errors"] = stats.input_errors;
  } else {
    summary = TransportSummary(vendor, server, salesforce->RequestsPerPath());
    const fakes::SalesforceStats stats = salesforce->Stats();
    json::object records;
    size_t upserts = 0;
    for (const char* type : {"Contact", "Lead", "Task"}) {
      const auto list = salesforce->Records(type);
      records[type] = list.size();
      for (const auto& record : list) upserts += static_cast<size_t>(record.upsert_count);
    }
    summary["contacts"] = records["Contact"];
    summary["records"] = std::move(records);
    summary["upsert_inputs"] = upserts;
    summary["records_applied"] = stats.records_applied;
    summary["input_errors"] = stats.record_errors;
    summary["api_usage"] = salesforce->ApiUsage();
    json::object tokens;
    for (const auto& [grant, count] : salesforce->TokensIssued()) tokens[grant] = count;
    summary["tokens_issued"] = std::move(tokens);
  }
  std::cout << json::serialize(summary) << std::endl;
  return 0;
}
