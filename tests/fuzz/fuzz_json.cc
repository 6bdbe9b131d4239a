// Fuzzes JSON validation (connectors/common/json.cc): intake's ValidateJson, which takes
// simdjson's verdict on what it accepts and asks Boost.JSON about the rest, must agree with
// ParseJson (Boost.JSON alone, as the mapping stage parses) on every input. A body intake
// accepts that the mapping stage cannot parse would be acknowledged and then quarantined; one it
// refuses that parses would be a valid webhook answered 400.
//
// Input: the body, as is.
//
// Checks, beyond not crashing: ValidateJson(x).ok() == ParseJson(x).ok(); every refusal is
// kInvalidArgument with an offset within the body.
#include <cstdint>
#include <string>

#include "connectors/common/json.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace journeyd;
  const std::string_view text = fuzz::AsText(data, size);
  const auto validated = connectors::common::ValidateJson(text);
  const auto parsed = connectors::common::ParseJson(text);
  JOURNEYD_FUZZ_CHECK(validated.ok() == parsed.ok(), "validation and parsing disagree");
  if (!validated.ok()) {
    JOURNEYD_FUZZ_CHECK(validated.error().code == ErrorCode::kInvalidArgument,
                        "a refusal is kInvalidArgument");
    const std::string& message = validated.error().message;
    const std::string prefix = "malformed JSON at offset ";
    JOURNEYD_FUZZ_CHECK(message.rfind(prefix, 0) == 0, "a refusal names its offset");
    const size_t offset = std::stoul(message.substr(prefix.size()));
    JOURNEYD_FUZZ_CHECK(offset <= size, "the offset is within the body");
  }
  return 0;
}
