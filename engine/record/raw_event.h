// RawEvent is one vendor event as accepted at the door, before any mapping: which source sent
// it, what kind of event it says it is, the vendor's own id for it (the idempotency key), and
// the exact payload bytes. It is what the inbox stores and what mapping later reads.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace journeyd {

struct RawEvent {
  std::string source;       // the configured source name, e.g. "shopify"
  std::string event_type;   // vendor's topic, e.g. "orders/create"; may be empty
  std::string external_id;  // vendor's unique event id; empty when the vendor gives none
  std::string content_type;
  std::string body;         // the payload of this one event
  // Headers later stages need (topic, shop domain...), never credentials or signatures.
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::system_clock::time_point received_at;
};

}  // namespace journeyd
