#include "daemon/server/http_errors.h"

#include <boost/json/serialize.hpp>

namespace journeyd::server {

http::status StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return http::status::bad_request;
    case ErrorCode::kUnauthenticated: return http::status::unauthorized;
    case ErrorCode::kPermissionDenied: return http::status::forbidden;
    case ErrorCode::kNotFound: return http::status::not_found;
    case ErrorCode::kConflict: return http::status::conflict;
    case ErrorCode::kRateLimited: return http::status::too_many_requests;
    case ErrorCode::kUnavailable: return http::status::service_unavailable;
    case ErrorCode::kDeadlineExceeded: return http::status::gateway_timeout;
    case ErrorCode::kCorruption:
    case ErrorCode::kInternal: return http::status::internal_server_error;
  }
  return http::status::internal_server_error;
}

HttpResponse BodyResponse(const HttpRequest& request, http::status status,
                          std::string_view content_type, std::string body) {
  HttpResponse response(status, request.version());
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

HttpResponse JsonResponse(const HttpRequest& request, http::status status,
                          const boost::json::value& body) {
  return BodyResponse(request, status, "application/json", boost::json::serialize(body) + '\n');
}

HttpResponse ErrorResponse(const HttpRequest& request, const Error& error) {
  return ErrorResponse(request, StatusFor(error.code), ErrorCodeName(error.code), error.message);
}

HttpResponse ErrorResponse(const HttpRequest& request, http::status status, std::string_view code,
                           std::string_view message) {
  boost::json::object detail{{"code", code}, {"message", message}};
  return JsonResponse(request, status, boost::json::object{{"error", std::move(detail)}});
}

}  // namespace journeyd::server
