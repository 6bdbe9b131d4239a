// Form decoding for connectors: the parser lives in the engine (engine/base/form_encoding.h) so
// that mappings decode form bodies the same way; these names keep connector code unchanged.
#pragma once

#include "engine/base/form_encoding.h"

namespace journeyd::connectors::common {

using journeyd::FindField;
using journeyd::FormFields;
using journeyd::ParseFormUrlEncoded;

}  // namespace journeyd::connectors::common
