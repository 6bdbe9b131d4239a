#include "connectors/preview/preview_target.h"

#include "connectors/common/change_json.h"
#include "engine/base/time_format.h"

namespace journeyd::connectors::preview {

namespace {

class PreviewSession final : public TargetSession {
 public:
  PreviewSession(std::string url, size_t max_batch, const Clock& clock)
      : url_(std::move(url)), max_batch_(max_batch), clock_(clock) {}

  std::vector<PlannedRequest> Plan(std::span<const delivery::DeliveryItem> items) override {
    std::vector<PlannedRequest> out;
    const std::string now = FormatIso8601(clock_.Now());
    for (size_t start = 0; start < items.size(); start += max_batch_) {
      PlannedRequest request;
      for (size_t i = start; i < std::min(items.size(), start + max_batch_); ++i) {
        request.items.push_back(i);
      }
      request.http.method = "POST";
      request.http.url = url_;
      request.http.headers = {{"content-type", "application/json"},
                              {"webhook-id", common::MessageIdOf(items, request.items)}};
      request.http.body = common::ChangesBody(items, request.items, now);
      request.what = std::string(delivery::ItemKindName(items[start].kind)) + " changes";
      out.push_back(std::move(request));
    }
    return out;
  }
  Status Authorize(delivery::HttpRequest&, delivery::HttpTransport&) override {
    return OkStatus();
  }
  RequestOutcome Interpret(const PlannedRequest&, std::span<const delivery::DeliveryItem>,
                           const delivery::HttpResponse&) override {
    return {};  // never sent; recorded, which is all a preview does
  }

 private:
  const std::string url_;
  const size_t max_batch_;
  const Clock& clock_;
};

SystemClock g_system_clock;

}  // namespace

const config::StructSpec<PreviewSettings>& PreviewSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<PreviewSettings>();
    s->Optional("keep", &PreviewSettings::keep, "How many recorded requests to keep.",
                [](const int& n) -> std::optional<std::string> {
                  if (n < 1) return "must be at least 1";
                  return std::nullopt;
                })
        .Optional("max_batch", &PreviewSettings::max_batch,
                  "Changes per recorded request, as a real target would batch them.",
                  [](const int& n) -> std::optional<std::string> {
                    if (n < 1 || n > 10000) return "must be between 1 and 10000";
                    return std::nullopt;
                  })
        .Optional("properties", &PreviewSettings::properties,
                  "Property -> profile field, as a CRM target would map them (default: the "
                  "common fields under their own names).");
    return s;
  }();
  return *spec;
}

PreviewTarget::PreviewTarget(PreviewSettings settings, const ConnectorContext& context)
    : settings_(std::move(settings)),
      name_(context.instance_name),
      clock_(context.clock != nullptr ? context.clock : &g_system_clock) {
  projection_.properties = settings_.properties.empty() ? common::DefaultDocumentProperties()
                                                        : settings_.properties;
}

TargetLimits PreviewTarget::limits() const {
  // Nothing leaves the machine, so the only limit is the batch shape being previewed.
  return {static_cast<size_t>(settings_.max_batch), 1000.0, 1000};
}

delivery::PropertyMap PreviewTarget::Project(const delivery::PropertyMap& document) const {
  return projection_.Project(document);
}

std::unique_ptr<TargetSession> PreviewTarget::OpenSession() const {
  return std::make_unique<PreviewSession>("preview://" + name_,
                                          static_cast<size_t>(settings_.max_batch), *clock_);
}

std::unique_ptr<Factory<Target>> MakePreviewFactory() {
  return std::make_unique<SpecFactory<Target, PreviewTarget, PreviewSettings>>(
      "preview", "Dry run: records the requests the webhook target would send.",
      PreviewSettings::Spec());
}

}  // namespace journeyd::connectors::preview
