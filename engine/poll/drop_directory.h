// DropDirectory is the file side of a `csv` drop source: a directory where a till or a nightly
// job leaves export files. It lists the files that are ready (written completely), reads one
// with its identity (name, size, SHA-256), and files it away afterwards into done/ or failed/
// beside it. Which files were already imported is the store's business, not this class's.
// Not thread-safe: one per source, used by that source's sync run.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/base/result.h"

namespace journeyd::poll {

struct DropFile {
  std::filesystem::path path;  // where it is now
  std::string name;            // file name only
  uint64_t size = 0;
  std::string sha256;          // lowercase hex of the content
  std::string content;         // the whole file (exports are small: the caller bounds size)
};

struct DropDirectoryOptions {
  std::filesystem::path directory;
  // Glob on the file name (`*` and `?`), e.g. "*.csv". Hidden files (".x") and names ending in
  // ".tmp", ".part" or ".partial" are never taken: writers use them while copying.
  std::string pattern = "*.csv";
  // A file is ready once unmodified for this long, so one still being written is left for the
  // next run.
  std::chrono::seconds settle{5};
  uint64_t max_file_size = 256ull << 20;
};

class DropDirectory {
 public:
  explicit DropDirectory(DropDirectoryOptions options);

  // Creates the directory, done/ and failed/ when missing. kUnavailable when it cannot.
  Status Prepare() const;

  // Regular files directly in the directory (not in done/ or failed/) that match the pattern
  // and are ready at `now`, in name order. Their content is not read yet.
  Result<std::vector<std::filesystem::path>> ReadyFiles(
      std::chrono::system_clock::time_point now) const;

  // Reads a file whole and hashes it. kInvalidArgument when it is larger than max_file_size,
  // kUnavailable when it cannot be read (gone, permissions).
  Result<DropFile> Read(const std::filesystem::path& path) const;

  // Moves the file into done/ (or failed/). A name already taken there gets a suffix
  // ("sales.csv" -> "sales.2.csv"); for failed/ a "<name>.error.txt" beside it holds `reason`.
  // Returns where the file went.
  Result<std::filesystem::path> MoveToDone(const DropFile& file) const;
  Result<std::filesystem::path> MoveToFailed(const DropFile& file, const std::string& reason) const;

 private:
  DropDirectoryOptions options_;
};

}  // namespace journeyd::poll
