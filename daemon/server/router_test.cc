#include "daemon/server/router.h"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include "daemon/server/http_errors.h"

namespace journeyd::server {
namespace {

HttpResponse Call(const Router& router, http::verb method, std::string target) {
  HttpRequest request(method, target, 11);
  RequestContext context{request, {}, target, {}, "127.0.0.1"};
  HttpResponse out;
  router.Dispatch(context, [&](HttpResponse response) { out = std::move(response); });
  return out;
}

TEST_CASE("the router captures segments and answers 404 and 405 itself", "[server]") {
  Router router;
  std::string captured;
  router.Add(http::verb::post, "/webhooks/{source}", [&](RequestContext& ctx, Respond respond) {
    captured = ctx.params.at("source");
    respond(JsonResponse(ctx.request, http::status::accepted, {{"ok", true}}));
  });
  router.Add(http::verb::get, "/healthz", [](RequestContext& ctx, Respond respond) {
    respond(JsonResponse(ctx.request, http::status::ok, {{"status", "ok"}}));
  });

  CHECK(Call(router, http::verb::post, "/webhooks/shopify").result() == http::status::accepted);
  CHECK(captured == "shopify");
  CHECK(Call(router, http::verb::get, "/healthz").result() == http::status::ok);
  CHECK(Call(router, http::verb::head, "/healthz").result() == http::status::ok);

  HttpResponse wrong_method = Call(router, http::verb::get, "/webhooks/shopify");
  CHECK(wrong_method.result() == http::status::method_not_allowed);
  CHECK(wrong_method[http::field::allow] == "POST");
  auto body = boost::json::parse(wrong_method.body());
  CHECK(body.at("error").at("code") == "method_not_allowed");

  HttpResponse missing = Call(router, http::verb::get, "/nope");
  CHECK(missing.result() == http::status::not_found);
  CHECK(boost::json::parse(missing.body()).at("error").at("code") == "not_found");
  CHECK(Call(router, http::verb::post, "/webhooks/a/b").result() == http::status::not_found);
}

}  // namespace
}  // namespace journeyd::server
