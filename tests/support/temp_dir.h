// A directory under the system temp dir that lives as long as the object: one per test, so
// tests never share files and clean up after themselves.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace journeyd::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to `name` inside the directory and returns its full path.
  std::filesystem::path Write(std::string_view name, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

// The repository root (for config/, mappings/) and ../shared/fixtures.
std::filesystem::path SourceDir();
std::filesystem::path FixturesDir();
std::string ReadFile(const std::filesystem::path& path);

// config/journeyd.yaml as shipped, its mappings pointed at the source tree's mappings/.
std::string ShippedConfig();
// ShippedConfig() up to its `journey:` section, then `journey_and_targets`: a test's own journey
// and targets after the shipped sources, identity and governance.
std::string ShippedConfigWith(std::string_view journey_and_targets);

}  // namespace journeyd::testing
