#include "engine/poll/stream_state.h"

#include <boost/json.hpp>

namespace journeyd::poll {

namespace {

std::string_view KindName(PageToken::Kind kind) {
  switch (kind) {
    case PageToken::Kind::kUrl: return "url";
    case PageToken::Kind::kNumber: return "number";
    case PageToken::Kind::kToken: break;
  }
  return "token";
}

}  // namespace

std::string EncodeStreamState(const StreamState& state) {
  boost::json::object out{
      {"cursor", state.cursor}, {"pending", state.pending}, {"read_from", state.read_from}};
  if (state.resume) {
    out["resume"] = {{"kind", KindName(state.resume->kind)}, {"value", state.resume->value}};
  }
  return boost::json::serialize(out);
}

Result<StreamState> DecodeStreamState(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) return Corruption("poll state is not a JSON object");
  const boost::json::object& object = value.as_object();
  StreamState state;
  const auto text_of = [&](const boost::json::object& o, std::string_view key,
                           std::string& out) -> bool {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr) return true;
    if (!v->is_string()) return false;
    out = std::string(v->as_string());
    return true;
  };
  if (!text_of(object, "cursor", state.cursor) || !text_of(object, "pending", state.pending) ||
      !text_of(object, "read_from", state.read_from)) {
    return Corruption("poll state: cursor, pending and read_from must be strings");
  }
  if (const boost::json::value* resume = object.if_contains("resume")) {
    if (!resume->is_object()) return Corruption("poll state: resume must be an object");
    PageToken token;
    std::string kind;
    if (!text_of(resume->as_object(), "kind", kind) ||
        !text_of(resume->as_object(), "value", token.value)) {
      return Corruption("poll state: resume.kind and resume.value must be strings");
    }
    if (kind == "url") token.kind = PageToken::Kind::kUrl;
    else if (kind == "number") token.kind = PageToken::Kind::kNumber;
    else if (kind == "token") token.kind = PageToken::Kind::kToken;
    else return Corruption("poll state: unknown resume kind '" + kind + "'");
    state.resume = std::move(token);
  }
  return state;
}

}  // namespace journeyd::poll
