// Names the calling thread, so that top -H, perf and /proc/<pid>/task tell journeyd's threads
// apart (the HTTP threads, the inbox writer, the WAL checkpointer, each pipeline stage).
#pragma once

#include <string_view>

namespace journeyd {

// Linux keeps the first 15 characters. Never fails the caller; elsewhere it does nothing.
void NameCurrentThread(std::string_view name);

}  // namespace journeyd
