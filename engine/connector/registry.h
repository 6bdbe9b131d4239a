// Registry maps connector type names to their factories. It is an object that the composition
// root fills (RegisterBuiltinConnectors) and passes down, never a global, so tests can build one
// holding only fakes. Filled once at start-up, then only read: safe to share across threads.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
#include "engine/connector/factory.h"
#include "engine/connector/target.h"
#include "engine/connector/webhook_source.h"

namespace journeyd {

class Registry {
 public:
  // kInvalidArgument for a name not matching ^[a-z][a-z0-9_]*$; kConflict for a duplicate.
  Status AddSource(std::unique_ptr<Factory<WebhookSource>> factory);
  Status AddTarget(std::unique_ptr<Factory<Target>> factory);

  const Factory<WebhookSource>* FindSource(std::string_view type) const;
  const Factory<Target>* FindTarget(std::string_view type) const;

  std::vector<std::string> source_types() const;
  std::vector<std::string> target_types() const;

  // A poll preset: the YAML of a `poll:` section describing a vendor's API (streams,
  // pagination, authentication), which sources of that type start from. kConflict for a
  // duplicate name.
  Status AddPollPreset(std::string name, std::string yaml);
  const std::map<std::string, std::string, std::less<>>& poll_presets() const {
    return poll_presets_;
  }

 private:
  std::map<std::string, std::string, std::less<>> poll_presets_;
  std::map<std::string, std::unique_ptr<Factory<WebhookSource>>, std::less<>> sources_;
  std::map<std::string, std::unique_ptr<Factory<Target>>, std::less<>> targets_;
};

}  // namespace journeyd
