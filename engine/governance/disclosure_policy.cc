#include "engine/governance/disclosure_policy.h"

#include <iterator>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include "engine/mapping/normalize.h"

namespace journeyd::governance {

namespace {

std::string_view View(const boost::json::string& s) { return {s.data(), s.size()}; }
std::string_view View(boost::json::string_view s) { return {s.data(), s.size()}; }

void HashInPlace(std::string& value) {
  if (!value.empty()) value = HashForDisclosure(value);
}

void HashInPlace(boost::json::value& value) {
  if (value.is_null()) return;
  if (value.is_string()) {
    if (!value.get_string().empty()) value = HashForDisclosure(View(value.get_string()));
  } else {
    value = HashForDisclosure(boost::json::serialize(value));
  }
}

// The value in a golden-record entry: its "value" member, or the entry itself.
boost::json::value& ValueOf(boost::json::value& entry) {
  if (auto* object = entry.if_object()) {
    if (auto* value = object->if_contains("value")) return *value;
  }
  return entry;
}

// Hashes what `field` may only be sent hashed; returns false when it may not be sent at all.
template <typename Value>
bool Disclose(const DisclosurePolicy& policy, const PiiClassifier& classifier,
              std::string_view field, Value& value) {
  switch (policy.For(classifier, field)) {
    case Disclosure::kAllow:
      return true;
    case Disclosure::kHash:
      HashInPlace(value);
      return true;
    case Disclosure::kDrop:
      return false;
  }
  return false;  // unreachable; an unknown disclosure must not leak
}

}  // namespace

std::optional<Disclosure> ParseDisclosure(std::string_view name) {
  if (name == "allow") return Disclosure::kAllow;
  if (name == "hash") return Disclosure::kHash;
  if (name == "drop") return Disclosure::kDrop;
  return std::nullopt;
}

std::string_view DisclosureName(Disclosure disclosure) {
  switch (disclosure) {
    case Disclosure::kAllow:
      return "allow";
    case Disclosure::kHash:
      return "hash";
    case Disclosure::kDrop:
      return "drop";
  }
  return "unknown";
}

Disclosure DisclosurePolicy::For(const PiiClassifier& classifier, std::string_view field) const {
  if (auto it = fields.find(std::string(field)); it != fields.end()) return it->second;
  const std::string& pii_class = classifier.ClassOf(field);
  if (pii_class.empty()) return Disclosure::kAllow;
  if (auto it = classes.find(pii_class); it != classes.end()) return it->second;
  return personal_default;
}

std::string HashForDisclosure(std::string_view value) {
  return "sha256:" + mapping::Sha256Hex(value);
}

void ApplyDisclosure(const DisclosurePolicy& policy, const PiiClassifier& classifier,
                     CanonicalRecord& record) {
  auto& identities = record.identities;
  for (auto it = identities.begin(); it != identities.end();) {
    it = Disclose(policy, classifier, it->type, it->value) ? std::next(it) : identities.erase(it);
  }
  auto& traits = record.traits.fields;
  for (auto it = traits.begin(); it != traits.end();) {
    it = Disclose(policy, classifier, it->first, it->second) ? std::next(it) : traits.erase(it);
  }
  // stable_erase keeps the order the vendor sent custom traits in.
  auto& custom = record.traits.custom;
  for (auto it = custom.begin(); it != custom.end();) {
    const std::string field = CustomTraitField(View(it->key()));
    it = Disclose(policy, classifier, field, it->value()) ? std::next(it) : custom.stable_erase(it);
  }
}

void ApplyDisclosure(const DisclosurePolicy& policy, const PiiClassifier& classifier,
                     boost::json::object& fields) {
  for (auto it = fields.begin(); it != fields.end();) {
    const bool kept = Disclose(policy, classifier, View(it->key()), ValueOf(it->value()));
    it = kept ? std::next(it) : fields.stable_erase(it);
  }
}

}  // namespace journeyd::governance
