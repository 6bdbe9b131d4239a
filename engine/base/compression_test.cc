#include "engine/base/compression.h"

#include <catch2/catch.hpp>

namespace journeyd {
namespace {

TEST_CASE("zstd round-trips payloads of every size and rejects garbage", "[base]") {
  for (size_t size : {0u, 1u, 511u, 15000u, 200000u}) {
    std::string data;
    for (size_t i = 0; i < size; ++i) data += static_cast<char>("{\"a\":[1,2,3]}"[i % 13]);
    const std::string packed = ZstdCompress(data);
    auto unpacked = ZstdDecompress(packed);
    REQUIRE(unpacked.ok());
    CHECK(*unpacked == data);
    if (size > 1000) CHECK(packed.size() < data.size() / 4);
  }
  auto bad = ZstdDecompress("not a zstd frame");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::kCorruption);
}

}  // namespace
}  // namespace journeyd
