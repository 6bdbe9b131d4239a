// ParseExpression compiles the text of one mapping expression into an Expression, resolving
// function names and checking their arguments (count, literal regexes, lookup tables, formats)
// so that every mistake surfaces at load time with the column it is at.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "engine/base/result.h"
#include "engine/mapping/expression.h"

namespace journeyd::mapping {

using LookupTable = std::map<std::string, std::string, std::less<>>;
using LookupTables = std::map<std::string, LookupTable, std::less<>>;

// What the expression may refer to besides the payload.
struct CompileEnv {
  const LookupTables* tables = nullptr;  // must outlive the compiled expression
  bool in_each = false;                  // $item is bound
};

struct ParseError {
  int offset = 0;  // 0-based byte offset into the expression text
  std::string message;
  std::string hint;  // e.g. "did you mean 'lower'?"
};

// Either the compiled expression or the first error.
struct ParseResult {
  ExprPtr expression;
  std::optional<ParseError> error;
};

ParseResult ParseExpression(std::string_view text, const CompileEnv& env);

// A literal text expression (a quoted YAML value).
ExprPtr MakeLiteral(boost::json::value value);

}  // namespace journeyd::mapping
