// FieldProjection turns a profile document into the properties one CRM holds: each CRM
// property takes a document field, and one property (HubSpot's lifecyclestage, say) takes the
// journey stage translated into the CRM's own stage names. Targets keep one in their settings,
// with vendor defaults an admin can replace in YAML.
#pragma once

#include <map>
#include <string>

#include "engine/config/spec.h"
#include "engine/delivery/delivery_item.h"

namespace journeyd::delivery {

struct FieldProjection {
  std::map<std::string, std::string> properties;  // CRM property -> document field
  std::string stage_property;                     // "" for none
  std::map<std::string, std::string> stages;      // journey stage -> CRM value

  // Properties with a value in `document`; a stage without an entry in `stages` sets nothing.
  PropertyMap Project(const PropertyMap& document) const;
  friend bool operator==(const FieldProjection&, const FieldProjection&) = default;
};

}  // namespace journeyd::delivery
