// The preview target is a dry run: it sends nothing and records the exact requests the webhook
// target would send (journeyd's own change format), for the status page and `journeyd targets
// requests` to show. It is the embedded default so that a newcomer sees output without a CRM.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "engine/connector/factory.h"
#include "engine/connector/target.h"
#include "engine/delivery/field_projection.h"

namespace journeyd::connectors::preview {

struct PreviewSettings {
  int keep = 1000;  // most recent recorded requests kept
  int max_batch = 100;
  std::map<std::string, std::string> properties;  // empty: the default document fields
  static const config::StructSpec<PreviewSettings>& Spec();
};

class PreviewTarget final : public Target {
 public:
  PreviewTarget(PreviewSettings settings, const ConnectorContext& context);
  TargetLimits limits() const override;
  delivery::PropertyMap Project(const delivery::PropertyMap& document) const override;
  bool records_only() const override { return true; }
  std::unique_ptr<TargetSession> OpenSession() const override;
  int requests_kept() const override { return settings_.keep; }

 private:
  PreviewSettings settings_;
  std::string name_;
  delivery::FieldProjection projection_;
  const Clock* clock_;
};

std::unique_ptr<Factory<Target>> MakePreviewFactory();

}  // namespace journeyd::connectors::preview
