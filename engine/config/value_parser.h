// ValueParser<T> turns one ConfigNode into a T, reporting problems to Diagnostics with the node's
// position. Specializations exist for the scalar types config fields use, for enums that declare
// EnumNames, for std::vector/std::optional/std::map of those, and for structs that declare
// `static const StructSpec<T>& Spec()` (see spec.h). Each returns false when it reported an error.
#pragma once

#include <array>
#include <charconv>
#include <concepts>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/url/url.hpp>

#include "engine/base/secret.h"
#include "engine/config/config_node.h"
#include "engine/config/value_types.h"

namespace journeyd::config {

template <class T>
struct ValueParser;  // Not defined: a field of an unsupported type fails to compile.

// Specialize with `static constexpr std::array<std::pair<std::string_view, E>, N> kValues`.
template <class E>
struct EnumNames;

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires { EnumNames<E>::kValues; };

template <NamedEnum E>
std::string_view EnumName(E value) {
  for (const auto& [name, v] : EnumNames<E>::kValues) {
    if (v == value) return name;
  }
  return "?";
}

// Reads a scalar with ${env:}/${file:} expanded. Reports "expected <what>" on a non-scalar.
std::optional<std::string> ReadScalar(const ConfigNode& node, std::string_view what,
                                      Diagnostics& diag);

// Parsers for each scalar kind (value_parser.cc); the templates below dispatch to them.
bool ParseString(const ConfigNode& node, std::string& out, Diagnostics& diag);
bool ParseBool(const ConfigNode& node, bool& out, Diagnostics& diag);
bool ParseInt64(const ConfigNode& node, int64_t& out, Diagnostics& diag);
bool ParseDouble(const ConfigNode& node, double& out, Diagnostics& diag);
bool ParseDurationValue(const ConfigNode& node, Duration& out, Diagnostics& diag);
bool ParseByteSizeValue(const ConfigNode& node, ByteSize& out, Diagnostics& diag);
bool ParseHostPortValue(const ConfigNode& node, HostPort& out, Diagnostics& diag);
bool ParseSecret(const ConfigNode& node, Secret& out, Diagnostics& diag);
bool ParseUrl(const ConfigNode& node, boost::urls::url& out, Diagnostics& diag);
bool ParseEnumName(const ConfigNode& node, const std::vector<std::string>& names, size_t& index,
                   Diagnostics& diag);

template <>
struct ValueParser<std::string> {
  static constexpr std::string_view kTypeName = "string";
  static bool Parse(const ConfigNode& n, std::string& out, Diagnostics& d) {
    return ParseString(n, out, d);
  }
};
// Text that something later compiles or resolves (an expression, the name of a stage or target):
// it keeps where it was written so that errors found after parsing still name file:line:col.
template <>
struct ValueParser<SourceText> {
  static constexpr std::string_view kTypeName = "string";
  static bool Parse(const ConfigNode& n, SourceText& out, Diagnostics& d) {
    if (!ParseString(n, out.text, d)) return false;
    out.at = n.position();
    out.quoted = n.IsQuoted();
    return true;
  }
};
template <>
struct ValueParser<bool> {
  static constexpr std::string_view kTypeName = "bool";
  static bool Parse(const ConfigNode& n, bool& out, Diagnostics& d) { return ParseBool(n, out, d); }
};
template <std::integral I>
  requires(!std::same_as<I, bool>)
struct ValueParser<I> {
  static constexpr std::string_view kTypeName = "integer";
  static bool Parse(const ConfigNode& n, I& out, Diagnostics& d) {
    int64_t wide = 0;
    if (!ParseInt64(n, wide, d)) return false;
    if (!std::in_range<I>(wide)) {
      d.Error(n.position(), DiagnosticKind::kInvalidValue,
              "integer " + std::to_string(wide) + " is out of range");
      return false;
    }
    out = static_cast<I>(wide);
    return true;
  }
};
template <>
struct ValueParser<double> {
  static constexpr std::string_view kTypeName = "number";
  static bool Parse(const ConfigNode& n, double& out, Diagnostics& d) {
    return ParseDouble(n, out, d);
  }
};
template <>
struct ValueParser<Duration> {
  static constexpr std::string_view kTypeName = "duration";
  static bool Parse(const ConfigNode& n, Duration& out, Diagnostics& d) {
    return ParseDurationValue(n, out, d);
  }
};
template <>
struct ValueParser<ByteSize> {
  static constexpr std::string_view kTypeName = "size";
  static bool Parse(const ConfigNode& n, ByteSize& out, Diagnostics& d) {
    return ParseByteSizeValue(n, out, d);
  }
};
template <>
struct ValueParser<HostPort> {
  static constexpr std::string_view kTypeName = "address";
  static bool Parse(const ConfigNode& n, HostPort& out, Diagnostics& d) {
    return ParseHostPortValue(n, out, d);
  }
};
template <>
struct ValueParser<Secret> {
  static constexpr std::string_view kTypeName = "secret";
  static bool Parse(const ConfigNode& n, Secret& out, Diagnostics& d) {
    return ParseSecret(n, out, d);
  }
};
template <>
struct ValueParser<boost::urls::url> {
  static constexpr std::string_view kTypeName = "url";
  static bool Parse(const ConfigNode& n, boost::urls::url& out, Diagnostics& d) {
    return ParseUrl(n, out, d);
  }
};
template <>
struct ValueParser<std::filesystem::path> {
  static constexpr std::string_view kTypeName = "path";
  static bool Parse(const ConfigNode& n, std::filesystem::path& out, Diagnostics& d) {
    std::string text;
    if (!ParseString(n, text, d)) return false;
    out = text;
    return true;
  }
};
template <NamedEnum E>
struct ValueParser<E> {
  static constexpr std::string_view kTypeName = "enum";
  static bool Parse(const ConfigNode& n, E& out, Diagnostics& d) {
    std::vector<std::string> names;
    for (const auto& [name, value] : EnumNames<E>::kValues) names.emplace_back(name);
    size_t index = 0;
    if (!ParseEnumName(n, names, index, d)) return false;
    out = EnumNames<E>::kValues[index].second;
    return true;
  }
};
template <class T>
struct ValueParser<std::optional<T>> {
  static constexpr std::string_view kTypeName = ValueParser<T>::kTypeName;
  static bool Parse(const ConfigNode& n, std::optional<T>& out, Diagnostics& d) {
    if (n.IsNull()) {
      out.reset();
      return true;
    }
    T value{};
    if (!ValueParser<T>::Parse(n, value, d)) return false;
    out = std::move(value);
    return true;
  }
};
template <class T>
struct ValueParser<std::vector<T>> {
  static constexpr std::string_view kTypeName = "list";
  static bool Parse(const ConfigNode& n, std::vector<T>& out, Diagnostics& d) {
    if (n.IsNull()) {
      out.clear();
      return true;
    }
    if (!n.IsSequence()) {
      d.Error(n.position(), DiagnosticKind::kWrongType,
              "expected a list, found " + std::string(n.KindName()));
      return false;
    }
    out.clear();
    bool ok = true;
    for (const ConfigNode& element : n.Elements()) {
      T value{};
      ok = ValueParser<T>::Parse(element, value, d) && ok;
      out.push_back(std::move(value));
    }
    return ok;
  }
};
template <class T>
struct ValueParser<std::map<std::string, T>> {
  static constexpr std::string_view kTypeName = "map";
  static bool Parse(const ConfigNode& n, std::map<std::string, T>& out, Diagnostics& d) {
    if (n.IsNull()) {
      out.clear();
      return true;
    }
    if (!n.IsMap()) {
      d.Error(n.position(), DiagnosticKind::kWrongType,
              "expected a map, found " + std::string(n.KindName()));
      return false;
    }
    out.clear();
    bool ok = true;
    for (const auto& entry : n.Entries(d)) {
      T value{};
      ok = ValueParser<T>::Parse(entry.value, value, d) && ok;
      out.emplace(entry.key, std::move(value));
    }
    return ok;
  }
};

}  // namespace journeyd::config
