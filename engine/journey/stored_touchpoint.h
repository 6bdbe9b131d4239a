// Between a touchpoint as the journey works with it and as the store keeps it (campaign and
// attributes as JSON text): the stage writes and rebuilds from the stored form, the KPIs read it.
#pragma once

#include "engine/journey/journey_state.h"
#include "engine/storage/store.h"

namespace journeyd::journey {

storage::TouchpointRow ToStored(const JourneyTouchpoint& touchpoint);
// Campaign or attributes text that does not parse is left empty (the stage wrote it).
JourneyTouchpoint FromStored(const storage::TouchpointRow& row);

}  // namespace journeyd::journey
