// MakeFakeSourceApi: picks the vendor's fake. Each vendor lives in its own fake_<vendor>_api.cc.
#include "tests/fakes/fake_source_api.h"

#include <stdexcept>
#include <string>

#include "tests/fakes/fake_source_api_common.h"

namespace journeyd::fakes {

std::unique_ptr<FakeSourceApi> MakeFakeSourceApi(std::string_view vendor,
                                                 FakeSourceApiOptions options) {
  if (vendor == "shopify") return MakeFakeShopifyApi(std::move(options));
  if (vendor == "woocommerce") return MakeFakeWooCommerceApi(std::move(options));
  if (vendor == "stripe") return MakeFakeStripeApi(std::move(options));
  if (vendor == "square") return MakeFakeSquareApi(std::move(options));
  if (vendor == "zendesk") return MakeFakeZendeskApi(std::move(options));
  if (vendor == "mailchimp") return MakeFakeMailchimpApi(std::move(options));
  throw std::invalid_argument("no fake source API for vendor \"" + std::string(vendor) +
                              "\" (shopify, woocommerce, square, zendesk, mailchimp, stripe)");
}

}  // namespace journeyd::fakes
