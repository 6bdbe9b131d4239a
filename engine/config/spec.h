// StructSpec<T> binds the keys of one YAML map to the members of a typed struct: key, member,
// whether it is required, a doc line and an optional check. One spec drives parsing, unknown-key
// "did you mean" hints, missing-key errors and the generated config reference. Defaults are the
// struct's own member initializers, so there is one place to read them.
//
// A spec is built once and then only read; Parse is safe to call from several threads.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/config/value_parser.h"

namespace journeyd::config {

// Returns an error message when the parsed value is not acceptable.
template <class M>
using Check = std::function<std::optional<std::string>(const M&)>;

struct FieldDoc {
  std::string key;
  std::string type;
  bool required = false;
  std::string doc;
};

template <class T>
class StructSpec {
 public:
  template <class M>
  StructSpec& Required(std::string key, M T::*member, std::string doc,
                       std::type_identity_t<Check<M>> check = {}) {
    return Add(std::move(key), member, true, std::move(doc), std::move(check));
  }
  template <class M>
  StructSpec& Optional(std::string key, M T::*member, std::string doc,
                       std::type_identity_t<Check<M>> check = {}) {
    return Add(std::move(key), member, false, std::move(doc), std::move(check));
  }
  // A check of the whole struct once its keys parsed (for rules that tie keys together),
  // reported at the map's own position.
  StructSpec& Validate(Check<T> check) {
    whole_checks_.push_back(std::move(check));
    return *this;
  }
  // Keys that are valid in this map but read by someone else (e.g. `name` and `type` of a
  // connector entry, read by the loader before the connector's own spec runs).
  StructSpec& Ignore(std::initializer_list<std::string> keys) {
    ignored_.insert(keys.begin(), keys.end());
    return *this;
  }

  // Fills `out` from `node`, a map (or empty, meaning all defaults). Returns false if anything
  // was reported as an error; `out` then holds whatever did parse.
  bool Parse(const ConfigNode& node, T& out, Diagnostics& diag) const {
    if (node.IsNull()) return ReportMissing(node.position(), {}, diag);
    if (!node.IsMap()) {
      diag.Error(node.position(), DiagnosticKind::kWrongType,
                 "expected a map, found " + std::string(node.KindName()));
      return false;
    }
    const size_t errors_before = diag.error_count();
    std::set<std::string, std::less<>> present;
    for (const auto& entry : node.Entries(diag)) {
      present.insert(entry.key);
      const Field* field = FindField(entry.key);
      if (field == nullptr) {
        if (ignored_.count(entry.key) == 0) {
          diag.Error(entry.key_position, DiagnosticKind::kUnknownKey,
                     "unknown key '" + entry.key + "'", DidYouMean(entry.key, keys()));
        }
        continue;
      }
      field->parse(entry.value, out, diag);
    }
    ReportMissing(node.position(), present, diag);
    if (diag.error_count() != errors_before) return false;
    for (const Check<T>& check : whole_checks_) {
      if (auto problem = check(out)) {
        diag.Error(node.position(), DiagnosticKind::kInvalidValue, *problem);
        return false;
      }
    }
    return true;
  }

  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& f : fields_) out.push_back(f.doc.key);
    for (const auto& k : ignored_) out.push_back(k);
    return out;
  }

  std::vector<FieldDoc> docs() const {
    std::vector<FieldDoc> out;
    for (const auto& f : fields_) out.push_back(f.doc);
    return out;
  }

 private:
  struct Field {
    FieldDoc doc;
    std::function<void(const ConfigNode&, T&, Diagnostics&)> parse;
  };

  template <class M>
  StructSpec& Add(std::string key, M T::*member, bool required, std::string doc, Check<M> check) {
    Field field;
    field.doc = {key, std::string(ValueParser<M>::kTypeName), required, std::move(doc)};
    field.parse = [member, check = std::move(check)](const ConfigNode& node, T& out,
                                                     Diagnostics& diag) {
      M value = out.*member;
      if (!ValueParser<M>::Parse(node, value, diag)) return;
      if (check) {
        if (auto problem = check(value)) {
          diag.Error(node.position(), DiagnosticKind::kInvalidValue, *problem);
          return;
        }
      }
      out.*member = std::move(value);
    };
    fields_.push_back(std::move(field));
    return *this;
  }

  const Field* FindField(std::string_view key) const {
    for (const auto& f : fields_) {
      if (f.doc.key == key) return &f;
    }
    return nullptr;
  }

  bool ReportMissing(const Position& at, const std::set<std::string, std::less<>>& present,
                     Diagnostics& diag) const {
    bool ok = true;
    for (const auto& f : fields_) {
      if (f.doc.required && present.count(f.doc.key) == 0) {
        diag.Error(at, DiagnosticKind::kMissingKey, "missing required key '" + f.doc.key + "'");
        ok = false;
      }
    }
    return ok;
  }

  std::vector<Field> fields_;
  std::vector<Check<T>> whole_checks_;
  std::set<std::string, std::less<>> ignored_;
};

// Structs with `static const StructSpec<S>& Spec()` nest as field types.
template <class S>
concept HasSpec = requires {
  { S::Spec() } -> std::same_as<const StructSpec<S>&>;
};

template <HasSpec S>
struct ValueParser<S> {
  static constexpr std::string_view kTypeName = "map";
  static bool Parse(const ConfigNode& n, S& out, Diagnostics& d) {
    return S::Spec().Parse(n, out, d);
  }
};

}  // namespace journeyd::config
