#include "engine/delivery/field_projection.h"

namespace journeyd::delivery {

PropertyMap FieldProjection::Project(const PropertyMap& document) const {
  PropertyMap out;
  for (const auto& [property, field] : properties) {
    auto it = document.find(field);
    if (it != document.end() && !it->second.empty()) out[property] = it->second;
  }
  if (!stage_property.empty()) {
    auto stage = document.find("journey.stage");
    if (stage != document.end()) {
      auto mapped = stages.find(stage->second);
      if (mapped != stages.end() && !mapped->second.empty()) out[stage_property] = mapped->second;
    }
  }
  return out;
}

}  // namespace journeyd::delivery
