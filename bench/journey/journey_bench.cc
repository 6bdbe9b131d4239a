// journey_bench: throughput of the journey stage (engine/journey, engine/pipeline/journey_stage),
// one thread, each figure next to a baseline measured in the same run. See bench/README.md
// ("bench/journey").
//
//   The evaluator in memory, the default journey (config::JourneySettings defaults), one
//   touchpoint per iteration, cycling through the generated touchpoints in the order they
//   occurred (many profiles interleaved, as the stage sees them):
//     BM_EvalTouchpointView  journey::TouchpointView alone: the JSON view every Apply builds
//                            (the first baseline)
//     BM_EvalApplyNoRules    JourneyEvaluator::Apply with the default definition minus its stage
//                            rules and score thresholds (the second baseline: view, activity,
//                            engagement, attribution, tickets, satisfaction)
//     BM_EvalApplyDefault    JourneyEvaluator::Apply with the default definition
//   The stages on a real SQLite file (WAL, synchronous=FULL, in TMPDIR), one touchpoint per
//   record, the stages' default batch (512 records a transaction, as `journeyd run` has them):
//     BM_IdentityStage       pipeline::IdentityStage resolving the mapped records by email until
//                            idle (the baseline: the stage right before the journey's)
//     BM_JourneyStage        pipeline::JourneyStage::RunOnce until idle over the same records,
//                            once the identity stage has placed them
//   Each stage run starts from a copy of a database prepared once (records written through
//   Store::CommitIntake and Store::CommitMapped as the mapping stage leaves them, and for the
//   journey stage resolved by the identity stage); the copy is not timed.
//
// Items are touchpoints (= records for the stages). After Google Benchmark's table it prints a
// summary: touchpoints/s of each figure against its baseline, and what the rules and the view
// cost per touchpoint.
//
// Environment: PROFILES (20000), TOUCHPOINTS per profile (5), BATCH (512, records per stage
// transaction), SEED (42), TMPDIR (where the SQLite files go). Exit status 1 when the set-up
// or a stage fails; there is no target.

#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "bench/common/summary_reporter.h"
#include "engine/base/clock.h"
#include "engine/config/config.h"
#include "engine/config/diagnostics.h"
#include "engine/config/journey_settings.h"
#include "engine/journey/journey_definition.h"
#include "engine/journey/journey_evaluator.h"
#include "engine/journey/journey_state.h"
#include "engine/pipeline/identity_stage.h"
#include "engine/pipeline/journey_stage.h"
#include "engine/record/canonical_record.h"
#include "engine/record/raw_event.h"
#include "engine/storage/sqlite/sqlite_store.h"
#include "engine/storage/store.h"

namespace json = boost::json;
namespace fs = std::filesystem;
using journeyd::TimePoint;
using journeyd::bench::ConsoleOptions;
using journeyd::bench::SummaryReporter;
using journeyd::bench::Thousands;
using journeyd::journey::JourneyDefinition;
using journeyd::journey::JourneyDefinitionPtr;
using journeyd::journey::JourneyEvaluator;
using journeyd::journey::JourneyTouchpoint;
using journeyd::journey::ProfileJourney;
using journeyd::journey::Transition;

namespace {

// "Now" for the stages (a ManualClock): 2026-11-18T00:00:00Z. The touchpoints occur in the 30
// days before it, so no profile is due for an inactivity check during the run.
const TimePoint kNow = TimePoint(std::chrono::seconds(1'795'046'400));
constexpr auto kSpan = std::chrono::hours(24 * 30);
constexpr auto kBusyTimeout = std::chrono::seconds(5);

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "journey_bench: error: %s\n", message.c_str());
  std::exit(1);
}

int EnvInt(const char* name, int fallback, int min) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  char* end = nullptr;
  const long parsed = std::strtol(value, &end, 10);
  if (*end != '\0' || parsed < min || parsed > 10'000'000) {
    Die(std::string(name) + " must be an integer from " + std::to_string(min) + " to 10000000");
  }
  return static_cast<int>(parsed);
}

// --- the workload, generated once in main() -----------------------------------------------

// One touchpoint of the workload, with what its record needs around it.
struct Event {
  JourneyTouchpoint tp;  // id = position + 1, record_id likewise
  size_t profile = 0;
  std::string event_type;   // the vendor event it came from
  std::string external_id;  // unique per source
};

struct Workload {
  int profiles = 0;
  std::vector<Event> events;  // by occurred_at: the order they arrive in
  std::string mix;            // "40 % page_viewed, ..."
};

const Workload* g_workload = nullptr;

std::string Email(size_t profile) {
  return "customer" + std::to_string(profile) + "@example.com";
}

// Deterministic for a seed: mt19937_64 and integer arithmetic only.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  uint64_t Below(uint64_t n) { return engine_() % n; }
  bool Percent(uint64_t p) { return Below(100) < p; }
  template <class T>
  const T& Pick(const std::vector<T>& from) {
    return from[static_cast<size_t>(Below(from.size()))];
  }

 private:
  std::mt19937_64 engine_;
};

// A touchpoint type by weight: what a shop with a site, a Segment tracker and a Zendesk desk
// sees (most of it page views and tracked events, some commerce, a little support).
std::string PickType(Random& rng) {
  static const std::vector<std::pair<std::string, int>> kWeights{
      {"page_viewed", 40},    {"tracked", 20},        {"checkout_started", 10},
      {"order_placed", 15},   {"ticket_created", 8},  {"satisfaction_rated", 7}};
  uint64_t roll = rng.Below(100);
  for (const auto& [type, weight] : kWeights) {
    if (roll < static_cast<uint64_t>(weight)) return type;
    roll -= static_cast<uint64_t>(weight);
  }
  return kWeights.front().first;
}

std::string Money(uint64_t cents) {
  char text[32];
  std::snprintf(text, sizeof text, "%llu.%02llu", static_cast<unsigned long long>(cents / 100),
                static_cast<unsigned long long>(cents % 100));
  return text;
}

// The touchpoint as the shipped mappings make it (mappings/segment.yaml, shopify.yaml,
// zendesk.yaml): type, channel, value/currency/reference, campaign and attributes.
Event MakeEvent(Random& rng, size_t profile, const std::string& type, TimePoint at,
                uint64_t serial) {
  static const std::vector<std::string> kPaths{
      "/", "/pricing", "/pricing/teams", "/blog/launch", "/products/mug", "/products/tee",
      "/docs/getting-started", "/pricing", "/cart", "/about"};
  static const std::vector<std::string> kTitles{"Home", "Pricing", "Blog", "Product", "Docs"};
  static const std::vector<std::string> kEvents{
      "Product Viewed", "Product Viewed", "Product Added", "Email Link Clicked", "Demo Requested",
      "Checkout Started", "NPS Submitted", "NPS Submitted", "Product Reviewed",
      "Onboarding Milestone Reached", "Referral Sent", "Content Downloaded"};
  static const std::vector<std::string> kSkus{"MUG-11OZ", "TEE-M-BLK", "CAP-ONE", "BAG-TOTE"};
  static const std::vector<std::vector<std::string>> kCampaigns{
      {"google", "cpc", "black_friday"}, {"newsletter", "email", "nov_digest"},
      {"facebook", "social", "retargeting"}};

  Event e;
  e.profile = profile;
  JourneyTouchpoint& jt = e.tp;
  journeyd::Touchpoint& t = jt.touchpoint;
  t.type = type;
  t.occurred_at = at;
  const std::string n = std::to_string(serial);
  if (type == "page_viewed" || type == "tracked") {
    jt.source = "segment";
    e.event_type = type == "page_viewed" ? "page" : "track";
    e.external_id = "ajs-" + n;
    t.channel = "web";
    if (rng.Percent(25)) {
      const auto& c = rng.Pick(kCampaigns);
      t.campaign = {c[0], c[1], c[2], "", ""};
    }
    if (type == "page_viewed") {
      const std::string& path = rng.Pick(kPaths);
      t.attributes["url"] = "https://shop.example.com" + path;
      t.attributes["path"] = path;
      t.attributes["title"] = rng.Pick(kTitles);
      t.attributes["referrer"] = "https://www.google.com/";
    } else {
      const std::string& name = rng.Pick(kEvents);
      json::object properties;
      if (name == "NPS Submitted") {
        properties["score"] = static_cast<int64_t>(rng.Below(11));
      } else if (name.rfind("Product", 0) == 0) {
        properties["sku"] = rng.Pick(kSkus);
        properties["price"] = 19.99;
      } else {
        properties["page"] = rng.Pick(kPaths);
      }
      t.attributes["event"] = name;
      t.attributes["properties"] = std::move(properties);
      t.attributes["url"] = "https://shop.example.com" + rng.Pick(kPaths);
    }
  } else if (type == "checkout_started" || type == "order_placed") {
    jt.source = "shopify";
    e.event_type = type == "order_placed" ? "orders/create" : "checkouts/create";
    e.external_id = "whk-" + n;
    t.channel = "web";
    t.value = Money(500 + rng.Below(40000));
    t.currency = "USD";
    t.reference = (type == "order_placed" ? "shopify:order:" : "shopify:checkout:") + n;
    json::array skus;
    for (uint64_t i = 0, count = 1 + rng.Below(3); i < count; ++i) {
      skus.push_back(json::string(std::string_view(rng.Pick(kSkus))));
    }
    t.attributes["line_item_count"] = static_cast<int64_t>(skus.size());
    t.attributes["skus"] = std::move(skus);
    t.attributes["shop"] = "bench-shop.myshopify.com";
    if (type == "order_placed") {
      t.attributes["order_number"] = static_cast<int64_t>(1000 + serial);
      t.attributes["financial_status"] = "paid";
    }
  } else {  // ticket_created, satisfaction_rated
    jt.source = "zendesk";
    e.external_id = "zd-" + n;
    t.channel = "support";
    t.reference = "zendesk:ticket:" + n;
    t.attributes["ticket_id"] = n;
    if (type == "ticket_created") {
      e.event_type = "zen:event-type:ticket.created";
      t.attributes["subject"] = "Where is my order?";
      t.attributes["status"] = "new";
      t.attributes["priority"] = rng.Percent(20) ? "high" : "normal";
      t.attributes["via"] = "email";
    } else {
      e.event_type = "satisfaction_rated";
      t.attributes["rating"] = rng.Percent(80) ? "good" : "bad";
      t.attributes["comment"] = "Thanks!";
    }
  }
  return e;
}

Workload Generate(int profiles, int per_profile, uint64_t seed) {
  Workload w;
  w.profiles = profiles;
  Random rng(seed);
  const auto span_s = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(kSpan).count());
  uint64_t serial = 0;
  w.events.reserve(static_cast<size_t>(profiles) * static_cast<size_t>(per_profile));
  for (size_t p = 0; p < static_cast<size_t>(profiles); ++p) {
    for (int i = 0; i < per_profile; ++i) {
      const TimePoint at = kNow - kSpan + std::chrono::seconds(rng.Below(span_s));
      w.events.push_back(MakeEvent(rng, p, PickType(rng), at, ++serial));
    }
  }
  // The order they arrive in: by time, so each profile's touchpoints come in the order they
  // occurred (a late one would make the stage replay the profile: another benchmark).
  std::stable_sort(w.events.begin(), w.events.end(), [](const Event& a, const Event& b) {
    return a.tp.touchpoint.occurred_at < b.tp.touchpoint.occurred_at;
  });
  std::map<std::string, int> mix;
  for (size_t i = 0; i < w.events.size(); ++i) {
    w.events[i].tp.id = static_cast<int64_t>(i + 1);
    w.events[i].tp.record_id = static_cast<int64_t>(i + 1);
    ++mix[w.events[i].tp.touchpoint.type];
  }
  for (const auto& [type, n] : mix) {
    if (!w.mix.empty()) w.mix += ", ";
    w.mix += std::to_string(n) + " " + type;
  }
  return w;
}

// --- definitions ---------------------------------------------------------------------------

JourneyDefinitionPtr Compile(const journeyd::config::JourneySettings& settings) {
  journeyd::config::Diagnostics diag;
  auto def = JourneyDefinition::Compile(settings, {"preview"}, diag);
  if (!def || diag.has_errors()) Die("the journey definition does not compile:\n" + diag.Format());
  return def;
}

JourneyDefinitionPtr g_default;   // config::JourneySettings defaults
JourneyDefinitionPtr g_no_rules;  // the same without stage rules and score thresholds

// --- the evaluator in memory ---------------------------------------------------------------

void BM_EvalTouchpointView(benchmark::State& state) {
  const std::vector<Event>& events = g_workload->events;
  size_t i = 0;
  for (auto _ : state) {
    json::value view = journeyd::journey::TouchpointView(events[i].tp);
    benchmark::DoNotOptimize(view);
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

// One touchpoint per iteration on its profile's state, in arrival order; when the workload has
// been applied in full, every profile starts again from an empty journey (not timed).
void ApplyEach(benchmark::State& state, const JourneyDefinition& def) {
  const std::vector<Event>& events = g_workload->events;
  const auto profiles = static_cast<size_t>(g_workload->profiles);
  const JourneyEvaluator evaluator(def);
  std::vector<ProfileJourney> journeys(profiles, evaluator.Empty());
  std::vector<Transition> out;
  int64_t transitions = 0;
  size_t i = 0;
  for (auto _ : state) {
    const Event& e = events[i];
    evaluator.Apply(journeys[e.profile], e.tp, out);
    transitions += static_cast<int64_t>(out.size());
    out.clear();
    if (++i == events.size()) {
      i = 0;
      state.PauseTiming();
      journeys.assign(profiles, evaluator.Empty());
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["transitions/tp"] =
      iterations > 0 ? static_cast<double>(transitions) / iterations : 0.0;
}

void BM_EvalApplyNoRules(benchmark::State& state) { ApplyEach(state, *g_no_rules); }
void BM_EvalApplyDefault(benchmark::State& state) { ApplyEach(state, *g_default); }

// --- the stages on SQLite ------------------------------------------------------------------

fs::path g_dir;          // the benchmark's temporary directory
int g_batch = 512;       // records per stage transaction
bool g_prepared = false;
fs::path g_mapped_db;    // inbox and records written, nothing resolved
fs::path g_placed_db;    // the same after the identity stage: the journey stage's input
int64_t g_profiles_placed = 0;

journeyd::config::IdentitySettings IdentitySettings() {
  journeyd::config::IdentitySettings s;
  s.identifiers = {{.type = "email"}};
  return s;
}

std::unique_ptr<journeyd::storage::SqliteStore> OpenStore(const fs::path& path) {
  auto store = journeyd::storage::SqliteStore::Open(path, kBusyTimeout);
  if (!store.ok()) Die("cannot open " + path.string() + ": " + store.error().ToString());
  return std::move(*store);
}

// Copies a closed database (and its WAL, should one be left) to `to`, replacing it.
void CopyDatabase(const fs::path& from, const fs::path& to) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const fs::path target = to.string() + suffix;
    fs::remove(target);
    const fs::path source = from.string() + suffix;
    if (fs::exists(source)) fs::copy_file(source, target);
  }
}

void RemoveDatabase(const fs::path& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}

// Loads the identity stage and runs it until idle; how many records it took.
int64_t ResolveAll(journeyd::pipeline::IdentityStage& stage) {
  if (auto s = stage.Load(); !s.ok()) Die("identity stage: " + s.error().ToString());
  int64_t taken = 0;
  while (true) {
    auto n = stage.RunOnce();
    if (!n.ok()) Die("identity stage: " + n.error().ToString());
    if (*n == 0) break;
    taken += *n;
  }
  return taken;
}

// Writes the records as the mapping stage leaves them: inbox rows (CommitIntake), then one
// canonical record per row (CommitMapped, which marks the rows processed).
void WriteRecords(journeyd::storage::Store& store) {
  constexpr size_t kChunk = 4096;
  const std::vector<Event>& events = g_workload->events;
  const TimePoint received = kNow - std::chrono::seconds(1);
  int64_t inbox_id = 0;  // a fresh database numbers its inbox rows from 1
  for (size_t begin = 0; begin < events.size(); begin += kChunk) {
    const size_t end = std::min(events.size(), begin + kChunk);
    std::vector<journeyd::RawEvent> raw;
    raw.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) {
      journeyd::RawEvent r;
      r.source = events[i].tp.source;
      r.event_type = events[i].event_type;
      r.external_id = events[i].external_id;
      r.content_type = "application/json";
      r.body = "{}";  // the mapping stage is not run: the payload is never read
      r.received_at = received;
      raw.push_back(std::move(r));
    }
    journeyd::storage::IntakeBatch intake;
    for (const journeyd::RawEvent& r : raw) {
      journeyd::storage::InboxRecord record;
      record.event = &r;
      record.stored_body = r.body;
      record.headers = journeyd::storage::EncodeInboxHeaders(r.headers);
      intake.records.push_back(std::move(record));
    }
    auto stored = store.CommitIntake(intake);
    if (!stored.ok()) Die("CommitIntake: " + stored.error().ToString());

    journeyd::storage::MappedBatch mapped;
    mapped.at = received;
    for (size_t i = begin; i < end; ++i) {
      const Event& e = events[i];
      journeyd::CanonicalRecord record;
      record.source = e.tp.source;
      record.event_type = e.event_type;
      record.external_id = e.external_id;
      record.occurred_at = e.tp.touchpoint.occurred_at;
      record.identities = {{"email", Email(e.profile)}};
      record.touchpoints = {e.tp.touchpoint};
      ++inbox_id;
      mapped.records.push_back({inbox_id, record.source, record.event_type, record.occurred_at,
                                json::serialize(journeyd::ToJson(record)), record.external_id});
      mapped.processed.push_back(inbox_id);
    }
    if (auto s = store.CommitMapped(mapped); !s.ok()) Die("CommitMapped: " + s.error().ToString());
  }
  auto pending = store.CountPendingInbox();
  if (!pending.ok() || *pending != 0) {
    Die("the inbox rows were not all marked mapped (inbox ids not numbered from 1?)");
  }
}

// The two databases the stage benchmarks start from, made on first use (not timed).
void Prepare() {
  if (g_prepared) return;
  const auto started = std::chrono::steady_clock::now();
  g_mapped_db = g_dir / "mapped.db";
  g_placed_db = g_dir / "placed.db";
  {
    auto store = OpenStore(g_mapped_db);
    WriteRecords(*store);
  }
  CopyDatabase(g_mapped_db, g_placed_db);
  {
    auto store = OpenStore(g_placed_db);
    journeyd::ManualClock clock(kNow);
    journeyd::pipeline::IdentityStage stage(*store, IdentitySettings(), clock,
                                            {.batch = g_batch, .gate = {}});
    const int64_t taken = ResolveAll(stage);
    if (taken != static_cast<int64_t>(g_workload->events.size())) {
      Die("the identity stage took " + std::to_string(taken) + " records of " +
          std::to_string(g_workload->events.size()));
    }
    g_profiles_placed = stage.counters().profiles;
    if (g_profiles_placed != g_workload->profiles) {
      Die("the identity stage made " + std::to_string(g_profiles_placed) + " profiles, not " +
          std::to_string(g_workload->profiles));
    }
  }
  g_prepared = true;
  std::fprintf(stderr, "journey_bench: prepared %zu records on %lld profiles in %s (%.1f s)\n",
               g_workload->events.size(), static_cast<long long>(g_profiles_placed),
               g_dir.c_str(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

// Registered with Iterations(1): one iteration is one full run over the workload; the copy of
// the database before it and the clean-up after it are outside the timed loop.
void BM_IdentityStage(benchmark::State& state) {
  Prepare();
  const fs::path db = g_dir / "identity-run.db";
  CopyDatabase(g_mapped_db, db);
  int64_t taken = 0;
  {
    auto store = OpenStore(db);
    journeyd::ManualClock clock(kNow);
    journeyd::pipeline::IdentityStage stage(*store, IdentitySettings(), clock,
                                            {.batch = g_batch, .gate = {}});
    for (auto _ : state) taken = ResolveAll(stage);
    state.counters["profiles"] = static_cast<double>(stage.counters().profiles);
  }
  RemoveDatabase(db);
  if (taken != static_cast<int64_t>(g_workload->events.size())) {
    state.SkipWithError("the identity stage did not take every record");
  }
  state.SetItemsProcessed(taken);
}

void BM_JourneyStage(benchmark::State& state) {
  Prepare();
  const fs::path db = g_dir / "journey-run.db";
  CopyDatabase(g_placed_db, db);
  journeyd::pipeline::JourneyStage::Counters counters;
  {
    auto store = OpenStore(db);
    journeyd::ManualClock clock(kNow);
    journeyd::pipeline::JourneyStage stage(*store, g_default, clock, {.batch = g_batch, .gate = {}});
    for (auto _ : state) {
      while (true) {
        auto n = stage.RunOnce();
        if (!n.ok()) Die("journey stage: " + n.error().ToString());
        if (*n == 0) break;
      }
    }
    counters = stage.counters();
  }
  RemoveDatabase(db);
  // Every touchpoint is new, kept, or one real-world event seen twice (the default
  // order_and_payment rule: the same amount from one person within an hour).
  const int64_t seen = counters.touchpoints + counters.duplicates + counters.merged;
  if (counters.records != static_cast<int64_t>(g_workload->events.size()) ||
      seen != static_cast<int64_t>(g_workload->events.size())) {
    state.SkipWithError("the journey stage did not take every touchpoint");
  }
  state.SetItemsProcessed(seen);
  state.counters["kept"] = static_cast<double>(counters.touchpoints);
  state.counters["merged"] = static_cast<double>(counters.merged + counters.duplicates);
  state.counters["transitions"] = static_cast<double>(counters.transitions);
}

// --- summary -------------------------------------------------------------------------------


std::string Rate(double r) { return r > 0 ? Thousands(r) : std::string("-"); }

std::string Micros(double r) {
  if (r <= 0) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", 1e6 / r);
  return text;
}

std::string Ratio(double a, double b) {
  if (a <= 0 || b <= 0) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", a / b);
  return text;
}

void PrintSummary(const SummaryReporter& r) {
  const double view = r.Rate("BM_EvalTouchpointView");
  const double no_rules = r.Rate("BM_EvalApplyNoRules");
  const double full = r.Rate("BM_EvalApplyDefault");
  const double identity = r.Rate("BM_IdentityStage");
  const double stage = r.Rate("BM_JourneyStage");
  std::printf("\njourney summary (single-threaded: one core; items = touchpoints):\n");
  if (view > 0 || no_rules > 0 || full > 0) {
    std::printf("  evaluator  TouchpointView alone       %12s tp/s  %8s us/tp\n",
                Rate(view).c_str(), Micros(view).c_str());
    std::printf("  evaluator  Apply, no rules/thresholds %12s tp/s  %8s us/tp\n",
                Rate(no_rules).c_str(), Micros(no_rules).c_str());
    std::printf("  evaluator  Apply, default journey     %12s tp/s  %8s us/tp   "
                "ratio to view %s, to no rules %s\n",
                Rate(full).c_str(), Micros(full).c_str(), Ratio(full, view).c_str(),
                Ratio(full, no_rules).c_str());
    if (full > 0 && no_rules > 0 && view > 0) {
      std::printf("  evaluator  the view is %.0f %% of a default Apply; the %zu stage rules and "
                  "%zu thresholds cost %.2f us a touchpoint\n",
                  100.0 * full / view, g_default->rules().size(), g_default->thresholds().size(),
                  1e6 / full - 1e6 / no_rules);
    }
  }
  if (identity > 0 || stage > 0) {
    std::printf("  SQLite     identity stage (baseline)  %12s records/s  %8s us/record\n",
                Rate(identity).c_str(), Micros(identity).c_str());
    std::printf("  SQLite     journey stage              %12s tp/s  %8s us/tp   "
                "ratio journey/identity %s\n",
                Rate(stage).c_str(), Micros(stage).c_str(), Ratio(stage, identity).c_str());
  }
}

void RemoveTempDir() {
  if (!g_dir.empty()) {
    std::error_code ec;
    fs::remove_all(g_dir, ec);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto console_options = ConsoleOptions(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const int profiles = EnvInt("PROFILES", 20000, 1);
  const int per_profile = EnvInt("TOUCHPOINTS", 5, 1);
  g_batch = EnvInt("BATCH", 512, 1);
  const int seed = EnvInt("SEED", 42, 0);

  std::string pattern = (fs::temp_directory_path() / "journeyd-bench-journey.XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) Die("cannot create a directory in TMPDIR");
  g_dir = pattern;
  std::atexit(RemoveTempDir);

  const Workload workload = Generate(profiles, per_profile, static_cast<uint64_t>(seed));
  g_workload = &workload;
  journeyd::config::JourneySettings settings;
  g_default = Compile(settings);
  settings.rules.clear();
  settings.thresholds.clear();
  g_no_rules = Compile(settings);

  std::printf("workload: %d profiles x %d touchpoints = %zu touchpoints over 30 days (seed %d): "
              "%s\n",
              profiles, per_profile, workload.events.size(), seed, workload.mix.c_str());
  std::printf("journey: config::JourneySettings defaults (%zu stages, %zu stage rules, "
              "%zu thresholds); stages on SQLite: batch %d records a transaction\n",
              g_default->stages().size(), g_default->rules().size(),
              g_default->thresholds().size(), g_batch);
  std::fflush(stdout);

  benchmark::RegisterBenchmark("BM_EvalTouchpointView", BM_EvalTouchpointView);
  benchmark::RegisterBenchmark("BM_EvalApplyNoRules", BM_EvalApplyNoRules);
  benchmark::RegisterBenchmark("BM_EvalApplyDefault", BM_EvalApplyDefault);
  benchmark::RegisterBenchmark("BM_IdentityStage", BM_IdentityStage)
      ->Iterations(1)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_JourneyStage", BM_JourneyStage)
      ->Iterations(1)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);

  SummaryReporter reporter(console_options);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  PrintSummary(reporter);
  return 0;
}
