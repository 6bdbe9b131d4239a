#include "engine/poll/poll_settings.h"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace journeyd::poll {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using config::ConfigNode;
using config::DiagnosticKind;
using config::Diagnostics;

// A vendor preset as a connector would ship it: the API's shape, no schedule, no credential.
constexpr char kAcmePreset[] = R"(base_url: https://api.acme.test
auth:
  type: header
  name: X-Acme-Key
rate_limit:
  requests_per_second: 2
  max_retries: 4
timeout: 20s
streams:
  - name: customers
    event_type: acme.customer
    records: customers
    page_size: 100
    request:
      path: /v1/customers
      query:
        updated_since: "{{cursor}}"
        limit: "{{page_size}}"
    pagination:
      type: cursor
      param: cursor
      cursor_path: next_cursor
    cursor:
      field: updated_at
      ordered: true
  - name: orders
    event_type: "acme.order.{{record.status}}"
    records: orders
    request:
      path: /v1/orders
    pagination:
      type: page
      param: page
)";

const std::map<std::string, std::string, std::less<>>& Presets() {
  static const std::map<std::string, std::string, std::less<>> presets{{"acme", kAcmePreset}};
  return presets;
}

struct Loaded {
  Diagnostics diag;
  std::shared_ptr<const PollSettings> settings;

  std::string Errors() const { return diag.Format(); }
  // The first error (warnings, such as a plain-text secret, come first in the file).
  config::Diagnostic FirstError() const {
    for (const auto& d : diag.entries()) {
      if (d.severity == config::Severity::kError) return d;
    }
    FAIL("no error\n" << diag.Format());
    return {};
  }
  bool HasError(const std::string& text) const {
    for (const auto& d : diag.entries()) {
      if (d.severity == config::Severity::kError &&
          (d.message.find(text) != std::string::npos || d.hint.find(text) != std::string::npos)) {
        return true;
      }
    }
    return false;
  }
};

// Loads `yaml` (the source's poll block) as from "f.yaml".
std::unique_ptr<Loaded> Load(const std::string& yaml, std::string_view source_type = "http",
                             const std::filesystem::path& config_dir = "/etc/journeyd") {
  auto out = std::make_unique<Loaded>();
  auto node = ConfigNode::LoadString(yaml, "f.yaml", out->diag);
  REQUIRE(node);
  out->settings = LoadPollSettings(*node, source_type, Presets(), config_dir, out->diag);
  return out;
}

const StreamSettings* FindStream(const PollSettings& settings, const std::string& name) {
  for (const StreamSettings& s : settings.streams) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// A complete stand-alone block (no preset), for tests that break one thing in it.
std::string Standalone(const std::string& stream_extra, const std::string& auth = "",
                       const std::string& request = "    request:\n      path: /things\n") {
  return "schedule: \"@every 15m\"\n"
         "base_url: https://api.example.test\n" +
         (auth.empty() ? std::string() : "auth:\n" + auth) +
         "streams:\n"
         "  - name: things\n"
         "    event_type: example.thing\n" +
         request + stream_extra;
}

TEST_CASE("poll settings: a source's keys are parsed over its preset's", "[poll]") {
  auto loaded = Load(
      "preset: acme\n"
      "schedule: \"*/15 * * * *\"\n"
      "base_url: https://eu.acme.test\n"
      "auth:\n"
      "  token: acme-key-123\n"
      "rate_limit:\n"
      "  max_retries: 2\n");
  INFO(loaded->Errors());
  REQUIRE(loaded->settings);
  const PollSettings& s = *loaded->settings;
  CHECK(s.preset == "acme");
  CHECK(s.schedule == "*/15 * * * *");
  REQUIRE(s.compiled_schedule);
  CHECK(s.compiled_schedule->expression() == "*/15 * * * *");
  // User keys win...
  CHECK(s.base_url == "https://eu.acme.test");
  CHECK(s.rate_limit.max_retries == 2);
  // ...and nested maps merge key by key: the preset's auth type and header name stay, the
  // user's token is taken; the preset's rate stays beside the user's retries.
  CHECK(s.auth.type == AuthKind::kHeader);
  CHECK(s.auth.name == "X-Acme-Key");
  CHECK(s.auth.token.Reveal() == "acme-key-123");
  CHECK(s.rate_limit.requests_per_second == 2);
  CHECK(s.timeout == 20s);
  // Without `streams`, all of the preset's.
  REQUIRE(s.streams.size() == 2);
  CHECK(s.streams[0].name == "customers");
  CHECK(s.streams[0].page_size == 100);
  CHECK(s.streams[0].pagination.type == PaginationKind::kCursor);
  CHECK(s.streams[0].cursor.ordered);
  CHECK(s.streams[0].request.query.at("limit") == "{{page_size}}");
  CHECK(s.streams[1].name == "orders");
  CHECK(s.streams[1].pagination.type == PaginationKind::kPage);
  // Defaults where neither says.
  CHECK(s.catch_up);
  CHECK(s.enabled);
  CHECK(s.max_pages == 0);
  CHECK_FALSE(s.IsDropDirectory());
}

TEST_CASE("poll settings: the preset named like the source type applies without preset:",
          "[poll]") {
  auto by_type = Load("schedule: \"@hourly\"\nauth:\n  token: k\n", "acme");
  INFO(by_type->Errors());
  REQUIRE(by_type->settings);
  CHECK(by_type->settings->preset == "acme");
  CHECK(by_type->settings->base_url == "https://api.acme.test");
  CHECK(by_type->settings->streams.size() == 2);

  // Another type has no preset: the block must say everything itself.
  auto other = Load("schedule: \"@hourly\"\nauth:\n  token: k\n", "http");
  CHECK_FALSE(other->settings);
  CHECK(other->HasError("base_url"));
}

TEST_CASE("poll settings: an unknown preset is refused with a suggestion", "[poll]") {
  auto loaded = Load("preset: acmee\nschedule: \"@hourly\"\n");
  CHECK_FALSE(loaded->settings);
  CHECK(loaded->HasError("unknown poll preset 'acmee'"));
  CHECK(loaded->HasError("did you mean 'acme'?"));
  CHECK(loaded->FirstError().position.line == 1);
}

TEST_CASE("poll settings: streams pick preset streams by name or override them", "[poll]") {
  SECTION("by name") {
    auto loaded = Load("preset: acme\nschedule: \"@hourly\"\nauth:\n  token: k\n"
                       "streams:\n  - orders\n");
    INFO(loaded->Errors());
    REQUIRE(loaded->settings);
    REQUIRE(loaded->settings->streams.size() == 1);
    CHECK(loaded->settings->streams[0].name == "orders");
    CHECK(loaded->settings->streams[0].request.path == "/v1/orders");
  }

  SECTION("a map with a preset stream's name is parsed over it") {
    auto loaded = Load("preset: acme\nschedule: \"@hourly\"\nauth:\n  token: k\n"
                       "streams:\n"
                       "  - name: customers\n"
                       "    page_size: 20\n"
                       "    cursor:\n"
                       "      lookback: 10m\n"
                       "  - orders\n");
    INFO(loaded->Errors());
    REQUIRE(loaded->settings);
    REQUIRE(loaded->settings->streams.size() == 2);
    const StreamSettings* customers = FindStream(*loaded->settings, "customers");
    REQUIRE(customers != nullptr);
    CHECK(customers->page_size == 20);
    CHECK(customers->cursor.lookback == 10min);
    // What the override does not name stays the preset's.
    CHECK(customers->cursor.field == "updated_at");
    CHECK(customers->cursor.ordered);
    CHECK(customers->event_type == "acme.customer");
    CHECK(customers->records == "customers");
    CHECK(customers->pagination.cursor_path == "next_cursor");
    CHECK(customers->request.path == "/v1/customers");
  }

  SECTION("a map with another name is a stream of its own") {
    auto loaded = Load("preset: acme\nschedule: \"@hourly\"\nauth:\n  token: k\n"
                       "streams:\n"
                       "  - name: invoices\n"
                       "    event_type: acme.invoice\n"
                       "    request:\n"
                       "      path: /v1/invoices\n");
    INFO(loaded->Errors());
    REQUIRE(loaded->settings);
    REQUIRE(loaded->settings->streams.size() == 1);
    const StreamSettings& invoices = loaded->settings->streams[0];
    CHECK(invoices.name == "invoices");
    CHECK(invoices.page_size == 100);  // the struct default
    CHECK(invoices.pagination.type == PaginationKind::kNone);
  }

  SECTION("an unknown preset stream name") {
    auto loaded = Load("preset: acme\nschedule: \"@hourly\"\nauth:\n  token: k\n"
                       "streams:\n  - custmers\n");
    CHECK_FALSE(loaded->settings);
    CHECK(loaded->HasError("the preset has no stream 'custmers'"));
    CHECK(loaded->HasError("did you mean 'customers'?"));
    CHECK(loaded->FirstError().position.file == "f.yaml");
    CHECK(loaded->FirstError().position.line == 6);
    CHECK(loaded->FirstError().position.column == 5);
  }

  SECTION("a name without a preset") {
    auto loaded = Load("schedule: \"@hourly\"\nbase_url: https://x.test\nstreams:\n  - things\n");
    CHECK_FALSE(loaded->settings);
    CHECK(loaded->HasError("a stream name needs a preset"));
  }

  SECTION("a stream listed twice") {
    auto loaded = Load("preset: acme\nschedule: \"@hourly\"\nauth:\n  token: k\n"
                       "streams:\n  - orders\n  - orders\n");
    CHECK_FALSE(loaded->settings);
    CHECK(loaded->HasError("stream 'orders' is listed twice"));
  }

  SECTION("streams is not a list") {
    auto loaded = Load("preset: acme\nschedule: \"@hourly\"\nauth:\n  token: k\n"
                       "streams: orders\n");
    CHECK_FALSE(loaded->settings);
    CHECK(loaded->HasError("expected a list of streams"));
  }
}

TEST_CASE("poll settings: schedule errors point at the schedule", "[poll]") {
  SECTION("missing") {
    auto loaded = Load("preset: acme\nauth:\n  token: k\n");
    CHECK_FALSE(loaded->settings);
    CHECK(loaded->HasError("missing required key 'schedule'"));
  }

  SECTION("a bad cron expression names its field at FILE:LINE:COL") {
    auto loaded = Load("preset: acme\n"
                       "auth:\n"
                       "  token: k\n"
                       "schedule: \"61 * * * *\"\n");
    CHECK_FALSE(loaded->settings);
    INFO(loaded->Errors());
    REQUIRE(loaded->diag.error_count() == 1);
    const config::Diagnostic* error = nullptr;
    for (const auto& d : loaded->diag.entries()) {
      if (d.severity == config::Severity::kError) error = &d;
    }
    REQUIRE(error != nullptr);
    CHECK_THAT(error->message, Catch::Contains("minute"));
    CHECK_THAT(error->message, Catch::Contains("61"));
    CHECK(error->position.file == "f.yaml");
    CHECK(error->position.line == 4);
    CHECK(error->position.column == 11);  // the value after "schedule: "
    CHECK_THAT(loaded->Errors(), Catch::Contains("f.yaml:4:11: error:"));
  }

  SECTION("an unknown time zone") {
    auto loaded = Load("preset: acme\nauth:\n  token: k\nschedule: \"0 6 * * *\"\n"
                       "time_zone: Mars/Olympus_Mons\n");
    CHECK_FALSE(loaded->settings);
    CHECK(loaded->HasError("Mars/Olympus_Mons"));
  }

  SECTION("a good time zone compiles") {
    auto loaded = Load("preset: acme\nauth:\n  token: k\nschedule: \"0 6 * * *\"\n"
                       "time_zone: Europe/Berlin\n");
    INFO(loaded->Errors());
    REQUIRE(loaded->settings);
    REQUIRE(loaded->settings->compiled_schedule);
    CHECK(loaded->settings->compiled_schedule->time_zone() == "Europe/Berlin");
  }
}

TEST_CASE("poll settings: HTTP polls need a base_url and streams", "[poll]") {
  SECTION("no base_url and no directory") {
    auto loaded = Load("schedule: \"@hourly\"\n"
                       "streams:\n  - name: a\n    event_type: t\n    request:\n      path: /a\n");
    CHECK_FALSE(loaded->settings);
    CHECK(loaded->HasError("missing required key 'base_url'"));
  }
  SECTION("not an http(s) URL") {
    auto loaded = Load("schedule: \"@hourly\"\nbase_url: ftp://files.example.test\n"
                       "streams:\n  - name: a\n    event_type: t\n    request:\n      path: /a\n");
    CHECK_FALSE(loaded->settings);
    CHECK(loaded->HasError("is not an http:// or https:// URL"));
    CHECK(loaded->FirstError().position.line == 2);
  }
  SECTION("no streams") {
    auto loaded = Load("schedule: \"@hourly\"\nbase_url: https://x.test\n");
    CHECK_FALSE(loaded->settings);
    CHECK(loaded->HasError("no streams to poll"));
  }
  SECTION("a stream without event_type or path") {
    auto no_type = Load("schedule: \"@hourly\"\nbase_url: https://x.test\n"
                        "streams:\n  - name: a\n    request:\n      path: /a\n");
    CHECK_FALSE(no_type->settings);
    CHECK(no_type->HasError("stream 'a': needs an event_type"));
    auto no_path = Load("schedule: \"@hourly\"\nbase_url: https://x.test\n"
                        "streams:\n  - name: a\n    event_type: t\n");
    CHECK_FALSE(no_path->settings);
    CHECK(no_path->HasError("stream 'a': needs request.path"));
  }
  SECTION("the standalone block used below is valid") {
    auto loaded = Load(Standalone(""));
    INFO(loaded->Errors());
    REQUIRE(loaded->settings);
    CHECK(loaded->settings->auth.type == AuthKind::kNone);
  }
}

TEST_CASE("poll settings: pagination needs the keys of its kind", "[poll]") {
  struct Case {
    std::string yaml;
    std::string error;
  };
  const std::vector<Case> cases{
      {"    pagination:\n      type: cursor\n      cursor_path: next\n",
       "cursor pagination needs param"},
      {"    pagination:\n      type: cursor\n      param: after\n",
       "cursor pagination needs cursor_path or cursor_record_field"},
      {"    pagination:\n      type: next_url\n", "next_url pagination needs next_url_path"},
      {"    pagination:\n      type: page\n", "page and offset pagination need param"},
      {"    pagination:\n      type: offset\n", "page and offset pagination need param"},
      {"    pagination:\n      type: cursor\n      param: cursor\n      cursor_path: c\n"
       "      in_body: true\n",
       "in_body pagination needs POST"},
      {"    pagination:\n      type: sideways\n", "sideways"},
      {"    cursor:\n      field: updated_at\n      start: last tuesday\n",
       "is neither an RFC 3339 time nor a duration"},
      {"    page_size: 0\n", "must be at least 1"},
      {"    request:\n      path: /x\n      method: PATCH\n", "is not GET or POST"},
  };
  for (const Case& c : cases) {
    const bool request = c.yaml.rfind("    request:", 0) == 0;
    auto loaded = request ? Load(Standalone("", "", c.yaml)) : Load(Standalone(c.yaml));
    INFO(c.yaml << "\n" << loaded->Errors());
    CHECK_FALSE(loaded->settings);
    CHECK(loaded->HasError(c.error));
  }

  // The same kinds with what they need load.
  const std::vector<std::string> valid{
      "    pagination:\n      type: cursor\n      param: starting_after\n"
      "      cursor_record_field: id\n      stop_path: has_more\n      stop_value: false\n",
      "    pagination:\n      type: next_url\n      next_url_path: after_url\n",
      "    pagination:\n      type: offset\n      param: offset\n      total_path: total\n",
      "    pagination:\n      type: link_header\n",
      "    cursor:\n      field: updated_at\n      start: 30d\n      format: unix\n",
  };
  for (const std::string& yaml : valid) {
    auto loaded = Load(Standalone(yaml));
    INFO(yaml << "\n" << loaded->Errors());
    CHECK(loaded->settings);
  }
}

TEST_CASE("poll settings: a child stream names another stream and what it takes from it",
          "[poll]") {
  const std::string child_head =
      "  - name: details\n    event_type: example.detail\n"
      "    request:\n      path: \"/things/{{parent.thing}}/details\"\n";
  struct Case {
    std::string yaml;
    std::string error;
  };
  const std::vector<Case> cases{
      {child_head + "    parent: thngs\n    parent_fields: {thing: id}\n",
       "parent 'thngs' is not another stream"},
      {child_head + "    parent: details\n    parent_fields: {thing: id}\n",
       "parent 'details' is not another stream"},
      {child_head + "    parent: things\n", "needs parent_fields"},
      {child_head + "    parent_fields: {thing: id}\n", "parent_fields needs parent"},
      {child_head + "    parent: things\n    parent_fields: {thing: id}\n"
                    "    cursor:\n      field: updated_at\n",
       "a child stream has no cursor of its own"},
      {child_head + "    parent: things\n    parent_fields: {thing: id}\n" +
           "  - name: more\n    event_type: example.more\n    request: {path: /more}\n"
           "    parent: details\n    parent_fields: {detail: id}\n",
       "is itself a child stream"},
  };
  for (const Case& c : cases) {
    auto loaded = Load(Standalone(c.yaml));
    INFO(c.yaml << "\n" << loaded->Errors());
    CHECK_FALSE(loaded->settings);
    CHECK(loaded->HasError(c.error));
  }
  auto loaded = Load(Standalone(child_head + "    parent: things\n    parent_fields: {thing: id}\n"));
  INFO(loaded->Errors());
  REQUIRE(loaded->settings);
  const StreamSettings* child = FindStream(*loaded->settings, "details");
  REQUIRE(child);
  CHECK(child->IsChild());
  CHECK(child->parent_fields == std::map<std::string, std::string>{{"thing", "id"}});
  CHECK_FALSE(FindStream(*loaded->settings, "things")->IsChild());
}

TEST_CASE("poll settings: each auth type needs its credentials", "[poll]") {
  struct Case {
    std::string auth;
    std::string error;  // "" when valid
  };
  const std::vector<Case> cases{
      {"  type: bearer\n", "bearer needs token"},
      {"  type: bearer\n  token: t0k\n", ""},
      {"  type: header\n  token: t0k\n", "header and query need name and token"},
      {"  type: query\n  name: api_key\n", "header and query need name and token"},
      {"  type: query\n  name: api_key\n  token: t0k\n", ""},
      {"  type: basic\n  token: no-colon\n", "basic needs username and password"},
      {"  type: basic\n  token: user:pass\n", ""},
      {"  type: basic\n  username: user\n  password: pass\n", ""},
      {"  type: oauth2\n  client_id: c\n  client_secret: s\n", "oauth2 needs token_url and client_id"},
      {"  type: oauth2\n  token_url: https://x.test/token\n  client_id: c\n"
       "  grant: refresh_token\n  client_secret: s\n",
       "the refresh_token grant needs refresh_token"},
      {"  type: oauth2\n  token_url: https://x.test/token\n  client_id: c\n",
       "the client_credentials grant needs client_secret"},
      {"  type: oauth2\n  token_url: https://x.test/token\n  client_id: c\n  client_secret: s\n",
       ""},
      {"  type: kerberos\n", "kerberos"},
  };
  for (const Case& c : cases) {
    auto loaded = Load(Standalone("", c.auth));
    INFO(c.auth << "\n" << loaded->Errors());
    if (c.error.empty()) {
      CHECK(loaded->settings);
    } else {
      CHECK_FALSE(loaded->settings);
      CHECK(loaded->HasError(c.error));
    }
  }
  // The error points at the auth block of the source.
  auto bearer = Load(Standalone("", "  type: bearer\n"));
  REQUIRE_FALSE(bearer->diag.entries().empty());
  bool at_auth = false;
  for (const auto& d : bearer->diag.entries()) {
    if (d.message.find("bearer needs token") != std::string::npos) at_auth = d.position.line == 4;
  }
  CHECK(at_auth);
}

TEST_CASE("poll settings: a drop directory resolves against the config directory", "[poll]") {
  auto relative = Load("schedule: \"@every 1m\"\ndirectory: drops/pos\npattern: \"*.txt\"\n",
                       "csv", "/etc/journeyd");
  INFO(relative->Errors());
  REQUIRE(relative->settings);
  CHECK(relative->settings->IsDropDirectory());
  CHECK(relative->settings->directory == std::filesystem::path("/etc/journeyd/drops/pos"));
  CHECK(relative->settings->pattern == "*.txt");
  CHECK(relative->settings->settle == 5s);
  // No base_url or streams needed.
  CHECK(relative->settings->streams.empty());

  auto absolute = Load("schedule: \"@every 1m\"\ndirectory: /srv/drop\nsettle: 30s\n", "csv",
                       "/etc/journeyd");
  INFO(absolute->Errors());
  REQUIRE(absolute->settings);
  CHECK(absolute->settings->directory == std::filesystem::path("/srv/drop"));
  CHECK(absolute->settings->settle == 30s);
}

TEST_CASE("poll settings: other block-level problems", "[poll]") {
  SECTION("not a map") {
    auto loaded = Load("- a\n- b\n");
    CHECK_FALSE(loaded->settings);
    CHECK(loaded->HasError("expected a map"));
  }
  SECTION("an unknown key, with a suggestion") {
    auto loaded = Load("preset: acme\nschedule: \"@hourly\"\nauth:\n  token: k\nmax_page: 3\n");
    CHECK_FALSE(loaded->settings);
    CHECK(loaded->HasError("unknown key 'max_page'"));
    CHECK(loaded->HasError("did you mean 'max_pages'?"));
  }
  SECTION("a wrong type") {
    auto loaded = Load("preset: acme\nschedule: \"@hourly\"\nauth:\n  token: k\nmax_pages: many\n");
    CHECK_FALSE(loaded->settings);
  }
}

TEST_CASE("poll settings: event types name what a mapping may match", "[poll]") {
  auto loaded = Load("preset: acme\nschedule: \"@hourly\"\nauth:\n  token: k\n");
  INFO(loaded->Errors());
  REQUIRE(loaded->settings);
  // The orders stream's type is templated ("acme.order.{{record.status}}"): left out.
  CHECK(PollEventTypes(*loaded->settings) == std::vector<std::string>{"acme.customer"});
  CHECK(PresetEventTypes(kAcmePreset) == std::vector<std::string>{"acme.customer"});
  CHECK(PresetEventTypes("streams:\n  - event_type: a.b\n  - name: x\n  - plain\n"
                         "  - event_type: \"c.{{record.kind}}\"\n  - event_type: d\n") ==
        std::vector<std::string>{"a.b", "d"});
  CHECK(PresetEventTypes("streams: [unclosed").empty());
  CHECK(PresetEventTypes("").empty());
  CHECK(PresetEventTypes("streams: 3\n").empty());
}

TEST_CASE("poll settings: a JSON body written as YAML keeps YAML's types", "[poll]") {
  Diagnostics diag;
  auto node = ConfigNode::LoadString(
      "body:\n"
      "  limit: 100\n"
      "  quoted: \"100\"\n"
      "  single: '42'\n"
      "  negative: -5\n"
      "  yes_flag: true\n"
      "  no_flag: false\n"
      "  quoted_flag: \"true\"\n"
      "  name: abc\n"
      "  nothing: ~\n"
      "  cursor: \"{{cursor}}\"\n"
      "  list: [1, \"2\", x]\n"
      "  nested:\n"
      "    deep: 7\n",
      "f.yaml", diag);
  REQUIRE(node);
  JsonBody body;
  REQUIRE(config::ValueParser<JsonBody>::Parse(*node->Find("body"), body, diag));
  INFO(diag.Format());
  CHECK_FALSE(diag.has_errors());
  const json::object& o = body.value.as_object();
  CHECK(o.at("limit").is_int64());
  CHECK(o.at("limit").as_int64() == 100);
  CHECK(o.at("quoted") == json::value("100"));
  CHECK(o.at("single") == json::value("42"));
  CHECK(o.at("negative") == json::value(-5));
  CHECK(o.at("yes_flag") == json::value(true));
  CHECK(o.at("no_flag") == json::value(false));
  CHECK(o.at("quoted_flag") == json::value("true"));
  CHECK(o.at("name") == json::value("abc"));
  CHECK(o.at("nothing").is_null());
  CHECK(o.at("cursor") == json::value("{{cursor}}"));
  CHECK(o.at("list") == json::parse(R"([1,"2","x"])"));
  CHECK(o.at("nested") == json::parse(R"({"deep":7})"));

  // Through a stream's request, too.
  auto loaded = Load(Standalone("", "",
                                "    request:\n      path: /search\n      method: POST\n"
                                "      body:\n        limit: \"{{page_size}}\"\n"
                                "        query:\n          exact: 1\n"));
  INFO(loaded->Errors());
  REQUIRE(loaded->settings);
  CHECK(loaded->settings->streams[0].request.body.value ==
        json::parse(R"({"limit":"{{page_size}}","query":{"exact":1}})"));
  CHECK(loaded->settings->streams[0].request.method == "POST");
}

}  // namespace
}  // namespace journeyd::poll
