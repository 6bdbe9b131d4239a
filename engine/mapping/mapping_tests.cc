#include "engine/mapping/mapping_tests.h"

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "engine/base/json_text.h"
#include "engine/mapping/normalize.h"
#include "engine/mapping/sample_events.h"

namespace journeyd::mapping {
namespace json = boost::json;
using config::ConfigNode;
using config::DiagnosticKind;

namespace {

std::optional<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct TestSpec {
  SampleOptions sample;
  std::filesystem::path payload;
  std::filesystem::path expect;
  std::string expect_issue;
};

std::optional<TestSpec> ReadSpec(const std::filesystem::path& file, const Mapping& mapping,
                                 config::Diagnostics& diag) {
  auto root = ConfigNode::LoadFile(file, diag);
  if (!root) return std::nullopt;
  if (!root->IsMap()) {
    diag.Error(root->position(), DiagnosticKind::kWrongType, "a mapping test is a map");
    return std::nullopt;
  }
  TestSpec spec;
  spec.sample.source = mapping.source_type();
  const size_t errors = diag.error_count();
  const auto text = [&](const ConfigNode& v) -> std::string {
    if (v.IsScalar()) return v.Scalar();
    diag.Error(v.position(), DiagnosticKind::kWrongType, "expected a text");
    return {};
  };
  for (const auto& entry : root->Entries(diag)) {
    const ConfigNode& v = entry.value;
    if (entry.key == "event_type") {
      spec.sample.event_type = text(v);
    } else if (entry.key == "source") {
      spec.sample.source = text(v);
    } else if (entry.key == "content_type") {
      spec.sample.content_type = text(v);
    } else if (entry.key == "external_id") {
      spec.sample.external_id = text(v);
    } else if (entry.key == "received_at") {
      auto t = ParseTime(text(v));
      if (!t) {
        diag.Error(v.position(), DiagnosticKind::kInvalidValue, "not a time (RFC 3339)");
      } else {
        spec.sample.received_at = *t;
      }
    } else if (entry.key == "headers") {
      if (!v.IsMap()) {
        diag.Error(v.position(), DiagnosticKind::kWrongType, "expected a map of headers");
        continue;
      }
      for (const auto& h : v.Entries(diag)) spec.sample.headers.emplace_back(h.key, text(h.value));
    } else if (entry.key == "payload" || entry.key == "expect") {
      const std::filesystem::path path = file.parent_path() / text(v);
      std::error_code ec;
      if (!std::filesystem::is_regular_file(path, ec)) {
        diag.Error(v.position(), DiagnosticKind::kInvalidValue,
                   "file '" + path.string() + "' does not exist");
      }
      (entry.key == "payload" ? spec.payload : spec.expect) = path;
    } else if (entry.key == "expect_issue") {
      spec.expect_issue = text(v);
    } else {
      diag.Error(entry.key_position, DiagnosticKind::kUnknownKey,
                 "unknown key '" + entry.key + "'",
                 config::DidYouMean(entry.key, {"event_type", "source", "content_type",
                                                "external_id", "received_at", "headers",
                                                "payload", "expect", "expect_issue"}));
    }
  }
  if (spec.payload.empty()) {
    diag.Error(root->position(), DiagnosticKind::kMissingKey, "missing `payload:`");
  }
  if (spec.expect.empty() && spec.expect_issue.empty()) {
    diag.Error(root->position(), DiagnosticKind::kMissingKey,
               "missing `expect:` (or `expect_issue:`)");
  }
  if (diag.error_count() > errors) return std::nullopt;
  return spec;
}

MappingTestResult RunOne(const std::filesystem::path& file, const TestSpec& spec,
                         const Mapping& mapping) {
  MappingTestResult result;
  result.file = file;
  auto body = ReadWholeFile(spec.payload);
  if (!body) {
    result.failure = "cannot read " + spec.payload.string();
    return result;
  }
  auto events = SampleEvents(spec.sample, std::move(*body));
  if (!events.ok()) {
    result.failure = spec.payload.string() + ": " + events.error().message;
    return result;
  }
  std::vector<CanonicalRecord> records;
  std::vector<std::string> issues;
  for (const RawEvent& event : *events) {
    MapOutcome outcome = mapping.Map(event);
    if (outcome.issue) issues.push_back(outcome.issue->kind + ": " + outcome.issue->message);
    if (outcome.record) records.push_back(std::move(*outcome.record));
  }
  if (!spec.expect_issue.empty()) {
    const bool seen = std::any_of(issues.begin(), issues.end(), [&](const std::string& issue) {
      return issue.rfind(spec.expect_issue + ":", 0) == 0;
    });
    if (!seen) {
      result.failure = "expected a '" + spec.expect_issue + "' issue, got " +
                       (issues.empty() ? std::string("none") : issues.front());
      return result;
    }
  } else if (!issues.empty()) {
    result.failure = "mapping raised an issue: " + issues.front();
    return result;
  }
  if (!spec.expect.empty()) {
    auto expected_text = ReadWholeFile(spec.expect);
    if (!expected_text) {
      result.failure = "cannot read " + spec.expect.string();
      return result;
    }
    json::error_code ec;
    json::value expected = json::parse(*expected_text, ec);
    if (ec) {
      result.failure = spec.expect.string() + ": not JSON: " + ec.message();
      return result;
    }
    const json::value actual = ToJson(records);
    if (expected != actual) {
      result.failure = LineDiff(PrettyJson(expected), PrettyJson(actual));
      return result;
    }
  }
  result.passed = true;
  return result;
}

}  // namespace

std::filesystem::path MappingTestsDir(const std::filesystem::path& mapping_file) {
  return mapping_file.parent_path() / "tests" / mapping_file.stem();
}

std::vector<MappingTestResult> RunMappingTests(const Mapping& mapping,
                                               const std::filesystem::path& dir,
                                               config::Diagnostics& diag) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > 10 && name.ends_with(".test.yaml")) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  std::vector<MappingTestResult> results;
  for (const auto& file : files) {
    auto spec = ReadSpec(file, mapping, diag);
    if (spec) results.push_back(RunOne(file, *spec, mapping));
  }
  return results;
}

}  // namespace journeyd::mapping
