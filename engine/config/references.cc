#include "engine/config/references.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace journeyd::config {

bool ContainsReference(std::string_view raw) {
  for (size_t i = raw.find("${"); i != std::string_view::npos; i = raw.find("${", i + 2)) {
    if (i == 0 || raw[i - 1] != '$') return true;
  }
  return false;
}

std::optional<std::string> ExpandReferences(std::string_view raw, const Position& at,
                                            Diagnostics& diag) {
  std::string out;
  bool ok = true;
  size_t i = 0;
  while (i < raw.size()) {
    if (raw.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (raw.compare(i, 2, "${") != 0) {
      out += raw[i++];
      continue;
    }
    const size_t close = raw.find('}', i);
    if (close == std::string_view::npos) {
      diag.Error(at, DiagnosticKind::kInvalidValue, "unclosed '${' in value",
                 "write $${ for a literal ${");
      return std::nullopt;
    }
    const std::string_view ref = raw.substr(i + 2, close - i - 2);
    i = close + 1;
    if (ref.starts_with("env:")) {
      // ${env:NAME:-fallback}, as in the shell: the fallback when NAME is unset or empty.
      std::string_view spec = ref.substr(4);
      std::optional<std::string_view> fallback;
      if (const size_t dash = spec.find(":-"); dash != std::string_view::npos) {
        fallback = spec.substr(dash + 2);
        spec = spec.substr(0, dash);
      }
      const std::string name(spec);
      const char* value = name.empty() ? nullptr : std::getenv(name.c_str());
      if (fallback && (value == nullptr || *value == '\0')) {
        out += *fallback;
        continue;
      }
      if (value == nullptr) {
        diag.Error(at, DiagnosticKind::kUnresolvedSecret,
                   "environment variable '" + name + "' is not set");
        ok = false;
        continue;
      }
      out += value;
    } else if (ref.starts_with("file:")) {
      const std::string path(ref.substr(5));
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        diag.Error(at, DiagnosticKind::kUnresolvedSecret, "cannot read secret file '" + path + "'");
        ok = false;
        continue;
      }
      std::ostringstream content;
      content << in.rdbuf();
      std::string value = content.str();
      while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
      out += value;
    } else {
      diag.Error(at, DiagnosticKind::kInvalidValue,
                 "unknown reference '${" + std::string(ref) + "}'",
                 "use ${env:NAME} or ${file:/path}");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace journeyd::config
