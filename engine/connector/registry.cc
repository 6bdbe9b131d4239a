#include "engine/connector/registry.h"

namespace journeyd {

namespace {

bool IsValidTypeName(std::string_view name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

template <class Map, class FactoryPtr>
Status AddTo(Map& map, FactoryPtr factory, std::string_view kind) {
  const std::string name(factory->type());
  if (!IsValidTypeName(name)) {
    return InvalidArgument(std::string(kind) + " type '" + name +
                           "' must match ^[a-z][a-z0-9_]*$");
  }
  if (map.count(name) != 0) {
    return Error{ErrorCode::kConflict,
                 "double registration of " + std::string(kind) + " type '" + name + "'"};
  }
  map.emplace(name, std::move(factory));
  return OkStatus();
}

template <class Map>
std::vector<std::string> Names(const Map& map) {
  std::vector<std::string> out;
  for (const auto& [name, factory] : map) out.push_back(name);
  return out;
}

}  // namespace

Status Registry::AddSource(std::unique_ptr<Factory<WebhookSource>> factory) {
  return AddTo(sources_, std::move(factory), "source");
}

Status Registry::AddTarget(std::unique_ptr<Factory<Target>> factory) {
  return AddTo(targets_, std::move(factory), "target");
}

const Factory<WebhookSource>* Registry::FindSource(std::string_view type) const {
  auto it = sources_.find(type);
  return it == sources_.end() ? nullptr : it->second.get();
}

const Factory<Target>* Registry::FindTarget(std::string_view type) const {
  auto it = targets_.find(type);
  return it == targets_.end() ? nullptr : it->second.get();
}

std::vector<std::string> Registry::source_types() const { return Names(sources_); }
std::vector<std::string> Registry::target_types() const { return Names(targets_); }

Status Registry::AddPollPreset(std::string name, std::string yaml) {
  if (!poll_presets_.emplace(name, std::move(yaml)).second) {
    return Error{ErrorCode::kConflict, "poll preset '" + name + "' is registered twice"};
  }
  return OkStatus();
}

}  // namespace journeyd
