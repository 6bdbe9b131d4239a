// The one place where journeyd's ErrorCodes become HTTP statuses, and where every JSON body is
// shaped: {"error": {"code": "...", "message": "..."}} for failures.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "daemon/server/http_types.h"
#include "engine/base/error.h"

namespace journeyd::server {

http::status StatusFor(ErrorCode code);

// A response with `body` as it is, of `content_type`, never cached. Keep-alive follows the
// request; set more headers on the result before sending it.
HttpResponse BodyResponse(const HttpRequest& request, http::status status,
                          std::string_view content_type, std::string body);
// A JSON response with the given status and body. Keep-alive follows the request.
HttpResponse JsonResponse(const HttpRequest& request, http::status status,
                          const boost::json::value& body);
// An error response: status and code from `error`, the message as given.
HttpResponse ErrorResponse(const HttpRequest& request, const Error& error);
// An error response with an explicit status and code string, e.g. 405 "method_not_allowed".
HttpResponse ErrorResponse(const HttpRequest& request, http::status status, std::string_view code,
                           std::string_view message);

}  // namespace journeyd::server
