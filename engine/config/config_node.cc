#include "engine/config/config_node.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace journeyd::config {

namespace {

std::optional<ConfigNode> Parse(std::string_view text, std::string file_name,
                                Diagnostics& diag) {
  auto file = std::make_shared<const std::string>(std::move(file_name));
  try {
    YAML::Node root = YAML::Load(std::string(text));
    return ConfigNode(root, file);
  } catch (const YAML::Exception& e) {
    // yaml-cpp marks are 0-based; an unknown mark is -1, which becomes 0 ("unknown").
    diag.Error({*file, e.mark.line + 1, e.mark.column + 1}, DiagnosticKind::kSyntax, e.msg);
    return std::nullopt;
  }
}

}  // namespace

std::optional<ConfigNode> ConfigNode::LoadFile(const std::filesystem::path& path,
                                               Diagnostics& diag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diag.Error({path.string(), 0, 0}, DiagnosticKind::kInvalidValue,
               "cannot read file: " + std::string(std::strerror(errno)));
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path.string(), diag);
}

std::optional<ConfigNode> ConfigNode::LoadString(std::string_view text, std::string file_name,
                                                 Diagnostics& diag) {
  return Parse(text, std::move(file_name), diag);
}

Position ConfigNode::position() const {
  const YAML::Mark mark = node_.Mark();
  if (mark.is_null()) return {*file_, 0, 0};
  return {*file_, mark.line + 1, mark.column + 1};
}

std::string_view ConfigNode::KindName() const {
  if (IsNull()) return "empty";
  if (IsMap()) return "a map";
  if (IsSequence()) return "a list";
  return "a scalar";
}

std::vector<ConfigNode::Entry> ConfigNode::Entries(Diagnostics& diag) const {
  std::vector<Entry> entries;
  std::set<std::string, std::less<>> seen;
  const YAML::Node& map = node_;
  for (auto it = map.begin(); it != map.end(); ++it) {
    ConfigNode key(it->first, file_);
    std::string name = key.IsScalar() ? key.Scalar() : std::string{};
    if (!seen.insert(name).second) {
      diag.Error(key.position(), DiagnosticKind::kDuplicateKey,
                 "key '" + name + "' appears more than once in this map");
      continue;
    }
    entries.push_back({std::move(name), key.position(), ConfigNode(it->second, file_)});
  }
  return entries;
}

std::optional<ConfigNode> ConfigNode::Find(std::string_view key) const {
  const YAML::Node& map = node_;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return ConfigNode(it->second, file_);
  }
  return std::nullopt;
}

std::vector<ConfigNode> ConfigNode::Elements() const {
  std::vector<ConfigNode> elements;
  const YAML::Node& seq = node_;
  for (auto it = seq.begin(); it != seq.end(); ++it) elements.emplace_back(*it, file_);
  return elements;
}

}  // namespace journeyd::config
