// How a PostgreSQL failure becomes a journeyd Error: by its SQLSTATE, so that callers see the
// same codes as with SQLite (a unique violation is kConflict; a serialization failure, a deadlock,
// a lost connection or a full disk are kUnavailable and so retryable). Stateless; thread-safe.
#pragma once

#include <string_view>

#include "engine/base/error.h"

namespace journeyd::storage {

// The journeyd code for a five-character SQLSTATE ("" when the server gave none: a connection
// failure, which is kUnavailable).
ErrorCode PgErrorCode(std::string_view sqlstate);

// True for the SQLSTATEs after which the connection is not worth keeping: the next use reconnects.
bool PgConnectionLost(std::string_view sqlstate);

// "<what>: <server message>", prefixed "disk full: " for 53100 so that the log and /readyz say
// what to fix (as the SQLite store does).
Error PgError(std::string_view sqlstate, std::string_view what, std::string_view message);

}  // namespace journeyd::storage
