#include "engine/mapping/expression_parser.h"

#include <boost/json.hpp>
#include <cctype>
#include <charconv>

#include "engine/base/time_format.h"
#include "engine/config/diagnostics.h"
#include "engine/mapping/functions.h"

namespace journeyd::mapping {
namespace json = boost::json;

// --- value helpers (expression.h) ------------------------------------------------------------

bool Truthy(const json::value* v) {
  if (!v) return false;
  switch (v->kind()) {
    case json::kind::null: return false;
    case json::kind::bool_: return v->get_bool();
    case json::kind::int64: return v->get_int64() != 0;
    case json::kind::uint64: return v->get_uint64() != 0;
    case json::kind::double_: return v->get_double() != 0;
    case json::kind::string: return !v->get_string().empty();
    case json::kind::array: return !v->get_array().empty();
    case json::kind::object: return !v->get_object().empty();
  }
  return false;
}

std::optional<std::string> ScalarText(const json::value* v) {
  if (!v) return std::nullopt;
  switch (v->kind()) {
    case json::kind::string: return std::string(v->get_string());
    case json::kind::int64: return std::to_string(v->get_int64());
    case json::kind::uint64: return std::to_string(v->get_uint64());
    case json::kind::bool_: return std::string(v->get_bool() ? "true" : "false");
    case json::kind::double_: {
      char buffer[32];
      auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v->get_double());
      if (ec != std::errc()) return std::nullopt;
      return std::string(buffer, end);
    }
    default: return std::nullopt;
  }
}

std::optional<std::string> EvalText(const Expression& expression, const EvalContext& context) {
  json::value scratch;
  return ScalarText(expression.Eval(context, scratch));
}

namespace {

// --- nodes ---------------------------------------------------------------------------------

class Literal final : public Expression {
 public:
  explicit Literal(json::value value) : value_(std::move(value)) {}
  const json::value* Eval(const EvalContext&, json::value&) const override {
    return value_.is_null() ? nullptr : &value_;
  }
  const json::value* literal() const override { return &value_; }

 private:
  json::value value_;
};

struct PathStep {
  enum Kind { kKey, kIndex, kEach } kind = kKey;
  std::string key;
  int64_t index = 0;
};

enum class PathRoot { kPayload, kItem };

// Walks steps[from..] below `v`; a kEach step fans out and collects into `out` (flattened one
// level, nulls skipped), so `line_items[*].sku` is the list of skus.
const json::value* Walk(const json::value* v, const std::vector<PathStep>& steps, size_t from,
                        json::value& scratch) {
  for (size_t i = from; i < steps.size() && v; ++i) {
    const PathStep& step = steps[i];
    switch (step.kind) {
      case PathStep::kKey: {
        const json::object* o = v->if_object();
        v = o ? o->if_contains(step.key) : nullptr;
        break;
      }
      case PathStep::kIndex: {
        const json::array* a = v->if_array();
        if (!a) return nullptr;
        const int64_t size = static_cast<int64_t>(a->size());
        const int64_t at = step.index < 0 ? size + step.index : step.index;
        v = (at >= 0 && at < size) ? &(*a)[static_cast<size_t>(at)] : nullptr;
        break;
      }
      case PathStep::kEach: {
        const json::array* a = v->if_array();
        if (!a) return nullptr;
        json::array out;
        for (const json::value& element : *a) {
          json::value inner;
          const json::value* r = Walk(&element, steps, i + 1, inner);
          if (!r || r->is_null()) continue;
          if (r->is_array() && r == &inner) {
            for (auto& x : inner.get_array()) out.push_back(std::move(x));
          } else {
            out.push_back(*r);
          }
        }
        scratch = std::move(out);
        return &scratch;
      }
    }
  }
  return (v && !v->is_null()) ? v : nullptr;
}

class Path final : public Expression {
 public:
  Path(PathRoot root, std::vector<PathStep> steps) : root_(root), steps_(std::move(steps)) {}
  const json::value* Eval(const EvalContext& context, json::value& scratch) const override {
    const json::value* start = root_ == PathRoot::kItem ? context.item : context.payload;
    return Walk(start, steps_, 0, scratch);
  }

 private:
  PathRoot root_;
  std::vector<PathStep> steps_;
};

enum class Variable { kEventType, kSource, kExternalId, kReceivedAt };

class VariableRef final : public Expression {
 public:
  explicit VariableRef(Variable which) : which_(which) {}
  const json::value* Eval(const EvalContext& context, json::value& scratch) const override {
    if (!context.event) return nullptr;
    const RawEvent& e = *context.event;
    switch (which_) {
      case Variable::kEventType: scratch = json::string(e.event_type); break;
      case Variable::kSource: scratch = json::string(e.source); break;
      case Variable::kExternalId: scratch = json::string(e.external_id); break;
      case Variable::kReceivedAt: scratch = json::string(FormatIso8601(e.received_at)); break;
    }
    return scratch.get_string().empty() ? nullptr : &scratch;
  }

 private:
  Variable which_;
};

class Not final : public Expression {
 public:
  explicit Not(ExprPtr operand) : operand_(std::move(operand)) {}
  const json::value* Eval(const EvalContext& context, json::value& scratch) const override {
    json::value local;
    scratch = !Truthy(operand_->Eval(context, local));
    return &scratch;
  }

 private:
  ExprPtr operand_;
};

class Logical final : public Expression {
 public:
  Logical(bool is_and, ExprPtr left, ExprPtr right)
      : is_and_(is_and), left_(std::move(left)), right_(std::move(right)) {}
  const json::value* Eval(const EvalContext& context, json::value& scratch) const override {
    json::value local;
    bool result = Truthy(left_->Eval(context, local));
    if (result == is_and_) result = Truthy(right_->Eval(context, local));
    scratch = result;
    return &scratch;
  }

 private:
  bool is_and_;
  ExprPtr left_, right_;
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

std::optional<double> AsNumber(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  if (v->is_double()) return v->get_double();
  if (v->is_string()) {
    std::string_view s = v->get_string();
    double d = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return d;
  }
  return std::nullopt;
}

// -1, 0, 1; nullopt when the two cannot be ordered.
std::optional<int> Order(const json::value* a, const json::value* b) {
  if (!a || !b) {
    if (!a && !b) return 0;
    return std::nullopt;
  }
  const bool a_num = a->is_number(), b_num = b->is_number();
  if (a_num || b_num) {
    auto x = AsNumber(a), y = AsNumber(b);
    if (!x || !y) return std::nullopt;
    return *x < *y ? -1 : (*x > *y ? 1 : 0);
  }
  if (a->is_string() && b->is_string()) {
    // Vendors send amounts as text ("199.65"): two numeric texts compare as numbers.
    if (auto x = AsNumber(a), y = AsNumber(b); x && y) {
      return *x < *y ? -1 : (*x > *y ? 1 : 0);
    }
    const int c = std::string_view(a->get_string()).compare(std::string_view(b->get_string()));
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a->is_bool() && b->is_bool()) return int(a->get_bool()) - int(b->get_bool());
  if (*a == *b) return 0;
  return std::nullopt;
}

class Compare final : public Expression {
 public:
  Compare(CompareOp op, ExprPtr left, ExprPtr right)
      : op_(op), left_(std::move(left)), right_(std::move(right)) {}
  const json::value* Eval(const EvalContext& context, json::value& scratch) const override {
    json::value l, r;
    const auto order = Order(left_->Eval(context, l), right_->Eval(context, r));
    bool result = false;
    switch (op_) {
      case CompareOp::kEq: result = order == 0; break;
      case CompareOp::kNe: result = order != 0; break;
      case CompareOp::kLt: result = order && *order < 0; break;
      case CompareOp::kLe: result = order && *order <= 0; break;
      case CompareOp::kGt: result = order && *order > 0; break;
      case CompareOp::kGe: result = order && *order >= 0; break;
    }
    scratch = result;
    return &scratch;
  }

 private:
  CompareOp op_;
  ExprPtr left_, right_;
};

// --- lexer ---------------------------------------------------------------------------------

enum class Tok {
  kEnd, kIdent, kVariable, kString, kNumber, kLParen, kRParen, kLBracket, kRBracket, kDot,
  kComma, kStar, kEq, kNe, kLt, kLe, kGt, kGe, kAnd, kOr, kNot, kError
};

struct Token {
  Tok kind = Tok::kEnd;
  int offset = 0;
  std::string text;  // identifier, variable name, decoded string, number text, or error
};

bool IdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Token Next() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    Token t;
    t.offset = static_cast<int>(pos_);
    if (pos_ >= text_.size()) return t;
    const char c = text_[pos_];
    const auto two = [&](char second) {
      return pos_ + 1 < text_.size() && text_[pos_ + 1] == second;
    };
    const auto single = [&](Tok kind, size_t length = 1) {
      t.kind = kind;
      pos_ += length;
      return t;
    };
    switch (c) {
      case '(': return single(Tok::kLParen);
      case ')': return single(Tok::kRParen);
      case '[': return single(Tok::kLBracket);
      case ']': return single(Tok::kRBracket);
      case '.': return single(Tok::kDot);
      case ',': return single(Tok::kComma);
      case '*': return single(Tok::kStar);
      case '=':
        if (two('=')) return single(Tok::kEq, 2);
        return Error(t, "'=' compares nothing: write '==' to compare");
      case '!': return two('=') ? single(Tok::kNe, 2) : single(Tok::kNot);
      case '<': return two('=') ? single(Tok::kLe, 2) : single(Tok::kLt);
      case '>': return two('=') ? single(Tok::kGe, 2) : single(Tok::kGt);
      case '&':
        if (two('&')) return single(Tok::kAnd, 2);
        return Error(t, "write '&&' (or 'and')");
      case '|':
        if (two('|')) return single(Tok::kOr, 2);
        return Error(t, "write '||' (or 'or')");
      case '"':
      case '\'': return String(t, c);
      case '$': {
        ++pos_;
        const size_t start = pos_;
        while (pos_ < text_.size() && IdentChar(text_[pos_])) ++pos_;
        t.kind = Tok::kVariable;
        t.text = std::string(text_.substr(start, pos_ - start));
        return t;
      }
      default: break;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '-' && pos_ + 1 < text_.size() &&
                                                        std::isdigit(static_cast<unsigned char>(
                                                            text_[pos_ + 1])))) {
      const size_t start = pos_++;
      while (pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) ||
                                     text_[pos_] == '.')) {
        ++pos_;
      }
      t.kind = Tok::kNumber;
      t.text = std::string(text_.substr(start, pos_ - start));
      return t;
    }
    if (IdentStart(c)) {
      const size_t start = pos_;
      while (pos_ < text_.size() && IdentChar(text_[pos_])) ++pos_;
      t.text = std::string(text_.substr(start, pos_ - start));
      if (t.text == "and") t.kind = Tok::kAnd;
      else if (t.text == "or") t.kind = Tok::kOr;
      else if (t.text == "not") t.kind = Tok::kNot;
      else t.kind = Tok::kIdent;
      return t;
    }
    return Error(t, std::string("unexpected character '") + c + "'");
  }

 private:
  Token Error(Token t, std::string message) {
    t.kind = Tok::kError;
    t.text = std::move(message);
    pos_ = text_.size();
    return t;
  }

  Token String(Token t, char quote) {
    ++pos_;
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_++];
      if (c == '\\' && pos_ < text_.size()) {
        const char e = text_[pos_++];
        switch (e) {
          case 'n': c = '\n'; break;
          case 't': c = '\t'; break;
          default: c = e; break;  // \\, \", \' and anything else: the character itself
        }
      }
      out += c;
    }
    if (pos_ >= text_.size()) return Error(t, "this text is never closed");
    ++pos_;
    t.kind = Tok::kString;
    t.text = std::move(out);
    return t;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// --- parser --------------------------------------------------------------------------------

// Precedence climbing: or < and < not < comparison < primary.
class Parser {
 public:
  Parser(std::string_view text, const CompileEnv& env) : lexer_(text), env_(env) { Advance(); }

  ParseResult Parse() {
    ParseResult result;
    ExprPtr e = Or();
    if (!error_ && token_.kind != Tok::kEnd) Fail(token_.offset, "unexpected text after the expression");
    if (error_) {
      result.error = std::move(error_);
      return result;
    }
    result.expression = std::move(e);
    return result;
  }

 private:
  void Advance() {
    token_ = lexer_.Next();
    if (token_.kind == Tok::kError) Fail(token_.offset, token_.text);
  }

  ExprPtr Fail(int offset, std::string message, std::string hint = {}) {
    if (!error_) error_ = ParseError{offset, std::move(message), std::move(hint)};
    return nullptr;
  }

  // Every operator, call and parenthesised group nests the compiled tree one level deeper, and
  // compiling, evaluating and freeing it all recurse: a bound keeps a pathological expression
  // (thousands of '(' or `or`s) from overflowing the stack of `journeyd check` or the daemon.
  bool Nest(int offset) {
    if (++nodes_ <= kMaxNodes) return true;
    Fail(offset, "the expression is too complex: more than " + std::to_string(kMaxNodes) +
                     " operators, calls and parentheses");
    return false;
  }

  ExprPtr Or() {
    ExprPtr left = And();
    while (!error_ && token_.kind == Tok::kOr) {
      if (!Nest(token_.offset)) return nullptr;
      Advance();
      ExprPtr right = And();
      if (error_) return nullptr;
      left = std::make_unique<Logical>(false, std::move(left), std::move(right));
    }
    return left;
  }

  ExprPtr And() {
    ExprPtr left = Unary();
    while (!error_ && token_.kind == Tok::kAnd) {
      if (!Nest(token_.offset)) return nullptr;
      Advance();
      ExprPtr right = Unary();
      if (error_) return nullptr;
      left = std::make_unique<Logical>(true, std::move(left), std::move(right));
    }
    return left;
  }

  ExprPtr Unary() {
    if (token_.kind == Tok::kNot) {
      if (!Nest(token_.offset)) return nullptr;
      Advance();
      ExprPtr operand = Unary();
      if (error_) return nullptr;
      return std::make_unique<Not>(std::move(operand));
    }
    return Comparison();
  }

  ExprPtr Comparison() {
    ExprPtr left = Primary();
    if (error_) return nullptr;
    CompareOp op;
    switch (token_.kind) {
      case Tok::kEq: op = CompareOp::kEq; break;
      case Tok::kNe: op = CompareOp::kNe; break;
      case Tok::kLt: op = CompareOp::kLt; break;
      case Tok::kLe: op = CompareOp::kLe; break;
      case Tok::kGt: op = CompareOp::kGt; break;
      case Tok::kGe: op = CompareOp::kGe; break;
      default: return left;
    }
    if (!Nest(token_.offset)) return nullptr;
    Advance();
    ExprPtr right = Primary();
    if (error_) return nullptr;
    return std::make_unique<Compare>(op, std::move(left), std::move(right));
  }

  ExprPtr Primary() {
    const Token t = token_;
    switch (t.kind) {
      case Tok::kString:
        Advance();
        return MakeLiteral(json::string(t.text));
      case Tok::kNumber: {
        Advance();
        int64_t i = 0;
        const char* begin = t.text.data();
        const char* end = begin + t.text.size();
        if (auto r = std::from_chars(begin, end, i); r.ec == std::errc() && r.ptr == end) {
          return MakeLiteral(i);
        }
        double d = 0;
        if (auto r = std::from_chars(begin, end, d); r.ec == std::errc() && r.ptr == end) {
          return MakeLiteral(d);
        }
        return Fail(t.offset, "'" + t.text + "' is not a number");
      }
      case Tok::kLParen: {
        if (!Nest(t.offset)) return nullptr;
        Advance();
        ExprPtr inner = Or();
        if (error_) return nullptr;
        if (token_.kind != Tok::kRParen) return Fail(token_.offset, "expected ')'");
        Advance();
        return inner;
      }
      case Tok::kVariable: return VariableOrItem(t);
      case Tok::kIdent: {
        Advance();
        if (token_.kind == Tok::kLParen) return Call(t);
        if (t.text == "true") return MakeLiteral(true);
        if (t.text == "false") return MakeLiteral(false);
        if (t.text == "null") return MakeLiteral(nullptr);
        std::vector<PathStep> steps{{PathStep::kKey, t.text, 0}};
        if (!Steps(steps)) return nullptr;
        return std::make_unique<Path>(PathRoot::kPayload, std::move(steps));
      }
      case Tok::kLBracket: {  // ["key with spaces"].x at the root
        std::vector<PathStep> steps;
        if (!Steps(steps)) return nullptr;
        return std::make_unique<Path>(PathRoot::kPayload, std::move(steps));
      }
      case Tok::kEnd: return Fail(t.offset, "expected a value here");
      default: return Fail(t.offset, "expected a value, a field path or a function call");
    }
  }

  ExprPtr VariableOrItem(const Token& t) {
    Advance();
    static const std::vector<std::pair<std::string, Variable>> variables = {
        {"event_type", Variable::kEventType},
        {"source", Variable::kSource},
        {"external_id", Variable::kExternalId},
        {"received_at", Variable::kReceivedAt}};
    if (t.text == "item") {
      if (!env_.in_each) {
        return Fail(t.offset, "$item exists only inside a touchpoint's `each:`");
      }
      std::vector<PathStep> steps;
      if (!Steps(steps)) return nullptr;
      return std::make_unique<Path>(PathRoot::kItem, std::move(steps));
    }
    std::vector<std::string> names{"item"};
    for (const auto& [name, which] : variables) {
      if (name == t.text) return std::make_unique<VariableRef>(which);
      names.push_back(name);
    }
    return Fail(t.offset, "unknown variable '$" + t.text + "'",
                config::DidYouMean(t.text, names));
  }

  // Reads .key, [n], [*], ["key"] steps after a path's first element.
  bool Steps(std::vector<PathStep>& steps) {
    while (!error_) {
      if (token_.kind == Tok::kDot) {
        Advance();
        if (token_.kind != Tok::kIdent) {
          Fail(token_.offset, "expected a field name after '.'");
          return false;
        }
        steps.push_back({PathStep::kKey, token_.text, 0});
        Advance();
      } else if (token_.kind == Tok::kLBracket) {
        Advance();
        const Token inside = token_;
        if (inside.kind == Tok::kStar) {
          steps.push_back({PathStep::kEach, {}, 0});
        } else if (inside.kind == Tok::kString) {
          steps.push_back({PathStep::kKey, inside.text, 0});
        } else if (inside.kind == Tok::kNumber) {
          int64_t i = 0;
          auto [end, ec] =
              std::from_chars(inside.text.data(), inside.text.data() + inside.text.size(), i);
          if (ec != std::errc() || end != inside.text.data() + inside.text.size()) {
            Fail(inside.offset, "a list index must be a whole number");
            return false;
          }
          steps.push_back({PathStep::kIndex, {}, i});
        } else {
          Fail(inside.offset, "expected a list index, '*' or a quoted key inside [ ]");
          return false;
        }
        Advance();
        if (token_.kind != Tok::kRBracket) {
          Fail(token_.offset, "expected ']'");
          return false;
        }
        Advance();
      } else {
        break;
      }
    }
    return !error_;
  }

  ExprPtr Call(const Token& name) {
    const FunctionInfo* function = FindFunction(name.text);
    if (!function) {
      std::vector<std::string> names;
      for (auto n : FunctionNames()) names.emplace_back(n);
      return Fail(name.offset, "unknown function '" + name.text + "'",
                  config::DidYouMean(name.text, names));
    }
    if (!Nest(name.offset)) return nullptr;
    Advance();  // (
    std::vector<ExprPtr> args;
    std::vector<int> offsets;
    if (token_.kind != Tok::kRParen) {
      while (true) {
        offsets.push_back(token_.offset);
        ExprPtr arg = Or();
        if (error_) return nullptr;
        args.push_back(std::move(arg));
        if (token_.kind == Tok::kComma) {
          Advance();
          continue;
        }
        if (token_.kind != Tok::kRParen) return Fail(token_.offset, "expected ',' or ')'");
        break;
      }
    }
    Advance();  // )
    const int n = static_cast<int>(args.size());
    if (n < function->min_args || (function->max_args >= 0 && n > function->max_args)) {
      std::string expected =
          function->min_args == function->max_args
              ? std::to_string(function->min_args)
              : function->max_args < 0
                    ? "at least " + std::to_string(function->min_args)
                    : std::to_string(function->min_args) + " to " +
                          std::to_string(function->max_args);
      return Fail(name.offset,
                  name.text + "() takes " + expected + " argument" +
                      (expected == "1" ? "" : "s") + ", not " + std::to_string(n),
                  std::string(function->synopsis));
    }
    auto made = MakeCall(*function, std::move(args), env_);
    if (auto* error = std::get_if<CallError>(&made)) {
      const int at = error->argument >= 0 && error->argument < static_cast<int>(offsets.size())
                         ? offsets[static_cast<size_t>(error->argument)]
                         : name.offset;
      return Fail(at, std::move(error->message), std::string(function->synopsis));
    }
    return std::get<ExprPtr>(std::move(made));
  }

  static constexpr int kMaxNodes = 1000;

  Lexer lexer_;
  const CompileEnv& env_;
  Token token_;
  std::optional<ParseError> error_;
  int nodes_ = 0;  // operators, calls and groups so far; at most kMaxNodes
};

}  // namespace

ExprPtr MakeLiteral(json::value value) { return std::make_unique<Literal>(std::move(value)); }

ParseResult ParseExpression(std::string_view text, const CompileEnv& env) {
  return Parser(text, env).Parse();
}

}  // namespace journeyd::mapping
