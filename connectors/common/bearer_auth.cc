#include "connectors/common/bearer_auth.h"

#include <string>

#include "connectors/common/header_params.h"
#include "connectors/common/request.h"

namespace journeyd::connectors::common {

namespace {
constexpr std::string_view kScheme = "Bearer ";
}  // namespace

Status VerifyBearerToken(const InboundRequest& request, std::string_view header,
                         const Secret& token) {
  const auto value = GetHeader(request, header);
  if (!value) return Unauthenticated("missing " + std::string(header) + " header");
  std::string_view presented = TrimSpaces(*value);
  const bool has_scheme = presented.size() >= kScheme.size() &&
                          EqualsIgnoreCase(presented.substr(0, kScheme.size()), kScheme);
  if (has_scheme) {
    presented = TrimSpaces(presented.substr(kScheme.size()));
  } else if (EqualsIgnoreCase(header, "Authorization")) {
    return Unauthenticated("Authorization is not a Bearer token");
  }
  if (!token.Equals(presented)) return Unauthenticated("token mismatch");
  return OkStatus();
}

}  // namespace journeyd::connectors::common
