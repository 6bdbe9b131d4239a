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

TEST_CASE("the next-page link keeps the request's filters and moves the cursor", "[server]") {
  CHECK(NextPageLink("/api/v1/dlq", "", 42, 100) == "/api/v1/dlq?before=42&limit=100");
  CHECK(NextPageLink("/api/v1/quarantine", "rule=email%20ok&before=90&limit=5&source=shop", 17, 5) ==
        "/api/v1/quarantine?before=17&limit=5&rule=email%20ok&source=shop");
  CHECK(NextPageLink("/api/v1/issues", "kind=x&&limit=3", 9, 3) == "/api/v1/issues?before=9&limit=3&kind=x");
}

}  // namespace
}  // namespace journeyd::routes
