// A Factory builds one kind of connector (a `type:` in the config) from its settings. Factories
// are stateless and registered once; each configured entry becomes an instance through Create.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "engine/base/clock.h"
#include "engine/config/config_node.h"
#include "engine/config/diagnostics.h"
#include "engine/config/spec.h"

namespace journeyd {

// What a connector instance may depend on: never the whole daemon.
struct ConnectorContext {
  const Clock* clock = nullptr;
  std::string instance_name;          // the `name:` of the entry
  std::filesystem::path config_dir;   // for relative paths in settings
};

template <class Product>
class Factory {
 public:
  virtual ~Factory() = default;
  // The YAML `type:` value, e.g. "shopify". Matches ^[a-z][a-z0-9_]*$.
  virtual std::string_view type() const = 0;
  // One line for `journeyd describe` and the docs.
  virtual std::string_view description() const = 0;
  virtual std::vector<config::FieldDoc> settings_docs() const = 0;
  // Validates the entry's settings and builds the instance. Every problem goes to `diag` with
  // its position; returns null if any was an error. Never throws.
  virtual std::shared_ptr<const Product> Create(const config::ConfigNode& settings,
                                                const ConnectorContext& context,
                                                config::Diagnostics& diag) const = 0;
};

// The usual factory: parse a Settings struct with its spec, then construct Product from it.
// `Product` must be constructible from (Settings, const ConnectorContext&).
template <class Interface, class Product, class Settings>
class SpecFactory final : public Factory<Interface> {
 public:
  SpecFactory(std::string type, std::string description, config::StructSpec<Settings> spec)
      : type_(std::move(type)), description_(std::move(description)), spec_(std::move(spec)) {
    // Keys every connector entry has, read by the config loader itself.
    spec_.Ignore({"name", "type", "mapping", "delivery", "poll"});
  }
  std::string_view type() const override { return type_; }
  std::string_view description() const override { return description_; }
  std::vector<config::FieldDoc> settings_docs() const override { return spec_.docs(); }
  std::shared_ptr<const Interface> Create(const config::ConfigNode& settings,
                                          const ConnectorContext& context,
                                          config::Diagnostics& diag) const override {
    Settings parsed{};
    if (!spec_.Parse(settings, parsed, diag)) return nullptr;
    return std::make_shared<const Product>(std::move(parsed), context);
  }

 private:
  std::string type_;
  std::string description_;
  config::StructSpec<Settings> spec_;
};

}  // namespace journeyd
