#include "engine/governance/pii_classifier.h"

#include <utility>

namespace journeyd::governance {

namespace {

// City, region and country are left out on purpose: on their own they narrow a customer down
// to thousands of people, and reports need them in the clear. Vendor ids are pseudonymous and
// are what targets join on.
std::map<std::string, std::string, std::less<>> DefaultClasses() {
  std::map<std::string, std::string, std::less<>> classes;
  classes.emplace("email", kPiiEmail);
  classes.emplace("phone", kPiiPhone);
  for (const char* field : {"first_name", "last_name", "full_name"}) {
    classes.emplace(field, kPiiName);
  }
  for (const char* field : {"address_line1", "address_line2", "postal_code"}) {
    classes.emplace(field, kPiiAddress);
  }
  for (const char* field : {"birth_date", "gender"}) classes.emplace(field, kSensitive);
  return classes;
}

bool IsClassNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
}

}  // namespace

PiiClassifier::PiiClassifier(std::map<std::string, std::string> overrides)
    : classes_(DefaultClasses()) {
  for (auto& [field, pii_class] : overrides) {
    if (pii_class.empty() || pii_class == kNoClass) {
      classes_.erase(field);
    } else {
      classes_.insert_or_assign(field, std::move(pii_class));
    }
  }
}

const std::string& PiiClassifier::ClassOf(std::string_view field) const {
  static const std::string kNotPersonal;
  auto it = classes_.find(field);
  return it == classes_.end() ? kNotPersonal : it->second;
}

bool PiiClassifier::IsValidClassName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsClassNameChar(c)) return false;
  }
  return true;  // "none" passes the same rule
}

std::string CustomTraitField(std::string_view name) {
  std::string field = "custom.";
  field += name;
  return field;
}

}  // namespace journeyd::governance
