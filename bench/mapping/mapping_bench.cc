// mapping_bench: throughput of the mapping stage (docs/mapping.md), one thread, against the cost
// of parsing the same JSON alone. See bench/README.md ("bench/mapping").
//
//   Shopify orders/create, the 15 KB fixture, mappings/shopify.yaml:
//     BM_ShopifyParseOnly   boost::json::parse into a fresh monotonic_resource (the baseline)
//     BM_ShopifyParseMap    Mapping::Map(event), which decodes the body itself, then maps
//     BM_ShopifyParseMapNewPhone  the same, but every order carries a phone number the run has
//                           not seen for 8,192 orders: the cost without the phone memo's help
//   Segment, a 100-message /v1/batch body built from the real examples, mappings/segment.yaml:
//     BM_SegmentParseOnly   parse the batch body (the baseline)
//     BM_SegmentParseMap    parse the batch, then MapPayload for each message, with the message's
//                           `type` as event type (the segment source splits a batch that way)
//
// Items are events (orders, messages); bytes are body bytes. After Google Benchmark's table it
// prints one summary line per payload: events/s parse-only and parse+map, their ratio, and the
// target per core (>= 20,000 Shopify orders/s, >= 200,000 Segment events/s).
//
// Environment: JOURNEYD_FIXTURES (default <repo>/../shared/fixtures), JOURNEYD_MAPPINGS
// (default <repo>/mappings). Exit status 1 when an input is missing or does not map cleanly;
// missing a target is reported, not an error.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "bench/common/summary_reporter.h"
#include "engine/config/config.h"
#include "engine/config/config_node.h"
#include "engine/config/diagnostics.h"
#include "engine/governance/record_rules.h"
#include "engine/governance/suppression.h"
#include "engine/mapping/mapping.h"
#include "engine/record/raw_event.h"

#ifndef JOURNEYD_SOURCE_DIR
#error "JOURNEYD_SOURCE_DIR must be defined (bench/CMakeLists.txt does)"
#endif

namespace json = boost::json;
namespace fs = std::filesystem;
using journeyd::RawEvent;
using journeyd::bench::ConsoleOptions;
using journeyd::bench::SummaryReporter;
using journeyd::bench::Thousands;
using journeyd::mapping::Mapping;

namespace {

constexpr double kShopifyTarget = 20000;   // orders/s per core
constexpr double kSegmentTarget = 200000;  // events/s per core
constexpr int kSegmentBatchSize = 100;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "mapping_bench: error: %s\n", message.c_str());
  std::exit(1);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path.string() + " (set JOURNEYD_FIXTURES / JOURNEYD_MAPPINGS?)");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

fs::path EnvPath(const char* name, const fs::path& fallback) {
  const char* value = std::getenv(name);
  return (value != nullptr && *value != '\0') ? fs::path(value) : fallback;
}

std::shared_ptr<const Mapping> LoadMapping(const fs::path& path, const std::string& source_type) {
  if (!fs::exists(path)) Die("mapping " + path.string() + " does not exist");
  journeyd::mapping::MappingLoadOptions options;
  // The event types are checked by `journeyd check` against the source type's list; the
  // benchmark only needs the compiled plan.
  options.source_type = source_type;
  journeyd::config::Diagnostics diag;
  auto mapping = Mapping::LoadFile(path, options, diag);
  if (!mapping || diag.has_errors()) {
    Die("mapping " + path.string() + " does not load:\n" + diag.Format());
  }
  return mapping;
}

// --- inputs, built once in main() before any benchmark runs --------------------------------

struct Inputs {
  // Shopify
  std::shared_ptr<const Mapping> shopify;
  RawEvent shopify_event;
  std::vector<RawEvent> shopify_new_phone;  // the fixture with a distinct phone in each
  // Segment
  std::shared_ptr<const Mapping> segment;
  std::string segment_batch;  // {"batch": [100 messages]}
  // One RawEvent per batch position (source, event_type = the message's type), as the segment
  // source would make them; MapPayload reads these fields, not the body.
  std::vector<RawEvent> segment_events;
  std::string segment_mix;  // e.g. "40 track, 36 identify, 24 page"
};

Inputs* g_inputs = nullptr;

void BuildShopify(Inputs& in, const fs::path& fixtures, const fs::path& mappings) {
  in.shopify = LoadMapping(mappings / "shopify.yaml", "shopify");
  RawEvent& e = in.shopify_event;
  e.source = "shopify";
  e.event_type = "orders/create";
  e.external_id = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043";
  e.content_type = "application/json";
  e.body = ReadFile(fixtures / "webhooks/shopify/orders_create.json");
  // The headers the shopify source keeps (connectors/shopify/shopify_source.cc).
  e.headers = {{"X-Shopify-Topic", "orders/create"},
               {"X-Shopify-Shop-Domain", "bench-shop.myshopify.com"},
               {"X-Shopify-API-Version", "2025-07"},
               {"X-Shopify-Webhook-Id", e.external_id},
               {"X-Shopify-Triggered-At", "2026-07-01T12:00:00.123456789Z"},
               {"X-Shopify-Event-Id", "98880550-7158-44d4-b7cd-2c97c8a091b5"}};
  e.received_at = std::chrono::system_clock::now();

  // Phone normalisation is memoised per thread (engine/mapping/normalize.cc) and the fixture's
  // numbers repeat every iteration, so a second variant gives each order a number of its own:
  // 8,192 of them, eight times the memo's slots, valid US numbers.
  for (int i = 0; i < 8192; ++i) {
    char phone[32];
    std::snprintf(phone, sizeof phone, "(212) %03d-%04d", 300 + i / 1000, i % 1000 + 2000);
    RawEvent copy = e;
    for (const std::string_view original : {"123-123-1234", "555-555-SHIP"}) {
      for (size_t at = copy.body.find(original); at != std::string::npos;
           at = copy.body.find(original, at)) {
        copy.body.replace(at, original.size(), phone);
      }
    }
    if (copy.body == e.body) Die("the Shopify fixture no longer has the phone numbers replaced");
    in.shopify_new_phone.push_back(std::move(copy));
  }
  {
    journeyd::mapping::MapOutcome outcome = in.shopify->Map(in.shopify_new_phone.back());
    bool has_phone = false;
    if (outcome.record) {
      for (const auto& identity : outcome.record->identities) has_phone |= identity.type == "phone";
    }
    if (!has_phone) Die("the new-phone variant of the Shopify fixture maps without a phone");
  }

  // The benchmark must measure a real mapping, not an early exit.
  journeyd::mapping::MapOutcome outcome = in.shopify->Map(e);
  if (!outcome.record) {
    Die("mappings/shopify.yaml produced no record for orders/create: " +
        (outcome.issue ? outcome.issue->kind + ": " + outcome.issue->message
                       : std::string(outcome.ignored ? "ignored" : "no issue given")));
  }
}

void BuildSegment(Inputs& in, const fs::path& fixtures, const fs::path& mappings) {
  in.segment = LoadMapping(mappings / "segment.yaml", "segment");
  const fs::path dir = fixtures / "tracking/segment/examples";
  const auto wanted = [](const json::object& m) {
    const json::value* type = m.if_contains("type");
    if (type == nullptr || !type->is_string()) return false;
    const std::string_view t = type->as_string();
    return t == "identify" || t == "track" || t == "page";
  };

  std::vector<json::object> messages;
  // The /v1/batch example: its messages, with the batch-level context merged in as the segment
  // source does (a message's own keys win).
  {
    const json::value batch = json::parse(ReadFile(dir / "http-api.07.batch_POST_v1_batch.json"));
    const json::object& top = batch.as_object();
    for (const json::value& item : top.at("batch").as_array()) {
      json::object m = item.as_object();
      for (const char* key : {"context", "integrations"}) {
        const json::value* defaults = top.if_contains(key);
        if (defaults == nullptr || !defaults->is_object()) continue;
        json::value& own = m[key];
        if (!own.is_object()) own = json::object();
        for (const auto& kv : defaults->as_object()) {
          if (!own.as_object().contains(kv.key())) own.as_object()[kv.key()] = kv.value();
        }
      }
      if (wanted(m)) messages.push_back(std::move(m));
    }
  }
  // The spec-* examples (identify, track, page), in name order.
  std::vector<fs::path> specs;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("spec-", 0) == 0 && entry.path().extension() == ".json") {
      specs.push_back(entry.path());
    }
  }
  std::sort(specs.begin(), specs.end());
  for (const fs::path& p : specs) {
    json::value v = json::parse(ReadFile(p));
    if (v.is_object() && wanted(v.as_object())) messages.push_back(std::move(v.as_object()));
  }
  if (messages.empty()) Die("no identify/track/page examples under " + dir.string());

  // 100 messages, cycling through the examples; each gets its own messageId, as SDKs send.
  json::array batch;
  std::map<std::string, int> mix;
  for (int i = 0; i < kSegmentBatchSize; ++i) {
    json::object m = messages[static_cast<size_t>(i) % messages.size()];
    m["messageId"] = "bench-" + std::to_string(i);
    const std::string type(m.at("type").as_string());
    ++mix[type];
    RawEvent e;
    e.source = "segment";
    e.event_type = type;
    e.external_id = "bench-" + std::to_string(i);
    e.content_type = "application/json";
    e.received_at = std::chrono::system_clock::now();
    in.segment_events.push_back(std::move(e));
    batch.push_back(std::move(m));
  }
  json::object body;
  body["batch"] = std::move(batch);
  body["writeKey"] = "YOUR_WRITE_KEY";
  in.segment_batch = json::serialize(body);
  for (const auto& [type, n] : mix) {
    if (!in.segment_mix.empty()) in.segment_mix += ", ";
    in.segment_mix += std::to_string(n) + " " + type;
  }
  in.segment_mix += " (from " + std::to_string(messages.size()) + " distinct examples)";

  // Every message must map to a record: an issue would make the figure meaningless.
  const json::value parsed = json::parse(in.segment_batch);
  const json::array& items = parsed.as_object().at("batch").as_array();
  for (size_t i = 0; i < items.size(); ++i) {
    journeyd::mapping::MapOutcome outcome = in.segment->MapPayload(in.segment_events[i], items[i]);
    if (!outcome.record) {
      Die("mappings/segment.yaml produced no record for batch[" + std::to_string(i) + "] (" +
          in.segment_events[i].event_type + "): " +
          (outcome.issue ? outcome.issue->kind + ": " + outcome.issue->message
                         : std::string(outcome.ignored ? "ignored" : "no issue given")));
    }
  }
}

// The governance rules config/journeyd.yaml ships, read from its `governance:` section alone
// (the rest of the file needs secrets from the environment).
std::vector<journeyd::config::ValidationRule> ShippedRules(const fs::path& repo) {
  journeyd::config::Diagnostics diag;
  auto root = journeyd::config::ConfigNode::LoadFile(repo / "config" / "journeyd.yaml", diag);
  std::optional<journeyd::config::ConfigNode> node;
  if (root) node = root->Find("governance");
  journeyd::config::GovernanceSettings settings;
  if (!node || !journeyd::config::GovernanceSettings::Spec().Parse(*node, settings, diag)) {
    std::fprintf(stderr, "mapping_bench: cannot read governance.rules of config/journeyd.yaml\n%s",
                 diag.Format().c_str());
    std::exit(1);
  }
  return settings.rules;
}

// The governance step as the mapping stage runs it: the shipped rules and a suppression list
// of 10,000 erased people (an HMAC per identity of the record).
struct Governance {
  journeyd::governance::RecordRules rules;
  journeyd::governance::SuppressionList suppressions;
};
const Governance* g_governance = nullptr;

// --- benchmarks ----------------------------------------------------------------------------

void BM_ShopifyParseOnly(benchmark::State& state) {
  const std::string& body = g_inputs->shopify_event.body;
  for (auto _ : state) {
    json::monotonic_resource arena;
    json::value v = json::parse(body, &arena);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}

void BM_ShopifyParseMap(benchmark::State& state) {
  const Mapping& mapping = *g_inputs->shopify;
  const RawEvent& event = g_inputs->shopify_event;
  for (auto _ : state) {
    journeyd::mapping::MapOutcome outcome = mapping.Map(event);
    benchmark::DoNotOptimize(outcome);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(event.body.size()));
}

void BM_ShopifyParseMapGovern(benchmark::State& state) {
  const Mapping& mapping = *g_inputs->shopify;
  const RawEvent& event = g_inputs->shopify_event;
  const auto now = std::chrono::system_clock::now();
  int64_t violations = 0;
  for (auto _ : state) {
    journeyd::mapping::MapOutcome outcome = mapping.Map(event);
    const bool suppressed = g_governance->suppressions.Suppresses(*outcome.record);
    violations += static_cast<int64_t>(g_governance->rules.Apply(*outcome.record, now).size());
    benchmark::DoNotOptimize(suppressed);
    benchmark::DoNotOptimize(outcome);
  }
  state.counters["violations"] = static_cast<double>(violations);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(event.body.size()));
}

void BM_ShopifyParseMapNewPhone(benchmark::State& state) {
  const Mapping& mapping = *g_inputs->shopify;
  const std::vector<RawEvent>& events = g_inputs->shopify_new_phone;
  size_t next = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const RawEvent& event = events[next];
    next = next + 1 == events.size() ? 0 : next + 1;
    journeyd::mapping::MapOutcome outcome = mapping.Map(event);
    benchmark::DoNotOptimize(outcome);
    bytes += static_cast<int64_t>(event.body.size());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}

void BM_SegmentParseOnly(benchmark::State& state) {
  const std::string& body = g_inputs->segment_batch;
  for (auto _ : state) {
    json::monotonic_resource arena;
    json::value v = json::parse(body, &arena);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations() * kSegmentBatchSize);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}

void BM_SegmentParseMap(benchmark::State& state) {
  const Mapping& mapping = *g_inputs->segment;
  const std::string& body = g_inputs->segment_batch;
  const std::vector<RawEvent>& events = g_inputs->segment_events;
  for (auto _ : state) {
    json::monotonic_resource arena;
    json::value v = json::parse(body, &arena);
    const json::array& items = v.get_object().at("batch").get_array();
    for (size_t i = 0; i < items.size(); ++i) {
      journeyd::mapping::MapOutcome outcome = mapping.MapPayload(events[i], items[i]);
      benchmark::DoNotOptimize(outcome);
    }
  }
  state.SetItemsProcessed(state.iterations() * kSegmentBatchSize);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}

// --- summary -------------------------------------------------------------------------------


void PrintSummary(const std::string& label, double parse_only, double parse_map, double target,
                  const char* unit) {
  if (parse_only <= 0 && parse_map <= 0) return;  // both filtered out
  const auto rate = [](double r) { return r > 0 ? Thousands(r) : std::string("-"); };
  char ratio[32] = "-";
  if (parse_only > 0 && parse_map > 0) {
    std::snprintf(ratio, sizeof ratio, "%.2f", parse_map / parse_only);
  }
  std::printf("%-34s parse-only %10s events/s   parse+map %10s events/s   ratio %s   "
              "target >= %s %s/s per core: %s\n",
              label.c_str(), rate(parse_only).c_str(), rate(parse_map).c_str(), ratio,
              Thousands(target).c_str(), unit,
              parse_map <= 0 ? "NOT RUN" : (parse_map >= target ? "MET" : "MISSED"));
}

}  // namespace

int main(int argc, char** argv) {
  const auto console_options = ConsoleOptions(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const fs::path repo = JOURNEYD_SOURCE_DIR;
  const fs::path fixtures = EnvPath("JOURNEYD_FIXTURES", repo / ".." / "shared" / "fixtures");
  const fs::path mappings = EnvPath("JOURNEYD_MAPPINGS", repo / "mappings");
  Inputs inputs;
  BuildShopify(inputs, fixtures, mappings);
  BuildSegment(inputs, fixtures, mappings);
  g_inputs = &inputs;
  std::vector<std::string> erased;
  for (int i = 0; i < 10000; ++i) {
    erased.push_back(journeyd::governance::SuppressionHash(
        "bench-salt", "email", "erased" + std::to_string(i) + "@example.com"));
  }
  const auto shipped_rules = ShippedRules(repo);
  Governance governance{journeyd::governance::RecordRules(shipped_rules),
                        journeyd::governance::SuppressionList("bench-salt", erased)};
  g_governance = &governance;

  std::printf("shopify: orders/create, %zu bytes, mappings/shopify.yaml\n",
              inputs.shopify_event.body.size());
  std::printf("segment: batch of %d messages, %zu bytes: %s, mappings/segment.yaml\n",
              kSegmentBatchSize, inputs.segment_batch.size(), inputs.segment_mix.c_str());
  std::fflush(stdout);

  benchmark::RegisterBenchmark("BM_ShopifyParseOnly", BM_ShopifyParseOnly);
  benchmark::RegisterBenchmark("BM_ShopifyParseMap", BM_ShopifyParseMap);
  benchmark::RegisterBenchmark("BM_ShopifyParseMapGovern", BM_ShopifyParseMapGovern);
  benchmark::RegisterBenchmark("BM_ShopifyParseMapNewPhone", BM_ShopifyParseMapNewPhone);
  benchmark::RegisterBenchmark("BM_SegmentParseOnly", BM_SegmentParseOnly);
  benchmark::RegisterBenchmark("BM_SegmentParseMap", BM_SegmentParseMap);

  SummaryReporter reporter(console_options);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  std::printf("\nmapping summary (single-threaded: one core; items = events):\n");
  PrintSummary("shopify orders/create (" + Thousands(inputs.shopify_event.body.size()) + " B)",
               reporter.Rate("BM_ShopifyParseOnly"), reporter.Rate("BM_ShopifyParseMap"),
               kShopifyTarget, "orders");
  PrintSummary("shopify, a new phone every order", reporter.Rate("BM_ShopifyParseOnly"),
               reporter.Rate("BM_ShopifyParseMapNewPhone"), kShopifyTarget, "orders");
  PrintSummary("segment batch of " + std::to_string(kSegmentBatchSize) + " (" +
                   Thousands(inputs.segment_batch.size()) + " B)",
               reporter.Rate("BM_SegmentParseOnly"),
               reporter.Rate("BM_SegmentParseMap"), kSegmentTarget, "events");
  // What governing costs: the shipped rules and a 10,000-person suppression list on top of
  // parse + map, both measured in this run.
  const double mapped = reporter.Rate("BM_ShopifyParseMap");
  const double governed = reporter.Rate("BM_ShopifyParseMapGovern");
  if (mapped > 0 && governed > 0) {
    std::printf("governance (%zu shipped rules, 10,000 suppressed people): parse+map %s orders/s,"
                " parse+map+govern %s orders/s, ratio %.2f (%.2f us per record)\n",
                shipped_rules.size(), Thousands(mapped).c_str(), Thousands(governed).c_str(),
                governed / mapped, 1e6 / governed - 1e6 / mapped);
  }
  return 0;
}
