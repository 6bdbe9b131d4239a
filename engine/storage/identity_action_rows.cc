#include "engine/storage/identity_action_rows.h"

#include <boost/json.hpp>

namespace journeyd::storage {

std::string_view ActionKindName(IdentityActionKind kind) {
  switch (kind) {
    case IdentityActionKind::kAcceptReview: return "accept_review";
    case IdentityActionKind::kRejectReview: return "reject_review";
    case IdentityActionKind::kSplit: return "split";
    case IdentityActionKind::kErase: return "erase";
  }
  return "?";
}

std::optional<IdentityActionKind> ParseActionKind(std::string_view name) {
  if (name == "accept_review") return IdentityActionKind::kAcceptReview;
  if (name == "reject_review") return IdentityActionKind::kRejectReview;
  if (name == "split") return IdentityActionKind::kSplit;
  if (name == "erase") return IdentityActionKind::kErase;
  return std::nullopt;
}

std::string RecordsJson(const std::vector<int64_t>& records) {
  std::string out = "[";
  for (size_t i = 0; i < records.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(records[i]);
  }
  return out + "]";
}

std::vector<int64_t> ParseRecordsJson(const std::string& text) {
  std::vector<int64_t> out;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& item : v.as_array()) {
    if (item.is_int64()) out.push_back(item.as_int64());
  }
  return out;
}

std::string PayloadJson(const IdentityAction& action) {
  if (action.kind != IdentityActionKind::kErase) return "";
  boost::json::array identifiers, targets;
  for (const auto& [type, value] : action.identifiers) identifiers.push_back({type, value});
  for (const std::string& target : action.targets) targets.push_back(boost::json::string(target));
  return boost::json::serialize(boost::json::object{{"identifiers", std::move(identifiers)},
                                                    {"requested_by", action.requested_by},
                                                    {"targets", std::move(targets)}});
}

void ReadPayload(const std::string& text, IdentityAction& action) {
  if (text.empty()) return;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return;
  if (const auto* by = v.as_object().if_contains("requested_by"); by && by->is_string()) {
    action.requested_by = std::string(by->get_string());
  }
  if (const auto* targets = v.as_object().if_contains("targets"); targets && targets->is_array()) {
    for (const auto& t : targets->get_array()) {
      if (t.is_string()) action.targets.emplace_back(t.get_string());
    }
  }
  if (const auto* ids = v.as_object().if_contains("identifiers"); ids && ids->is_array()) {
    for (const auto& pair : ids->get_array()) {
      if (!pair.is_array() || pair.get_array().size() != 2) continue;
      const auto& a = pair.get_array();
      if (!a[0].is_string() || !a[1].is_string()) continue;
      action.identifiers.emplace_back(std::string(a[0].get_string()),
                                      std::string(a[1].get_string()));
    }
  }
}

}  // namespace journeyd::storage
