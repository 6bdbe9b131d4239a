// A list that both backends aggregate into one text joined by U+001F, the unit separator
// (SQLite's group_concat, PostgreSQL's string_agg), so that one query reads entries with their
// lists (a quarantine entry's rules); this splits it back.
#pragma once

#include <string>
#include <vector>

namespace journeyd::storage {

inline std::vector<std::string> SplitUnitSeparated(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\x1f', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace journeyd::storage
