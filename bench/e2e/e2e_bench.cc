// e2e_bench: signed Shopify orders/create webhooks into the real journeyd, out of it into an
// in-process fake HubSpot (tests/fakes, which enforces the API's contract and its 100-input batch
// limit) as contact upserts and notes. Two phases on one daemon:
//   throughput: N orders of N new customers, as fast as C connections post them; the baseline
//     is the intake rate of the same requests (acknowledged, durable), measured in the same run;
//     the figure is touchpoints/s end to end (first POST to the last note at the fake), and the
//     CRM requests it took per 1,000 changed contacts;
//   lag: orders at a steady R/s for S seconds; per order, the time from its POST to its note at
//     the fake, p50 and p99.
// Prints a table and one "BENCH key=value ..." line. Usage:
//   e2e_bench [--storage URL] [--instances K] JOURNEYD MAPPINGS_DIR FIXTURE_ORDER WORK_DIR
//             [N] [C] [R] [S]
// --storage: the daemon's storage.url (default: SQLite in its data dir). --instances: K daemons
// on that one database (PostgreSQL), started one after the other, each in a data dir of its own;
// the C connections (and the lag phase's senders) are spread over them, connection c posting to
// instance c % K. The stages run where their leases are, which /metrics shows per instance
// before the stop. S = 0 skips the lag phase.
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/fakes/fake_hubspot.h"

namespace json = boost::json;
namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;
using std::chrono::milliseconds;

namespace {

constexpr const char* kSecret = "bench-shopify-secret";

std::string Base64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                                static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Sign(const std::string& body) {
  unsigned char mac[32];
  unsigned int size = 0;
  HMAC(EVP_sha256(), kSecret, static_cast<int>(std::strlen(kSecret)),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &size);
  return Base64(mac, size);
}

std::string Iso(Clock::time_point t) {
  const std::time_t s = Clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&s, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

Clock::time_point ParseIsoMillis(const std::string& s) {
  std::tm tm{};
  int ms = 0;
  std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
              &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return Clock::from_time_t(timegm(&tm)) + milliseconds(ms);
}

// One order of one new customer, numbered i.
std::string Order(const json::value& fixture, int64_t i, Clock::time_point at) {
  json::value order = fixture;
  json::object& o = order.as_object();
  const std::string email = "c" + std::to_string(i) + "@bench.example.com";
  o["id"] = 9000000000000 + i;
  o["order_number"] = 100000 + i;
  o["name"] = "#B" + std::to_string(i);
  o["email"] = email;
  o["contact_email"] = email;
  o["created_at"] = Iso(at);
  o["processed_at"] = Iso(at);
  o["updated_at"] = Iso(at);
  if (o.contains("customer") && o["customer"].is_object()) {
    json::object& c = o["customer"].as_object();
    c["id"] = 7000000000000 + i;
    c["email"] = email;
    c["first_name"] = "Bench";
    c["last_name"] = "Customer" + std::to_string(i);
  }
  return json::serialize(order);
}

// The bytes of one signed webhook POST: built before the clock starts, so that the load
// generator spends its CPU on sending, not on signing and formatting.
std::string SignedRequest(const std::string& body, const std::string& id) {
  return "POST /webhooks/shopify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Shopify-Topic: orders/create\r\n"
         "X-Shopify-Shop-Domain: bench.myshopify.com\r\nX-Shopify-Webhook-Id: " + id +
         "\r\nX-Shopify-Hmac-Sha256: " + Sign(body) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A keep-alive HTTP/1.1 client that sends prepared requests. The two cores are shared with
// journeyd and the fake CRM, so the load generator has to be cheap: libcurl's easy interface,
// signing each body as it went, cost ~64 µs of CPU per request here (perf: 45 % of a core at
// 7,000 requests/s), this ~20 µs. Reads responses with a Content-Length (what journeyd sends);
// anything else counts as no answer.
class Poster {
 public:
  explicit Poster(std::string address) : address_(std::move(address)) {}
  ~Poster() { Close(); }
  Poster(const Poster&) = delete;
  Poster& operator=(const Poster&) = delete;

  // The response's status, 0 when there was none (the next call reconnects).
  long Post(const std::string& request) {
    if (fd_ < 0 && !Connect()) return 0;
    if (!SendAll(request)) {
      Close();
      return 0;
    }
    const long status = ReadResponse();
    if (status == 0) Close();
    return status;
  }

 private:
  bool Connect() {
    const size_t colon = address_.rfind(':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(std::stoi(address_.substr(colon + 1))));
    if (inet_pton(AF_INET, address_.substr(0, colon).c_str(), &addr.sin_addr) != 1) return false;
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      Close();
      return false;
    }
    return true;
  }

  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    buffer_.clear();
  }

  bool SendAll(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  bool Fill() {
    char chunk[16384];
    while (true) {
      const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }

  long ReadResponse() {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return 0;
    }
    std::string head = buffer_.substr(0, end + 2);
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    long status = 0;
    if (std::sscanf(head.c_str(), "http/1.1 %ld", &status) != 1) return 0;
    const size_t length_at = head.find("\r\ncontent-length:");
    if (length_at == std::string::npos) return 0;
    const size_t length = std::stoul(head.substr(length_at + 17));
    const bool closes = head.find("\r\nconnection: close") != std::string::npos;
    while (buffer_.size() < end + 4 + length) {
      if (!Fill()) return 0;
    }
    buffer_.erase(0, end + 4 + length);
    if (closes) Close();
    return status;
  }

  const std::string address_;
  int fd_ = -1;
  std::string buffer_;  // bytes received past the last response
};

std::string Config(const std::string& mappings, const std::string& crm,
                   const std::string& storage) {
  return "server:\n  admin_token: bench-admin\n  read_token: bench-read\n  threads: 2\n"
         "log:\n  level: warn\n" +
         (storage.empty() ? std::string() : "storage:\n  url: \"" + storage + "\"\n") +
         "sources:\n  - name: shopify\n    type: shopify\n    secret: " +
         std::string(kSecret) + "\n    mapping: " + mappings + "/shopify.yaml\n" +
         "targets:\n  - name: hubspot\n    type: hubspot\n    base_url: " + crm +
         "\n    token: pat-na1-fake-token\n    key_property: journeyd_key\n"
         "    requests_per_10s: 100000\n    delivery:\n      linger: 200ms\n";
}

// GET url; the status (0 when no answer) and the body in *body when given.
long Get(const std::string& url, std::string* body = nullptr) {
  CURL* curl = curl_easy_init();
  std::string text;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION,
                   +[](char* data, size_t size, size_t n, void* out) {
                     static_cast<std::string*>(out)->append(data, size * n);
                     return size * n;
                   });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &text);
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (body) *body = std::move(text);
  return status;
}

// The value of the first sample of `series` (a metric name with its labels, as printed) in a
// Prometheus text page; -1 when absent.
double Sample(const std::string& page, const std::string& series) {
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

// One journeyd process.
struct Instance {
  pid_t pid = -1;
  fs::path data, log;
  std::string address;
};

// Starts journeyd in its data dir and waits until /readyz answers 200; false when it does not.
bool Start(const std::string& journeyd, const fs::path& config, Instance& instance) {
  fs::create_directories(instance.data);
  instance.pid = fork();
  if (instance.pid == 0) {
    std::freopen(instance.log.c_str(), "w", stderr);
    execl(journeyd.c_str(), journeyd.c_str(), "run", "--config", config.c_str(), "--data-dir",
          instance.data.c_str(), "--listen", "127.0.0.1:0", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 600; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    if (instance.address.empty()) {
      std::ifstream addr(instance.data / "journeyd.addr");
      std::getline(addr, instance.address);
    }
    if (!instance.address.empty() && Get("http://" + instance.address + "/readyz") == 200) {
      return true;
    }
    if (waitpid(instance.pid, nullptr, WNOHANG) == instance.pid) {
      instance.pid = -1;  // exited at startup
      break;
    }
  }
  return false;
}

double Percentile(std::vector<int64_t> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return static_cast<double>(v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]);
}

}  // namespace

int main(int argc, char** argv) {
  std::string storage;
  int instance_count = 1;
  int arg = 1;
  for (; arg + 1 < argc && std::string_view(argv[arg]).starts_with("--"); arg += 2) {
    const std::string_view option = argv[arg];
    if (option == "--storage") {
      storage = argv[arg + 1];
    } else if (option == "--instances") {
      instance_count = std::stoi(argv[arg + 1]);
    } else {
      std::cerr << "e2e_bench: unknown option " << option << "\n";
      return 2;
    }
  }
  argv += arg - 1;
  argc -= arg - 1;
  if (argc < 5 || instance_count < 1) {
    std::cerr << "usage: e2e_bench [--storage URL] [--instances K] JOURNEYD MAPPINGS_DIR "
                 "FIXTURE_ORDER WORK_DIR [N] [C] [R] [S]\n";
    return 2;
  }
  if (instance_count > 1 && !storage.starts_with("postgres")) {
    std::cerr << "e2e_bench: --instances > 1 needs --storage postgresql://... (one database)\n";
    return 2;
  }
  const std::string journeyd = argv[1], mappings = argv[2];
  const fs::path work = argv[4];
  const int64_t n = argc > 5 ? std::stoll(argv[5]) : 20000;
  const int connections = argc > 6 ? std::stoi(argv[6]) : 8;
  const int rate = argc > 7 ? std::stoi(argv[7]) : 1000;
  const int seconds = argc > 8 ? std::stoi(argv[8]) : 10;
  std::ifstream in(argv[3]);
  std::stringstream text;
  text << in.rdbuf();
  const json::value fixture = json::parse(text.str());
  curl_global_init(CURL_GLOBAL_DEFAULT);

  journeyd::fakes::HubSpotOptions options;
  options.window_budget = 1000000;
  options.server.log_limit = 0;
  journeyd::fakes::FakeHubSpot fake(options);

  fs::create_directories(work);
  const fs::path config = work / "journeyd.yaml";
  std::ofstream(config) << Config(mappings, fake.base_url(), storage);
  // One after the other: the first takes every lease (the stages and the target) at its start.
  // One instance keeps the layout it always had (data/, journeyd.log).
  std::vector<Instance> instances(static_cast<size_t>(instance_count));
  const auto stop_all = [&instances] {
    int failed = 0;
    for (Instance& i : instances) {
      if (i.pid > 0) kill(i.pid, SIGTERM);
    }
    for (Instance& i : instances) {
      int status = 0;
      if (i.pid > 0 && waitpid(i.pid, &status, 0) == i.pid &&
          !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        ++failed;
      }
      i.pid = -1;
    }
    return failed == 0;
  };
  for (size_t k = 0; k < instances.size(); ++k) {
    const std::string suffix = instance_count == 1 ? "" : "-" + std::to_string(k);
    instances[k].data = work / ("data" + suffix);
    instances[k].log = work / ("journeyd" + suffix + ".log");
    if (!Start(journeyd, config, instances[k])) {
      std::cerr << "e2e_bench: journeyd did not start (see " << instances[k].log << ")\n";
      if (instances[k].pid > 0) kill(instances[k].pid, SIGKILL);
      stop_all();
      return 1;
    }
  }
  const auto address_of = [&instances](int c) {
    return instances[static_cast<size_t>(c) % instances.size()].address;
  };

  // --- throughput ---------------------------------------------------------------------------
  std::vector<std::string> requests(static_cast<size_t>(n));
  const auto when = Clock::now() - std::chrono::hours(1);
  for (int64_t i = 0; i < n; ++i) {
    requests[static_cast<size_t>(i)] =
        SignedRequest(Order(fixture, i, when), "t-" + std::to_string(i));
  }
  std::atomic<int64_t> next{0}, refused{0};
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      Poster poster(address_of(c));
      for (int64_t i = next++; i < n; i = next++) {
        if (poster.Post(requests[static_cast<size_t>(i)]) != 200) {
          ++refused;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto t_acked = std::chrono::steady_clock::now();
  const auto deadline = t_acked + std::chrono::minutes(10);
  while (fake.Stats().created_objects < static_cast<size_t>(n - refused) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  const auto t_done = std::chrono::steady_clock::now();
  const auto per_path = fake.RequestsPerPath();
  const auto stat = [&](const char* path) {
    auto it = per_path.find(path);
    return it == per_path.end() ? size_t{0} : it->second;
  };
  const size_t upserts = stat("/crm/v3/objects/contacts/batch/upsert");
  const size_t note_requests = stat("/crm/v3/objects/notes/batch/create");
  const size_t contacts = fake.Contacts().size();
  const size_t notes = fake.Stats().created_objects;
  const double secs_acked = std::chrono::duration<double>(t_acked - t0).count();
  const double secs_done = std::chrono::duration<double>(t_done - t0).count();

  // --- lag at a steady rate -----------------------------------------------------------------
  const int64_t base = n;
  const int64_t m = static_cast<int64_t>(rate) * seconds;
  std::vector<Clock::time_point> posted(static_cast<size_t>(m));
  std::vector<std::string> lag_requests(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) {
    lag_requests[static_cast<size_t>(i)] =
        SignedRequest(Order(fixture, base + i, when), "l-" + std::to_string(i));
  }
  {
    std::atomic<int64_t> k{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> senders;
    for (int c = 0; c < 4; ++c) {
      senders.emplace_back([&, c] {
        Poster poster(address_of(c));
        for (int64_t i = k++; i < m; i = k++) {
          std::this_thread::sleep_until(start + std::chrono::microseconds(i * 1000000 / rate));
          posted[static_cast<size_t>(i)] = Clock::now();
          poster.Post(lag_requests[static_cast<size_t>(i)]);
        }
      });
    }
    for (auto& t : senders) t.join();
  }
  const auto lag_deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (fake.Stats().created_objects < notes + static_cast<size_t>(m) &&
         std::chrono::steady_clock::now() < lag_deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  std::map<std::string, int64_t> contact_order;  // contact id -> order number i
  for (const auto& c : fake.Contacts()) {
    auto email = c.properties.find("email");
    if (email == c.properties.end()) continue;
    const std::string& e = email->second;
    if (e.size() > 1 && e[0] == 'c') contact_order[c.id] = std::stoll(e.substr(1));
  }
  std::vector<int64_t> lags;
  for (const auto& note : fake.Notes()) {
    if (note.contact_ids.empty()) continue;
    auto it = contact_order.find(note.contact_ids[0]);
    if (it == contact_order.end() || it->second < base) continue;
    const auto at = ParseIsoMillis(note.created_at);
    lags.push_back(std::chrono::duration_cast<milliseconds>(
                       at - posted[static_cast<size_t>(it->second - base)])
                       .count());
  }
  // Where the work ran: each instance's own counters of this run (the stages that did not run
  // there count 0) and its delivery lag gauge (absent where the target's worker never delivered).
  std::vector<std::string> where;
  for (size_t k = 0; k < instances.size(); ++k) {
    std::string page;
    Get("http://" + instances[k].address + "/metrics", &page);
    const double lag =
        Sample(page, "journeyd_delivery_lag_seconds{target=\"hubspot\",quantile=\"0.5\"}");
    char line[200];
    std::snprintf(line, sizeof line,
                  "instance %zu (pid %d): mapped %.0f, resolved %.0f, journey %.0f, "
                  "delivered to hubspot: %s",
                  k, static_cast<int>(instances[k].pid),
                  Sample(page, "journeyd_mapping_records_total"),
                  Sample(page, "journeyd_identity_records_total"),
                  Sample(page, "journeyd_journey_touchpoints_total"),
                  lag > 0 ? ("yes, lag p50 " + std::to_string(lag).substr(0, 5) + " s").c_str()
                          : "no");
    where.emplace_back(line);
  }
  const bool stopped_cleanly = stop_all();

  const double intake_rate = static_cast<double>(n) / secs_acked;
  const double e2e_rate = static_cast<double>(notes) / secs_done;
  const double upserts_per_1000 = contacts ? 1000.0 * static_cast<double>(upserts) / contacts : 0;
  const double all_per_1000 =
      contacts ? 1000.0 * static_cast<double>(upserts + note_requests) / contacts : 0;
  std::printf("\n%-52s %12s %10s\n", "", "measured", "target");
  std::printf("%-52s %12.0f %10s\n", "baseline: intake, webhooks acknowledged /s", intake_rate, "");
  std::printf("%-52s %12.0f %10s\n", "end to end: touchpoints at the CRM /s", e2e_rate, ">= 10000");
  std::printf("%-52s %12.2f %10s\n", "end to end / intake", e2e_rate / intake_rate, "");
  std::printf("%-52s %12.1f %10s\n", "contact upsert requests per 1,000 changed contacts",
              upserts_per_1000, "<= 12");
  std::printf("%-52s %12.1f %10s\n", "all CRM requests (upserts + notes) per 1,000", all_per_1000,
              "");
  if (m > 0) {
    std::printf("%-52s %12.0f %10s\n", ("lag p50 ms at " + std::to_string(rate) + "/s").c_str(),
                Percentile(lags, 0.50), "");
    std::printf("%-52s %12.0f %10s\n", ("lag p99 ms at " + std::to_string(rate) + "/s").c_str(),
                Percentile(lags, 0.99), "<= 2000");
  }
  std::printf("%-52s %12zu %10s\n", "orders refused at intake", static_cast<size_t>(refused.load()),
              "0");
  if (m > 0) {
    std::printf("%-52s %12zu / %zu\n", "lag phase notes measured", lags.size(),
                static_cast<size_t>(m));
  }
  if (instances.size() > 1 || !storage.empty()) {
    std::printf("%zu instance(s) on %s; this run's counters per instance:\n", instances.size(),
                storage.empty() ? "SQLite" : "one PostgreSQL database");
    for (const std::string& line : where) std::printf("  %s\n", line.c_str());
  }
  std::printf("BENCH n=%lld intake_rps=%.0f e2e_tps=%.0f upserts_per_1000=%.1f "
              "requests_per_1000=%.1f lag_p50_ms=%.0f lag_p99_ms=%.0f contacts=%zu notes=%zu "
              "instances=%zu refused=%lld\n",
              static_cast<long long>(n), intake_rate, e2e_rate, upserts_per_1000, all_per_1000,
              Percentile(lags, 0.50), Percentile(lags, 0.99), contacts, notes, instances.size(),
              static_cast<long long>(refused.load()));
  const bool complete = notes == static_cast<size_t>(n - refused) && refused == 0 &&
                        lags.size() == static_cast<size_t>(m);
  return complete && stopped_cleanly ? 0 : 1;
}
