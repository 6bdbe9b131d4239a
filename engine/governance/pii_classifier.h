// PiiClassifier says which fields of a customer's data are personal, and of what kind, so that
// masking (what an admin sees) and disclosure policies (what a delivery target receives) can be
// decided per class instead of per field. The defaults cover the canonical fields; an operator
// extends or corrects them with `governance.pii.fields` (field -> class), e.g. to mark a custom
// trait as personal or to declare a field not personal after all.
//
// Field names are those survivorship and golden records use: "email", "phone", other identity
// types ("shopify.customer_id"), known trait names ("first_name") and "custom.<name>".
//
// Immutable after construction, so safe to share between threads.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace journeyd::governance {

// The built-in classes. Operators may name others ("pii.loyalty", "health"); any non-empty class
// makes a field personal.
inline constexpr std::string_view kPiiEmail = "pii.email";
inline constexpr std::string_view kPiiPhone = "pii.phone";
inline constexpr std::string_view kPiiAddress = "pii.address";
inline constexpr std::string_view kPiiName = "pii.name";
inline constexpr std::string_view kSensitive = "sensitive";

// The class value in an override that declassifies a field.
inline constexpr std::string_view kNoClass = "none";

class PiiClassifier {
 public:
  // `overrides` maps a field to its class, replacing the default class or classifying a field
  // that has none; "none" or "" declares the field not personal.
  explicit PiiClassifier(std::map<std::string, std::string> overrides = {});

  // The field's class, or "" when the field is not personal. The reference lives as long as this
  // classifier.
  const std::string& ClassOf(std::string_view field) const;

  bool IsPersonal(std::string_view field) const { return !ClassOf(field).empty(); }

  // True for what an operator may write as a class in the config: "none", or a non-empty run of
  // lower-case ASCII letters, digits, '.' and '_'.
  static bool IsValidClassName(std::string_view name);

 private:
  // Personal fields only: a field missing here is not personal.
  std::map<std::string, std::string, std::less<>> classes_;
};

// The field name of custom trait `name`: "custom.<name>".
std::string CustomTraitField(std::string_view name);

}  // namespace journeyd::governance
