// ConfigNode is a read-only view of one YAML node that remembers the file it came from, so every
// diagnostic can name FILE:LINE:COL. It is the only place outside engine/config that sees
// yaml-cpp, and only connector factories use it, to parse their own settings. Cheap to copy.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/diagnostics.h"

namespace journeyd::config {

class ConfigNode {
 public:
  ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file)
      : node_(std::move(node)), file_(std::move(file)) {}

  // Parses a whole file. Syntax errors go to `diag` with their position; returns nullopt then.
  static std::optional<ConfigNode> LoadFile(const std::filesystem::path& path, Diagnostics& diag);
  // Parses text that stands for `file_name` (tests, and configs held in memory).
  static std::optional<ConfigNode> LoadString(std::string_view text, std::string file_name,
                                              Diagnostics& diag);

  Position position() const;
  const std::string& file() const { return *file_; }

  bool IsMap() const { return node_.IsMap(); }
  bool IsSequence() const { return node_.IsSequence(); }
  bool IsScalar() const { return node_.IsScalar(); }
  bool IsNull() const { return !node_.IsDefined() || node_.IsNull(); }
  // "a map", "a list", "a scalar" or "empty": for "expected X, found Y" messages.
  std::string_view KindName() const;

  // REQUIRES: IsScalar().
  const std::string& Scalar() const { return node_.Scalar(); }
  // True when the scalar was written quoted in the file ("8080" rather than 8080).
  bool IsQuoted() const { return node_.Tag() == "!"; }

  struct Entry;
  // REQUIRES: IsMap(). Entries in file order. A key written twice is reported once to `diag`
  // (yaml-cpp silently keeps one) and only its first occurrence is returned.
  std::vector<Entry> Entries(Diagnostics& diag) const;
  // REQUIRES: IsMap(). The value of `key`, or nullopt.
  std::optional<ConfigNode> Find(std::string_view key) const;
  // REQUIRES: IsSequence().
  std::vector<ConfigNode> Elements() const;

 private:
  YAML::Node node_;
  std::shared_ptr<const std::string> file_;
};

struct ConfigNode::Entry {
  std::string key;
  Position key_position;
  ConfigNode value;
};

}  // namespace journeyd::config
