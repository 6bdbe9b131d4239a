#include "engine/config/references.h"

#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/support/temp_dir.h"

namespace journeyd::config {
namespace {

TEST_CASE("references expand from the environment and files", "[config]") {
  setenv("JOURNEYD_REF_TEST", "s3cret", 1);
  testing::TempDir dir;
  const auto file = dir.Write("token", "from-file\n");
  Diagnostics diag;
  const Position at{"f.yaml", 3, 7};
  CHECK(ExpandReferences("${env:JOURNEYD_REF_TEST}", at, diag) == "s3cret");
  CHECK(ExpandReferences("Bearer ${env:JOURNEYD_REF_TEST}!", at, diag) == "Bearer s3cret!");
  CHECK(ExpandReferences("${file:" + file.string() + "}", at, diag) == "from-file");
  CHECK(ExpandReferences("literal $${env:X}", at, diag) == "literal ${env:X}");
  CHECK(ExpandReferences("no refs", at, diag) == "no refs");
  // A shell-style fallback for an unset (or empty) variable; a set one wins.
  unsetenv("JOURNEYD_REF_UNSET_FALLBACK");
  CHECK(ExpandReferences("${env:JOURNEYD_REF_UNSET_FALLBACK:-https://api.example.com}", at,
                         diag) == "https://api.example.com");
  CHECK(ExpandReferences("${env:JOURNEYD_REF_TEST:-other}", at, diag) == "s3cret");
  CHECK(diag.entries().empty());
  CHECK(ContainsReference("a ${env:X}"));
  CHECK_FALSE(ContainsReference("a $${env:X}"));
}

TEST_CASE("unresolvable references are errors at the value's position", "[config]") {
  unsetenv("JOURNEYD_REF_UNSET");
  Diagnostics diag;
  const Position at{"f.yaml", 3, 7};
  CHECK_FALSE(ExpandReferences("${env:JOURNEYD_REF_UNSET}", at, diag).has_value());
  CHECK_FALSE(ExpandReferences("${file:/nonexistent/x}", at, diag).has_value());
  CHECK_FALSE(ExpandReferences("${env:UNCLOSED", at, diag).has_value());
  REQUIRE(diag.entries().size() == 3);
  CHECK(diag.entries()[0].ToString() ==
        "f.yaml:3:7: error: environment variable 'JOURNEYD_REF_UNSET' is not set");
  CHECK(diag.entries()[0].kind == DiagnosticKind::kUnresolvedSecret);
  CHECK(diag.entries()[1].kind == DiagnosticKind::kUnresolvedSecret);
}

}  // namespace
}  // namespace journeyd::config
