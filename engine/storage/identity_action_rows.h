// How both backends store an identity action in identity_actions and read it back: the kind's
// name, a split's records as a JSON array, an erasure's request as JSON. One definition, so
// that a row written by one backend reads the same through the other (journeyd migrate copies
// rows verbatim).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/storage/store.h"

namespace journeyd::storage {

// id, kind, review_id, profile_id, records, status, result, payload: the same SQL in both
// dialects.
inline constexpr std::string_view kIdentityActionColumns =
    "SELECT id, kind, COALESCE(review_id, 0), COALESCE(profile_id, 0), COALESCE(records, '[]'),"
    " status, COALESCE(result, ''), COALESCE(payload, '') FROM identity_actions";

std::string_view ActionKindName(IdentityActionKind kind);
std::optional<IdentityActionKind> ParseActionKind(std::string_view name);

// A split's records: "[1,2,3]". Unreadable text reads as no records.
std::string RecordsJson(const std::vector<int64_t>& records);
std::vector<int64_t> ParseRecordsJson(const std::string& text);

// An erase action's request: {"identifiers": [[type, value]...], "requested_by": "...",
// "targets": [...]}; "" for the other kinds (stored as NULL). ReadPayload fills what it finds.
std::string PayloadJson(const IdentityAction& action);
void ReadPayload(const std::string& text, IdentityAction& action);

}  // namespace journeyd::storage
