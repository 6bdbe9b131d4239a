#include "engine/identity/blocking_key.h"

#include <charconv>

#include "engine/identity/comparators.h"

namespace journeyd::identity {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsFieldName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  }
  return s.front() != '.' && s.back() != '.';
}

}  // namespace

Result<BlockingPart> ParseBlockingPart(std::string_view text) {
  text = Trim(text);
  BlockingPart part;
  const size_t open = text.find('(');
  if (open == std::string_view::npos) {
    if (!IsFieldName(text)) {
      return InvalidArgument("'" + std::string(text) +
                             "' is not a field name (lower-case letters, digits, '_' and '.')");
    }
    part.field = std::string(text);
    return part;
  }
  if (text.back() != ')') return InvalidArgument("'" + std::string(text) + "' lacks a closing ')'");
  const std::string_view name = Trim(text.substr(0, open));
  std::string_view args = text.substr(open + 1, text.size() - open - 2);
  std::string_view field = args;
  std::string_view count;
  if (const size_t comma = args.find(','); comma != std::string_view::npos) {
    field = args.substr(0, comma);
    count = Trim(args.substr(comma + 1));
  }
  field = Trim(field);
  if (name == "soundex") {
    part.function = KeyFunction::kSoundex;
  } else if (name == "first") {
    part.function = KeyFunction::kFirst;
  } else if (name == "year") {
    part.function = KeyFunction::kYear;
  } else if (name == "digits") {
    part.function = KeyFunction::kDigits;
  } else {
    return InvalidArgument("unknown blocking function '" + std::string(name) +
                           "' (soundex, first, year, digits)");
  }
  if (!IsFieldName(field)) {
    return InvalidArgument("'" + std::string(field) + "' is not a field name");
  }
  part.field = std::string(field);
  if (part.function == KeyFunction::kFirst) {
    int n = 0;
    const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
    if (count.empty() || ec != std::errc() || end != count.data() + count.size() || n < 1 ||
        n > 64) {
      return InvalidArgument("first(" + part.field + ", N) needs N from 1 to 64");
    }
    part.length = n;
  } else if (!count.empty()) {
    return InvalidArgument(std::string(name) + "() takes one field");
  }
  return part;
}

std::string BlockingPartKey(const BlockingPart& part, std::string_view value) {
  if (value.empty()) return {};
  switch (part.function) {
    case KeyFunction::kValue:
      return std::string(value);
    case KeyFunction::kSoundex:
      return Soundex(value);
    case KeyFunction::kFirst: {
      // Whole UTF-8 characters: never cut a multi-byte sequence.
      size_t end = 0;
      for (int n = 0; n < part.length && end < value.size(); ++n) {
        ++end;
        while (end < value.size() && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) ++end;
      }
      return std::string(value.substr(0, end));
    }
    case KeyFunction::kYear: {
      // "1987-03-14" or "19870314": the first four digits, if they are all digits.
      if (value.size() < 4) return {};
      for (size_t i = 0; i < 4; ++i) {
        if (value[i] < '0' || value[i] > '9') return {};
      }
      return std::string(value.substr(0, 4));
    }
    case KeyFunction::kDigits: {
      std::string out;
      for (char c : value) {
        if (c >= '0' && c <= '9') out.push_back(c);
      }
      return out;
    }
  }
  return {};
}

}  // namespace journeyd::identity
