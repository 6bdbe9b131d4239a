// The built-in functions of the mapping language (docs/mapping.md lists them). The parser looks
// names up here and MakeCall builds the call node, checking what can be checked before any event
// arrives: the number of arguments, and constant arguments such as a regex, a lookup table name,
// a time format or a phone region.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/mapping/expression.h"
#include "engine/mapping/expression_parser.h"

namespace journeyd::mapping {

struct FunctionInfo {
  std::string_view name;
  int min_args = 0;
  int max_args = 0;           // -1: any number
  std::string_view synopsis;  // "lower(s)", for messages
};

// nullptr when there is no such function.
const FunctionInfo* FindFunction(std::string_view name);
std::vector<std::string_view> FunctionNames();

struct CallError {
  int argument = -1;  // the argument at fault (0-based), or -1 for the call as a whole
  std::string message;
};

// REQUIRES: args.size() within the function's arity (the parser checks it first).
std::variant<ExprPtr, CallError> MakeCall(const FunctionInfo& function, std::vector<ExprPtr> args,
                                          const CompileEnv& env);

}  // namespace journeyd::mapping
