#include "engine/governance/record_rules.h"

#include <stdexcept>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "engine/mapping/normalize.h"

namespace journeyd::governance {

namespace json = boost::json;

std::string_view RuleCheckName(RuleCheck check) {
  switch (check) {
    case RuleCheck::kRequired: return "required";
    case RuleCheck::kType: return "type";
    case RuleCheck::kRegex: return "regex";
    case RuleCheck::kEnum: return "enum";
    case RuleCheck::kRange: return "range";
    case RuleCheck::kMaxLength: return "max_length";
    case RuleCheck::kEmail: return "email";
    case RuleCheck::kPhone: return "phone";
    case RuleCheck::kNotFuture: return "not_future";
  }
  return "?";
}

std::string_view RuleActionName(RuleAction action) {
  switch (action) {
    case RuleAction::kReject: return "reject";
    case RuleAction::kDropField: return "drop_field";
    case RuleAction::kWarn: return "warn";
  }
  return "?";
}

namespace {

constexpr std::string_view kTouchpointFields[] = {"type", "channel", "value",
                                                  "currency", "reference", "occurred_at"};

bool IsIdentityType(std::string_view field) {
  if (field == "email" || field == "phone") return true;
  const size_t dot = field.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= field.size()) return false;
  if (field.find('.', dot + 1) != std::string_view::npos) return false;
  const std::string_view ns = field.substr(0, dot);
  if (ns == "custom" || ns == "touchpoint" || ns == "consent") return false;
  return std::all_of(field.begin(), field.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  });
}

// Code points of UTF-8 text: every byte that does not continue a sequence.
size_t CodePoints(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::optional<double> NumberOf(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

bool IsE164(std::string_view text) {
  if (text.size() < 8 || text.size() > 16 || text[0] != '+' || text[1] == '0') return false;
  return std::all_of(text.begin() + 1, text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// One value of a field as a rule sees it: its text, or for custom traits the JSON value.
struct FieldValue {
  std::string text;
  const json::value* json = nullptr;  // custom traits only
  bool present = true;
};

// Whether `value` passes `rule`'s check (kRequired is decided by the caller).
bool Passes(const config::ValidationRule& rule, const std::optional<boost::regex>& regex,
            const FieldValue& value, TimePoint now) {
  switch (rule.check) {
    case RuleCheck::kRequired:
      return value.present && !value.text.empty();
    case RuleCheck::kType:
      if (value.json != nullptr) {
        switch (rule.type) {
          case ValueType::kString: return value.json->is_string();
          case ValueType::kNumber: return value.json->is_number();
          case ValueType::kInteger:
            return value.json->is_int64() || value.json->is_uint64() ||
                   (value.json->is_double() && value.json->get_double() ==
                                                   static_cast<double>(static_cast<int64_t>(
                                                       value.json->get_double())));
          case ValueType::kBoolean: return value.json->is_bool();
          case ValueType::kDate:
            return value.json->is_string() &&
                   mapping::ParseTime(value.json->get_string()).has_value();
        }
      }
      switch (rule.type) {
        case ValueType::kString: return true;
        case ValueType::kNumber: return NumberOf(value.text).has_value();
        case ValueType::kInteger: {
          auto n = NumberOf(value.text);
          return n && *n == static_cast<double>(static_cast<int64_t>(*n));
        }
        case ValueType::kBoolean: return value.text == "true" || value.text == "false";
        case ValueType::kDate: return mapping::ParseTime(value.text).has_value();
      }
      return false;
    case RuleCheck::kRegex:
      try {
        return regex && boost::regex_match(value.text, *regex);
      } catch (const std::runtime_error&) {
        // Boost.Regex gave up (the pattern backtracks too much for this value): a value that
        // cannot be shown to match does not pass, and the rule's action applies to it.
        return false;
      }
    case RuleCheck::kEnum:
      return std::find(rule.values.begin(), rule.values.end(), value.text) != rule.values.end();
    case RuleCheck::kRange: {
      auto n = NumberOf(value.text);
      if (!n) return false;
      return (!rule.min || *n >= *rule.min) && (!rule.max || *n <= *rule.max);
    }
    case RuleCheck::kMaxLength:
      return CodePoints(value.text) <= static_cast<size_t>(rule.max_length);
    case RuleCheck::kEmail: {
      auto normal = mapping::NormalizeEmail(value.text);
      return normal.has_value();
    }
    case RuleCheck::kPhone:
      return IsE164(value.text);
    case RuleCheck::kNotFuture: {
      auto t = mapping::ParseTime(value.text);
      return t && *t <= now + rule.tolerance;
    }
  }
  return false;
}

// The shortest text that reads back as `value`: 18, 0.5, 1e+21.
std::string NumberText(double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::string("?");
}

std::string Describe(const config::ValidationRule& rule) {
  switch (rule.check) {
    case RuleCheck::kRequired: return "is missing";
    case RuleCheck::kType: {
      static constexpr std::string_view kNames[] = {"a string", "a number", "an integer",
                                                    "a boolean", "a date"};
      return "is not " + std::string(kNames[static_cast<size_t>(rule.type)]);
    }
    case RuleCheck::kRegex: return "does not match the rule's pattern";
    case RuleCheck::kEnum: return "is not one of the allowed values";
    case RuleCheck::kRange: {
      std::string out = "is not a number";
      if (rule.min && rule.max) {
        out += " from " + NumberText(*rule.min) + " to " + NumberText(*rule.max);
      } else if (rule.min) {
        out += " of at least " + NumberText(*rule.min);
      } else if (rule.max) {
        out += " of at most " + NumberText(*rule.max);
      }
      return out;
    }
    case RuleCheck::kMaxLength:
      return "is longer than " + std::to_string(rule.max_length) + " characters";
    case RuleCheck::kEmail: return "is not a valid email address";
    case RuleCheck::kPhone: return "is not an E.164 phone number";
    case RuleCheck::kNotFuture: return "is in the future (or not a time)";
  }
  return "fails";
}

std::string TimeText(TimePoint t) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

}  // namespace

std::optional<std::string> CheckRuleField(const std::string& field) {
  if (field == "occurred_at" || IsKnownTraitName(field) || IsIdentityType(field)) {
    return std::nullopt;
  }
  if (field.rfind("custom.", 0) == 0 && field.size() > 7) return std::nullopt;
  if (field.rfind("touchpoint.", 0) == 0) {
    const std::string_view rest = std::string_view(field).substr(11);
    for (std::string_view f : kTouchpointFields) {
      if (rest == f) return std::nullopt;
    }
    return "'" + field + "': a touchpoint field is one of type, channel, value, currency, "
           "reference, occurred_at";
  }
  return "'" + field + "' is not a field a rule can check: use email, phone, an identity type "
         "(<namespace>.<name>), a trait (first_name, postal_code...), custom.<name>, "
         "occurred_at or touchpoint.<field>";
}

std::optional<std::string> CheckRuleSpec(const config::ValidationRule& rule) {
  if (auto bad = CheckRuleField(rule.field)) return bad;
  const bool times = rule.field == "occurred_at" || rule.field == "touchpoint.occurred_at";
  if (rule.action == RuleAction::kDropField &&
      (rule.check == RuleCheck::kRequired || times || rule.field == "touchpoint.type")) {
    return "rule '" + rule.name + "': drop_field cannot apply here (a missing value cannot be "
           "dropped, and a record or touchpoint needs its time and type); use reject or warn";
  }
  switch (rule.check) {
    case RuleCheck::kRegex:
      if (rule.pattern.empty()) return "rule '" + rule.name + "': regex needs a pattern";
      try {
        boost::regex re(rule.pattern, boost::regex::ECMAScript);
      } catch (const boost::regex_error& e) {
        return "rule '" + rule.name + "': '" + rule.pattern + "' is not a valid regex: " +
               e.what();
      }
      break;
    case RuleCheck::kEnum:
      if (rule.values.empty()) return "rule '" + rule.name + "': enum needs values";
      break;
    case RuleCheck::kRange:
      if (!rule.min && !rule.max) return "rule '" + rule.name + "': range needs min or max";
      if (rule.min && rule.max && *rule.min > *rule.max) {
        return "rule '" + rule.name + "': min is above max";
      }
      break;
    case RuleCheck::kMaxLength:
      if (rule.max_length <= 0) return "rule '" + rule.name + "': max_length must be positive";
      break;
    default:
      break;
  }
  return std::nullopt;
}

RecordRules::RecordRules(const std::vector<config::ValidationRule>& rules) {
  for (const config::ValidationRule& spec : rules) {
    Compiled compiled{spec, std::nullopt};
    if (compiled.spec.check == RuleCheck::kRegex) {
      compiled.regex.emplace(compiled.spec.pattern, boost::regex::ECMAScript);
    }
    rules_.push_back(std::move(compiled));
  }
}

std::vector<Violation> RecordRules::Apply(CanonicalRecord& record, TimePoint now) const {
  std::vector<Violation> out;
  for (const Compiled& compiled : rules_) {
    const config::ValidationRule& rule = compiled.spec;
    if (!rule.sources.empty() &&
        std::find(rule.sources.begin(), rule.sources.end(), record.source) == rule.sources.end()) {
      continue;
    }
    bool failed = false;
    const bool drop = rule.action == RuleAction::kDropField;
    const auto check = [&](const FieldValue& value) {
      const bool ok = Passes(rule, compiled.regex, value, now);
      failed |= !ok;
      return ok;
    };
    const bool required = rule.check == RuleCheck::kRequired;
    const std::string& field = rule.field;

    // A time compared with a time needs no text; other checks on a time see epoch milliseconds.
    const auto check_time = [&](TimePoint t) {
      if (rule.check == RuleCheck::kNotFuture) {
        failed |= t > now + rule.tolerance;
      } else {
        check({TimeText(t), nullptr, true});
      }
    };
    if (field == "occurred_at") {
      check_time(record.occurred_at);
    } else if (IsIdentityType(field)) {
      bool any = false;
      for (auto it = record.identities.begin(); it != record.identities.end();) {
        if (it->type != field) {
          ++it;
          continue;
        }
        any = true;
        if (!check({it->value, nullptr, true}) && drop) {
          it = record.identities.erase(it);
        } else {
          ++it;
        }
      }
      if (required && !any) failed = true;
    } else if (field.rfind("custom.", 0) == 0) {
      const std::string name = field.substr(7);
      auto it = record.traits.custom.find(name);
      if (it == record.traits.custom.end() || it->value().is_null()) {
        if (required) failed = true;
      } else {
        const json::value& v = it->value();
        FieldValue value{v.is_string() ? std::string(v.get_string()) : json::serialize(v), &v,
                         true};
        if (!check(value) && drop) record.traits.custom.erase(it);
      }
    } else if (field.rfind("touchpoint.", 0) == 0) {
      const std::string_view which = std::string_view(field).substr(11);
      for (Touchpoint& t : record.touchpoints) {
        std::string* text = which == "type"        ? &t.type
                            : which == "channel"   ? &t.channel
                            : which == "value"     ? &t.value
                            : which == "currency"  ? &t.currency
                            : which == "reference" ? &t.reference
                                                   : nullptr;
        if (text == nullptr) {  // occurred_at
          check_time(t.occurred_at);
          continue;
        }
        if (text->empty()) {
          if (required) failed = true;
          continue;
        }
        if (!check({*text, nullptr, true}) && drop) {
          text->clear();
          if (which == "value") t.currency.clear();  // a currency without an amount means nothing
        }
      }
    } else {  // a known trait
      auto it = record.traits.fields.find(field);
      if (it == record.traits.fields.end() || it->second.empty()) {
        if (required) failed = true;
      } else if (!check({it->second, nullptr, true}) && drop) {
        record.traits.fields.erase(it);
      }
    }
    if (failed) {
      out.push_back({rule.name, rule.field, rule.check, rule.action,
                     "rule '" + rule.name + "': " + rule.field + " " + Describe(rule)});
    }
  }
  return out;
}

bool Rejects(const std::vector<Violation>& violations) {
  return std::any_of(violations.begin(), violations.end(),
                     [](const Violation& v) { return v.action == RuleAction::kReject; });
}

}  // namespace journeyd::governance
