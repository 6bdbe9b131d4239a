// The journey funnel as a server-rendered SVG: one bar per main stage (profiles that reached it
// in the range), the conversion rate, median time and drop-off between neighbouring stages, and
// the at-risk and churned counts. Rendered on the server so the status page needs no chart
// library and a script can fetch the same picture.
#pragma once

#include <string>

#include "engine/journey/journey_kpis.h"

namespace journeyd::status {

std::string RenderFunnelSvg(const journey::JourneyKpis& kpis);

}  // namespace journeyd::status
