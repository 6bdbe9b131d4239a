// DeliverySettings are the keys every target entry has under `delivery:`, read by the core
// rather than by the target: how long to keep retrying, how long to wait for a fuller batch,
// an optional lower request rate than the vendor allows, and what personal data the target may
// receive (governance's disclosure policy). docs/delivery.md describes them.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "engine/config/spec.h"
#include "engine/config/value_types.h"
#include "engine/governance/disclosure_policy.h"

namespace journeyd::delivery {

struct DisclosureSettings {
  std::map<std::string, std::string> classes;  // PII class -> allow | hash | drop
  std::map<std::string, std::string> fields;   // document field -> allow | hash | drop
  std::string personal_default = "allow";
  governance::DisclosurePolicy ToPolicy() const;  // REQUIRES: values checked by Spec()
  static const config::StructSpec<DisclosureSettings>& Spec();
  friend bool operator==(const DisclosureSettings&, const DisclosureSettings&) = default;
};

struct DeliverySettings {
  config::Duration max_age{std::chrono::hours(24)};      // then the dead-letter queue
  config::Duration timeout{std::chrono::seconds(30)};    // per request
  config::Duration linger{std::chrono::milliseconds(250)};  // wait for a fuller batch
  double requests_per_second = 0;  // 0: the vendor's published limit
  int window = 2000;               // outbox rows per delivery round
  bool touchpoints = true;         // send touchpoints (timeline notes, events)
  std::string ca_file;             // extra CA bundle for this target
  DisclosureSettings disclosure;
  static const config::StructSpec<DeliverySettings>& Spec();
  friend bool operator==(const DeliverySettings&, const DeliverySettings&) = default;
};

}  // namespace journeyd::delivery
