#include "engine/base/compression.h"

#include <zstd.h>

namespace journeyd {

std::string ZstdCompress(std::string_view data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t written = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  // Compression into a buffer of ZSTD_compressBound cannot fail for lack of space.
  out.resize(ZSTD_isError(written) ? 0 : written);
  return out;
}

Result<std::string> ZstdDecompress(std::string_view data) {
  const unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1u << 30)) {
    return Corruption("stored payload is not a complete zstd frame");
  }
  std::string out(size, '\0');
  const size_t read = ZSTD_decompress(out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(read) || read != size) {
    return Corruption(std::string("zstd: ") + ZSTD_getErrorName(read));
  }
  return out;
}

}  // namespace journeyd
