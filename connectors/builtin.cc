#include "connectors/builtin.h"

#include <stdexcept>

#include "connectors/bearer/bearer_source.h"
#include "connectors/csv/csv_source.h"
#include "connectors/hmac/hmac_source.h"
#include "connectors/http/http_source.h"
#include "connectors/hubspot/hubspot_source.h"
#include "connectors/hubspot/hubspot_target.h"
#include "connectors/mailchimp/mailchimp_source.h"
#include "connectors/poll_presets.h"
#include "connectors/preview/preview_target.h"
#include "connectors/salesforce/salesforce_target.h"
#include "connectors/segment/segment_source.h"
#include "connectors/shopify/shopify_source.h"
#include "connectors/square/square_source.h"
#include "connectors/standard_webhooks/standard_webhooks_source.h"
#include "connectors/stripe/stripe_source.h"
#include "connectors/woocommerce/woocommerce_source.h"
#include "connectors/webhook/webhook_target.h"
#include "connectors/zendesk/zendesk_source.h"

namespace journeyd {

namespace {

void Must(Status status) {
  // A failure here is a programming error in this list (a duplicate or a bad name).
  if (!status.ok()) throw std::logic_error(status.error().ToString());
}

}  // namespace

void RegisterBuiltinConnectors(Registry& registry) {
  Must(registry.AddTarget(connectors::preview::MakePreviewFactory()));
  Must(registry.AddTarget(connectors::hubspot::MakeHubSpotTargetFactory()));
  Must(registry.AddTarget(connectors::salesforce::MakeSalesforceTargetFactory()));
  Must(registry.AddTarget(connectors::webhook::MakeWebhookFactory()));
  Must(registry.AddSource(connectors::shopify::MakeShopifyFactory()));
  Must(registry.AddSource(connectors::woocommerce::MakeWooCommerceFactory()));
  Must(registry.AddSource(connectors::square::MakeSquareFactory()));
  Must(registry.AddSource(connectors::zendesk::MakeZendeskFactory()));
  Must(registry.AddSource(connectors::stripe::MakeStripeFactory()));
  Must(registry.AddSource(connectors::standard_webhooks::MakeStandardWebhooksFactory()));
  Must(registry.AddSource(connectors::hubspot::MakeHubSpotFactory()));
  Must(registry.AddSource(connectors::mailchimp::MakeMailchimpFactory()));
  Must(registry.AddSource(connectors::segment::MakeSegmentFactory()));
  Must(registry.AddSource(connectors::hmac::MakeHmacFactory()));
  Must(registry.AddSource(connectors::bearer::MakeBearerFactory()));
  Must(registry.AddSource(connectors::csv::MakeCsvFactory()));
  Must(registry.AddSource(connectors::http::MakeHttpSourceFactory()));
  for (const auto& [name, yaml] : connectors::PollPresets()) {
    Must(registry.AddPollPreset(std::string(name), std::string(yaml)));
  }
}

}  // namespace journeyd
