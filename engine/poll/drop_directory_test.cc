#include "engine/poll/drop_directory.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace journeyd::poll {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::system_clock;
using journeyd::testing::ReadFile;
using journeyd::testing::TempDir;

// A fixed "now", well after any mtime the tests set, so that readiness never depends on the
// machine's clock.
const system_clock::time_point kNow = system_clock::time_point(1'800'000'000s);

// Backdates (or postdates) a file's mtime to `now - age`.
void SetAge(const fs::path& path, std::chrono::seconds age) {
  fs::last_write_time(path, fs::file_time_type::clock::from_sys(kNow - age));
}

struct Rig {
  Rig() {
    options.directory = dir.path() / "drop";
    drop = std::make_unique<DropDirectory>(options);
    REQUIRE(drop->Prepare().ok());
  }

  // Writes a file into the drop directory, settled by default.
  fs::path Put(const std::string& name, const std::string& content = "id\n1\n",
               std::chrono::seconds age = 60s) const {
    const fs::path path = dir.Write("drop/" + name, content);
    SetAge(path, age);
    return path;
  }

  std::vector<std::string> ReadyNames() const {
    auto ready = drop->ReadyFiles(kNow);
    REQUIRE(ready.ok());
    std::vector<std::string> names;
    for (const fs::path& path : *ready) names.push_back(path.filename().string());
    return names;
  }

  DropFile ReadOk(const fs::path& path) const {
    auto file = drop->Read(path);
    REQUIRE(file.ok());
    return *file;
  }

  TempDir dir;
  DropDirectoryOptions options;
  std::unique_ptr<DropDirectory> drop;
};

using Names = std::vector<std::string>;

TEST_CASE("DropDirectory::Prepare creates the directory with done/ and failed/",
          "[drop-directory]") {
  TempDir dir;
  DropDirectoryOptions options;
  options.directory = dir.path() / "a" / "b";
  DropDirectory drop(options);
  REQUIRE(drop.Prepare().ok());
  CHECK(fs::is_directory(options.directory));
  CHECK(fs::is_directory(options.directory / "done"));
  CHECK(fs::is_directory(options.directory / "failed"));
  REQUIRE(drop.Prepare().ok());  // idempotent

  // A file where the directory should be cannot be fixed by creating anything.
  dir.Write("blocked", "x");
  options.directory = dir.path() / "blocked";
  auto blocked = DropDirectory(options).Prepare();
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("DropDirectory lists only files unmodified for the settle time", "[drop-directory]") {
  Rig rig;  // settle 5 s
  rig.Put("old.csv", "x", 60s);
  rig.Put("edge.csv", "x", 5s);    // exactly settled
  rig.Put("fresh.csv", "x", 4s);   // still being written, perhaps
  rig.Put("future.csv", "x", -30s);  // a writer's clock ahead of ours
  CHECK(rig.ReadyNames() == Names{"edge.csv", "old.csv"});

  // The same files, a little later.
  auto later = rig.drop->ReadyFiles(kNow + 40s);
  REQUIRE(later.ok());
  CHECK(later->size() == 4);

  // A file written again restarts its settle time.
  rig.Put("old.csv", "x,y", 1s);
  CHECK(rig.ReadyNames() == Names{"edge.csv"});
}

TEST_CASE("DropDirectory matches the glob and skips files writers are still copying",
          "[drop-directory]") {
  Rig rig;
  for (const char* name : {"sales.csv", "a.csv", "sales.CSV", "sales.csv.bak", "sales.txt",
                           ".hidden.csv", "copying.csv.tmp", "x.tmp", "y.part", "z.partial",
                           "w.PART", "csv"}) {
    rig.Put(name);
  }
  CHECK(rig.ReadyNames() == Names{"a.csv", "sales.csv"});

  rig.options.pattern = "sales_????_??.*";
  DropDirectory dated(rig.options);
  rig.Put("sales_2026_01.csv");
  rig.Put("sales_2026_1.csv");
  rig.Put("sales_2026_02.json");
  rig.Put("sales_2026_03.part");  // matches the glob, but in-progress names are never taken
  auto ready = dated.ReadyFiles(kNow);
  REQUIRE(ready.ok());
  REQUIRE(ready->size() == 2);
  CHECK((*ready)[0].filename() == "sales_2026_01.csv");
  CHECK((*ready)[1].filename() == "sales_2026_02.json");

  rig.options.pattern = "*";
  DropDirectory everything(rig.options);
  auto all = everything.ReadyFiles(kNow);
  REQUIRE(all.ok());
  CHECK(all->size() == 9);  // every non-hidden, non-in-progress file above
}

TEST_CASE("DropDirectory ignores subdirectories, done/ and failed/, and returns name order",
          "[drop-directory]") {
  Rig rig;
  rig.Put("b.csv");
  rig.Put("a.csv");
  rig.Put("c.csv");
  rig.Put("10.csv");
  rig.Put("2.csv");
  rig.Put("done/old.csv");
  rig.Put("failed/bad.csv");
  rig.Put("nested/deep.csv");
  fs::create_directory(rig.options.directory / "dir.csv");
  fs::create_symlink(rig.options.directory / "a.csv", rig.options.directory / "link.csv");
  // Byte order, not natural order: the caller names exports so that it sorts.
  CHECK(rig.ReadyNames() == Names{"10.csv", "2.csv", "a.csv", "b.csv", "c.csv"});
}

TEST_CASE("DropDirectory::ReadyFiles fails on a missing directory", "[drop-directory]") {
  TempDir dir;
  DropDirectoryOptions options;
  options.directory = dir.path() / "missing";
  auto ready = DropDirectory(options).ReadyFiles(kNow);
  REQUIRE_FALSE(ready.ok());
  CHECK(ready.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("DropDirectory::Read returns the content, size and SHA-256", "[drop-directory]") {
  Rig rig;
  const fs::path path = rig.Put("sales.csv", "id,email\n1,ann@example.com\n");
  const DropFile file = rig.ReadOk(path);
  CHECK(file.path == path);
  CHECK(file.name == "sales.csv");
  CHECK(file.size == 27);
  CHECK(file.content == "id,email\n1,ann@example.com\n");
  CHECK(file.sha256 == "60d090caeb50b40e664768114b829b8f19c3847086f59be496ca9c82d7b71d66");

  // The empty file and FIPS 180-2's "abc" vector.
  CHECK(rig.ReadOk(rig.Put("empty.csv", "")).sha256 ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(rig.ReadOk(rig.Put("abc.csv", "abc")).sha256 ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  // Binary content comes back byte for byte.
  const std::string binary("a\0b\r\n\xff", 6);
  const DropFile raw = rig.ReadOk(rig.Put("raw.csv", binary));
  CHECK(raw.content == binary);
  CHECK(raw.size == 6);
}

TEST_CASE("DropDirectory::Read refuses files over the size limit and missing files",
          "[drop-directory]") {
  Rig rig;
  rig.options.max_file_size = 10;
  DropDirectory small(rig.options);
  auto at_limit = small.Read(rig.Put("ten.csv", "0123456789"));
  REQUIRE(at_limit.ok());
  CHECK(at_limit->size == 10);

  auto over = small.Read(rig.Put("eleven.csv", "0123456789A"));
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code == ErrorCode::kInvalidArgument);
  CHECK(over.error().message.find("eleven.csv") != std::string::npos);

  auto gone = small.Read(rig.options.directory / "gone.csv");
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("DropDirectory::MoveToDone renames into done/ and suffixes taken names",
          "[drop-directory]") {
  Rig rig;
  const fs::path done = rig.options.directory / "done";
  for (int round = 1; round <= 3; ++round) {
    const DropFile file = rig.ReadOk(rig.Put("sales.csv", "round " + std::to_string(round)));
    auto moved = rig.drop->MoveToDone(file);
    REQUIRE(moved.ok());
    const char* expected[] = {"", "sales.csv", "sales.2.csv", "sales.3.csv"};
    CHECK(*moved == done / expected[round]);
    CHECK(ReadFile(*moved) == "round " + std::to_string(round));
    CHECK_FALSE(fs::exists(file.path));
  }
  CHECK(ReadFile(done / "sales.csv") == "round 1");  // never overwritten

  // A name without an extension gets the suffix at its end.
  rig.Put("done/export", "old");
  auto plain = rig.drop->MoveToDone(rig.ReadOk(rig.Put("export", "new")));
  REQUIRE(plain.ok());
  CHECK(*plain == done / "export.2");
  CHECK(rig.ReadyNames().empty());

  // A file that vanished since it was read cannot be moved.
  const DropFile vanished = rig.ReadOk(rig.Put("vanished.csv"));
  fs::remove(vanished.path);
  auto missing = rig.drop->MoveToDone(vanished);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("DropDirectory::MoveToFailed files the reason beside the file", "[drop-directory]") {
  Rig rig;
  const fs::path failed = rig.options.directory / "failed";
  const DropFile first = rig.ReadOk(rig.Put("sales.csv", "bad 1"));
  auto moved = rig.drop->MoveToFailed(first, "line 3: missing column email");
  REQUIRE(moved.ok());
  CHECK(*moved == failed / "sales.csv");
  CHECK(ReadFile(failed / "sales.csv") == "bad 1");
  CHECK(ReadFile(failed / "sales.csv.error.txt") == "line 3: missing column email\n");
  CHECK_FALSE(fs::exists(first.path));

  const DropFile second = rig.ReadOk(rig.Put("sales.csv", "bad 2"));
  auto again = rig.drop->MoveToFailed(second, "not UTF-8");
  REQUIRE(again.ok());
  CHECK(*again == failed / "sales.2.csv");
  CHECK(ReadFile(failed / "sales.2.csv") == "bad 2");
  CHECK(ReadFile(failed / "sales.2.csv.error.txt") == "not UTF-8\n");
  CHECK(ReadFile(failed / "sales.csv.error.txt") == "line 3: missing column email\n");

  // A leftover error file also takes its name, so no reason is ever overwritten.
  rig.Put("failed/other.csv.error.txt", "older reason\n");
  auto other = rig.drop->MoveToFailed(rig.ReadOk(rig.Put("other.csv", "x")), "newer reason");
  REQUIRE(other.ok());
  CHECK(*other == failed / "other.2.csv");
  CHECK(ReadFile(failed / "other.csv.error.txt") == "older reason\n");
  CHECK(ReadFile(failed / "other.2.csv.error.txt") == "newer reason\n");

  // Nothing moved, nothing left behind.
  const DropFile vanished = rig.ReadOk(rig.Put("vanished.csv"));
  fs::remove(vanished.path);
  auto missing = rig.drop->MoveToFailed(vanished, "whatever");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kUnavailable);
  CHECK_FALSE(fs::exists(failed / "vanished.csv.error.txt"));
  CHECK(rig.ReadyNames().empty());
}

}  // namespace
}  // namespace journeyd::poll
