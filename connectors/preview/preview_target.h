// The preview target is a dry run: it sends nothing and records the exact requests another
// target would send, for the status page and `journeyd` CLI to show. It is the embedded
// default so that a newcomer sees output without a CRM account.
#pragma once

#include <memory>

#include "engine/connector/factory.h"
#include "engine/connector/target.h"

namespace journeyd::connectors::preview {

struct PreviewSettings {
  int keep = 1000;  // most recent recorded requests kept
  int max_batch = 100;
  static const config::StructSpec<PreviewSettings>& Spec();
};

class PreviewTarget final : public Target {
 public:
  PreviewTarget(PreviewSettings settings, const ConnectorContext& context);
  TargetLimits limits() const override;

 private:
  PreviewSettings settings_;
};

std::unique_ptr<Factory<Target>> MakePreviewFactory();

}  // namespace journeyd::connectors::preview
