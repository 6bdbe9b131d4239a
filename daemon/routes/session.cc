#include "daemon/routes/session.h"

#include <charconv>
#include <vector>

#include <openssl/rand.h>

#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "engine/base/secret.h"

namespace journeyd::routes {

namespace {

using connectors::common::HexEncode;
using connectors::common::HmacSha256;

constexpr std::string_view kVersion = "v1";

const Secret* TokenOf(const config::Config& config, Role role) {
  switch (role) {
    case Role::kAdmin: return &config.server.admin_token;
    case Role::kRead: return &config.server.read_token;
    case Role::kNone: break;
  }
  return nullptr;
}

std::string_view RoleLetter(Role role) { return role == Role::kAdmin ? "a" : "r"; }

std::string Mac(const Secret& token, std::string_view role, std::string_view expiry,
                std::string_view nonce) {
  return HexEncode(HmacSha256(token.Reveal(), {"journeyd-session|", role, "|", expiry, "|", nonce}));
}

std::string CsrfToken(const Secret& token, std::string_view nonce) {
  return HexEncode(HmacSha256(token.Reveal(), {"journeyd-csrf|", nonce}));
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

}  // namespace

std::string IssueSessionCookie(const config::Config& config, Role role,
                               std::chrono::system_clock::time_point now) {
  const Secret* token = TokenOf(config, role);
  if (token == nullptr || token->empty()) return {};
  const auto expiry = std::chrono::duration_cast<std::chrono::seconds>(
                          (now + kSessionLifetime).time_since_epoch()).count();
  const std::string expiry_text = std::to_string(expiry);
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1) return {};
  const std::string nonce =
      HexEncode(std::string_view(reinterpret_cast<const char*>(random), sizeof random));
  const std::string_view letter = RoleLetter(role);
  return std::string(kVersion) + "." + std::string(letter) + "." + expiry_text + "." + nonce + "." +
         Mac(*token, letter, expiry_text, nonce);
}

std::optional<Session> VerifySessionCookie(const config::Config& config, std::string_view value,
                                           std::chrono::system_clock::time_point now) {
  const auto parts = Split(value, '.');
  if (parts.size() != 5 || parts[0] != kVersion) return std::nullopt;
  Role role = Role::kNone;
  if (parts[1] == "a") role = Role::kAdmin;
  else if (parts[1] == "r") role = Role::kRead;
  else return std::nullopt;
  const Secret* token = TokenOf(config, role);
  if (token == nullptr || token->empty()) return std::nullopt;
  int64_t expiry = 0;
  const auto [end, ec] = std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), expiry);
  if (ec != std::errc() || end != parts[2].data() + parts[2].size()) return std::nullopt;
  if (!ConstantTimeEquals(Mac(*token, parts[1], parts[2], parts[3]), parts[4])) return std::nullopt;
  const std::chrono::system_clock::time_point expires_at{std::chrono::seconds(expiry)};
  if (expires_at <= now) return std::nullopt;
  return Session{role, expires_at, CsrfToken(*token, parts[3])};
}

std::optional<std::string_view> CookieValue(std::string_view header, std::string_view name) {
  for (std::string_view pair : Split(header, ';')) {
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return std::nullopt;
}

std::string SessionSetCookie(std::string_view value) {
  // No Secure attribute: journeyd serves plain HTTP (loopback, or behind a TLS proxy, which may
  // add it); HttpOnly keeps scripts from reading it, SameSite=Strict keeps other sites from
  // sending it.
  std::string cookie = std::string(kSessionCookie) + "=" + std::string(value) +
                       "; Path=/; HttpOnly; SameSite=Strict";
  if (value.empty()) {
    cookie += "; Max-Age=0";
  } else {
    cookie += "; Max-Age=" +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kSessionLifetime).count());
  }
  return cookie;
}

}  // namespace journeyd::routes
