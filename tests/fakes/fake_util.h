// Small text and time helpers the fake CRMs share. The fakes use none of journeyd's own helpers,
// so that a bug there cannot hide in both the product and its test double.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace journeyd::fakes {

std::string Lowercase(std::string_view text);

// The email check both vendors apply, roughly: one '@', a non-empty local part, and a domain
// with a dot that neither starts nor ends it; no spaces.
bool IsPlausibleEmail(std::string_view text);

// "2026-11-23T10:35:03.123Z".
std::string FormatIso8601(std::chrono::system_clock::time_point t);
int64_t UnixMillis(std::chrono::system_clock::time_point t);

// `bytes` random bytes as lowercase hex. Thread-safe.
std::string RandomHex(size_t bytes);
// "8-4-4-4-12" lowercase hex, the shape of HubSpot's correlation ids.
std::string RandomUuid();

// application/x-www-form-urlencoded fields in order; a broken %-escape is kept verbatim.
std::vector<std::pair<std::string, std::string>> ParseForm(std::string_view body);

// Base64 (standard alphabet, padded) and base64url (unpadded input accepted) for JWTs.
std::string Base64Encode(std::string_view bytes);
// False on a character outside the base64url alphabet.
bool Base64UrlDecode(std::string_view text, std::string* out);

}  // namespace journeyd::fakes
