// Fuzzes webhook intake: one fuzzed HTTP request through a webhook source's Accept, as the
// daemon's /webhooks/{source} and /v1/{call} routes call it, for every source type that ships
// (Shopify, WooCommerce, Square, Zendesk, Stripe, Standard Webhooks, HubSpot v3, Mailchimp,
// Segment, generic hmac and bearer, csv), including their signature header parsers (Stripe's
// `t=..,v1=..`, Standard Webhooks' `v1,<base64> ...`, prefixes, hex and base64 digests).
//
// Input: byte 0 picks the source (below), then "Name: value" header lines, an empty line, and
// the body. Pseudo-headers: `:method`, `:path`, `:query` (the request line) and `:t` (what
// `{t}` stands for). Placeholders let the fuzzer get past verification: `{key}` (anywhere) is
// the source's secret or token, `{t}` (headers, query) the `:t` value, and `{sig}` (headers,
// query) the credential the vendor would send for this very request, computed here with
// OpenSSL independently of connectors/common.
//
// Checks, beyond not crashing and no exception escaping (sources report failures as values):
//   - a refusal is kUnauthenticated or kInvalidArgument, the only two the routes expect;
//   - an accepted request is refused as kUnauthenticated by a twin source that differs only in
//     its secret, i.e. acceptance really depended on the signature or token verifying;
//   - every event names its source, is application/json and decodes as the mapping stage will
//     decode it (mapping::DecodePayload); sources that store the body as received store it
//     byte for byte, as one event;
//   - no event keeps the credential or signature header.
// Accept runs even when the daemon would answer 415 first: it must hold for any bytes.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/builtin.h"
#include "engine/base/clock.h"
#include "engine/config/config_node.h"
#include "engine/config/diagnostics.h"
#include "engine/connector/inbound_request.h"
#include "engine/connector/registry.h"
#include "engine/mapping/payload.h"
#include "tests/fuzz/fuzz_input.h"

namespace journeyd::fuzz {
namespace {

enum class Scheme {
  kShopify, kWooCommerce, kSquare, kZendesk, kStripe, kStandardWebhooks, kHubSpot, kMailchimp,
  kSegment, kHmacHexSha256, kHmacBase64Sha1, kBearer, kCsv
};

struct SourceCase {
  Scheme scheme;
  std::string_view name;
  std::string_view key;           // what `{key}` stands for
  std::string_view yaml;          // the entry, `{key}` standing for the secret
  std::string_view twin_key;      // the twin's secret: everything else is the same
  std::string_view credential;    // the header that carries the credential, if any
  bool body_verbatim;             // one event whose body is the request body
};

constexpr std::string_view kSquareUrl = "https://example.com/webhooks/square";
constexpr std::string_view kHubSpotUrl = "https://example.com";
// Standard Webhooks keys are base64 after "whsec_" (the spec's test secret, and another).
constexpr std::string_view kStandardKey = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

const std::array<SourceCase, 15> kCases = {{
    {Scheme::kShopify, "shopify", "shopify-secret", "type: shopify\nsecret: '{key}'\n",
     "shopify-other", "X-Shopify-Hmac-Sha256", true},
    {Scheme::kWooCommerce, "woocommerce", "woo&amp;secret",
     "type: woocommerce\nsecret: '{key}'\n", "woo-other", "X-WC-Webhook-Signature", true},
    {Scheme::kSquare, "square", "square-key",
     "type: square\nsignature_key: '{key}'\n"
     "notification_url: https://example.com/webhooks/square\n",
     "square-other", "x-square-hmacsha256-signature", true},
    {Scheme::kZendesk, "zendesk", "zendesk-secret", "type: zendesk\nsecret: '{key}'\n",
     "zendesk-other", "X-Zendesk-Webhook-Signature", true},
    {Scheme::kStripe, "stripe", "whsec_stripe-secret", "type: stripe\nsecret: '{key}'\n",
     "whsec_stripe-other", "Stripe-Signature", true},
    {Scheme::kStandardWebhooks, "standard_webhooks", kStandardKey,
     "type: standard_webhooks\nsecrets: ['{key}']\n", "whsec_b3RoZXIta2V5LWJ5dGVz",
     "webhook-signature", true},
    {Scheme::kHubSpot, "hubspot", "hubspot-secret",
     "type: hubspot\nclient_secret: '{key}'\npublic_url: https://example.com/\n",
     "hubspot-other", "X-HubSpot-Signature-v3", false},
    {Scheme::kMailchimp, "mailchimp", "mailchimp-key", "type: mailchimp\nsecret: '{key}'\n",
     "mailchimp-other", "", false},
    {Scheme::kSegment, "segment", "segment-key", "type: segment\nwrite_key: '{key}'\n",
     "segment-other", "Authorization", false},
    {Scheme::kHmacHexSha256, "github", "hmac-secret",
     "type: hmac\nsecret: '{key}'\nheader: X-Hub-Signature-256\nprefix: 'sha256='\n"
     "event_type_header: X-GitHub-Event\nevent_id_header: X-GitHub-Delivery\n",
     "hmac-other", "X-Hub-Signature-256", true},
    {Scheme::kHmacBase64Sha1, "hmac_sha1", "hmac-secret",
     "type: hmac\nsecret: '{key}'\nheader: X-Signature\nalgorithm: sha1\nencoding: base64\n"
     "event_type_field: type\nevent_id_field: id\nevent_type_header: X-Signature\n",
     "hmac-other", "X-Signature", true},
    {Scheme::kBearer, "bearer", "bearer-token",
     "type: bearer\ntoken: '{key}'\nevent_type_field: type\nevent_id_field: id\n",
     "bearer-other", "Authorization", true},
    {Scheme::kBearer, "bearer_header", "bearer-token",
     "type: bearer\ntoken: '{key}'\nheader: X-Webhook-Token\nevent_type_header: X-Event\n"
     "event_id_header: X-Webhook-Token\n",
     "bearer-other", "X-Webhook-Token", true},
    {Scheme::kCsv, "pos", "csv-token", "type: csv\ntoken: '{key}'\nid_column: receipt_id\n",
     "csv-other", "Authorization", false},
    {Scheme::kCsv, "pos_semicolon", "csv-token",
     "type: csv\ntoken: '{key}'\nheader: X-Token\ndelimiter: ';'\ntrim: true\n", "csv-other",
     "X-Token", false},
}};

// The clock every source reads: the Stripe vectors' time plus ten seconds.
const ManualClock& TheClock() {
  static const ManualClock clock(std::chrono::system_clock::time_point(
      std::chrono::seconds(1700000010)));
  return clock;
}

std::shared_ptr<const WebhookSource> Build(const Registry& registry, const SourceCase& c,
                                           std::string_view key) {
  std::string yaml = "name: " + std::string(c.name) + "\n" + std::string(c.yaml);
  ReplaceAll(yaml, "{key}", key);
  config::Diagnostics diag;
  auto node = config::ConfigNode::LoadString(yaml, "fuzz.yaml", diag);
  const std::string type = node->Find("type")->Scalar();
  ConnectorContext context;
  context.clock = &TheClock();
  context.instance_name = std::string(c.name);
  auto source = registry.FindSource(type)->Create(*node, context, diag);
  if (!source) {
    std::fprintf(stderr, "fuzz_webhook: cannot build %s:\n%s\n", std::string(c.name).c_str(),
                 diag.Format().c_str());
    std::abort();
  }
  return source;
}

struct Sources {
  std::vector<std::shared_ptr<const WebhookSource>> main, twin;
};

const Sources& AllSources() {
  static const Sources* sources = [] {
    auto* s = new Sources;
    Registry registry;
    RegisterBuiltinConnectors(registry);
    for (const SourceCase& c : kCases) {
      s->main.push_back(Build(registry, c, c.key));
      s->twin.push_back(Build(registry, c, c.twin_key));
    }
    return s;
  }();
  return *sources;
}

// --- the vendors' schemes, from their documentation (not from connectors/common) ------------

std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Unbase64(std::string_view text) {
  std::string out(3 * ((text.size() + 3) / 4) + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  // EVP_DecodeBlock counts padding as zero bytes.
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) out.pop_back();
  return out;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string HeaderOr(const HeaderList& headers, std::string_view name) {
  return std::string(headers.Get(name).value_or(""));
}

// What the vendor would put where the input says `{sig}`.
std::string Credential(const SourceCase& c, const HeaderList& headers, std::string_view method,
                       std::string_view path, std::string_view query, std::string_view t,
                       std::string_view body) {
  const std::string key(c.key);
  switch (c.scheme) {
    case Scheme::kShopify:
      return Base64(Hmac(EVP_sha256(), key, body));
    case Scheme::kWooCommerce:  // WordPress stores the secret HTML-escaped; it signs with it raw
      return Base64(Hmac(EVP_sha256(), "woo&secret", body));
    case Scheme::kSquare:
      return Base64(Hmac(EVP_sha256(), key, std::string(kSquareUrl) + std::string(body)));
    case Scheme::kZendesk:
      return Base64(Hmac(EVP_sha256(), key,
                         HeaderOr(headers, "X-Zendesk-Webhook-Signature-Timestamp") +
                             std::string(body)));
    case Scheme::kStripe:
      return Hex(Hmac(EVP_sha256(), key, std::string(t) + "." + std::string(body)));
    case Scheme::kStandardWebhooks:
      return Base64(Hmac(EVP_sha256(), Unbase64(key.substr(6)),
                         HeaderOr(headers, "webhook-id") + "." +
                             HeaderOr(headers, "webhook-timestamp") + "." + std::string(body)));
    case Scheme::kHubSpot: {
      std::string uri = std::string(kHubSpotUrl) + std::string(path);
      if (!query.empty()) uri += "?" + std::string(query);
      return Base64(Hmac(EVP_sha256(), key,
                         std::string(method) + uri + std::string(body) +
                             HeaderOr(headers, "X-HubSpot-Request-Timestamp")));
    }
    case Scheme::kSegment:
      return Base64(key + ":");
    case Scheme::kHmacHexSha256:
      return Hex(Hmac(EVP_sha256(), key, body));
    case Scheme::kHmacBase64Sha1:
      return Base64(Hmac(EVP_sha1(), key, body));
    case Scheme::kMailchimp:
    case Scheme::kBearer:
    case Scheme::kCsv:
      return key;
  }
  return {};
}

void CheckAccepted(const SourceCase& c, const InboundRequest& request,
                   const std::vector<RawEvent>& events) {
  if (c.body_verbatim && !events.empty()) {
    JOURNEYD_FUZZ_CHECK(events.size() == 1, "a verbatim source made more than one event");
    JOURNEYD_FUZZ_CHECK(events[0].body == request.body, "the stored body is not the request's");
  }
  if (c.body_verbatim && events.empty()) {
    JOURNEYD_FUZZ_CHECK(c.scheme == Scheme::kWooCommerce, "an accepted request made no event");
  }
  for (const RawEvent& event : events) {
    JOURNEYD_FUZZ_CHECK(event.source == c.name, "an event names another source");
    JOURNEYD_FUZZ_CHECK(event.content_type == "application/json", "an event is not JSON");
    auto decoded = mapping::DecodePayload(event.content_type, event.body);
    JOURNEYD_FUZZ_CHECK(decoded.ok(), "an accepted event's body does not decode for mapping");
    for (const auto& [name, value] : event.headers) {
      JOURNEYD_FUZZ_CHECK(c.credential.empty() || !EqualsIgnoreCase(name, c.credential),
                          "an event keeps the credential header");
    }
  }
}

}  // namespace
}  // namespace journeyd::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  journeyd::fuzz::AllSources();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace journeyd;
  using namespace journeyd::fuzz;
  if (size < 1) return 0;
  const size_t index = static_cast<uint8_t>(data[0] - 'a') % kCases.size();
  const SourceCase& c = kCases[index];
  const HeaderBlock block = SplitHeaders(AsText(data + 1, size - 1));

  std::string method = "POST";
  std::string path =
      c.scheme == Scheme::kSegment ? "/v1/track" : "/webhooks/" + std::string(c.name);
  std::string query;
  std::string t = "1700000000";
  std::string body(block.body);
  ReplaceAll(body, "{key}", c.key);
  std::vector<std::pair<std::string, std::string>> raw;
  for (const auto& [name, value] : block.headers) {
    if (name == ":method") method = value;
    else if (name == ":path") path = value;
    else if (name == ":query") query = value;
    else if (name == ":t") t = value;
    else raw.emplace_back(name, value);
  }
  // {key} and {t} first: a signature covers the values the request carries.
  ReplaceAll(query, "{key}", c.key);
  ReplaceAll(query, "{t}", t);
  HeaderList unsigned_headers;
  for (auto& [name, value] : raw) {
    ReplaceAll(value, "{key}", c.key);
    ReplaceAll(value, "{t}", t);
    unsigned_headers.Add(name, value);
  }
  const std::string credential =
      Credential(c, unsigned_headers, method, path, query, t, body);
  ReplaceAll(query, "{sig}", credential);
  HeaderList headers;
  std::string media_type;
  for (auto& [name, value] : raw) {
    ReplaceAll(value, "{sig}", credential);
    if (EqualsIgnoreCase(name, "Content-Type")) {
      // As the daemon reads it: lowercased, without parameters or spaces.
      for (char ch : value.substr(0, value.find(';'))) {
        if (ch != ' ' && ch != '\t') media_type += static_cast<char>(std::tolower(
                                          static_cast<unsigned char>(ch)));
      }
    }
    headers.Add(name, value);
  }

  const Sources& sources = AllSources();
  const WebhookSource& source = *sources.main[index];
  (void)source.AcceptsMediaType(media_type);
  const InboundRequest request{method, path, query, &headers, body, TheClock().Now()};
  auto result = source.Accept(request);
  if (std::getenv("JOURNEYD_FUZZ_VERBOSE") != nullptr) {  // to see what seeds reach
    std::fprintf(stderr, "%s: %s\n", std::string(c.name).c_str(),
                 result.ok() ? ("accepted, " + std::to_string(result->size()) + " event(s)").c_str()
                             : result.error().ToString().c_str());
  }
  if (!result.ok()) {
    const ErrorCode code = result.error().code;
    JOURNEYD_FUZZ_CHECK(code == ErrorCode::kUnauthenticated || code == ErrorCode::kInvalidArgument,
                        "a refusal the routes do not expect");
    return 0;
  }
  CheckAccepted(c, request, *result);
  if (!result->empty()) {
    auto twin = sources.twin[index]->Accept(request);
    JOURNEYD_FUZZ_CHECK(!twin.ok() && twin.error().code == ErrorCode::kUnauthenticated,
                        "a request was accepted without its credential verifying");
  }
  // What `journeyd map` asks of a saved body.
  boost::system::error_code ec;
  const boost::json::value payload = boost::json::parse(body, ec);
  if (!ec) (void)source.EventTypeOf(payload);
  return 0;
}
