// Helpers shared by the fuzz targets: splitting one fuzz input into the parts a target feeds to
// the code under test, and failing loudly when an invariant breaks. Header-only, no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace journeyd::fuzz {

// Aborts with `what` when `condition` is false, so libFuzzer saves the input as a crash. Used
// for the invariants a target checks beyond "does not crash".
#define JOURNEYD_FUZZ_CHECK(condition, what)                                                \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s) at %s:%d\n", (what), #condition, \
                   __FILE__, __LINE__);                                                     \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The HTTP-like layout the webhook and mapping targets read:
//   "Name: value\n" lines (names starting with ':' are the target's own settings), an empty
//   line, then the body, byte for byte. Without an empty line everything is headers.
// Lines without ": " keep the whole line as the name and an empty value.
struct HeaderBlock {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

inline HeaderBlock SplitHeaders(std::string_view text) {
  HeaderBlock out;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      out.body = text;
      return out;
    }
    const size_t colon = line.find(": ");
    if (colon == std::string_view::npos) {
      out.headers.emplace_back(std::string(line), std::string());
    } else {
      out.headers.emplace_back(std::string(line.substr(0, colon)),
                               std::string(line.substr(colon + 2)));
    }
  }
  return out;
}

// The text before the first NUL byte, and the rest after it (empty when there is no NUL).
inline std::pair<std::string_view, std::string_view> SplitAtNul(std::string_view text) {
  const size_t nul = text.find('\0');
  if (nul == std::string_view::npos) return {text, {}};
  return {text.substr(0, nul), text.substr(nul + 1)};
}

// Replaces every `from` in `text` with `to`.
inline void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace journeyd::fuzz
