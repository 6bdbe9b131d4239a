#include "engine/base/json_text.h"

#include <boost/json.hpp>
#include <sstream>
#include <vector>

namespace journeyd {
namespace json = boost::json;

namespace {

void Pretty(const json::value& v, std::string& out, int indent) {
  const auto newline = [&](int level) {
    out += '\n';
    out.append(static_cast<size_t>(level) * 2, ' ');
  };
  switch (v.kind()) {
    case json::kind::object: {
      const json::object& o = v.get_object();
      if (o.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, value] : o) {
        if (!first) out += ',';
        first = false;
        newline(indent + 1);
        out += json::serialize(json::string_view(key));
        out += ": ";
        Pretty(value, out, indent + 1);
      }
      newline(indent);
      out += '}';
      return;
    }
    case json::kind::array: {
      const json::array& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const json::value& element : a) {
        if (!first) out += ',';
        first = false;
        newline(indent + 1);
        Pretty(element, out, indent + 1);
      }
      newline(indent);
      out += ']';
      return;
    }
    default:
      out += json::serialize(v);
  }
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

std::string PrettyJson(const json::value& value) {
  std::string out;
  Pretty(value, out, 0);
  out += '\n';
  return out;
}

std::string LineDiff(const std::string& expected, const std::string& actual, int context) {
  const std::vector<std::string> a = Lines(expected), b = Lines(actual);
  const size_t n = a.size(), m = b.size();
  // LCS table: outputs compared here are a few hundred lines at most.
  std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  struct Line {
    char tag;
    const std::string* text;
  };
  std::vector<Line> script;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      script.push_back({' ', &a[i]});
      ++i;
      ++j;
    } else if (j < m && (i == n || lcs[i][j + 1] > lcs[i + 1][j])) {
      script.push_back({'+', &b[j++]});
    } else {
      script.push_back({'-', &a[i++]});
    }
  }
  std::string out;
  const long total = static_cast<long>(script.size());
  long last_printed = -1;
  for (long k = 0; k < total; ++k) {
    if (script[static_cast<size_t>(k)].tag == ' ') continue;
    const long from = std::max(last_printed + 1, k - context);
    if (last_printed >= 0 && from > last_printed + 1) out += "...\n";
    if (last_printed < 0 && from > 0) out += "...\n";
    long to = k;
    // Extend through this change and the context after it.
    while (to + 1 < total && (script[static_cast<size_t>(to + 1)].tag != ' ' ||
                              [&] {
                                for (long c = to + 1; c <= std::min(total - 1, to + context);
                                     ++c) {
                                  if (script[static_cast<size_t>(c)].tag != ' ') return true;
                                }
                                return false;
                              }())) {
      ++to;
    }
    to = std::min(total - 1, to + context);
    for (long c = from; c <= to; ++c) {
      out += script[static_cast<size_t>(c)].tag;
      out += *script[static_cast<size_t>(c)].text;
      out += '\n';
    }
    last_printed = to;
    k = to;
  }
  return out;
}

}  // namespace journeyd
