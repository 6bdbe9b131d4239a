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

struct RequestContext {
  HttpRequest& request;
  RouteParams params;
  std::string_view path;   // without query
  std::string_view query;  // without '?'
  std::string remote_address;
};

}  // namespace journeyd::server
