// Fuzzes the mapping expression language (engine/mapping/expression_parser.h and the functions
// of functions.h): compiling fuzzed expression text, then evaluating what compiled against a
// fuzzed payload, as a mapping does for every event.
//
// Input: the expression text, a NUL byte, then the payload (JSON; anything else maps as a
// string). The expression compiles with one lookup table, `t`, and inside `each:` ($item is the
// payload's first element when it is a list, else the payload).
//
// Checks, beyond not crashing and no exception escaping (evaluation "never fails", and a bad
// expression is a ParseError, never a throw):
//   - a parse gives an expression or an error, never both or neither, and the error's offset
//     lies within the text;
//   - evaluation is deterministic: a second evaluation gives an equal value.
#include <boost/json.hpp>
#include <cstdint>
#include <string>

#include "engine/mapping/expression.h"
#include "engine/mapping/expression_parser.h"
#include "engine/record/raw_event.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace journeyd;
  using namespace journeyd::mapping;
  namespace json = boost::json;
  static const LookupTables tables = {
      {"t", {{"web", "online"}, {"pos", "store"}, {"", "empty"}}}};

  const auto [text, payload_text] = fuzz::SplitAtNul(fuzz::AsText(data, size));
  CompileEnv env;
  env.tables = &tables;
  env.in_each = true;
  ParseResult parsed = ParseExpression(text, env);
  JOURNEYD_FUZZ_CHECK((parsed.expression == nullptr) == parsed.error.has_value(),
                      "a parse gave both or neither of an expression and an error");
  if (parsed.error) {
    JOURNEYD_FUZZ_CHECK(parsed.error->offset >= 0 &&
                            static_cast<size_t>(parsed.error->offset) <= text.size(),
                        "a parse error points outside the text");
    return 0;
  }

  boost::system::error_code ec;
  json::value payload = json::parse(payload_text, ec);
  if (ec) payload = json::string(payload_text);
  const json::value* item = &payload;
  if (payload.is_array() && !payload.get_array().empty()) item = &payload.get_array()[0];

  RawEvent event;
  event.source = "fuzz";
  event.event_type = "orders/create";
  event.external_id = "evt_1";
  event.content_type = "application/json";
  event.headers = {{"X-Shopify-Topic", "orders/create"},
                   {"X-Shopify-Triggered-At", "2024-01-01T00:00:00Z"}};
  EvalContext context;
  context.payload = &payload;
  context.event = &event;
  context.item = item;
  context.phone_region = "US";

  json::value scratch1, scratch2;
  const json::value* first = parsed.expression->Eval(context, scratch1);
  const json::value* second = parsed.expression->Eval(context, scratch2);
  // Compared as text: a NaN (number("nan")) is not equal to itself.
  JOURNEYD_FUZZ_CHECK((first == nullptr) == (second == nullptr) &&
                          (!first || json::serialize(*first) == json::serialize(*second)),
                      "evaluating twice gave different values");
  (void)EvalText(*parsed.expression, context);
  (void)Truthy(first);
  return 0;
}
