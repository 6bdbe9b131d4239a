// The request and response types every route handler sees, and the Respond callback through
// which a handler answers: once, from any thread (the session moves back onto its own strand).
#pragma once

#include <boost/beast/http.hpp>

#include <functional>
#include <map>
#include <string>

namespace journeyd::server {

namespace http = boost::beast::http;

using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;
using Respond = std::function<void(HttpResponse)>;

// Values of {name} segments in the matched route pattern.
using RouteParams = std::map<std::string, std::string, std::less<>>;

// The route of a request no pattern matched (metrics label it so, never with the raw path).
inline constexpr std::string_view kUnmatchedRoute = "unmatched";

struct RequestContext {
  HttpRequest& request;
  RouteParams params;
  std::string_view path;   // without query
  std::string_view query;  // without '?'
  std::string remote_address;
  // The pattern the router matched, e.g. "/webhooks/{source}" (also when only the method was
  // wrong); kUnmatchedRoute otherwise. Points into the router, which outlives every request.
  std::string_view route = kUnmatchedRoute;
};

}  // namespace journeyd::server
