#include "engine/delivery/delivery_settings.h"

namespace journeyd::delivery {

namespace {

std::optional<std::string> CheckDisclosures(const std::map<std::string, std::string>& entries) {
  for (const auto& [key, value] : entries) {
    if (!governance::ParseDisclosure(value)) {
      return "'" + key + "': '" + value + "' is not one of allow, hash, drop";
    }
  }
  return std::nullopt;
}

}  // namespace

governance::DisclosurePolicy DisclosureSettings::ToPolicy() const {
  governance::DisclosurePolicy policy;
  for (const auto& [key, value] : classes) policy.classes[key] = *governance::ParseDisclosure(value);
  for (const auto& [key, value] : fields) policy.fields[key] = *governance::ParseDisclosure(value);
  policy.personal_default =
      governance::ParseDisclosure(personal_default).value_or(governance::Disclosure::kAllow);
  return policy;
}

const config::StructSpec<DisclosureSettings>& DisclosureSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<DisclosureSettings>();
    s->Optional("classes", &DisclosureSettings::classes,
                "PII class (pii.email, pii.name, ...) -> allow, hash or drop.", CheckDisclosures)
        .Optional("fields", &DisclosureSettings::fields,
                  "Profile field -> allow, hash or drop; wins over its class.", CheckDisclosures)
        .Optional("default", &DisclosureSettings::personal_default,
                  "For personal fields of classes not listed: allow, hash or drop.",
                  [](const std::string& v) -> std::optional<std::string> {
                    if (!governance::ParseDisclosure(v)) return "must be allow, hash or drop";
                    return std::nullopt;
                  });
    return s;
  }();
  return *spec;
}

const config::StructSpec<DeliverySettings>& DeliverySettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<DeliverySettings>();
    const auto positive = [](const config::Duration& d) -> std::optional<std::string> {
      if (d.count() <= 0) return "must be longer than 0ms";
      return std::nullopt;
    };
    s->Optional("max_age", &DeliverySettings::max_age,
                "How long a change is retried before it goes to the dead-letter queue.",
                positive)
        .Optional("timeout", &DeliverySettings::timeout, "Per request, connect included.",
                  positive)
        .Optional("linger", &DeliverySettings::linger,
                  "How long a change may wait for others to fill a batch.",
                  [](const config::Duration& d) -> std::optional<std::string> {
                    if (d.count() < 0 || d > std::chrono::seconds(60)) {
                      return "must be between 0s and 60s";
                    }
                    return std::nullopt;
                  })
        .Optional("requests_per_second", &DeliverySettings::requests_per_second,
                  "A lower rate than the vendor's published limit (0: the vendor's).",
                  [](const double& r) -> std::optional<std::string> {
                    if (r < 0) return "must not be negative";
                    return std::nullopt;
                  })
        .Optional("window", &DeliverySettings::window, "Outbox rows read per delivery round.",
                  [](const int& n) -> std::optional<std::string> {
                    if (n < 1 || n > 100000) return "must be between 1 and 100000";
                    return std::nullopt;
                  })
        .Optional("touchpoints", &DeliverySettings::touchpoints,
                  "Send touchpoints (timeline notes, events) as well as profiles.")
        .Optional("ca_file", &DeliverySettings::ca_file,
                  "Extra CA bundle (PEM) to trust for this target.")
        .Optional("disclosure", &DeliverySettings::disclosure,
                  "What personal data this target may receive (docs/governance.md).");
    return s;
  }();
  return *spec;
}

}  // namespace journeyd::delivery
