#include "engine/governance/masking.h"

#include <cstddef>

#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

namespace journeyd::governance {

namespace {

constexpr std::string_view kStars = "***";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsPhoneSeparator(char c) {
  return c == ' ' || c == '-' || c == '(' || c == ')' || c == '.';
}

// The length of the well-formed UTF-8 code point `text` starts with, or 0 when it does not start
// with one (Unicode 15, table 3-7: no overlong forms, surrogates or values past U+10FFFF).
std::size_t FirstCodePointLength(std::string_view text) {
  if (text.empty()) return 0;
  auto byte = [text](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char second_low = 0x80;
  unsigned char second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;
    if (lead == 0xED) second_high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;
    if (lead == 0xF4) second_high = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < second_low || byte(1) > second_high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

std::string_view View(const boost::json::string& s) { return {s.data(), s.size()}; }
std::string_view View(boost::json::string_view s) { return {s.data(), s.size()}; }

// Masks one JSON value of a personal field.
void MaskValue(std::string_view pii_class, boost::json::value& value) {
  if (pii_class.empty() || value.is_null()) return;
  if (value.is_string()) {
    value = Mask(pii_class, View(value.get_string()));
  } else {
    value = kStars;  // a number or a list would keep its shape and so say too much
  }
}

// The value in a golden-record entry: its "value" member, or the entry itself.
boost::json::value& ValueOf(boost::json::value& entry) {
  if (auto* object = entry.if_object()) {
    if (auto* value = object->if_contains("value")) return *value;
  }
  return entry;
}

}  // namespace

std::string MaskText(std::string_view value) {
  if (value.empty()) return std::string();
  std::string masked(value.substr(0, FirstCodePointLength(value)));
  masked += kStars;
  return masked;
}

std::string MaskEmail(std::string_view value) {
  // The last '@': a quoted local part may contain one, a domain never does.
  const std::size_t at = value.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == value.size()) return MaskText(value);
  const std::string_view local = value.substr(0, at);
  const std::string_view domain = value.substr(at + 1);
  std::string masked = MaskText(local);
  masked += '@';
  const std::size_t dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == domain.size()) {
    masked += MaskText(domain);
  } else {
    masked += MaskText(domain.substr(0, dot));
    masked += domain.substr(dot);
  }
  return masked;
}

std::string MaskPhone(std::string_view value) {
  std::size_t digits = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (IsDigit(c)) {
      ++digits;
    } else if (!(c == '+' && i == 0) && !IsPhoneSeparator(c)) {
      return MaskText(value);
    }
  }
  if (digits == 0) return MaskText(value);
  const std::size_t kept = digits > 4 ? 2 : 0;
  std::string masked;
  masked.reserve(value.size());
  std::size_t seen = 0;
  for (const char c : value) {
    if (IsDigit(c)) {
      ++seen;
      masked += seen > digits - kept ? c : '*';
    } else {
      masked += c;
    }
  }
  return masked;
}

std::string Mask(std::string_view pii_class, std::string_view value) {
  if (pii_class.empty()) return std::string(value);
  if (pii_class == kPiiEmail) return MaskEmail(value);
  if (pii_class == kPiiPhone) return MaskPhone(value);
  return MaskText(value);
}

void MaskRecord(const PiiClassifier& classifier, CanonicalRecord& record) {
  for (auto& identity : record.identities) {
    identity.value = Mask(classifier.ClassOf(identity.type), identity.value);
  }
  for (auto& [name, value] : record.traits.fields) {
    value = Mask(classifier.ClassOf(name), value);
  }
  for (auto& [name, value] : record.traits.custom) {
    MaskValue(classifier.ClassOf(CustomTraitField(View(name))), value);
  }
  // Touchpoint attributes are whatever a mapping put there (a ticket subject, a contact name):
  // nothing classifies them, so a masked view leaves them out.
  for (Touchpoint& t : record.touchpoints) t.attributes.clear();
}

void MaskFields(const PiiClassifier& classifier, boost::json::object& fields) {
  for (auto& [field, entry] : fields) {
    MaskValue(classifier.ClassOf(View(field)), ValueOf(entry));
  }
}

}  // namespace journeyd::governance
