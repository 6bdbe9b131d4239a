// Fuzzes the config loader (engine/config/config_loader.h): LoadConfig on fuzzed YAML, with the
// builtin connectors registered, as `journeyd check`, `journeyd run` and SIGHUP load a config.
// The input is the file. LoadConfig reads only a path, so each input is written to
// <tmp>/etc/journeyd/journeyd.yaml, next to symlinks that make the shipped configs' mapping
// paths (../mappings/x.yaml, ../../mappings/x.yaml) name the repository's mappings/. The
// ${env:...} secrets the shipped configs use are set to demo values.
//
// Inputs that name `${file:` or `/proc` are skipped: they would make the loader read whatever
// file the fuzzer spells (a device, /proc/kcore), which tells nothing about the loader.
//
// Checks, beyond not crashing and no exception escaping (a bad config is diagnostics, never a
// throw: factories "never throw", and yaml-cpp's exceptions stop at ConfigNode):
//   - a config loads exactly when the diagnostics hold no error, and every diagnostic has a
//     message;
//   - a loaded config has a webhook source for every entry, unique names, and a compiled
//     mapping wherever an entry names a mapping file.
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "connectors/builtin.h"
#include "engine/base/clock.h"
#include "engine/config/config.h"
#include "engine/config/config_loader.h"
#include "engine/config/diagnostics.h"
#include "engine/connector/registry.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

namespace fs = std::filesystem;

struct World {
  fs::path root;  // removed at exit
  fs::path file;
  journeyd::Registry registry;
  journeyd::ManualClock clock{std::chrono::system_clock::time_point(
      std::chrono::seconds(1767225600))};
};

World* g_world = nullptr;

void RemoveWorld() {
  std::error_code ec;
  if (g_world) fs::remove_all(g_world->root, ec);
}

World& TheWorld() {
  if (g_world) return *g_world;
  g_world = new World;
  std::string pattern = (fs::temp_directory_path() / "journeyd-fuzz-config-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("fuzz_config: mkdtemp");
    std::abort();
  }
  g_world->root = pattern;
  const fs::path mappings = fs::path(JOURNEYD_SOURCE_DIR) / "mappings";
  fs::create_directories(g_world->root / "etc" / "journeyd");
  fs::create_directory_symlink(mappings, g_world->root / "mappings");
  fs::create_directory_symlink(mappings, g_world->root / "etc" / "mappings");
  g_world->file = g_world->root / "etc" / "journeyd" / "journeyd.yaml";
  std::atexit(RemoveWorld);
  journeyd::RegisterBuiltinConnectors(g_world->registry);

  static constexpr const char* kSecrets[] = {
      "JOURNEYD_ADMIN_TOKEN", "JOURNEYD_READ_TOKEN", "JOURNEYD_SHOPIFY_SECRET",
      "JOURNEYD_SHOPIFY_TOKEN", "JOURNEYD_WOOCOMMERCE_SECRET", "JOURNEYD_WOOCOMMERCE_TOKEN",
      "JOURNEYD_SQUARE_SECRET", "JOURNEYD_SQUARE_TOKEN", "JOURNEYD_SQUARE_LOCATION_ID",
      "JOURNEYD_ZENDESK_SECRET", "JOURNEYD_ZENDESK_TOKEN", "JOURNEYD_STRIPE_SECRET",
      "JOURNEYD_STRIPE_TOKEN", "JOURNEYD_HUBSPOT_SECRET", "JOURNEYD_HUBSPOT_TOKEN",
      "JOURNEYD_MAILCHIMP_SECRET", "JOURNEYD_MAILCHIMP_TOKEN", "JOURNEYD_MAILCHIMP_LIST_ID",
      "JOURNEYD_SEGMENT_WRITE_KEY", "JOURNEYD_POS_TOKEN", "JOURNEYD_SALESFORCE_CLIENT_ID",
      "JOURNEYD_SALESFORCE_CLIENT_SECRET"};
  // user:password, as the basic-auth presets (WooCommerce, Zendesk, Mailchimp) need it.
  for (const char* name : kSecrets) setenv(name, "fuzz:demo-secret", 0);
  static constexpr const char* kUrls[] = {
      "JOURNEYD_SHOPIFY_BASE_URL", "JOURNEYD_WOOCOMMERCE_BASE_URL", "JOURNEYD_SQUARE_BASE_URL",
      "JOURNEYD_ZENDESK_BASE_URL", "JOURNEYD_STRIPE_BASE_URL", "JOURNEYD_HUBSPOT_BASE_URL",
      "JOURNEYD_MAILCHIMP_BASE_URL", "JOURNEYD_SALESFORCE_LOGIN_URL"};
  for (const char* name : kUrls) setenv(name, "http://127.0.0.1:9", 0);
  return *g_world;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  TheWorld();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace journeyd;
  const std::string_view text = fuzz::AsText(data, size);
  if (text.find("${file:") != std::string_view::npos ||
      text.find("/proc") != std::string_view::npos) {
    return -1;  // not added to the corpus
  }
  World& world = TheWorld();
  {
    std::ofstream out(world.file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  config::Diagnostics diag;
  auto loaded = config::LoadConfig(world.file, world.registry, {}, world.clock, diag);
  if (std::getenv("JOURNEYD_FUZZ_VERBOSE") != nullptr) {  // to see what seeds reach
    std::fprintf(stderr, "%s%s\n", diag.Format().c_str(), loaded ? "loaded" : "not loaded");
  }
  JOURNEYD_FUZZ_CHECK((loaded == nullptr) == diag.has_errors(),
                      "a config loaded with errors, or failed without one");
  for (const config::Diagnostic& d : diag.entries()) {
    JOURNEYD_FUZZ_CHECK(!d.message.empty(), "a diagnostic without a message");
  }
  if (!loaded) return 0;
  std::set<std::string> names;
  for (const config::SourceEntry& source : loaded->sources) {
    JOURNEYD_FUZZ_CHECK(source.webhook != nullptr, "a source entry without a source");
    JOURNEYD_FUZZ_CHECK(names.insert(source.name).second, "two sources share a name");
    JOURNEYD_FUZZ_CHECK(source.mapping_file.empty() || source.mapping != nullptr,
                        "a source's mapping file did not compile, yet the config loaded");
  }
  for (const config::TargetEntry& target : loaded->targets) {
    JOURNEYD_FUZZ_CHECK(target.target != nullptr, "a target entry without a target");
  }
  return 0;
}
