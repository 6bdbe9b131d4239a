#include "engine/poll/drop_directory.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <string_view>
#include <system_error>
#include <utility>

namespace journeyd::poll {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDoneDir = "done";
constexpr const char* kFailedDir = "failed";
// Far more than a directory ever holds of one name; the bound only stops a runaway loop.
constexpr int kMaxSuffix = 100000;

bool EndsWithIgnoringCase(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  text.remove_prefix(text.size() - suffix.size());
  return std::equal(text.begin(), text.end(), suffix.begin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

// Names a writer uses while a copy is in flight; it renames them once complete.
bool IsInProgressName(std::string_view name) {
  return name.empty() || name.front() == '.' || EndsWithIgnoringCase(name, ".tmp") ||
         EndsWithIgnoringCase(name, ".part") || EndsWithIgnoringCase(name, ".partial");
}

// Glob match of `*` (any run) and `?` (one character), case-sensitive like the shell.
// Backtracks only to the last `*`, so it is linear-ish rather than exponential.
bool GlobMatch(std::string_view pattern, std::string_view name) {
  size_t p = 0;
  size_t n = 0;
  size_t star = std::string_view::npos;  // position of the last `*` seen in pattern
  size_t resume = 0;                     // where in name that `*` currently stops
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string ToHex(const unsigned char* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xf];
  }
  return out;
}

Result<std::string> Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return Internal("SHA-256 failed in OpenSSL");
  }
  return ToHex(digest, length);
}

std::string Describe(const fs::path& path, const std::error_code& ec) {
  return path.string() + ": " + ec.message();
}

// "sales.csv" -> "sales.<n>.csv"; a name without extension gets ".<n>" at its end.
std::string SuffixedName(const std::string& name, int n) {
  const fs::path as_path(name);
  const std::string extension = as_path.extension().string();
  const std::string stem = name.substr(0, name.size() - extension.size());
  return stem + "." + std::to_string(n) + extension;
}

bool Exists(const fs::path& path) {
  std::error_code ec;
  // symlink_status: a dangling link still occupies the name.
  return fs::exists(fs::symlink_status(path, ec));
}

// The first of name, name.2, name.3, ... free in `dir` (together with `<that>.error.txt` when
// `with_error_file`). This checks then renames, which is safe because one source's run is the
// only writer into its done/ and failed/.
Result<fs::path> FreeTarget(const fs::path& dir, const std::string& name, bool with_error_file) {
  for (int n = 1; n <= kMaxSuffix; ++n) {
    const fs::path candidate = dir / (n == 1 ? name : SuffixedName(name, n));
    if (Exists(candidate)) continue;
    if (with_error_file && Exists(fs::path(candidate.string() + ".error.txt"))) continue;
    return candidate;
  }
  return Unavailable("no free name for " + name + " in " + dir.string());
}

}  // namespace

DropDirectory::DropDirectory(DropDirectoryOptions options) : options_(std::move(options)) {}

Status DropDirectory::Prepare() const {
  for (const fs::path& dir :
       {options_.directory, options_.directory / kDoneDir, options_.directory / kFailedDir}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Unavailable("cannot create drop directory " + Describe(dir, ec));
    // create_directories does not complain when a file already has the name.
    if (!fs::is_directory(dir, ec)) {
      return Unavailable("drop directory " + dir.string() + " is not a directory");
    }
  }
  return OkStatus();
}

Result<std::vector<fs::path>> DropDirectory::ReadyFiles(
    std::chrono::system_clock::time_point now) const {
  std::error_code ec;
  fs::directory_iterator it(options_.directory, ec);
  if (ec) return Unavailable("cannot list drop directory " + Describe(options_.directory, ec));

  std::vector<fs::path> ready;
  for (const fs::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) break;
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    if (IsInProgressName(name) || !GlobMatch(options_.pattern, name)) continue;
    // Only real files: done/ and failed/ are directories, and a symlink would have us read
    // (and then move) something that does not live here.
    std::error_code status_ec;
    if (entry.is_symlink(status_ec) || !entry.is_regular_file(status_ec)) continue;
    const fs::file_time_type modified = entry.last_write_time(status_ec);
    if (status_ec) continue;  // vanished since listing: another run took it, or its writer
    // An mtime in the future (a writer's clock ahead of ours) just waits until now catches up.
    if (fs::file_time_type::clock::to_sys(modified) + options_.settle > now) continue;
    ready.push_back(entry.path());
  }
  if (ec) return Unavailable("cannot list drop directory " + Describe(options_.directory, ec));

  std::sort(ready.begin(), ready.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  return ready;
}

Result<DropFile> DropDirectory::Read(const fs::path& path) const {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec) return Unavailable("cannot read drop file " + Describe(path, ec));
  if (!fs::is_regular_file(status)) {
    return InvalidArgument("drop file " + path.string() + " is not a regular file");
  }
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return Unavailable("cannot read drop file " + Describe(path, ec));
  const std::string too_large = "drop file " + path.string() + " is larger than " +
                                std::to_string(options_.max_file_size) + " bytes";
  if (size > options_.max_file_size) return InvalidArgument(too_large);

  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable("cannot open drop file " + path.string());
  DropFile file;
  // Read at most one byte past the limit: a file still growing must not make us read it all.
  file.content.resize(static_cast<size_t>(std::min<uintmax_t>(size, options_.max_file_size)) + 1);
  in.read(file.content.data(), static_cast<std::streamsize>(file.content.size()));
  if (in.bad()) return Unavailable("cannot read drop file " + path.string());
  file.content.resize(static_cast<size_t>(in.gcount()));
  if (file.content.size() > options_.max_file_size) return InvalidArgument(too_large);

  auto sha256 = Sha256Hex(file.content);
  if (!sha256.ok()) return sha256.error();
  file.path = path;
  file.name = path.filename().string();
  file.size = file.content.size();
  file.sha256 = std::move(*sha256);
  return file;
}

Result<fs::path> DropDirectory::MoveToDone(const DropFile& file) const {
  auto target = FreeTarget(options_.directory / kDoneDir, file.name, /*with_error_file=*/false);
  if (!target.ok()) return target.error();
  std::error_code ec;
  // rename(2): atomic within the filesystem, and done/ is on the same one as the file.
  fs::rename(file.path, *target, ec);
  if (ec) return Unavailable("cannot move " + file.path.string() + " to done/: " + ec.message());
  return target;
}

Result<fs::path> DropDirectory::MoveToFailed(const DropFile& file,
                                             const std::string& reason) const {
  auto target = FreeTarget(options_.directory / kFailedDir, file.name, /*with_error_file=*/true);
  if (!target.ok()) return target.error();
  // The reason goes first, so a file in failed/ always has its explanation beside it.
  const fs::path error_file(target->string() + ".error.txt");
  {
    std::ofstream out(error_file, std::ios::binary | std::ios::trunc);
    out << reason << '\n';
    out.close();
    if (!out) {
      std::error_code ignored;
      fs::remove(error_file, ignored);
      return Unavailable("cannot write " + error_file.string());
    }
  }
  std::error_code ec;
  fs::rename(file.path, *target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(error_file, ignored);
    return Unavailable("cannot move " + file.path.string() + " to failed/: " + ec.message());
  }
  return target;
}

}  // namespace journeyd::poll
