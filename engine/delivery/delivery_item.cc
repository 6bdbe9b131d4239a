#include "engine/delivery/delivery_item.h"

#include "engine/connector/target.h"

namespace journeyd {

namespace delivery {

std::string_view ItemKindName(ItemKind kind) {
  switch (kind) {
    case ItemKind::kProfile: return "profile";
    case ItemKind::kTouchpoint: return "touchpoint";
    case ItemKind::kAction: return "action";
  }
  return "profile";
}

}  // namespace delivery

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kDelivered: return "delivered";
    case Verdict::kRetry: return "retry";
    case Verdict::kRejected: return "rejected";
  }
  return "delivered";
}

}  // namespace journeyd
