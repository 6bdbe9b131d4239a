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

// The thread's decompression context is reused: a frame that fails half way must not spoil the
// next one.
TEST_CASE("a damaged zstd frame leaves the next decompression on the thread intact", "[base]") {
  std::string data;
  for (int i = 0; i < 3000; ++i) data += "{\"order\":" + std::to_string(i) + "}";
  const std::string packed = ZstdCompress(data);
  // Cut short: the decoder stops mid-block (a flipped byte is not reliably caught, since the
  // frames carry no checksum).
  for (const std::string& broken : {packed.substr(0, packed.size() - 7),
                                    packed.substr(0, packed.size() / 2)}) {
    auto failed = ZstdDecompress(broken);
    CHECK_FALSE(failed.ok());
    auto next = ZstdDecompress(packed);
    REQUIRE(next.ok());
    CHECK(*next == data);
  }
}

}  // namespace
}  // namespace journeyd
