// Expression is one compiled mapping expression (`lower(trim(customer.email))`): an immutable
// tree built once when the mapping loads and evaluated for every event. Evaluation never fails:
// whatever does not fit (a missing field, text where a number was due) is null, so a payload
// that lacks a field yields null, not an error. Paths return pointers into the payload, so
// mapping a 15 KB order copies only the values that end up in the record.
#pragma once

#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/record/raw_event.h"

namespace journeyd::mapping {

// What an expression is evaluated against: one event.
struct EvalContext {
  const boost::json::value* payload = nullptr;  // the decoded body
  const RawEvent* event = nullptr;              // headers, source, ids, receive time
  const boost::json::value* item = nullptr;     // $item inside `each:`; else null
  std::string_view phone_region;                // the mapping's default region
};

class Expression {
 public:
  virtual ~Expression() = default;
  // The value, or nullptr for null. The result may point into the payload, into this node (a
  // literal) or into `scratch`, which the caller owns; it is valid while all three are.
  virtual const boost::json::value* Eval(const EvalContext& context,
                                         boost::json::value& scratch) const = 0;
  // Non-null for a literal: lets functions check constant arguments (a regex) at load time.
  virtual const boost::json::value* literal() const { return nullptr; }
};

using ExprPtr = std::unique_ptr<const Expression>;

// The truth of a value: false for null, false, 0, "", and empty lists or objects.
bool Truthy(const boost::json::value* value);
// Text of a scalar: strings as they are, integers exactly, doubles in shortest form, bools as
// true/false; nullopt for null, lists and objects.
std::optional<std::string> ScalarText(const boost::json::value* value);
// Evaluates `expression` to owned text (nullopt when null or not a scalar).
std::optional<std::string> EvalText(const Expression& expression, const EvalContext& context);

}  // namespace journeyd::mapping
