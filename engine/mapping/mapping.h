// Mapping is one compiled mapping file (docs/mapping.md): for one source type, which event
// blocks turn which vendor events into a CanonicalRecord. It is built once, when the
// configuration loads, and is immutable after, so every thread can map with it at once.
#pragma once

#include <boost/json/value.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/config/config_node.h"
#include "engine/config/diagnostics.h"
#include "engine/record/canonical_record.h"
#include "engine/record/raw_event.h"

namespace journeyd::mapping {

// Why an event produced no record, in the vocabulary of data-quality issues.
inline constexpr std::string_view kIssueMissingField = "mapping_missing_field";
inline constexpr std::string_view kIssueUnmappedEvent = "mapping_unmapped_event";
inline constexpr std::string_view kIssueBadPayload = "mapping_bad_payload";
// A value the mapping left out of an otherwise good record (an email that is not one).
inline constexpr std::string_view kIssueValueLeftOut = "mapping_value_left_out";

struct MappingIssue {
  std::string kind;     // one of the kIssue* names
  std::string message;  // names fields, never their values
};

struct MapOutcome {
  std::optional<CanonicalRecord> record;  // absent when ignored or when there is an issue
  std::optional<MappingIssue> issue;
  bool ignored = false;  // listed in `ignore:`, or the block's `when:` was false
  // Not errors: an email or phone that did not normalise and was left out, a time that did
  // not parse. Shown by `journeyd map`; never personal data.
  std::vector<std::string> notes;
};

struct MappingLoadOptions {
  // The event types the source type can send; empty when it cannot say (generic types).
  std::vector<std::string> known_event_types;
  // The source type that uses this file; `mapping:` must name it. Empty: not checked.
  std::string source_type;
};

class Mapping {
 public:
  // nullptr when the file has errors, which go to `diag` with their positions.
  static std::shared_ptr<const Mapping> LoadFile(const std::filesystem::path& path,
                                                 const MappingLoadOptions& options,
                                                 config::Diagnostics& diag);
  static std::shared_ptr<const Mapping> Load(const config::ConfigNode& root,
                                             const MappingLoadOptions& options,
                                             config::Diagnostics& diag);
  ~Mapping();

  const std::string& source_type() const;
  const std::string& file() const;

  // Decodes the event's body (by content type) and maps it.
  MapOutcome Map(const RawEvent& event) const;
  // Maps an already decoded payload.
  MapOutcome MapPayload(const RawEvent& event, const boost::json::value& payload) const;

  struct Plan;

 private:
  explicit Mapping(std::unique_ptr<Plan> plan);
  std::unique_ptr<Plan> plan_;
};

// True when `glob` (where '*' matches any run of characters) matches all of `text`.
bool GlobMatch(std::string_view glob, std::string_view text);

}  // namespace journeyd::mapping
