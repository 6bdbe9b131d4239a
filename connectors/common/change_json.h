// The JSON form of a delivery item that journeyd's own formats share: the webhook target POSTs
// it and the preview target records it. One change per item, with its idempotency key, so a
// receiver can de-duplicate per change as well as per message.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <span>
#include <string>

#include "engine/delivery/delivery_item.h"

namespace journeyd::connectors::common {

boost::json::object ChangeJson(const delivery::DeliveryItem& item);

// {"type": "journeyd.changes", "timestamp": "<ISO 8601>", "data": {"changes": [...]}}: the
// Standard Webhooks payload shape.
std::string ChangesBody(std::span<const delivery::DeliveryItem> items,
                        const std::vector<size_t>& which, std::string_view timestamp);

// A message id stable across retries of the same items: "msg_" + a hash of their keys.
std::string MessageIdOf(std::span<const delivery::DeliveryItem> items,
                        const std::vector<size_t>& which);

}  // namespace journeyd::connectors::common

namespace journeyd::connectors::common {

// The profile properties journeyd's own formats carry by default: the document's common
// fields under their own names.
std::map<std::string, std::string> DefaultDocumentProperties();

}  // namespace journeyd::connectors::common
