#include "tests/support/temp_dir.h"

#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace journeyd::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "journeyd-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::Write(std::string_view name, std::string_view content) const {
  const auto file = path_ / name;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
  return file;
}

std::filesystem::path SourceDir() { return JOURNEYD_SOURCE_DIR; }

std::filesystem::path FixturesDir() {
  if (const char* env = std::getenv("JOURNEYD_FIXTURES")) return env;
  return SourceDir().parent_path() / "shared" / "fixtures";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string ShippedConfig() {
  std::string text = ReadFile(SourceDir() / "config" / "journeyd.yaml");
  const std::string mappings = (SourceDir() / "mappings").string() + "/";
  for (size_t at = text.find("../mappings/"); at != std::string::npos;
       at = text.find("../mappings/", at + mappings.size())) {
    text.replace(at, 12, mappings);
  }
  return text;
}

std::string ShippedConfigWith(std::string_view journey_and_targets) {
  const std::string text = ShippedConfig();
  const size_t journey = text.find("\njourney:");
  if (journey == std::string::npos) {
    throw std::runtime_error("config/journeyd.yaml has no journey: section to replace");
  }
  return text.substr(0, journey + 1) + std::string(journey_and_targets);
}

}  // namespace journeyd::testing
