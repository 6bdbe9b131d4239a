// PollSettings is a source's `poll:` section as typed structs: when it runs (schedule), and what
// a run fetches, either declarative HTTP streams (request, authentication, pagination, record
// selector, incremental cursor, rate limits, as Airbyte's low-code connectors describe an API)
// or a drop directory of files. Vendor presets are the same YAML, shipped with the connectors and
// registered by name; a source's own keys are parsed over its preset's, so an admin overrides
// only what differs. Immutable once loaded.
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/secret.h"
#include "engine/config/config_node.h"
#include "engine/config/diagnostics.h"
#include "engine/config/spec.h"
#include "engine/config/value_types.h"
#include "engine/poll/oauth2_token.h"
#include "engine/poll/schedule.h"

namespace journeyd::poll {

using config::Duration;

enum class AuthKind { kNone, kBearer, kBasic, kHeader, kQuery, kOAuth2 };

struct AuthSettings {
  AuthKind type = AuthKind::kNone;
  // bearer: the token; header and query: the value; basic: "user:password" when `username` is
  // empty (how WooCommerce, Mailchimp and Zendesk keys are usually handed over).
  Secret token;
  std::string name;      // header: its name ("X-Shopify-Access-Token"); query: the parameter
  std::string username;  // basic
  Secret password;       // basic
  // oauth2
  OAuth2Grant grant = OAuth2Grant::kClientCredentials;
  std::string token_url;
  std::string client_id;
  Secret client_secret;
  Secret refresh_token;
  std::vector<std::string> scopes;
  bool credentials_in_body = false;
  static const config::StructSpec<AuthSettings>& Spec();
};

// A JSON request body written as YAML; strings may hold {{placeholders}} (template.h).
struct JsonBody {
  boost::json::value value;  // null: no body
};

struct RequestSettings {
  std::string method = "GET";
  std::string path;  // appended to base_url: "/admin/api/2026-07/customers.json"
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;
  JsonBody body;
  static const config::StructSpec<RequestSettings>& Spec();
};

enum class PaginationKind {
  kNone,      // one request
  kLinkHeader,  // follow the Link header's rel="next" URL (Shopify, WooCommerce, GitHub)
  kNextUrl,   // follow a URL in the body (Zendesk's after_url)
  kCursor,    // send back a token from the body (`cursor_path`) or the last record's field
  kPage,      // page=1,2,... until a short or empty page, or the total pages header
  kOffset,    // offset=0,n,2n,... until a short or empty page, or the total
};

struct PaginationSettings {
  PaginationKind type = PaginationKind::kNone;
  std::string param;  // cursor, page, offset: the query parameter (or body field) carrying it
  bool in_body = false;  // cursor: sent as a JSON body field (Square's search endpoints)
  std::string cursor_path;    // cursor: where the next token is in the body ("cursor")
  std::string cursor_record_field;  // cursor: or the last record's field (Stripe: "id")
  std::string next_url_path;  // next_url: where the next URL is in the body
  // A body field that says whether another page follows: `stop_path` equal to `stop_value`
  // means this was the last page (Zendesk end_of_stream: true; Stripe has_more: false).
  std::string stop_path;
  bool stop_value = true;
  std::string total_path;          // offset: the body's total count ("total_items")
  std::string total_pages_header;  // page: the header with the page count ("X-WP-TotalPages")
  int64_t first = -1;              // page: 1, offset: 0 by default
  // Query parameters a follow-up request leaves out (Zendesk takes either start_time or cursor).
  std::vector<std::string> drop_on_next;
  // Keep the last token after the final page and start the next run from it (Zendesk's
  // incremental exports: the cursor after end_of_stream is where new changes will appear).
  bool resume_from_last = false;
  static const config::StructSpec<PaginationSettings>& Spec();
};

enum class CursorFormat { kRfc3339, kUnix, kUnixMillis, kRaw };

struct CursorSettings {
  // The record field whose highest value is where the next run starts ("updated_at"); empty:
  // the stream is read whole every run (duplicates of unchanged records are dropped).
  std::string field;
  CursorFormat format = CursorFormat::kRfc3339;  // how {{cursor}} is written into requests
  // Start this far before the saved cursor: records committed late at the vendor, clock skew.
  Duration lookback{0};
  // Records arrive sorted ascending by `field`: the cursor may advance with every page.
  // Otherwise it advances only when the stream has been read to its end.
  bool ordered = false;
  // The first run's cursor: an RFC 3339 time, or a duration before now ("30d"); empty: all.
  std::string start;
  static const config::StructSpec<CursorSettings>& Spec();
};

struct StreamSettings {
  std::string name;
  // The RawEvent type of each record, which the mapping's `on:` matches; may use {{record.x}}.
  std::string event_type;
  // Where the record goes in the stored event: "data.object" makes a Stripe object look like
  // the body of its webhook event, so one mapping serves both. Empty: the record itself.
  std::string wrap;
  std::string records;  // path to the record array in the body; empty: the body is the array
  std::string id_field = "id";
  int page_size = 100;  // {{page_size}}
  RequestSettings request;
  PaginationSettings pagination;
  CursorSettings cursor;
  // A child stream is read once for each record of its parent stream's pages (Mailchimp's
  // activity of each changed member), its requests filled from the parent record with
  // {{parent.NAME}}. Its events are stored with the parent's page, in one transaction, so a run
  // that stops between them reads both again. It has no cursor of its own: the parent's cursor
  // decides which parent records are read.
  std::string parent;
  // NAME -> a path in the parent record; each is {{parent.NAME}} and is copied into every child
  // event under "_parent", so a mapping sees whose record it is.
  std::map<std::string, std::string> parent_fields;
  bool IsChild() const { return !parent.empty(); }
  static const config::StructSpec<StreamSettings>& Spec();
};

struct RateLimitSettings {
  double requests_per_second = 0;  // 0: as fast as answers come
  // A header "used/size" of a leaky bucket (Shopify's X-Shopify-Shop-Api-Call-Limit): above
  // 80% full, requests slow to the leak rate.
  std::string bucket_header;
  double bucket_leak_per_second = 2;
  int max_retries = 5;  // per request, for 429, 5xx, timeouts and network failures
  // A Retry-After longer than this ends the run (it resumes at its last page next time).
  Duration max_wait{std::chrono::minutes(5)};
  static const config::StructSpec<RateLimitSettings>& Spec();
};

struct PollSettings {
  std::string preset;
  std::string schedule;   // schedule.h: "*/15 * * * *", "@every 15m"
  std::string time_zone;  // IANA; empty: UTC
  Duration jitter{0};     // each run starts up to this much later, spreading load
  // A run the schedule wanted while journeyd was down runs once at start.
  bool catch_up = true;
  bool enabled = true;  // false: only manual runs

  // HTTP streams.
  std::string base_url;
  AuthSettings auth;
  std::map<std::string, std::string> params;  // {{param.name}} in requests
  std::vector<StreamSettings> streams;
  RateLimitSettings rate_limit;
  Duration timeout{std::chrono::seconds(30)};
  int max_pages = 0;  // per stream and run; 0: no limit

  // Drop directory (sources that import files, such as csv).
  std::filesystem::path directory;
  std::string pattern = "*.csv";
  Duration settle{std::chrono::seconds(5)};

  std::shared_ptr<const Schedule> compiled_schedule;  // set by the loader

  bool IsDropDirectory() const { return !directory.empty(); }
  static const config::StructSpec<PollSettings>& Spec();
};

// Reads a source's `poll:` block over its preset (by `preset:`, else the source's type when a
// preset of that name exists). `presets` maps names to preset YAML text. Every problem goes to
// `diag` with its position (a preset's own positions name "preset:<name>"); null on error.
// `config_dir` resolves a relative `directory`.
std::shared_ptr<const PollSettings> LoadPollSettings(
    const config::ConfigNode& block, std::string_view source_type,
    const std::map<std::string, std::string, std::less<>>& presets,
    const std::filesystem::path& config_dir, config::Diagnostics& diag);

// The event types a poll can produce that a mapping may name (templated ones are left out).
std::vector<std::string> PollEventTypes(const PollSettings& settings);
// The same for a preset's YAML, so that a vendor's mapping may handle polled records whether
// or not this config polls. Empty when the text does not parse (LoadPollSettings reports it).
std::vector<std::string> PresetEventTypes(std::string_view preset_yaml);

}  // namespace journeyd::poll

namespace journeyd::config {

template <>
struct ValueParser<poll::JsonBody> {
  static constexpr std::string_view kTypeName = "map";
  static bool Parse(const ConfigNode& node, poll::JsonBody& out, Diagnostics& diag);
};

template <>
struct EnumNames<poll::AuthKind> {
  static constexpr std::array<std::pair<std::string_view, poll::AuthKind>, 6> kValues{
      {{"none", poll::AuthKind::kNone},
       {"bearer", poll::AuthKind::kBearer},
       {"basic", poll::AuthKind::kBasic},
       {"header", poll::AuthKind::kHeader},
       {"query", poll::AuthKind::kQuery},
       {"oauth2", poll::AuthKind::kOAuth2}}};
};
template <>
struct EnumNames<poll::OAuth2Grant> {
  static constexpr std::array<std::pair<std::string_view, poll::OAuth2Grant>, 2> kValues{
      {{"refresh_token", poll::OAuth2Grant::kRefreshToken},
       {"client_credentials", poll::OAuth2Grant::kClientCredentials}}};
};
template <>
struct EnumNames<poll::PaginationKind> {
  static constexpr std::array<std::pair<std::string_view, poll::PaginationKind>, 6> kValues{
      {{"none", poll::PaginationKind::kNone},
       {"link_header", poll::PaginationKind::kLinkHeader},
       {"next_url", poll::PaginationKind::kNextUrl},
       {"cursor", poll::PaginationKind::kCursor},
       {"page", poll::PaginationKind::kPage},
       {"offset", poll::PaginationKind::kOffset}}};
};
template <>
struct EnumNames<poll::CursorFormat> {
  static constexpr std::array<std::pair<std::string_view, poll::CursorFormat>, 4> kValues{
      {{"rfc3339", poll::CursorFormat::kRfc3339},
       {"unix", poll::CursorFormat::kUnix},
       {"unix_ms", poll::CursorFormat::kUnixMillis},
       {"raw", poll::CursorFormat::kRaw}}};
};

}  // namespace journeyd::config
