// The one list of connectors that ship with journeyd. The composition root calls this once;
// tests build their own Registry with whatever they need instead.
#pragma once

#include "engine/connector/registry.h"

namespace journeyd {

void RegisterBuiltinConnectors(Registry& registry);

}  // namespace journeyd
