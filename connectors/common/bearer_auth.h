// The static-token check shared by sources that authenticate senders with a bearer token
// rather than a signature (the generic `bearer` source, CSV uploads from tills).
#pragma once

#include <string_view>

#include "engine/base/result.h"
#include "engine/base/secret.h"
#include "engine/connector/inbound_request.h"

namespace journeyd::connectors::common {

// `header` is Authorization ("Bearer <token>", RFC 6750) or a custom header that carries the
// token alone (a "Bearer " in front is tolerated). Constant-time comparison; kUnauthenticated
// says what was wrong for the log, never the token.
Status VerifyBearerToken(const InboundRequest& request, std::string_view header,
                         const Secret& token);

}  // namespace journeyd::connectors::common
