// The status page's files (daemon/status/assets/), compiled into the binary by
// cmake/embed_assets.cmake so the page works offline and the daemon ships as one file.
#pragma once

#include <string_view>

namespace journeyd::status {

// The file's text, or an empty view when there is no such asset.
std::string_view Asset(std::string_view name);

}  // namespace journeyd::status
