// Byte encodings that vendors use for signatures and request bodies: base64, hex and URL
// percent-encoding. Decoders are strict and say "not valid" with nullopt rather than guessing.
// Stateless: safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/base/form_encoding.h"

namespace journeyd::connectors::common {

// Standard alphabet (RFC 4648 §4) with '=' padding.
std::string Base64Encode(std::string_view bytes);
// Standard alphabet; the padding may be omitted. Rejects any other character, whitespace too.
std::optional<std::string> Base64Decode(std::string_view text);

// Lowercase hex.
std::string HexEncode(std::string_view bytes);
// Either case; an odd length or a non-hex character gives nullopt.
std::optional<std::string> HexDecode(std::string_view text);

// True if `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF), as a JSON string must be. Sources that turn decoded bytes (form fields, CSV cells)
// into a JSON body check this first: Boost.JSON writes such bytes out as they are, which would
// store a body that no JSON parser, the mapping stage's included, accepts.
bool IsValidUtf8(std::string_view text);

// Percent-decoding lives with the form parser in the engine (engine/base/form_encoding.h).
using journeyd::PercentDecode;

// How a vendor writes a digest in a header.
enum class DigestEncoding { kHex, kBase64 };

// True if `received` is `expected` (raw digest bytes) written in `encoding`. Decodes `received`
// rather than encoding `expected`, so hex case and omitted base64 padding do not matter, then
// compares in constant time. Never true for an empty `expected`.
bool DigestMatches(std::string_view expected, std::string_view received, DigestEncoding encoding);

}  // namespace journeyd::connectors::common
