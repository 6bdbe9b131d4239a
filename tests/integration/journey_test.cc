// The customer journey through the real daemon: vendor fixtures (Segment, Shopify, Stripe,
// Zendesk), signed and posted over HTTP in the order a real customer's systems would send them,
// some late and some twice, become one de-duplicated touchpoint per real event, the exact stage
// history, attribution, actions (once each, across a restart) and KPIs, as the admin API and
// `journeyd report journey` show them.
#include <catch2/catch.hpp>

#include <signal.h>

#include <cmath>
#include <regex>
#include <thread>

#include <boost/json.hpp>

#include "engine/base/time_format.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/signing.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using std::chrono::system_clock;

constexpr auto kDay = std::chrono::hours(24);

const char* kJourney = R"yaml(journey:
  action_max_age: 60d
  thresholds: []
  actions:
    - name: lifecycle_customer
      on_enter: purchase
      target: preview
      set_properties:
        lifecyclestage: customer
    - name: onboarding_call
      on_enter: onboarding
      target: preview
      create_task:
        subject: Onboarding call
        due_in: 2d
        owner: success@example.com
        owner_rules:
          - when: touchpoint.source == "zendesk"
            owner: support-lead@example.com
    - name: advocate
      on_enter: advocacy
      target: preview
      post_event: true

)yaml";

// The shipped config, with the mappings where the source tree has them and this test's journey.
std::string TestConfig() {
  const std::string text = ShippedConfig();
  const size_t start = text.find("\njourney:");
  const size_t end = text.find("\ntargets:");
  REQUIRE((start != std::string::npos && end != std::string::npos && start < end));
  return text.substr(0, start + 1) + kJourney + text.substr(end + 1);
}

json::value Fixture(const std::string& path) {
  return json::parse(ReadFile(FixturesDir() / path));
}

std::string Iso(system_clock::time_point t) { return FormatIso8601(t); }

class Customers {
 public:
  explicit Customers(DaemonProcess& daemon) : daemon_(daemon) {}

  void Segment(const std::string& call, json::object body) {
    body["messageId"] = "m-" + std::to_string(++sequence_);
    Post("/v1/" + call, json::serialize(body),
         {{"Content-Type", "application/json"},
          {"Authorization",
           "Basic " + Base64(env_.at("JOURNEYD_SEGMENT_WRITE_KEY") + ":")}});
  }

  void Shopify(const std::string& topic, const json::value& body, const std::string& delivery) {
    const std::string text = json::serialize(body);
    Post("/webhooks/shopify", text,
         {{"Content-Type", "application/json"},
          {"X-Shopify-Topic", topic},
          {"X-Shopify-Shop-Domain", "example.myshopify.com"},
          {"X-Shopify-Webhook-Id", delivery},
          {"X-Shopify-Hmac-Sha256", HmacSha256Base64(env_.at("JOURNEYD_SHOPIFY_SECRET"), text)}});
  }

  void Stripe(const json::value& body) {
    const std::string text = json::serialize(body);
    const std::string t = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(system_clock::now().time_since_epoch())
            .count());
    Post("/webhooks/stripe", text,
         {{"Content-Type", "application/json"},
          {"Stripe-Signature",
           "t=" + t + ",v1=" + HmacSha256Hex(env_.at("JOURNEYD_STRIPE_SECRET"), t + "." + text)}});
  }

  void Zendesk(const json::value& body) {
    const std::string text = json::serialize(body);
    const std::string at = Iso(system_clock::now());
    Post("/webhooks/zendesk", text,
         {{"Content-Type", "application/json"},
          {"X-Zendesk-Webhook-Signature",
           HmacSha256Base64(env_.at("JOURNEYD_ZENDESK_SECRET"), at + text)},
          {"X-Zendesk-Webhook-Signature-Timestamp", at}});
  }

 private:
  void Post(const std::string& path, const std::string& body, const Headers& headers) {
    auto r = HttpRequest(daemon_.host(), daemon_.port(), "POST", path, body, headers);
    REQUIRE(r.ok());
    INFO(path << ": " << r->body);
    REQUIRE(r->status == 200);
  }

  DaemonProcess& daemon_;
  const std::map<std::string, std::string> env_ = DefaultTestEnvironment();
  int sequence_ = 0;
};

json::value Get(DaemonProcess& daemon, const std::string& path,
                const std::string& token = "test-admin-token") {
  auto r = HttpGet(daemon.host(), daemon.port(), path, {{"Authorization", "Bearer " + token}});
  REQUIRE(r.ok());
  INFO(path << ": " << r->body);
  REQUIRE(r->status == 200);
  return json::parse(r->body);
}

// Waits until `done` holds for the profile with this email (the pipeline runs behind intake).
json::value AwaitProfile(DaemonProcess& daemon, const std::string& email,
                         const std::function<bool(const json::value&)>& done) {
  json::value last;
  for (int i = 0; i < 500; ++i) {
    auto r = HttpGet(daemon.host(), daemon.port(), "/api/v1/profiles?email=" + email,
                     {{"Authorization", "Bearer test-admin-token"}});
    REQUIRE(r.ok());
    if (r->status == 200) {
      last = json::parse(r->body);
      if (done(last)) return last;
    }
    std::this_thread::sleep_for(20ms);
  }
  FAIL("the profile of " << email << " never got there; last seen: " << json::serialize(last));
  return last;
}

std::vector<std::string> StageHistory(const json::value& profile) {
  std::vector<std::string> out;
  for (const auto& t : profile.at("stage_history").as_array()) {
    const auto name = [](const json::value& v) {
      return v.is_null() ? std::string() : std::string(v.as_string());
    };
    out.push_back(std::string(t.at("kind").as_string()) + ":" + name(t.at("from")) + ">" +
                  name(t.at("to")) + "@" + std::string(t.at("at").as_string()));
  }
  return out;
}

TEST_CASE("a multi-source customer journey: stages, de-duplication, attribution, actions, KPIs",
          "[journey]") {
  TempDir dir;
  const auto config_file = dir.Write("journeyd.yaml", TestConfig());
  auto daemon = std::make_unique<DaemonProcess>(config_file, dir.path() / "data");
  REQUIRE(daemon->Start());
  Customers send(*daemon);
  // Whole seconds, so that every time below prints as the store keeps it.
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(system_clock::now());
  const auto day = [&](int days_ago) { return now - days_ago * kDay; };
  const json::object jon_traits{{"email", "jon@example.com"}};

  // Jon: three looks at the pricing page in four days, ...
  const json::value page = Fixture("tracking/segment/examples/http-api.03.page_POST_v1_page.json");
  for (int ago : {19, 18, 17}) {
    json::object call = page.as_object();
    call["timestamp"] = Iso(day(ago));
    call["name"] = "Pricing";
    call["properties"] = {{"path", "/pricing"}, {"url", "https://shop.example.com/pricing"}};
    call["context"] = {{"traits", jon_traits}};
    send.Segment("page", call);
  }
  // ... an abandoned checkout, the order, and the card payment for it a few minutes later ...
  json::value checkout = Fixture("webhooks/shopify/checkouts_create.json");
  checkout.as_object()["email"] = "jon@example.com";
  checkout.as_object()["created_at"] = Iso(day(16));
  checkout.as_object()["updated_at"] = Iso(day(16));
  send.Shopify("checkouts/create", checkout, "wh-checkout-1");
  json::value order = Fixture("webhooks/shopify/orders_create.json");
  order.as_object()["created_at"] = Iso(day(15));
  order.as_object()["processed_at"] = Iso(day(15));
  order.as_object()["updated_at"] = Iso(day(15));
  send.Shopify("orders/create", order, "wh-order-1");
  json::value charge = Fixture("webhooks/stripe/charge_succeeded.assembled.json");
  {
    json::object& object = charge.at("data").at("object").as_object();
    object["amount"] = 40495;  // the order's 404.95 USD
    object["created"] = std::chrono::duration_cast<std::chrono::seconds>(
                            (day(15) + 10min).time_since_epoch())
                            .count();
    object["billing_details"].as_object()["email"] = "jon@example.com";
  }
  send.Stripe(charge);
  // The order again, as an overlapping poll or a replay would bring it: a new delivery, the
  // same order.
  send.Shopify("orders/create", order, "wh-order-1-replayed");
  // A support ticket from his Zendesk user, not yet known to be Jon ...
  json::value ticket = Fixture("webhooks/zendesk/ticket_created.captured.json");
  ticket.as_object()["time"] = Iso(day(10));
  send.Zendesk(ticket);
  // ... a second order ...
  json::value second = Fixture("webhooks/shopify/orders_create.json");
  {
    json::object& o = second.as_object();
    o["id"] = 820982911946154999;
    o["name"] = "#10000";
    o["total_price"] = "20.00";
    o["total_price_set"].as_object()["shop_money"].as_object()["amount"] = "20.00";
    o["created_at"] = o["processed_at"] = o["updated_at"] = Iso(day(5));
  }
  send.Shopify("orders/create", second, "wh-order-2");
  // ... an NPS answer of 10 ...
  json::object nps =
      Fixture("tracking/segment/examples/http-api.02.track_POST_v1_track.json").as_object();
  nps["event"] = "NPS Submitted";
  nps["properties"] = {{"score", 10}};
  nps["timestamp"] = Iso(day(1));
  nps["context"] = {{"traits", jon_traits}};
  send.Segment("track", nps);
  // ... and his CSAT rating through the Zendesk trigger, which ties his Zendesk user to him.
  send.Zendesk(json::object{{"type", "satisfaction_rated"},
                            {"ticket_id", "5158"},
                            {"requester_id", "8447388090494"},
                            {"requester_email", "jon@example.com"},
                            {"rating", "Good"},
                            {"comment", ""}});
  // Last, late: the newsletter visit that started it all, batched up by the browser SDK.
  json::object first = page.as_object();
  first["timestamp"] = Iso(day(20));
  first["name"] = "Spring sale";
  first["properties"] = {{"path", "/spring"}, {"url", "https://shop.example.com/spring"}};
  first["context"] = {{"traits", jon_traits},
                      {"campaign",
                       {{"source", "newsletter"}, {"medium", "email"}, {"name", "spring_sale"}}}};
  send.Segment("page", first);

  // Bob looks around and starts a checkout, but never buys.
  send.Segment("page", {{"userId", "bob-7"},
                        {"timestamp", Iso(day(18))},
                        {"properties", {{"path", "/"}}},
                        {"context", {{"traits", {{"email", "bob@example.com"}}}}}});
  send.Segment("track", {{"userId", "bob-7"},
                         {"event", "Checkout Started"},
                         {"timestamp", Iso(day(17))},
                         {"context", {{"traits", {{"email", "bob@example.com"}}}}}});

  const json::value jon = AwaitProfile(*daemon, "jon%40example.com", [&](const json::value& p) {
    return p.at("touchpoints").as_array().size() == 10 && p.at("stage") == "advocacy" &&
           !p.at("stage_history").as_array().empty() &&
           p.at("stage_history").at(0).at("at") == json::value(Iso(day(20)));
  });
  AwaitProfile(*daemon, "bob%40example.com",
               [](const json::value& p) { return p.at("stage") == "decision"; });

  SECTION("the stage history, each stage at the touchpoint that caused it") {
    CHECK(StageHistory(jon) == std::vector<std::string>{
                                   "stage:>awareness@" + Iso(day(20)),
                                   "stage:awareness>consideration@" + Iso(day(17)),
                                   "stage:consideration>decision@" + Iso(day(16)),
                                   "stage:decision>purchase@" + Iso(day(15)),
                                   "stage:purchase>onboarding@" + Iso(day(10)),
                                   "stage:onboarding>retention@" + Iso(day(5)),
                                   "stage:retention>advocacy@" + Iso(day(1))});
    std::map<int64_t, std::string> types;
    for (const auto& t : jon.at("touchpoints").as_array()) {
      types[t.at("id").as_int64()] = std::string(t.at("type").as_string());
    }
    std::vector<std::string> causes;
    for (const auto& t : jon.at("stage_history").as_array()) {
      causes.push_back(types.at(t.at("touchpoint_id").as_int64()));
    }
    CHECK(causes == std::vector<std::string>{"page_viewed", "page_viewed", "checkout_started",
                                             "order_placed", "ticket_created", "order_placed",
                                             "tracked"});
  }

  SECTION("one touchpoint per real event: the replay adds nothing, the charge joins the order") {
    std::vector<std::string> listed;
    const json::value* order_touchpoint = nullptr;
    for (const auto& t : jon.at("touchpoints").as_array()) {
      listed.push_back(std::string(t.at("type").as_string()) + "/" +
                       std::string(t.at("source").as_string()));
      if (t.at("reference") == "shopify:order:820982911946154508") order_touchpoint = &t;
    }
    CHECK(listed == std::vector<std::string>{
                        "page_viewed/segment", "page_viewed/segment", "page_viewed/segment",
                        "page_viewed/segment", "checkout_started/shopify", "order_placed/shopify",
                        "ticket_created/zendesk", "order_placed/shopify", "tracked/segment",
                        "satisfaction_rated/zendesk"});
    REQUIRE(order_touchpoint != nullptr);
    CHECK(order_touchpoint->at("references") ==
          json::parse(R"([
            {"source": "shopify", "type": "order_placed",
             "reference": "shopify:order:820982911946154508", "merged_by": null},
            {"source": "stripe", "type": "payment_succeeded",
             "reference": "stripe:charge:ch_1PgafuB7WZ01zgkWXYmPNZs8",
             "merged_by": "order_and_payment"}])"));
  }

  SECTION("first-touch and last-touch attribution, scores") {
    const auto& first_touch = jon.at("attribution").at("first_touch");
    CHECK(first_touch.at("source") == "segment");
    CHECK(first_touch.at("type") == "page_viewed");
    CHECK(first_touch.at("utm_source") == "newsletter");
    CHECK(first_touch.at("utm_medium") == "email");
    CHECK(first_touch.at("utm_campaign") == "spring_sale");
    CHECK(first_touch.at("at") == json::value(Iso(day(20))));
    // The only touch with a campaign is the first, so it has the last-touch credit too.
    CHECK(jon.at("attribution").at("last_touch").at("utm_campaign") == "spring_sale");
    // Engagement: each touchpoint's points (defaults), halved every 30 days.
    double engagement = 0;
    for (const auto& [points, days_ago] : std::vector<std::pair<double, double>>{
             {1, 20}, {1, 19}, {1, 18}, {1, 17}, {10, 16}, {20, 15}, {2, 10}, {20, 5}, {2, 1},
             {5, 0}}) {
      engagement += points * std::exp2(-days_ago / 30);
    }
    CHECK(jon.at("scores").at("engagement").as_double() == Approx(engagement).epsilon(0.001));
    // Health: recency 100 (active today), frequency 100 (10 touchpoints in 90 days), tickets 75
    // (one still open), CSAT good 100: 0.35*100 + 0.25*100 + 0.2*75 + 0.2*100.
    CHECK(jon.at("scores").at("health").as_double() == Approx(95).epsilon(0.001));
    CHECK(jon.at("scores").at("thresholds") == json::array());
  }

  SECTION("actions: one per transition, across a restart") {
    const auto list = [&] {
      std::vector<std::string> out;
      json::value actions = Get(*daemon, "/api/v1/journey/actions");
      for (const auto& a : actions.at("actions").as_array()) out.push_back(std::string(a.at("key").as_string()));
      std::sort(out.begin(), out.end());
      return std::make_pair(out, actions);
    };
    const int64_t id = jon.at("id").as_int64();
    const std::string p = std::to_string(id);
    auto [keys, actions] = list();
    CHECK(keys == std::vector<std::string>{p + ":advocate:enter:advocacy#1",
                                           p + ":lifecycle_customer:enter:purchase#1",
                                           p + ":onboarding_call:enter:onboarding#1"});
    for (const auto& a : actions.at("actions").as_array()) {
      CHECK(a.at("status") == "pending");
      CHECK(a.at("target") == "preview");
      if (a.at("action") == "onboarding_call") {
        CHECK(a.at("payload").at("task") ==
              json::value{{"subject", "Onboarding call"},
                          {"body", ""},
                          {"due_at", Iso(day(10) + 2 * kDay)},
                          {"owner", "support-lead@example.com"}});
      }
      if (a.at("action") == "lifecycle_customer") {
        CHECK(a.at("payload").at("properties") == json::value{{"lifecyclestage", "customer"}});
      }
    }
    daemon->Signal(SIGTERM);
    REQUIRE(daemon->Wait(10s) == 0);
    daemon = std::make_unique<DaemonProcess>(config_file, dir.path() / "data");
    REQUIRE(daemon->Start());
    // Another delivery of the NPS answer after the restart changes nothing.
    Customers again(*daemon);
    again.Segment("track", nps);
    std::this_thread::sleep_for(300ms);
    CHECK(list().first == keys);
    CHECK(AwaitProfile(*daemon, "jon%40example.com", [](const json::value&) { return true; })
              .at("touchpoints")
              .as_array()
              .size() == 10);
  }

  SECTION("KPIs, from the API and from `journeyd report journey`") {
    const json::value kpis = Get(*daemon, "/api/v1/journey/kpis", "test-read-token");
    CHECK(kpis.at("profiles") == 2);
    const json::value expected_stages = json::parse(R"([
      {"stage": "awareness", "current": 0, "entered": 2},
      {"stage": "consideration", "current": 0, "entered": 2},
      {"stage": "decision", "current": 1, "entered": 2},
      {"stage": "purchase", "current": 0, "entered": 1},
      {"stage": "onboarding", "current": 0, "entered": 1},
      {"stage": "retention", "current": 0, "entered": 1},
      {"stage": "advocacy", "current": 1, "entered": 1}])");
    CHECK(kpis.at("stages") == expected_stages);
    // Bob skipped consideration (no time for that pair), and dropped before purchase.
    CHECK(kpis.at("conversion") == json::parse(R"([
      {"from": "awareness", "to": "consideration", "entered": 2, "converted": 2, "dropped": 0,
       "rate": 1.0, "median_days": 3.0, "p90_days": 3.0},
      {"from": "consideration", "to": "decision", "entered": 2, "converted": 2, "dropped": 0,
       "rate": 1.0, "median_days": 1.0, "p90_days": 1.0},
      {"from": "decision", "to": "purchase", "entered": 2, "converted": 1, "dropped": 1,
       "rate": 0.5, "median_days": 1.0, "p90_days": 1.0},
      {"from": "purchase", "to": "onboarding", "entered": 1, "converted": 1, "dropped": 0,
       "rate": 1.0, "median_days": 5.0, "p90_days": 5.0},
      {"from": "onboarding", "to": "retention", "entered": 1, "converted": 1, "dropped": 0,
       "rate": 1.0, "median_days": 5.0, "p90_days": 5.0},
      {"from": "retention", "to": "advocacy", "entered": 1, "converted": 1, "dropped": 0,
       "rate": 1.0, "median_days": 4.0, "p90_days": 4.0}])"));
    CHECK(kpis.at("customers") == 1);
    CHECK(kpis.at("churn") == json::parse(R"({"churned": 0, "rate": 0.0})"));
    CHECK(kpis.at("repeat_purchase") ==
          json::parse(R"({"purchasers": 1, "repeat_purchasers": 1, "rate": 1.0})"));
    // The Stripe charge is the order's payment, not a second purchase.
    CHECK(kpis.at("revenue") == json::parse(R"([{"currency": "USD", "total": "424.95",
                                                 "paying_profiles": 1,
                                                 "per_profile": "424.95"}])"));
    CHECK(kpis.at("support") == json::parse(R"({"tickets_opened": 1, "tickets_solved": 0,
                                                "median_resolution_hours": null,
                                                "p90_resolution_hours": null})"));
    CHECK(kpis.at("satisfaction") ==
          json::parse(R"({"csat_responses": 1, "csat_percent": 100.0, "nps_responses": 1,
                          "promoters": 1, "detractors": 0, "nps": 100.0})"));

    // A range and a first-touch source narrow it; bad input is a 400 naming the parameter.
    const json::value recent = Get(
        *daemon, "/api/v1/journey/kpis?since=" + Iso(day(12)) + "&source=segment");
    CHECK(recent.at("stages").at(4) == json::parse(R"({"stage": "onboarding", "current": 0,
                                                       "entered": 1})"));
    CHECK(recent.at("stages").at(0).at("entered") == 0);
    auto bad = HttpGet(daemon->host(), daemon->port(), "/api/v1/journey/kpis?since=yesterday",
                       {{"Authorization", "Bearer test-read-token"}});
    REQUIRE(bad.ok());
    CHECK(bad->status == 400);
    CHECK_THAT(bad->body, Catch::Contains("since must be an RFC 3339 time"));

    const auto json_report =
        RunJourneyd({"report", "--config", config_file.string(), "--data-dir",
                     (dir.path() / "data").string(), "journey", "--format", "json"},
                    DefaultTestEnvironment());
    REQUIRE(json_report.exit_code == 0);
    const json::value reported = json::parse(json_report.output);
    CHECK(reported.at("conversion") == kpis.at("conversion"));
    CHECK(reported.at("revenue") == kpis.at("revenue"));
    const auto table = RunJourneyd({"report", "--config", config_file.string(), "--data-dir",
                                    (dir.path() / "data").string(), "journey"},
                                   DefaultTestEnvironment());
    REQUIRE(table.exit_code == 0);
    CHECK_THAT(table.output, Catch::Contains("decision -> purchase") &&
                                 Catch::Contains("50.0%") &&
                                 Catch::Contains("revenue USD 424.95 from 1 profiles"));
  }

  SECTION("read-only callers see no touchpoint attributes") {
    const json::value masked =
        Get(*daemon, "/api/v1/profiles/" + std::to_string(jon.at("id").as_int64()),
            "test-read-token");
    for (const auto& t : masked.at("touchpoints").as_array()) {
      CHECK_FALSE(t.as_object().contains("attributes"));
    }
    CHECK(masked.at("stage") == "advocacy");
  }

  daemon->Signal(SIGTERM);
  REQUIRE(daemon->Wait(10s) == 0);
}

}  // namespace
}  // namespace journeyd::testing
