// docs/openapi.yaml must describe exactly the routes the daemon serves: this builds the router as
// `journeyd run` does (daemon/commands/run_command.cc) and compares its (method, pattern) pairs
// with the document's paths and operations. Handlers are never called, so nothing runs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "daemon/config_holder.h"
#include "daemon/routes/delivery_api.h"
#include "daemon/routes/health_routes.h"
#include "daemon/routes/intake_routes.h"
#include "daemon/routes/issues_api.h"
#include "daemon/routes/journey_api.h"
#include "daemon/routes/metrics_route.h"
#include "daemon/routes/profiles_api.h"
#include "daemon/routes/quarantine_api.h"
#include "daemon/routes/runs_api.h"
#include "daemon/routes/status_api.h"
#include "daemon/routes/status_page.h"
#include "daemon/server/router.h"
#include "engine/base/clock.h"
#include "engine/ingest/inbox_writer.h"
#include "engine/observability/metrics.h"
#include "engine/storage/sqlite/sqlite_store.h"
#include "tests/support/temp_dir.h"

namespace journeyd::routes {
namespace {

// (method in lower case, as OpenAPI spells it; path pattern)
using Operation = std::pair<std::string, std::string>;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string Describe(const Operation& op) {
  std::string method = op.first;
  std::transform(method.begin(), method.end(), method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return method + " " + op.second;
}

// Every route group registered in the order and with the arguments `journeyd run` uses (a null
// delivery service, which the delivery and status routes allow).
std::vector<Operation> RoutedOperations() {
  testing::TempDir dir;
  auto store = storage::SqliteStore::Open(dir.path() / "journeyd.db", std::chrono::seconds(1));
  REQUIRE(store.ok());
  // The config's contents do not matter: handlers read it per request, and none runs here.
  ConfigHolder config(std::make_shared<config::Config>());
  SystemClock clock;
  observability::Registry metrics;
  ingest::InboxWriter inbox(**store, {});

  server::Router router;
  AddHealthRoutes(router, **store, config);
  AddIntakeRoutes(router, config, inbox, clock);
  AddSourcesApi(router, config, **store);
  AddIssuesApi(router, config, **store);
  AddProfilesApi(router, config, **store);
  AddQuarantineApi(router, config, **store);
  AddJourneyApi(router, config, **store);
  AddDeliveryApi(router, config, **store, nullptr);
  AddMetricsRoute(router, metrics);
  AddStatusApi(router, config, **store, {"test", clock.Now(), nullptr});
  AddStatusPage(router, config);
  AddRunsApi(router, config, **store, nullptr);

  std::vector<Operation> out;
  for (const auto& [method, pattern] : router.Routes()) {
    out.emplace_back(Lower(std::string(server::http::to_string(method))), pattern);
  }
  return out;
}

// The operations under `paths`, with each operation's node.
std::vector<std::pair<Operation, YAML::Node>> DocumentedOperations(const YAML::Node& document) {
  static const std::set<std::string> kMethods = {"get",  "put",     "post",  "delete",
                                                 "head", "options", "patch", "trace"};
  std::vector<std::pair<Operation, YAML::Node>> out;
  for (const auto& path : document["paths"]) {
    for (const auto& entry : path.second) {
      const std::string key = entry.first.as<std::string>();
      if (kMethods.count(key) == 0) continue;  // parameters, summary, description
      out.push_back({{key, path.first.as<std::string>()}, entry.second});
    }
  }
  return out;
}

TEST_CASE("docs/openapi.yaml documents exactly the routes the daemon serves", "[openapi]") {
  const std::vector<Operation> routed = RoutedOperations();
  const YAML::Node document =
      YAML::LoadFile((testing::SourceDir() / "docs" / "openapi.yaml").string());
  REQUIRE(document["openapi"].as<std::string>() == "3.0.3");
  REQUIRE(document["paths"].IsMap());
  const auto documented = DocumentedOperations(document);

  // A sanity floor, so that an empty router or document cannot pass.
  CHECK(routed.size() >= 40);
  CHECK(documented.size() >= 40);

  std::set<Operation> routed_set(routed.begin(), routed.end());
  CHECK(routed_set.size() == routed.size());  // no route is added twice
  std::set<Operation> documented_set;
  for (const auto& [op, node] : documented) documented_set.insert(op);

  for (const Operation& op : routed_set) {
    INFO(Describe(op) << " is served but not documented in docs/openapi.yaml");
    CHECK(documented_set.count(op) == 1);
  }
  for (const Operation& op : documented_set) {
    INFO(Describe(op) << " is documented in docs/openapi.yaml but the router has no such route");
    CHECK(routed_set.count(op) == 1);
  }
}

TEST_CASE("every admin API operation in docs/openapi.yaml declares its role and auth failures",
          "[openapi]") {
  const YAML::Node document =
      YAML::LoadFile((testing::SourceDir() / "docs" / "openapi.yaml").string());
  int api_operations = 0;
  for (const auto& [op, node] : DocumentedOperations(document)) {
    if (op.second.rfind("/api/v1/", 0) != 0) continue;
    ++api_operations;
    INFO(Describe(op));
    const YAML::Node responses = node["responses"];
    REQUIRE(responses.IsMap());
    CHECK(responses["401"].IsDefined());
    const std::string role =
        node["x-journeyd-role"] ? node["x-journeyd-role"].as<std::string>() : "";
    CHECK((role == "read" || role == "admin"));
    // Every route that changes state needs the admin token, so it can answer 403 too.
    if (op.first != "get") {
      CHECK(role == "admin");
      CHECK(responses["403"].IsDefined());
    }
  }
  CHECK(api_operations >= 25);
}

}  // namespace
}  // namespace journeyd::routes
