#include "daemon/routes/query_params.h"

#include <catch2/catch.hpp>

namespace journeyd::routes {
namespace {

TEST_CASE("query parameters are found and decoded", "[server]") {
  CHECK(QueryParam("", "kind") == std::nullopt);
  CHECK(QueryParam("kind=signature_failure", "kind") == "signature_failure");
  CHECK(QueryParam("a=1&kind=x%20y&b=2", "kind") == "x y");
  CHECK(QueryParam("q=j%40example.com+z", "q") == "j@example.com z");
  CHECK(QueryParam("flag", "flag") == "");
  CHECK(QueryParam("bad=%zz%4", "bad") == "%zz%4");
  CHECK(QueryParam("kinds=1", "kind") == std::nullopt);
}

}  // namespace
}  // namespace journeyd::routes
