#include "connectors/preview/preview_target.h"

namespace journeyd::connectors::preview {

const config::StructSpec<PreviewSettings>& PreviewSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<PreviewSettings>();
    s->Optional("keep", &PreviewSettings::keep, "How many recorded requests to keep.",
                [](const int& n) -> std::optional<std::string> {
                  if (n < 1) return "must be at least 1";
                  return std::nullopt;
                })
        .Optional("max_batch", &PreviewSettings::max_batch,
                  "Records per recorded request, as a real target would batch them.",
                  [](const int& n) -> std::optional<std::string> {
                    if (n < 1 || n > 10000) return "must be between 1 and 10000";
                    return std::nullopt;
                  });
    return s;
  }();
  return *spec;
}

PreviewTarget::PreviewTarget(PreviewSettings settings, const ConnectorContext& /*context*/)
    : settings_(settings) {}

TargetLimits PreviewTarget::limits() const {
  // Nothing leaves the machine, so the only limit is the batch shape being previewed.
  return {static_cast<size_t>(settings_.max_batch), 1000.0, 1000};
}

std::unique_ptr<Factory<Target>> MakePreviewFactory() {
  return std::make_unique<SpecFactory<Target, PreviewTarget, PreviewSettings>>(
      "preview", "Dry run: records the requests a CRM target would send.",
      PreviewSettings::Spec());
}

}  // namespace journeyd::connectors::preview
