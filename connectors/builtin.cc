#include "connectors/builtin.h"

#include <stdexcept>

#include "connectors/preview/preview_target.h"

namespace journeyd {

namespace {

void Must(Status status) {
  // A failure here is a programming error in this list (a duplicate or a bad name).
  if (!status.ok()) throw std::logic_error(status.error().ToString());
}

}  // namespace

void RegisterBuiltinConnectors(Registry& registry) {
  Must(registry.AddTarget(connectors::preview::MakePreviewFactory()));
}

}  // namespace journeyd
