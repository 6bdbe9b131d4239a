// The Salesforce target writes to the REST API's sObject Collections with an OAuth token (client
// credentials or the JWT bearer flow, salesforce_auth.h). Profiles are upserted as Contacts (or
// Leads) by an external id field that holds journeyd's profile id, up to 200 records a request,
// and each record's result says which change it settled. Touchpoints and journey actions become
// Tasks on the record (WhoId), upserted by an external id that holds journeyd's key, so a retried
// or replayed one updates its Task instead of adding a second. Salesforce has no per-second limit
// but a daily allocation, which the core's limiter reads from Sforce-Limit-Info.
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "connectors/salesforce/salesforce_auth.h"
#include "engine/base/clock.h"
#include "engine/base/secret.h"
#include "engine/connector/factory.h"
#include "engine/connector/target.h"
#include "engine/delivery/field_projection.h"

namespace journeyd::connectors::salesforce {

enum class TouchpointMode { kTask, kNone };

}  // namespace journeyd::connectors::salesforce

namespace journeyd::config {

template <>
struct EnumNames<connectors::salesforce::AuthFlow> {
  static constexpr std::array<std::pair<std::string_view, connectors::salesforce::AuthFlow>, 2>
      kValues{{{"client_credentials", connectors::salesforce::AuthFlow::kClientCredentials},
               {"jwt_bearer", connectors::salesforce::AuthFlow::kJwtBearer}}};
};

template <>
struct EnumNames<connectors::salesforce::TouchpointMode> {
  static constexpr std::array<std::pair<std::string_view, connectors::salesforce::TouchpointMode>,
                              2>
      kValues{{{"task", connectors::salesforce::TouchpointMode::kTask},
               {"none", connectors::salesforce::TouchpointMode::kNone}}};
};

}  // namespace journeyd::config

namespace journeyd::connectors::salesforce {

struct SalesforceTargetSettings {
  std::string login_url = "https://login.salesforce.com";  // or test.salesforce.com, My Domain
  std::string api_version = "v60.0";
  AuthFlow auth = AuthFlow::kClientCredentials;
  Secret client_id;                          // the connected app's consumer key
  Secret client_secret;                      // client_credentials
  std::string username;                      // jwt_bearer: the user the integration runs as
  std::filesystem::path private_key_file{};  // jwt_bearer: PEM, relative to the config file
  std::string audience;                      // jwt_bearer: "" means login_url
  std::string sobject = "Contact";           // Contact or Lead
  std::string external_id_field = "Journeyd_Id__c";  // holds the profile id
  std::map<std::string, std::string> fields;         // Salesforce field -> profile field
  std::string stage_field = "Journeyd_Stage__c";     // "" to leave the stage out
  std::map<std::string, std::string> stages;         // journey stage -> picklist value
  std::string task_key_field = "Journeyd_Key__c";    // Task external id for journeyd's key
  TouchpointMode touchpoints = TouchpointMode::kTask;
  std::map<std::string, std::string> owners;  // task owner (as the journey names it) -> user id
  double requests_per_second = 5;
  static const config::StructSpec<SalesforceTargetSettings>& Spec();
};

class SalesforceTarget final : public Target {
 public:
  // `key` signs the JWT bearer assertions (null for client_credentials).
  SalesforceTarget(SalesforceTargetSettings settings, std::shared_ptr<const RsaPrivateKey> key,
                   const ConnectorContext& context);
  // Loads the private key of jwt_bearer (private_key_file, relative to context.config_dir) and
  // builds the target. kInvalidArgument naming the file when the key does not load.
  static Result<std::shared_ptr<const SalesforceTarget>> Create(SalesforceTargetSettings settings,
                                                                const ConnectorContext& context);

  TargetLimits limits() const override;
  delivery::PropertyMap Project(const delivery::PropertyMap& document) const override;
  // Upserts match the profile id in external_id_field.
  std::string address_field() const override { return "profile.id"; }
  bool needs_record_id() const override { return true; }
  bool sends_touchpoints() const override {
    return settings_.touchpoints != TouchpointMode::kNone;
  }
  std::unique_ptr<TargetSession> OpenSession() const override;

  const SalesforceTargetSettings& settings() const { return settings_; }

 private:
  SalesforceTargetSettings settings_;
  OAuthSettings oauth_;
  delivery::FieldProjection projection_;
  const Clock* clock_;
};

std::unique_ptr<Factory<Target>> MakeSalesforceTargetFactory();

}  // namespace journeyd::connectors::salesforce
