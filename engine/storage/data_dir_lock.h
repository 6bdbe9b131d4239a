// DataDirLock keeps two writers off one data dir: the identity graph lives in the memory of the
// process that resolves records, so a `journeyd import` beside a running daemon (or two
// daemons) would make decisions neither knows about. An advisory flock on <data_dir>/journeyd.lock,
// released when the process exits, however it exits.
#pragma once

#include <filesystem>
#include <memory>

#include "engine/base/result.h"

namespace journeyd::storage {

class DataDirLock {
 public:
  // kConflict when another process holds the lock.
  static Result<std::unique_ptr<DataDirLock>> Acquire(const std::filesystem::path& data_dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace journeyd::storage
