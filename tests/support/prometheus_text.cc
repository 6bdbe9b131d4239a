#include "tests/support/prometheus_text.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

namespace journeyd::testing {

namespace {

bool IsNameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0)) return false;
  }
  return true;
}

std::optional<double> ParseValue(const std::string& text) {
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text == "NaN") return NAN;
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

// The family a sample series belongs to, given the families declared so far.
std::optional<std::string> FamilyOf(const std::string& series,
                                    const std::map<std::string, std::string>& types) {
  if (types.count(series)) return series;
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (series.size() > suffix.size() && series.ends_with(suffix)) {
      std::string base = series.substr(0, series.size() - suffix.size());
      auto it = types.find(base);
      if (it == types.end()) continue;
      if (it->second == "histogram" || (it->second == "summary" && suffix != "_bucket")) {
        return base;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Result<PromText> ParsePrometheusText(std::string_view text) {
  PromText out;
  if (!text.empty() && text.back() != '\n') return InvalidArgument("text does not end in \\n");
  std::set<std::string> closed;  // families whose lines are over
  std::string current;           // the family whose lines come now
  size_t start = 0;
  int number = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    const std::string line(text.substr(start, end - start));
    start = end + 1;
    ++number;
    const auto bad = [&](std::string_view why) {
      return InvalidArgument("line " + std::to_string(number) + ": " + std::string(why) + ": " +
                             line);
    };
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const size_t space = line.find(' ', 7);
      if (space == std::string::npos) return bad("no text after the name");
      const std::string family = line.substr(7, space - 7);
      if (!ValidName(family)) return bad("bad metric name");
      if (family != current) {
        if (closed.count(family)) return bad("family lines not together");
        if (!current.empty()) closed.insert(current);
        current = family;
      }
      const std::string rest = line.substr(space + 1);
      if (line[2] == 'H') {
        if (out.helps.count(family)) return bad("second HELP");
        out.helps[family] = rest;
      } else {
        static const std::set<std::string> kTypes{"counter", "gauge", "histogram", "summary",
                                                  "untyped"};
        if (!kTypes.count(rest)) return bad("unknown type");
        if (out.types.count(family)) return bad("second TYPE");
        out.types[family] = rest;
        out.family_order.push_back(family);
      }
      continue;
    }
    if (line.empty() || line[0] == '#') return bad("not a HELP, TYPE or sample line");
    PromSample sample;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') sample.name += line[i++];
    if (!ValidName(sample.name)) return bad("bad metric name");
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::string label;
        while (i < line.size() && line[i] != '=') label += line[i++];
        if (!ValidName(label) || label.find(':') != std::string::npos) return bad("bad label");
        if (++i >= line.size() || line[i] != '"') return bad("label value not quoted");
        ++i;
        std::string value;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\') {
            if (i + 1 >= line.size()) return bad("dangling escape");
            const char next = line[i + 1];
            if (next != '\\' && next != '"' && next != 'n') return bad("bad escape");
            value += next == 'n' ? '\n' : next;
            i += 2;
          } else {
            value += line[i++];
          }
        }
        if (i >= line.size()) return bad("unterminated label value");
        ++i;
        if (!sample.labels.emplace(label, value).second) return bad("label twice");
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) return bad("unterminated labels");
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') return bad("no space before the value");
    sample.raw_value = line.substr(i + 1);
    auto value = ParseValue(sample.raw_value);
    if (!value) return bad("value is not a number");
    sample.value = *value;
    auto family = FamilyOf(sample.name, out.types);
    if (!family) return bad("sample without a # TYPE for its family");
    if (*family != current) return bad("sample apart from its family's lines");
    if (out.types.at(*family) == "histogram" && sample.name.ends_with("_bucket") &&
        !sample.labels.count("le")) {
      return bad("bucket without le");
    }
    out.samples.push_back(std::move(sample));
  }
  return out;
}

std::optional<double> FindSample(const PromText& text, std::string_view name,
                                 const std::map<std::string, std::string>& labels) {
  for (const PromSample& s : text.samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return std::nullopt;
}

}  // namespace journeyd::testing
