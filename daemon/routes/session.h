// Sign-in sessions for the status page. A session is a cookie the server can verify without
// keeping state: role, expiry and a nonce, authenticated with an HMAC keyed by the token of that
// role. Rotating a token therefore ends every session it started, and several instances on one
// database (PostgreSQL) accept each other's sessions. Each session also has a CSRF token, derived
// from its nonce, that every state-changing request made with the cookie must carry.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "engine/config/config.h"

namespace journeyd::routes {

enum class Role { kNone, kRead, kAdmin };

inline constexpr std::string_view kSessionCookie = "journeyd_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";
inline constexpr std::chrono::hours kSessionLifetime{12};

struct Session {
  Role role = Role::kNone;
  std::chrono::system_clock::time_point expires_at;
  std::string csrf_token;
};

// A new session cookie value for `role` (kRead or kAdmin), valid until `now + kSessionLifetime`.
std::string IssueSessionCookie(const config::Config& config, Role role,
                               std::chrono::system_clock::time_point now);

// The session a cookie value stands for, or nullopt when it is malformed, forged, expired or
// signed with a token that is no longer configured.
std::optional<Session> VerifySessionCookie(const config::Config& config, std::string_view value,
                                           std::chrono::system_clock::time_point now);

// The value of cookie `name` in a Cookie header, or nullopt.
std::optional<std::string_view> CookieValue(std::string_view header, std::string_view name);

// The Set-Cookie header value that starts (value non-empty) or ends a session.
std::string SessionSetCookie(std::string_view value);

}  // namespace journeyd::routes
