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

 private:
  std::map<std::string, std::unique_ptr<Factory<WebhookSource>>, std::less<>> sources_;
  std::map<std::string, std::unique_ptr<Factory<Target>>, std::less<>> targets_;
};

}  // namespace journeyd
