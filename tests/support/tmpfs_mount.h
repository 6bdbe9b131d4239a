// A tmpfs of a given size mounted for the life of the object, for tests that need a disk that
// fills up: a full disk is then one test's own, never the machine's. Mounting needs root (or
// CAP_SYS_ADMIN); where it is not permitted, ok() is false and error() says why, so the test
// can skip (tests/support/skip.h). The destructor unmounts, lazily if something still holds a
// file open, so a failing test leaves no mount behind. Header-only.
#pragma once

#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>

namespace journeyd::testing {

class TmpfsMount {
 public:
  TmpfsMount(std::filesystem::path dir, uint64_t size_bytes) : dir_(std::move(dir)) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) {
      error_ = "cannot create " + dir_.string() + ": " + ec.message();
      return;
    }
    if (::geteuid() != 0) {
      error_ = "mounting a tmpfs needs root (running as uid " + std::to_string(::geteuid()) + ")";
      return;
    }
    const std::string options = "size=" + std::to_string(size_bytes) + ",mode=0700";
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
      const int err = errno;
      error_ = "mount -t tmpfs on " + dir_.string() + " failed: " + std::strerror(err) +
               (err == EPERM ? " (no CAP_SYS_ADMIN: an unprivileged container?)" : "");
      return;
    }
    mounted_ = true;
  }
  ~TmpfsMount() { Unmount(); }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool ok() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::filesystem::path& path() const { return dir_; }

  // Bytes an unprivileged writer may still allocate.
  uint64_t FreeBytes() const {
    struct statvfs s {};
    if (::statvfs(dir_.c_str(), &s) != 0) return 0;
    return static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
  }

  void Unmount() {
    if (!mounted_) return;
    if (::umount2(dir_.c_str(), 0) != 0) (void)::umount2(dir_.c_str(), MNT_DETACH);
    mounted_ = false;
  }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace journeyd::testing
