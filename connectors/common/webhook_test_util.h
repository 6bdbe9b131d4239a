// Helpers for the webhook sources' unit tests only (never linked into journeyd): a request
// that owns its bytes, fixture loading that checks the vectors' body hashes, and building a
// source from YAML exactly as the config loader does. Thread-compatible.
#pragma once

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "engine/base/clock.h"
#include "engine/config/config_node.h"
#include "engine/config/diagnostics.h"
#include "engine/connector/factory.h"
#include "engine/connector/inbound_request.h"
#include "engine/connector/webhook_source.h"
#include "tests/support/temp_dir.h"

namespace journeyd::connectors::testing {

// 2023-11-14T22:13:20Z, the timestamp of the Stripe vectors.
inline constexpr std::chrono::seconds kTestEpoch{1700000000};

struct FakeRequest {
  std::string method = "POST";
  std::string path = "/webhooks/test";
  std::string query;
  HeaderList headers;
  std::string body;
  std::chrono::system_clock::time_point received_at{kTestEpoch};

  InboundRequest View() const { return {method, path, query, &headers, body, received_at}; }
};

inline std::filesystem::path WebhookFixtures(std::string_view vendor) {
  return journeyd::testing::FixturesDir() / "webhooks" / vendor;
}

inline boost::json::value ReadJson(const std::filesystem::path& file) {
  return boost::json::parse(journeyd::testing::ReadFile(file));
}

inline std::string Text(const boost::json::value& value) {
  return std::string(value.as_string().c_str());
}

// A vector's message body: `body` inline, or `body_file` next to the vectors file, whose
// SHA-256 must equal `body_sha256` (so a changed fixture fails loudly instead of silently).
inline std::string VectorBody(const boost::json::object& vector, const std::filesystem::path& dir) {
  if (const auto* body = vector.if_contains("body")) return Text(*body);
  const std::string file = Text(vector.at("body_file"));
  std::string bytes = journeyd::testing::ReadFile(dir / file);
  if (const auto* sha = vector.if_contains("body_sha256")) {
    if (common::HexEncode(common::Sha256(bytes)) != Text(*sha)) {
      throw std::runtime_error("fixture " + file + " does not match its body_sha256");
    }
  }
  return bytes;
}

inline ConnectorContext MakeContext(const Clock& clock, std::string name = "test_source") {
  ConnectorContext context;
  context.clock = &clock;
  context.instance_name = std::move(name);
  return context;
}

struct YamlResult {
  std::shared_ptr<const WebhookSource> source;
  config::Diagnostics diag;
};

// Parses `yaml` (a connector entry) as file "sources.yaml" and runs the factory on it.
inline YamlResult CreateFromYaml(const Factory<WebhookSource>& factory, std::string_view yaml,
                                 const ConnectorContext& context) {
  YamlResult result;
  auto node = config::ConfigNode::LoadString(yaml, "sources.yaml", result.diag);
  if (!node) return result;
  result.source = factory.Create(*node, context, result.diag);
  return result;
}

// The first error diagnostic, for asserting on its position and hint.
inline std::optional<config::Diagnostic> FirstError(const config::Diagnostics& diag) {
  for (const auto& entry : diag.entries()) {
    if (entry.severity == config::Severity::kError) return entry;
  }
  return std::nullopt;
}

// Tallies a vendor's published signature vectors: a valid one must give exactly one event that
// carries the signed body byte for byte, an invalid one must be refused as kUnauthenticated.
struct VectorVerdicts {
  int valid = 0;
  int invalid = 0;

  // The accepted event, for further checks, or null for an invalid vector.
  const RawEvent* Check(const boost::json::object& vector,
                        const Result<std::vector<RawEvent>>& result, std::string_view body) {
    if (vector.at("valid").as_bool()) {
      ++valid;
      REQUIRE(result.ok());
      REQUIRE(result->size() == 1);
      CHECK((*result)[0].body == body);
      return &(*result)[0];
    }
    ++invalid;
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnauthenticated);
    return nullptr;
  }
};

}  // namespace journeyd::connectors::testing
