// poll_bench: what a sync run costs journeyd, against fetching the same pages alone.
//
// A fake Shopify Admin API (tests/fakes, the one the polling tests use) holds N customers; the
// source is the shipped `shopify` preset, stream `customers`, page_size 250. Each repeat runs,
// timed with std::chrono (wall) and CLOCK_THREAD_CPUTIME_ID (the calling thread: the HTTP client,
// and for journeyd the whole run, which commits on the calling thread):
//
//   first sync   baseline: the same N/250 pages fetched with journeyd's HttpTransport (one
//                handle, kept alive, as ApiClient has), each body parsed with boost::json::parse
//                and its records counted, following the Link header; nothing stored.
//                journeyd:  SyncRunner::Run (StartSyncRun first, as the scheduler does) on a
//                fresh store: every page's records turned into events (id, hash, event type),
//                committed to the inbox with the stream's state (CommitIntake, synchronous=FULL),
//                the run recorded in sync_runs.
//   rerun        the run a schedule makes next, finding nothing new: the cursor less the
//                preset's 5-minute lookback brings the last 5 minutes of records again (seeded
//                one a second: 301 records, 2 pages), all duplicates. Baseline: the same
//                request (built from the stored state) fetched and parsed alone.
//   reset re-read  `journeyd sync --reset`: the stream state forgotten, all N records read
//                again and recognised as duplicates. Its baseline is the first sync's.
//
// The fake's leaky bucket (40 calls, leaking 2 a second) is raised for the benchmark (see
// bench/CMakeLists.txt): with it, a run of 80 pages is paced at 2 pages a second after its 32nd
// and both sides would measure Shopify's rate limit, not their own cost.
//
// Usage: poll_bench FIXTURES_DIR WORK_DIR [N (20000)] [REPEATS (9)]
// Prints a table of medians and one "BENCH key=value ..." line. Exit 1 when a run fails or a
// count is not what it must be.
#include <time.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "connectors/builtin.h"
#include "engine/base/clock.h"
#include "engine/config/config_loader.h"
#include "engine/delivery/http_transport.h"
#include "engine/poll/api_client.h"
#include "engine/poll/poll_settings.h"
#include "engine/poll/run_control.h"
#include "engine/poll/stream_reader.h"
#include "engine/poll/stream_state.h"
#include "engine/poll/sync_runner.h"
#include "engine/storage/store.h"
#include "tests/fakes/fake_source_api.h"

namespace {

using namespace journeyd;
namespace fs = std::filesystem;
using std::chrono::steady_clock;
using std::chrono::system_clock;

constexpr char kToken[] = "shpat_bench_token";
constexpr char kSource[] = "shopify_poll";
constexpr char kStream[] = "customers";
constexpr int kPageSize = 250;

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "poll_bench: FAIL: " << message << "\n";
  std::exit(1);
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Figures {
  double wall_s = 0;
  double cpu_s = 0;     // the calling thread
  int64_t pages = 0;
  int64_t fetched = 0;  // records in the pages
  int64_t stored = 0;   // journeyd: new events committed
  int64_t duplicates = 0;
};

// --- The baseline: fetch and parse, nothing else --------------------------------------------

Figures FetchAndParse(const delivery::HttpRequest& first, const std::string& records_key) {
  Figures f;
  const auto t0 = steady_clock::now();
  const double c0 = ThreadCpuSeconds();
  delivery::TransportOptions options;  // what SyncRunner gives its ApiClient for this preset
  options.timeout = std::chrono::seconds(30);
  delivery::HttpTransport transport(options);
  delivery::HttpRequest request = first;
  while (true) {
    delivery::HttpResponse response = transport.Send(request);
    if (response.status != 200) {
      Fail("baseline: GET answered " + std::to_string(response.status) + " " +
           response.transport_error + " " + response.body.substr(0, 200));
    }
    boost::system::error_code ec;
    boost::json::value body = boost::json::parse(response.body, ec);
    if (ec) Fail("baseline: the page is not JSON: " + ec.message());
    const boost::json::value* list = body.is_object() ? body.as_object().if_contains(records_key)
                                                      : nullptr;
    if (list == nullptr || !list->is_array()) Fail("baseline: no '" + records_key + "' array");
    f.fetched += static_cast<int64_t>(list->as_array().size());
    ++f.pages;
    std::string next = poll::NextLink(response.header("link"));
    if (next.empty()) break;
    request.url = std::move(next);  // headers as StreamReader sends a next-page URL
  }
  f.cpu_s = ThreadCpuSeconds() - c0;
  f.wall_s = std::chrono::duration<double>(steady_clock::now() - t0).count();
  return f;
}

// The first request StreamReader sends from `state`, with the preset's authentication header
// (what ApiClient adds). Not timed.
delivery::HttpRequest FirstRequest(const config::SourceEntry& source, poll::StreamState state,
                                   const Clock& clock) {
  const poll::PollSettings& settings = *source.poll;
  poll::RunControl control;
  poll::ApiClient client(settings, clock, control);
  poll::StreamReader reader(settings, settings.streams.front(), source.name, std::move(state),
                            client, clock);
  auto request = reader.NextRequest();
  if (!request.ok()) Fail("cannot build the first request: " + request.error().message);
  if (settings.auth.type != poll::AuthKind::kHeader) Fail("the preset's auth is not a header");
  request->headers.emplace_back(settings.auth.name, kToken);
  return *request;
}

poll::StreamState StoredState(storage::Store& store) {
  auto stored = store.ReadPollState(kSource, kStream);
  if (!stored.ok() || !stored->has_value()) Fail("no stored state for the stream");
  auto state = poll::DecodeStreamState((*stored)->state);
  if (!state.ok()) Fail("the stored state does not decode");
  return *state;
}

// --- journeyd: one sync run ------------------------------------------------------------------

Figures SyncRun(storage::Store& store, const config::SourceEntry& source, const Clock& clock) {
  Figures f;
  const auto t0 = steady_clock::now();
  const double c0 = ThreadCpuSeconds();
  storage::SyncRun run;
  run.source = source.name;
  run.trigger = "manual";
  run.started_at = clock.Now();
  auto id = store.StartSyncRun(run);
  if (!id.ok()) Fail("StartSyncRun: " + id.error().message);
  run.id = *id;
  poll::SyncRunner runner(store, clock);
  poll::RunControl control;
  run = runner.Run(source, run, control);
  f.cpu_s = ThreadCpuSeconds() - c0;
  f.wall_s = std::chrono::duration<double>(steady_clock::now() - t0).count();
  if (run.status != "succeeded") Fail("the sync run " + run.status + ": " + run.detail);
  if (run.errors != 0) Fail("the sync run had " + std::to_string(run.errors) + " bad records");
  f.pages = run.pages;
  f.stored = run.records;
  f.duplicates = run.duplicates;
  f.fetched = run.records + run.duplicates;
  return f;
}

// --- Reporting -------------------------------------------------------------------------------

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Series {
  std::vector<Figures> runs;
  double wall() const { return Median(Pick([](const Figures& f) { return f.wall_s; })); }
  double cpu() const { return Median(Pick([](const Figures& f) { return f.cpu_s; })); }
  double min_wall() const {
    auto v = Pick([](const Figures& f) { return f.wall_s; });
    return *std::min_element(v.begin(), v.end());
  }
  double max_wall() const {
    auto v = Pick([](const Figures& f) { return f.wall_s; });
    return *std::max_element(v.begin(), v.end());
  }
  // Records and pages are the same in every repeat (checked).
  int64_t fetched() const { return runs.front().fetched; }
  int64_t pages() const { return runs.front().pages; }
  template <typename F>
  std::vector<double> Pick(F f) const {
    std::vector<double> out;
    for (const Figures& r : runs) out.push_back(f(r));
    return out;
  }
};

std::string Thousands(double value) {
  std::string digits = std::to_string(static_cast<int64_t>(value + 0.5));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

void Row(const std::string& scenario, const std::string& run, const Series& s,
         const Series* baseline) {
  const double wall = s.wall();
  std::printf("%-22s %-24s %9.1f %7.1f-%-7.1f %12s %8.1f %9.1f %9.2f", scenario.c_str(),
              run.c_str(), wall * 1e3, s.min_wall() * 1e3, s.max_wall() * 1e3,
              Thousands(static_cast<double>(s.fetched()) / wall).c_str(),
              static_cast<double>(s.pages()) / wall, s.cpu() * 1e3,
              s.cpu() * 1e3 / static_cast<double>(std::max<int64_t>(1, s.pages())));
  if (baseline) {
    std::printf(" %6.2f\n", baseline->wall() / wall);
  } else {
    std::printf(" %6s\n", "-");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: poll_bench FIXTURES_DIR WORK_DIR [N] [REPEATS]\n";
    return 2;
  }
  const fs::path fixtures = argv[1];
  const fs::path work = argv[2];
  const int n = argc > 3 ? std::stoi(argv[3]) : 20000;
  const int repeats = argc > 4 ? std::stoi(argv[4]) : 9;
  if (n < kPageSize || repeats < 1) Fail("need N >= 250 and REPEATS >= 1");
  fs::create_directories(work);

  // The fake, seeded once: customer i updated at first + i s, all in the past.
  fakes::FakeSourceApiOptions options;
  options.fixtures_dir = fixtures;
  options.credential = kToken;
  options.enforce_rate_limits = false;  // measure journeyd, not Shopify's 2 calls a second
  auto api = fakes::MakeFakeSourceApi("shopify", options);
  const auto first = system_clock::now() - std::chrono::seconds(n) - std::chrono::hours(1);
  api->Seed(kStream, n, first);

  const fs::path config_file = work / "journeyd.yaml";
  {
    std::ofstream out(config_file);
    out << "data_dir: " << (work / "data").string()
        << "\nserver:\n  listen: 127.0.0.1:0\n  admin_token: bench-admin\n"
           "  read_token: bench-read\n"
           "sources:\n  - name: " << kSource << "\n    type: http\n    poll:\n"
           "      preset: shopify\n      schedule: \"@every 15m\"\n"
           "      base_url: " << api->base_url() << "\n"
           "      auth:\n        token: \"" << kToken << "\"\n"
           "      streams:\n        - name: " << kStream << "\n          page_size: "
        << kPageSize << "\n";
  }
  Registry registry;
  RegisterBuiltinConnectors(registry);
  SystemClock clock;
  auto load = [&](const fs::path& data_dir) {
    config::Diagnostics diag;
    config::ConfigOverrides overrides;
    overrides.data_dir = data_dir;
    auto config = config::LoadConfig(config_file, registry, overrides, clock, diag);
    if (!config) Fail("the config does not load:\n" + diag.Format());
    return config;
  };

  const auto probe = load(work / "probe");
  const config::SourceEntry& probe_source = probe->sources.front();
  const std::string records_key = probe_source.poll->streams.front().records;
  const delivery::HttpRequest first_request = FirstRequest(probe_source, {}, clock);
  const int64_t expected_pages = (n + kPageSize - 1) / kPageSize;

  std::printf("journeyd poll benchmark: %s, %u cores, Shopify preset, stream %s, page_size %d, "
              "N=%d (%lld pages), %d repeats, medians\n",
              [] {
                char text[32];
                const std::time_t now = std::time(nullptr);
                std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
                return std::string(text);
              }().c_str(),
              std::thread::hardware_concurrency(), kStream, kPageSize, n,
              static_cast<long long>(expected_pages), repeats);
  std::fflush(stdout);

  // Warm-up, untimed: the fake's first answers, the page cache, libcurl's first connection.
  (void)FetchAndParse(first_request, records_key);

  Series base_full, sync_full, base_rerun, sync_rerun, sync_reset;
  for (int r = 0; r < repeats; ++r) {
    const fs::path data_dir = work / ("data-" + std::to_string(r));
    auto config = load(data_dir);
    const config::SourceEntry& source = config->sources.front();
    auto opened = storage::OpenStore(*config);
    if (!opened.ok()) Fail("OpenStore: " + opened.error().message);
    storage::StorePtr store = std::move(*opened);

    // Alternate which side goes first, so a drift of the machine does not favour one.
    if (r % 2 == 0) base_full.runs.push_back(FetchAndParse(first_request, records_key));
    sync_full.runs.push_back(SyncRun(*store, source, clock));
    if (r % 2 == 1) base_full.runs.push_back(FetchAndParse(first_request, records_key));

    const delivery::HttpRequest rerun_request = FirstRequest(source, StoredState(*store), clock);
    if (r % 2 == 0) base_rerun.runs.push_back(FetchAndParse(rerun_request, records_key));
    sync_rerun.runs.push_back(SyncRun(*store, source, clock));
    if (r % 2 == 1) base_rerun.runs.push_back(FetchAndParse(rerun_request, records_key));

    if (Status s = store->ResetPollState(kSource, ""); !s.ok()) Fail("ResetPollState");
    sync_reset.runs.push_back(SyncRun(*store, source, clock));

    // What must hold in every repeat.
    const Figures& b = base_full.runs.back();
    const Figures& s = sync_full.runs.back();
    if (b.fetched != n || b.pages != expected_pages) Fail("baseline read a different stream");
    if (s.stored != n || s.duplicates != 0 || s.pages != expected_pages) {
      Fail("first sync stored " + std::to_string(s.stored) + " in " + std::to_string(s.pages) +
           " pages");
    }
    const Figures& br = base_rerun.runs.back();
    const Figures& sr = sync_rerun.runs.back();
    if (sr.stored != 0 || sr.fetched != br.fetched || sr.pages != br.pages || sr.fetched == 0) {
      Fail("rerun: stored " + std::to_string(sr.stored) + ", fetched " +
           std::to_string(sr.fetched) + " (baseline " + std::to_string(br.fetched) + ")");
    }
    const Figures& sx = sync_reset.runs.back();
    if (sx.stored != 0 || sx.duplicates != n || sx.pages != expected_pages) {
      Fail("reset re-read stored " + std::to_string(sx.stored));
    }
    std::fprintf(stderr,
                 "repeat %d/%d: first sync %.0f ms (baseline %.0f), rerun %.1f ms (baseline %.1f),"
                 " reset re-read %.0f ms\n",
                 r + 1, repeats, s.wall_s * 1e3, b.wall_s * 1e3, sr.wall_s * 1e3, br.wall_s * 1e3,
                 sx.wall_s * 1e3);
    store.reset();
    std::error_code ec;
    fs::remove_all(data_dir, ec);
  }

  std::printf("%-22s %-24s %9s %15s %12s %8s %9s %9s %6s\n", "scenario", "run", "wall_ms",
              "min-max_ms", "records/s", "pages/s", "cpu_ms", "cpu/page", "ratio");
  const std::string full = "first sync (" + Thousands(n) + ")";
  Row(full, "baseline: fetch+parse", base_full, nullptr);
  Row(full, "journeyd SyncRunner", sync_full, &base_full);
  Row("rerun, nothing new", "baseline: fetch+parse", base_rerun, nullptr);
  Row("rerun, nothing new", "journeyd SyncRunner", sync_rerun, &base_rerun);
  Row("sync --reset re-read", "journeyd (all dups)", sync_reset, &base_full);

  const double added_page_ms =
      (sync_full.wall() - base_full.wall()) * 1e3 / static_cast<double>(expected_pages);
  const double added_record_us = (sync_full.wall() - base_full.wall()) * 1e6 / n;
  const double dup_record_us = (sync_reset.wall() - base_full.wall()) * 1e6 / n;
  std::printf("\nratio = baseline wall / this run's wall (1.00: journeyd adds nothing to the HTTP "
              "and fake server cost).\n");
  std::printf("cpu_ms: CPU of the calling thread (HTTP client, parse; for journeyd the whole run,"
              " commits included); the fake server runs on its own thread.\n");
  std::printf("first sync: journeyd adds %.2f ms a page, %.1f us a record (wall, medians)\n",
              added_page_ms, added_record_us);
  std::printf("reset re-read: a duplicate costs %.1f us a record over fetch+parse\n", dup_record_us);
  std::printf("rerun, nothing new: %lld records in %lld pages again; the run takes %.1f ms, "
              "%.1f ms more than fetching them\n",
              static_cast<long long>(sync_rerun.fetched()),
              static_cast<long long>(sync_rerun.pages()), sync_rerun.wall() * 1e3,
              (sync_rerun.wall() - base_rerun.wall()) * 1e3);
  std::printf("BENCH n=%d pages=%lld repeats=%d base_rps=%.0f sync_rps=%.0f ratio=%.3f "
              "base_pps=%.2f sync_pps=%.2f rerun_ms=%.2f rerun_base_ms=%.2f reset_rps=%.0f\n",
              n, static_cast<long long>(expected_pages), repeats, n / base_full.wall(),
              n / sync_full.wall(), base_full.wall() / sync_full.wall(),
              expected_pages / base_full.wall(), expected_pages / sync_full.wall(),
              sync_rerun.wall() * 1e3, base_rerun.wall() * 1e3, n / sync_reset.wall());
  return 0;
}
