// Checks for connector settings, shared so that every source words the same problem the same
// way in `journeyd check`. Each returns the message for the diagnostic, or nullopt when fine.
#pragma once

#include <optional>
#include <string>

#include "engine/config/value_types.h"

namespace journeyd::connectors::common {

std::optional<std::string> CheckPositiveDuration(const config::Duration& value);
std::optional<std::string> CheckNotEmpty(const std::string& value);
// An absolute http:// or https:// URL with a host.
std::optional<std::string> CheckHttpUrl(const std::string& value);
// An HTTP header field name (RFC 9110 token).
std::optional<std::string> CheckHeaderName(const std::string& value);

// The default replay window of the timestamped schemes (Stripe, Standard Webhooks and HubSpot
// all document five minutes).
inline constexpr config::Duration kDefaultTolerance = std::chrono::minutes(5);

}  // namespace journeyd::connectors::common
