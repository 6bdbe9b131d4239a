#include "engine/config/value_parser.h"

#include <cerrno>
#include <cstdlib>

#include <boost/url/parse.hpp>

#include "engine/config/references.h"

namespace journeyd::config {

std::optional<std::string> ReadScalar(const ConfigNode& node, std::string_view what,
                                      Diagnostics& diag) {
  if (!node.IsScalar()) {
    diag.Error(node.position(), DiagnosticKind::kWrongType,
               "expected " + std::string(what) + ", found " + std::string(node.KindName()));
    return std::nullopt;
  }
  return ExpandReferences(node.Scalar(), node.position(), diag);
}

bool ParseString(const ConfigNode& node, std::string& out, Diagnostics& diag) {
  auto text = ReadScalar(node, "a string", diag);
  if (!text) return false;
  out = std::move(*text);
  return true;
}

bool ParseBool(const ConfigNode& node, bool& out, Diagnostics& diag) {
  auto text = ReadScalar(node, "true or false", diag);
  if (!text) return false;
  if (*text == "true") {
    out = true;
  } else if (*text == "false") {
    out = false;
  } else {
    diag.Error(node.position(), DiagnosticKind::kWrongType,
               "expected true or false, found '" + *text + "'");
    return false;
  }
  return true;
}

bool ParseInt64(const ConfigNode& node, int64_t& out, Diagnostics& diag) {
  auto text = ReadScalar(node, "an integer", diag);
  if (!text) return false;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, out);
  if (ec != std::errc() || ptr != end || node.IsQuoted()) {
    diag.Error(node.position(), DiagnosticKind::kWrongType,
               "expected an integer, found '" + *text + "'");
    return false;
  }
  return true;
}

bool ParseDouble(const ConfigNode& node, double& out, Diagnostics& diag) {
  auto text = ReadScalar(node, "a number", diag);
  if (!text) return false;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, out);
  if (ec != std::errc() || ptr != end || node.IsQuoted()) {
    diag.Error(node.position(), DiagnosticKind::kWrongType,
               "expected a number, found '" + *text + "'");
    return false;
  }
  return true;
}

namespace {

template <class T>
bool ParseWith(const ConfigNode& node, std::string_view what, Result<T> (*parse)(std::string_view),
               T& out, Diagnostics& diag) {
  auto text = ReadScalar(node, what, diag);
  if (!text) return false;
  Result<T> parsed = parse(*text);
  if (!parsed.ok()) {
    diag.Error(node.position(), DiagnosticKind::kInvalidValue, parsed.error().message);
    return false;
  }
  out = std::move(*parsed);
  return true;
}

}  // namespace

bool ParseDurationValue(const ConfigNode& node, Duration& out, Diagnostics& diag) {
  return ParseWith<Duration>(node, "a duration", &ParseDuration, out, diag);
}

bool ParseByteSizeValue(const ConfigNode& node, ByteSize& out, Diagnostics& diag) {
  return ParseWith<ByteSize>(node, "a size", &ParseByteSize, out, diag);
}

bool ParseHostPortValue(const ConfigNode& node, HostPort& out, Diagnostics& diag) {
  return ParseWith<HostPort>(node, "an address", &ParseHostPort, out, diag);
}

bool ParseSecret(const ConfigNode& node, Secret& out, Diagnostics& diag) {
  if (node.IsScalar() && !ContainsReference(node.Scalar())) {
    diag.Warning(node.position(), DiagnosticKind::kUnresolvedSecret,
                 "secret written in plain text in the config file",
                 "use ${env:NAME} or ${file:/path}");
  }
  auto text = ReadScalar(node, "a secret", diag);
  if (!text) return false;
  if (text->empty()) {
    diag.Error(node.position(), DiagnosticKind::kInvalidValue, "secret is empty");
    return false;
  }
  out = Secret(std::move(*text));
  return true;
}

bool ParseUrl(const ConfigNode& node, boost::urls::url& out, Diagnostics& diag) {
  auto text = ReadScalar(node, "a URL", diag);
  if (!text) return false;
  auto parsed = boost::urls::parse_absolute_uri(*text);
  if (!parsed) {
    diag.Error(node.position(), DiagnosticKind::kInvalidValue,
               "'" + *text + "' is not an absolute URL: " + parsed.error().message());
    return false;
  }
  out = *parsed;
  return true;
}

bool ParseEnumName(const ConfigNode& node, const std::vector<std::string>& names, size_t& index,
                   Diagnostics& diag) {
  std::string allowed;
  for (const auto& name : names) allowed += (allowed.empty() ? "" : ", ") + name;
  auto text = ReadScalar(node, "one of " + allowed, diag);
  if (!text) return false;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == *text) {
      index = i;
      return true;
    }
  }
  diag.Error(node.position(), DiagnosticKind::kInvalidValue,
             "'" + *text + "' is not one of " + allowed, DidYouMean(*text, names));
  return false;
}

}  // namespace journeyd::config
