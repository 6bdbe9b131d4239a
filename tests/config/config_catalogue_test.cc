// The bad-config catalogue: every tests/config/bad/NAME.yaml is loaded exactly as `journeyd run`
// and `journeyd check` load it, and must produce exactly the diagnostics in NAME.expected (all
// of them, in order, with file:line:col). Adding a case is adding two files.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "connectors/builtin.h"
#include "engine/config/config_loader.h"
#include "tests/support/temp_dir.h"

namespace journeyd {
namespace {

std::string StripDirectory(const std::string& text, const std::string& dir) {
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(dir, 0) == 0) line = line.substr(dir.size());
    out += line + "\n";
  }
  return out;
}

TEST_CASE("every bad config in the catalogue reports its exact diagnostics", "[config]") {
  setenv("JOURNEYD_TEST_ADMIN", "admin-token-for-tests", 1);
  setenv("JOURNEYD_TEST_READ", "read-token-for-tests", 1);
  unsetenv("JOURNEYD_TEST_NOT_SET_ANYWHERE");
  Registry registry;
  RegisterBuiltinConnectors(registry);
  SystemClock clock;

  const auto dir = testing::SourceDir() / "tests" / "config" / "bad";
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++cases;
    auto expected_file = entry.path();
    expected_file.replace_extension(".expected");
    DYNAMIC_SECTION(entry.path().filename().string()) {
      config::Diagnostics diag;
      auto config = config::LoadConfig(entry.path(), registry, {}, clock, diag);
      const std::string actual = StripDirectory(diag.Format(), dir.string() + "/");
      CHECK(actual == testing::ReadFile(expected_file));
      // Warnings alone load; any error refuses the whole config.
      CHECK((config == nullptr) == diag.has_errors());
    }
  }
  CHECK(cases >= 10);
}

TEST_CASE("the shipped default config loads without errors", "[config]") {
  for (const char* name : {"JOURNEYD_ADMIN_TOKEN", "JOURNEYD_READ_TOKEN", "JOURNEYD_SHOPIFY_SECRET",
                           "JOURNEYD_WOOCOMMERCE_SECRET", "JOURNEYD_SQUARE_SECRET",
                           "JOURNEYD_ZENDESK_SECRET", "JOURNEYD_STRIPE_SECRET",
                           "JOURNEYD_HUBSPOT_SECRET", "JOURNEYD_MAILCHIMP_SECRET",
                           "JOURNEYD_SEGMENT_WRITE_KEY", "JOURNEYD_POS_TOKEN"}) {
    setenv(name, "value-for-tests", 1);
  }
  Registry registry;
  RegisterBuiltinConnectors(registry);
  SystemClock clock;
  config::Diagnostics diag;
  auto config = config::LoadConfig(testing::SourceDir() / "config" / "journeyd.yaml", registry,
                                   {}, clock, diag);
  INFO(diag.Format());
  REQUIRE(config != nullptr);
  CHECK(diag.entries().empty());
  CHECK(config->server.listen.ToString() == "127.0.0.1:8080");
  CHECK(config->data_dir == "var");
  CHECK(config->FindTarget("preview") != nullptr);
}

TEST_CASE("command-line overrides win over the file", "[config]") {
  setenv("JOURNEYD_TEST_ADMIN", "a", 1);
  setenv("JOURNEYD_TEST_READ", "r", 1);
  testing::TempDir dir;
  auto file = dir.Write("c.yaml",
                        "data_dir: /nonexistent\nserver:\n  listen: 0.0.0.0:1\n"
                        "  admin_token: ${env:JOURNEYD_TEST_ADMIN}\n"
                        "  read_token: ${env:JOURNEYD_TEST_READ}\n");
  Registry registry;
  SystemClock clock;
  config::Diagnostics diag;
  config::ConfigOverrides overrides;
  overrides.listen = config::HostPort{"127.0.0.1", 0};
  overrides.data_dir = dir.path();
  auto config = config::LoadConfig(file, registry, overrides, clock, diag);
  REQUIRE(config != nullptr);
  CHECK(config->server.listen.ToString() == "127.0.0.1:0");
  CHECK(config->data_dir == dir.path());
  CHECK(config->SqlitePath() == dir.path() / "journeyd.db");
  CHECK(config->server.admin_token.Reveal() == "a");
}

}  // namespace
}  // namespace journeyd
