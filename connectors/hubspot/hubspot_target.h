// The HubSpot target writes to the CRM v3 object APIs with a private-app token: contacts by
// batch upsert (by email, or another unique property), their properties projected from the
// golden record and lifecyclestage from the journey stage; touchpoints as notes and journey
// actions as tasks (or notes, or property updates), associated to the contact (types 202 and
// 204), up to 100 inputs a request. Each input carries an objectWriteTraceId, so a 207's
// per-record errors land on the right change; notes and tasks can carry journeyd's key in a
// property of the portal's (key_property), so a repeat can be found.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "engine/base/secret.h"
#include "engine/connector/factory.h"
#include "engine/connector/target.h"
#include "engine/delivery/field_projection.h"

namespace journeyd::connectors::hubspot {

struct HubSpotTargetSettings {
  std::string base_url = "https://api.hubapi.com";
  Secret token;                                   // private-app access token
  std::string id_property = "email";              // contact property upserts match on
  std::string address_field = "email";            // the profile field that fills it
  std::map<std::string, std::string> properties;  // contact property -> profile field
  std::string stage_property = "lifecyclestage";  // "" to leave it alone
  std::map<std::string, std::string> stages;      // journey stage -> HubSpot stage
  std::string key_property;                       // note/task property for journeyd's key
  std::map<std::string, std::string> owners;      // task owner (email) -> HubSpot owner id
  int requests_per_10s = 100;                     // the account's burst limit
  static const config::StructSpec<HubSpotTargetSettings>& Spec();
};

class HubSpotTarget final : public Target {
 public:
  HubSpotTarget(HubSpotTargetSettings settings, const ConnectorContext& context);
  TargetLimits limits() const override;
  delivery::PropertyMap Project(const delivery::PropertyMap& document) const override;
  std::string address_field() const override { return settings_.address_field; }
  bool needs_record_id() const override { return true; }
  std::unique_ptr<TargetSession> OpenSession() const override;

 private:
  HubSpotTargetSettings settings_;
  delivery::FieldProjection projection_;
};

std::unique_ptr<Factory<Target>> MakeHubSpotTargetFactory();

}  // namespace journeyd::connectors::hubspot
