#include "engine/mapping/functions.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <boost/regex.hpp>
#include <charconv>
#include <functional>
#include <stdexcept>

#include "engine/base/time_format.h"
#include "engine/connector/inbound_request.h"
#include "engine/mapping/normalize.h"

namespace journeyd::mapping {
namespace json = boost::json;

namespace {

// One call of a function in one expression, with what was resolved at load time.
struct CallSite {
  std::vector<ExprPtr> args;
  std::optional<boost::regex> regex;
  const LookupTable* table = nullptr;
  std::string constant;  // a literal text argument: format, header name, region
  int64_t number = 0;    // a literal integer argument: regex group, minor units
};

using EvalFn = const json::value* (*)(const CallSite&, const EvalContext&, json::value& scratch);
using CheckFn = std::optional<CallError> (*)(CallSite&, const CompileEnv&);

struct FunctionDef {
  FunctionInfo info;
  EvalFn eval;
  CheckFn check = nullptr;
};

// Keeps a result that an argument evaluated into a local temporary alive in `scratch`.
const json::value* Keep(const json::value* result, json::value& local, json::value& scratch) {
  if (result != &local) return result;
  scratch = std::move(local);
  return &scratch;
}

const json::value* SetText(json::value& scratch, std::string_view text) {
  scratch = json::string(text);
  return &scratch;
}

std::optional<std::string> ArgText(const CallSite& site, size_t i, const EvalContext& ctx) {
  return EvalText(*site.args[i], ctx);
}

// --- text ---------------------------------------------------------------------------------

template <char (*Map)(char)>
const json::value* MapChars(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  auto text = ArgText(site, 0, ctx);
  if (!text) return nullptr;
  for (char& c : *text) c = Map(c);
  return SetText(scratch, *text);
}
char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char ToUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string_view TrimView(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

const json::value* Trim(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  auto text = ArgText(site, 0, ctx);
  if (!text) return nullptr;
  return SetText(scratch, TrimView(*text));
}

const json::value* Email(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  auto text = ArgText(site, 0, ctx);
  if (!text) return nullptr;
  auto email = NormalizeEmail(*text);
  return email ? SetText(scratch, *email) : nullptr;
}

const json::value* Phone(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  auto text = ArgText(site, 0, ctx);
  if (!text) return nullptr;
  std::string region(ctx.phone_region);
  if (site.args.size() > 1) {
    auto given = ArgText(site, 1, ctx);
    if (given && !given->empty()) region = std::move(*given);
  }
  auto phone = NormalizePhone(*text, region);
  return phone ? SetText(scratch, *phone) : nullptr;
}

std::optional<CallError> CheckRegion(CallSite& site, const CompileEnv&) {
  if (site.args.size() < 2) return std::nullopt;
  const json::value* region = site.args[1]->literal();
  if (region && (!region->is_string() || !IsValidRegion(region->get_string()))) {
    return CallError{1, "phone(): not a region code libphonenumber knows (use ISO 3166 alpha-2, "
                        "e.g. \"US\")"};
  }
  return std::nullopt;
}

// --- time ---------------------------------------------------------------------------------

std::optional<TimePoint> EvalTime(const CallSite& site, const EvalContext& ctx) {
  json::value local;
  const json::value* v = site.args[0]->Eval(ctx, local);
  if (!v) return std::nullopt;
  if (!site.constant.empty()) {
    auto text = ScalarText(v);
    if (!text) return std::nullopt;
    return ParseTimeWithFormat(*text, site.constant);
  }
  if (v->is_int64()) return TimeFromEpoch(static_cast<double>(v->get_int64()));
  if (v->is_uint64()) return TimeFromEpoch(static_cast<double>(v->get_uint64()));
  if (v->is_double()) return TimeFromEpoch(v->get_double());
  if (v->is_string()) return ParseTime(v->get_string());
  return std::nullopt;
}

const json::value* Time(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  auto t = EvalTime(site, ctx);
  return t ? SetText(scratch, FormatIso8601(*t)) : nullptr;
}

const json::value* Date(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  auto t = EvalTime(site, ctx);
  return t ? SetText(scratch, FormatDate(*t)) : nullptr;
}

std::optional<CallError> CheckTimeFormat(CallSite& site, const CompileEnv&) {
  if (site.args.size() < 2) return std::nullopt;
  const json::value* format = site.args[1]->literal();
  if (!format || !format->is_string()) {
    return CallError{1, "the time format must be a quoted text, e.g. \"%d/%m/%Y %H:%M\""};
  }
  if (!IsValidTimeFormat(format->get_string())) {
    return CallError{1, "not a time format this parser understands"};
  }
  site.constant = std::string(format->get_string());
  return std::nullopt;
}

// --- numbers --------------------------------------------------------------------------------

std::optional<double> ParseNumber(std::string_view text) {
  text = TrimView(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return d;
}

const json::value* Number(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  json::value local;
  const json::value* v = site.args[0]->Eval(ctx, local);
  if (!v) return nullptr;
  if (v->is_number()) return Keep(v, local, scratch);
  if (!v->is_string()) return nullptr;
  std::string_view text = TrimView(v->get_string());
  int64_t i = 0;
  if (auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
      ec == std::errc() && end == text.data() + text.size() && !text.empty()) {
    scratch = i;
    return &scratch;
  }
  auto d = ParseNumber(text);
  if (!d) return nullptr;
  scratch = *d;
  return &scratch;
}

const json::value* Money(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  json::value local;
  const json::value* v = site.args[0]->Eval(ctx, local);
  if (!v) return nullptr;
  const int minor = static_cast<int>(site.number);
  std::optional<std::string> decimal;
  if (v->is_string()) {
    decimal = ParseDecimal(v->get_string(), minor);
  } else if (v->is_int64() || v->is_uint64()) {
    decimal = ParseDecimal(*ScalarText(v), minor);
  } else if (v->is_double()) {
    decimal = DecimalFromDouble(v->get_double(), minor);
  }
  return decimal ? SetText(scratch, *decimal) : nullptr;
}

std::optional<CallError> CheckMinorUnits(CallSite& site, const CompileEnv&) {
  if (site.args.size() < 2) return std::nullopt;
  const json::value* units = site.args[1]->literal();
  if (!units || !units->is_int64() || units->get_int64() < 0 || units->get_int64() > 9) {
    return CallError{1, "minor units must be a whole number from 0 to 9, e.g. 2 for cents"};
  }
  site.number = units->get_int64();
  return std::nullopt;
}

const json::value* String(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  auto text = ArgText(site, 0, ctx);
  return text ? SetText(scratch, *text) : nullptr;
}

// --- combining ------------------------------------------------------------------------------

const json::value* Concat(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  std::string out;
  for (size_t i = 0; i < site.args.size(); ++i) {
    auto text = ArgText(site, i, ctx);
    if (!text) return nullptr;
    out += *text;
  }
  return SetText(scratch, out);
}

const json::value* Split(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  auto text = ArgText(site, 0, ctx);
  auto sep = ArgText(site, 1, ctx);
  if (!text || !sep) return nullptr;
  json::array parts;
  if (!text->empty()) {
    std::string_view rest = *text;
    while (true) {
      const size_t at = sep->empty() ? std::string_view::npos : rest.find(*sep);
      parts.emplace_back(json::string(TrimView(rest.substr(0, at))));
      if (at == std::string_view::npos) break;
      rest.remove_prefix(at + sep->size());
    }
  }
  scratch = std::move(parts);
  return &scratch;
}

const json::value* Join(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  json::value local;
  const json::value* v = site.args[0]->Eval(ctx, local);
  auto sep = ArgText(site, 1, ctx);
  if (!v || !sep) return nullptr;
  if (!v->is_array()) {
    auto text = ScalarText(v);
    return text ? SetText(scratch, *text) : nullptr;
  }
  std::string out;
  bool first = true;
  for (const json::value& element : v->get_array()) {
    auto text = ScalarText(&element);
    if (!text) continue;
    if (!first) out += *sep;
    out += *text;
    first = false;
  }
  return SetText(scratch, out);
}

bool IsBlank(const json::value* v) {
  return !v || (v->is_string() && v->get_string().empty());
}

const json::value* Coalesce(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  for (const ExprPtr& arg : site.args) {
    json::value local;
    const json::value* v = arg->Eval(ctx, local);
    if (!IsBlank(v)) return Keep(v, local, scratch);
  }
  return nullptr;
}

const json::value* Lookup(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  auto key = ArgText(site, 0, ctx);
  if (key) {
    if (auto it = site.table->find(*key); it != site.table->end()) {
      return SetText(scratch, it->second);
    }
  }
  if (site.args.size() < 3) return nullptr;
  json::value local;
  return Keep(site.args[2]->Eval(ctx, local), local, scratch);
}

std::optional<CallError> CheckTable(CallSite& site, const CompileEnv& env) {
  const json::value* name = site.args[1]->literal();
  if (!name || !name->is_string()) {
    return CallError{1, "the table name must be a quoted text naming an entry of `tables:`"};
  }
  if (env.tables) {
    if (auto it = env.tables->find(std::string_view(name->get_string()));
        it != env.tables->end()) {
      site.table = &it->second;
      return std::nullopt;
    }
  }
  return CallError{1, "no lookup table named '" + std::string(name->get_string()) +
                          "' under `tables:`"};
}

// --- regular expressions --------------------------------------------------------------------

std::optional<CallError> CompileRegex(CallSite& site, const CompileEnv&) {
  const json::value* pattern = site.args[1]->literal();
  if (!pattern || !pattern->is_string()) {
    return CallError{1, "the regular expression must be a quoted text"};
  }
  try {
    site.regex.emplace(std::string(pattern->get_string()), boost::regex::perl);
  } catch (const boost::regex_error& e) {
    return CallError{1, std::string("invalid regular expression: ") + e.what()};
  }
  if (site.args.size() > 2 && site.args[2]->literal() &&
      site.args[2]->literal()->is_int64()) {  // regex_extract's group
    site.number = site.args[2]->literal()->get_int64();
    if (site.number < 0 || static_cast<size_t>(site.number) > site.regex->mark_count()) {
      return CallError{2, "the expression has " + std::to_string(site.regex->mark_count()) +
                              " group(s); there is no group " + std::to_string(site.number)};
    }
  }
  return std::nullopt;
}

const json::value* RegexExtract(const CallSite& site, const EvalContext& ctx,
                                json::value& scratch) {
  auto text = ArgText(site, 0, ctx);
  if (!text) return nullptr;
  boost::smatch match;
  // Boost.Regex throws (boost::regex_error, a std::runtime_error) rather than backtrack for
  // ever, e.g. "(a+)+b" on a long run of a's. The payload chooses the text, and evaluation never
  // fails: such a value is null, like any other that does not fit.
  try {
    if (!boost::regex_search(*text, match, *site.regex)) return nullptr;
  } catch (const std::runtime_error&) {
    return nullptr;
  }
  const auto& group = match[static_cast<int>(site.number)];
  if (!group.matched) return nullptr;
  return SetText(scratch, group.str());
}

std::optional<CallError> CheckExtract(CallSite& site, const CompileEnv& env) {
  if (site.args.size() > 2) {
    const json::value* group = site.args[2]->literal();
    if (!group || !group->is_int64()) {
      return CallError{2, "the group must be a whole number"};
    }
  }
  return CompileRegex(site, env);
}

const json::value* RegexReplace(const CallSite& site, const EvalContext& ctx,
                                json::value& scratch) {
  auto text = ArgText(site, 0, ctx);
  if (!text) return nullptr;
  try {  // as in RegexExtract: too complex to match is null
    return SetText(scratch, boost::regex_replace(*text, *site.regex, site.constant));
  } catch (const std::runtime_error&) {
    return nullptr;
  }
}

std::optional<CallError> CheckReplace(CallSite& site, const CompileEnv& env) {
  const json::value* with = site.args[2]->literal();
  if (!with || !with->is_string()) return CallError{2, "the replacement must be a quoted text"};
  site.constant = std::string(with->get_string());
  return CompileRegex(site, env);
}

// --- the rest -------------------------------------------------------------------------------

const json::value* Sha256(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  auto text = ArgText(site, 0, ctx);
  return text ? SetText(scratch, Sha256Hex(*text)) : nullptr;
}

const json::value* Exists(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  json::value local;
  scratch = site.args[0]->Eval(ctx, local) != nullptr;
  return &scratch;
}

const json::value* Count(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  json::value local;
  const json::value* v = site.args[0]->Eval(ctx, local);
  if (!v) return nullptr;
  if (v->is_array()) {
    scratch = static_cast<int64_t>(v->get_array().size());
  } else if (v->is_object()) {
    scratch = static_cast<int64_t>(v->get_object().size());
  } else {
    scratch = int64_t{1};
  }
  return &scratch;
}

template <bool kFirst>
const json::value* Element(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  json::value local;
  const json::value* v = site.args[0]->Eval(ctx, local);
  if (!v) return nullptr;
  if (!v->is_array()) return Keep(v, local, scratch);
  const json::array& a = v->get_array();
  if (a.empty()) return nullptr;
  const json::value& element = kFirst ? a.front() : a.back();
  if (v != &local) return &element;
  scratch = element;
  return &scratch;
}

const json::value* Header(const CallSite& site, const EvalContext& ctx, json::value& scratch) {
  if (!ctx.event) return nullptr;
  for (const auto& [name, value] : ctx.event->headers) {
    if (EqualsIgnoreCase(name, site.constant)) return SetText(scratch, value);
  }
  return nullptr;
}

std::optional<CallError> CheckHeader(CallSite& site, const CompileEnv&) {
  const json::value* name = site.args[0]->literal();
  if (!name || !name->is_string() || name->get_string().empty()) {
    return CallError{0, "the header name must be a quoted text, e.g. header(\"X-Shopify-Topic\")"};
  }
  site.constant = std::string(name->get_string());
  return std::nullopt;
}

const std::vector<FunctionDef>& Functions() {
  static const std::vector<FunctionDef> functions = {
      {{"lower", 1, 1, "lower(s)"}, &MapChars<ToLower>},
      {{"upper", 1, 1, "upper(s)"}, &MapChars<ToUpper>},
      {{"trim", 1, 1, "trim(s)"}, &Trim},
      {{"email", 1, 1, "email(s)"}, &Email},
      {{"phone", 1, 2, "phone(s[, region])"}, &Phone, &CheckRegion},
      {{"time", 1, 2, "time(x[, format])"}, &Time, &CheckTimeFormat},
      {{"date", 1, 2, "date(x[, format])"}, &Date, &CheckTimeFormat},
      {{"number", 1, 1, "number(x)"}, &Number},
      {{"money", 1, 2, "money(x[, minor_units])"}, &Money, &CheckMinorUnits},
      {{"string", 1, 1, "string(x)"}, &String},
      {{"concat", 1, -1, "concat(a, b, ...)"}, &Concat},
      {{"split", 2, 2, "split(s, separator)"}, &Split},
      {{"join", 2, 2, "join(list, separator)"}, &Join},
      {{"coalesce", 1, -1, "coalesce(a, b, ...)"}, &Coalesce},
      {{"default", 2, 2, "default(x, fallback)"}, &Coalesce},
      {{"lookup", 2, 3, "lookup(x, \"table\"[, fallback])"}, &Lookup, &CheckTable},
      {{"regex_extract", 2, 3, "regex_extract(s, \"re\"[, group])"}, &RegexExtract,
       &CheckExtract},
      {{"regex_replace", 3, 3, "regex_replace(s, \"re\", \"with\")"}, &RegexReplace,
       &CheckReplace},
      {{"sha256", 1, 1, "sha256(s)"}, &Sha256},
      {{"exists", 1, 1, "exists(x)"}, &Exists},
      {{"count", 1, 1, "count(list)"}, &Count},
      {{"first", 1, 1, "first(list)"}, &Element<true>},
      {{"last", 1, 1, "last(list)"}, &Element<false>},
      {{"header", 1, 1, "header(\"Name\")"}, &Header, &CheckHeader},
  };
  return functions;
}

class CallExpression final : public Expression {
 public:
  CallExpression(CallSite site, EvalFn eval) : site_(std::move(site)), eval_(eval) {}
  const json::value* Eval(const EvalContext& context, json::value& scratch) const override {
    return eval_(site_, context, scratch);
  }

 private:
  CallSite site_;
  EvalFn eval_;
};

const FunctionDef* FindDef(std::string_view name) {
  for (const FunctionDef& f : Functions()) {
    if (f.info.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

const FunctionInfo* FindFunction(std::string_view name) {
  const FunctionDef* def = FindDef(name);
  return def ? &def->info : nullptr;
}

std::vector<std::string_view> FunctionNames() {
  std::vector<std::string_view> names;
  for (const FunctionDef& f : Functions()) names.push_back(f.info.name);
  return names;
}

std::variant<ExprPtr, CallError> MakeCall(const FunctionInfo& function, std::vector<ExprPtr> args,
                                          const CompileEnv& env) {
  const FunctionDef* def = FindDef(function.name);
  CallSite site;
  site.args = std::move(args);
  if (def->check) {
    if (auto error = def->check(site, env)) return *std::move(error);
  }
  return ExprPtr(std::make_unique<CallExpression>(std::move(site), def->eval));
}

}  // namespace journeyd::mapping
