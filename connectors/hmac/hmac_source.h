// The generic HMAC webhook source, for senders without a connector of their own (GitHub's
// X-Hub-Signature-256: sha256=<hex>, and its many imitators): one header with an optional prefix
// and the hex or base64 HMAC of the raw body; event type and id from configured headers or JSON
// fields. Immutable after construction: Accept is safe to call concurrently.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/common/event_locator.h"
#include "engine/base/secret.h"
#include "engine/config/value_parser.h"
#include "engine/connector/factory.h"
#include "engine/connector/webhook_source.h"

namespace journeyd::config {

template <>
struct EnumNames<connectors::common::HashAlgorithm> {
  static constexpr std::array<std::pair<std::string_view, connectors::common::HashAlgorithm>, 3>
      kValues{{{"sha1", connectors::common::HashAlgorithm::kSha1},
               {"sha256", connectors::common::HashAlgorithm::kSha256},
               {"sha512", connectors::common::HashAlgorithm::kSha512}}};
};
template <>
struct EnumNames<connectors::common::DigestEncoding> {
  static constexpr std::array<std::pair<std::string_view, connectors::common::DigestEncoding>, 2>
      kValues{{{"hex", connectors::common::DigestEncoding::kHex},
               {"base64", connectors::common::DigestEncoding::kBase64}}};
};

}  // namespace journeyd::config

namespace journeyd::connectors::hmac {

struct HmacSettings {
  Secret secret;
  std::string header;  // e.g. X-Hub-Signature-256
  common::HashAlgorithm algorithm = common::HashAlgorithm::kSha256;
  common::DigestEncoding encoding = common::DigestEncoding::kHex;
  std::string prefix;  // before the digest in the header, e.g. "sha256="; matched ignoring case
  std::string event_type_header;
  std::string event_id_header;
  std::string event_type_field;
  std::string event_id_field;
  static const config::StructSpec<HmacSettings>& Spec();
};

class HmacSource final : public WebhookSource {
 public:
  HmacSource(HmacSettings settings, const ConnectorContext& context);
  Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const override;
  // Empty, i.e. any type: a generic source cannot know what its sender calls its events.
  std::vector<std::string> EventTypes() const override;
  // The configured event_type_field of the payload; nullopt without one, or when the type is
  // configured to come from a header only (a saved body does not carry its headers).
  std::optional<std::string> EventTypeOf(const boost::json::value& payload) const override;

 private:
  HmacSettings settings_;
  common::EventLocator locator_;
  std::string source_name_;
};

std::unique_ptr<Factory<WebhookSource>> MakeHmacFactory();

}  // namespace journeyd::connectors::hmac
