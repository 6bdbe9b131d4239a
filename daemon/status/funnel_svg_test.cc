#include "daemon/status/funnel_svg.h"

#include <catch2/catch.hpp>

namespace journeyd::status {
namespace {

TEST_CASE("the funnel SVG has a bar per stage, the conversions and escaped names", "[status]") {
  journey::JourneyKpis k;
  k.profiles = 40;
  k.stages = {{"awareness", 10, 40}, {"<decision>", 5, 20}, {"purchase", 15, 10}};
  k.conversion = {{"awareness", "<decision>", 40, 20, 20, 0.5, 1.5, 3.0},
                  {"<decision>", "purchase", 20, 10, 10, 0.5, 0.25, std::nullopt}};
  k.at_risk = 3;
  k.churned = 1;
  const std::string svg = RenderFunnelSvg(k);

  CHECK(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(svg.ends_with("</svg>"));
  CHECK(svg.find("<decision>") == std::string::npos);
  CHECK(svg.find("data-stage=\"&lt;decision&gt;\" data-entered=\"20\" data-current=\"5\"") !=
        std::string::npos);
  // Bars scale with the widest stage: 40 -> 380 px, 20 -> 190, 10 -> 95.
  CHECK(svg.find("width=\"380\"") != std::string::npos);
  CHECK(svg.find("width=\"190\"") != std::string::npos);
  CHECK(svg.find("width=\"95\"") != std::string::npos);
  CHECK(svg.find("50.0% converted, median 1.5 d, 20 dropped off") != std::string::npos);
  CHECK(svg.find("50.0% converted, median 6.0 h, 10 dropped off") != std::string::npos);
  CHECK(svg.find("3 at risk &#183; 1 churned") != std::string::npos);
}

TEST_CASE("an empty journey still renders", "[status]") {
  journey::JourneyKpis k;
  k.stages = {{"awareness", 0, 0}};
  const std::string svg = RenderFunnelSvg(k);
  CHECK(svg.find("0 profiles") != std::string::npos);
  CHECK(svg.find("width=\"2\"") != std::string::npos);
}

}  // namespace
}  // namespace journeyd::status
